#!/usr/bin/env bash
# End-to-end checks that need more than one database, a second server or a killed backend:
# the offline script reproduces the live state elsewhere, pg_dump/pg_restore keep the
# catalog, a hot standby refuses migrations, a failed call leaves a LOG line, and a backend
# killed mid-migration leaves the database exactly as before the call.
# Needs PGHOST/PGPORT/PGUSER of a server with pfm_migrate installed, and PFM_SERVER_LOG
# (its log file) when the LOG-line check is to run.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"
pfm_ensure_deps --tests
source "$(dirname "$0")/../checks.sh"
fresh_db() { q postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"; q "$1" -c 'CREATE EXTENSION pfm_migrate'; }
# The pid of the backend whose application_name is $1, once it sits in pg_sleep.
sleeping_backend() {
	local pid=
	for _ in $(seq 1 100); do
		pid=$(q postgres -c "SELECT pid FROM pg_stat_activity WHERE application_name = '$1' AND wait_event = 'PgSleep'")
		[ -n "$pid" ] && break
		sleep 0.1
	done
	printf '%s\n' "$pid"
}
work=$(pfm_tmpdir)
trap 'rm -rf "$work"' EXIT

register_graph() {
	q "$1" <<'SQL' >/dev/null
SELECT pfm_register('g1', NULL, $$CREATE TABLE g1 (id int)$$, $$DROP TABLE g1$$, 'root');
SELECT pfm_register('g2', 'g1', $$CREATE TABLE g2 (id int); INSERT INTO g2 VALUES (1), (2)$$, $$DROP TABLE g2$$, 'branch a');
SELECT pfm_register('g3', 'g1', $$CREATE TABLE g3 (note text DEFAULT 'it''s $x$')$$, $$DROP TABLE g3$$, 'branch b, quotes');
SELECT pfm_register('g4', 'g2,g3', '', '', 'merge');
SELECT pfm_register('h1', NULL, $$CREATE TABLE h1 (id int)$$, $$DROP TABLE h1$$, 'other root', depends_on => ARRAY['g2']);
SQL
}

# 1. offline script: generated in one database, run with psql -1 -f in another.
fresh_db pfm_it_a; fresh_db pfm_it_b
register_graph pfm_it_a
q pfm_it_a -c "SELECT pfm_upgrade_sql('heads')" >"$work/up.sql"
q pfm_it_a -c "SET client_min_messages = warning" -c "SELECT count(*) FROM pfm_upgrade('heads')" >/dev/null
PGOPTIONS='-c client_min_messages=warning' psql -qX -v ON_ERROR_STOP=1 -1 -f "$work/up.sql" -d pfm_it_b >/dev/null
check "offline upgrade script reaches the live version rows" \
	"$(q pfm_it_a -c "SELECT string_agg(version_num, ',' ORDER BY version_num) FROM pfm_migrate.version")" \
	"$(q pfm_it_b -c "SELECT string_agg(version_num, ',' ORDER BY version_num) FROM pfm_migrate.version")"
check "offline upgrade script records the same applied set" \
	"$(q pfm_it_a -c "SELECT string_agg(revision || ':' || checksum, ',' ORDER BY revision) FROM pfm_migrate.applied")" \
	"$(q pfm_it_b -c "SELECT string_agg(revision || ':' || checksum, ',' ORDER BY revision) FROM pfm_migrate.applied")"
check "offline upgrade script ran the bodies" "2" "$(q pfm_it_b -c 'SELECT count(*) FROM g2')"
check "offline upgrade script audits its steps" "5" "$(q pfm_it_b -c "SELECT count(*) FROM pfm_migrate.audit WHERE operation = 'upgrade'")"
if psql -qX -v ON_ERROR_STOP=1 -1 -f "$work/up.sql" -d pfm_it_b >/dev/null 2>&1; then
	check "the offline script refuses a database at another state" "refused" "ran again"
else
	check "the offline script refuses a database at another state" "refused" "refused"
fi
q pfm_it_a -c "SELECT pfm_downgrade_sql('g1')" >"$work/down.sql"
q pfm_it_a -c "SET client_min_messages = warning" -c "SELECT count(*) FROM pfm_downgrade('g1')" >/dev/null
PGOPTIONS='-c client_min_messages=warning' psql -qX -v ON_ERROR_STOP=1 -1 -f "$work/down.sql" -d pfm_it_b >/dev/null
check "offline downgrade script reaches the live state" \
	"$(q pfm_it_a -c 'SELECT pfm_current()')" "$(q pfm_it_b -c 'SELECT pfm_current()')"

# 2. pg_dump / pg_restore keep bodies, state and audit.
pg_dump -Fc -d pfm_it_a -f "$work/a.dump"
q postgres -c "SET client_min_messages = warning" -c 'DROP DATABASE IF EXISTS pfm_it_c' -c 'CREATE DATABASE pfm_it_c'
pg_restore -d pfm_it_c "$work/a.dump"
for what in "pfm_current()" "(SELECT count(*) FROM pfm_migrate.revisions)" "(SELECT count(*) FROM pfm_migrate.audit)" \
	"(SELECT string_agg(checksum, ',' ORDER BY revision) FROM pfm_migrate.applied)"; do
	check "pg_restore keeps $what" "$(q pfm_it_a -c "SELECT $what")" "$(q pfm_it_c -c "SELECT $what")"
done
check "a restored database migrates on" "4" "$(q pfm_it_c -c "SET client_min_messages = warning" -c "SELECT count(*) FROM pfm_upgrade('heads')")"

# 3. a failed call leaves a LOG line naming who tried what.
q pfm_it_a -c "SELECT pfm_register('bad', 'g4', 'SELECT 1/0', 'SELECT 1', 'divides by zero')" >/dev/null
q pfm_it_a -c "SET application_name = 'it-log-check'" -c "SELECT * FROM pfm_upgrade('bad')" >/dev/null 2>&1 || true
if [ -z "${PFM_SERVER_LOG:-}" ]; then
	check "PFM_SERVER_LOG names the server log (the LOG-line checks need it)" "set" "unset"
else
	sleep 0.2
	check "a failed call writes a LOG line" "1" \
		"$(grep -c "pfm_migrate: pfm_upgrade('bad') by user \"$PGUSER\".*failed: division by zero" "$PFM_SERVER_LOG" | head -1 | sed 's/^[1-9][0-9]*$/1/')"
fi
# A nested call (a body calling pfm_register) is refused and does not rename the outer call.
q pfm_it_a -c "SELECT pfm_register('nested', 'g4', 'SELECT pfm_register(''inner'')', 'SELECT 1', 'nests')" >/dev/null
q pfm_it_a -c "SET application_name = 'it-nested'" -c "SELECT * FROM pfm_upgrade('nested')" >/dev/null 2>&1 || true
q pfm_it_a -c "SELECT pfm_unregister('nested')" >/dev/null
if [ -z "${PFM_SERVER_LOG:-}" ]; then
	check "PFM_SERVER_LOG names the server log (the LOG-line checks need it)" "set" "unset"
else
	sleep 0.2
	check "a nested call's failure is logged under the outer call" "1" \
		"$(grep -c "pfm_migrate: pfm_upgrade('nested') by user .*failed: pfm_register() cannot be called from inside a migration body" "$PFM_SERVER_LOG" | sed 's/^[1-9][0-9]*$/1/')"
	check "the inner call is not what the LOG line names" "0" "$(grep -c "pfm_migrate: pfm_register('inner')" "$PFM_SERVER_LOG" || true)"
fi
check "a failed call leaves no audit row" "0" "$(q pfm_it_a -c "SELECT count(*) FROM pfm_migrate.audit WHERE revision = 'bad' AND operation = 'upgrade'")"

# 4. a backend killed in the middle of a migration leaves everything as it was.
fresh_db pfm_it_d
q pfm_it_d -c "SELECT pfm_register('k1', NULL, 'CREATE TABLE k1 (id int)', 'DROP TABLE k1', 'fast')" \
	-c "SELECT pfm_register('k2', 'k1', 'CREATE TABLE k2 (id int); SELECT pg_sleep(30)', 'DROP TABLE k2', 'slow')" >/dev/null
q pfm_it_d -c "SET application_name = 'pfm-kill-me'" -c "SELECT * FROM pfm_upgrade('head')" >/dev/null 2>&1 &
victim=$!
kill -9 "$(sleeping_backend pfm-kill-me)"
wait "$victim" 2>/dev/null || true
for _ in $(seq 1 100); do pg_isready -q && q postgres -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done
check "after a killed backend: still at base" "" "$(q pfm_it_d -c 'SELECT pfm_current()')"
check "after a killed backend: no table from the first step" "t" "$(q pfm_it_d -c "SELECT to_regclass('k1') IS NULL")"
check "after a killed backend: no audit row" "0" "$(q pfm_it_d -c "SELECT count(*) FROM pfm_migrate.audit WHERE operation = 'upgrade'")"

# 5. pfm_migrate.lock_timeout: the waiter gives up and names the process holding the lock.
q pfm_it_d -c "SET client_min_messages = warning" -c "SELECT pfm_register('k2', 'k1', 'CREATE TABLE k2 (id int)', 'DROP TABLE k2', 'quick now')" >/dev/null
q pfm_it_d -c "SET application_name = 'pfm-holder'" -c "BEGIN" -c "SELECT count(*) FROM pfm_upgrade('k1')" \
	-c "SELECT pg_sleep(3)" -c "COMMIT" >/dev/null 2>&1 &
holder=$!
hpid=$(sleeping_backend pfm-holder)
err=$(psql -qAtX -d pfm_it_d -v VERBOSITY=verbose -c "SET pfm_migrate.lock_timeout = '200ms'" \
	-c "SELECT * FROM pfm_upgrade('head')" 2>&1 || true)
check "lock_timeout: 55P03" "ERROR:  55P03: could not obtain the migration lock" "$(printf '%s\n' "$err" | grep -m1 '^ERROR')"
check "lock_timeout: the error names the holder" "DETAIL:  Process $hpid holds the lock; waited 200 ms." \
	"$(printf '%s\n' "$err" | grep -m1 '^DETAIL')"
wait "$holder"
check "after the holder commits, the waiter's work is left to do" "k2" \
	"$(q pfm_it_d -c "SET client_min_messages = warning" -c "SELECT revision FROM pfm_upgrade('head')")"

# 6. a hot standby refuses migrations up front.
standby="$work/standby"
mkdir -p "$standby/sock"
[ "$(id -u)" = 0 ] && chown -R postgres: "$standby"
pfm_as_owner pg_basebackup -D "$standby/data" -R -X stream -d "host=$PGHOST port=${PGPORT:-5432} user=$PGUSER" >/dev/null
pfm_as_owner "$PG_BIN/pg_ctl" -D "$standby/data" -w -l "$standby/server.log" \
	-o "-c listen_addresses='' -c unix_socket_directories='$standby/sock' -p 5499 -c hot_standby=on" start >/dev/null
err=$(psql -qAtX -h "$standby/sock" -p 5499 -d pfm_it_d -c "SELECT * FROM pfm_upgrade('head')" 2>&1 || true)
check "a hot standby refuses pfm_upgrade" "ERROR:  cannot run pfm_upgrade() on a hot standby" "$(printf '%s\n' "$err" | head -1)"
check "a hot standby still answers pfm_current" "k2" "$(psql -qAtX -h "$standby/sock" -p 5499 -d pfm_it_d -c 'SELECT pfm_current()')"
pfm_cluster_stop "$standby/data"


# 7. pfm_upgrade_sql while another session registers and unregisters a pending revision:
#    the script and its bodies come from one snapshot; never a crashed backend.
fresh_db pfm_it_e
q pfm_it_e -c "SELECT pfm_register('e1', NULL, 'SELECT 1', 'SELECT 1', 'base')" >/dev/null
crashes_before=$(grep -c "terminated by signal" "${PFM_SERVER_LOG:-/dev/null}" || true)
for _ in $(seq 1 150); do
	printf '%s\n' "SELECT pfm_register('e2', 'e1', 'SELECT 2', 'SELECT 2', 'pending');" "SELECT pfm_unregister('e2');"
done | psql -qAtX -d pfm_it_e >/dev/null 2>&1 &
churn=$!
for _ in $(seq 1 300); do printf '%s\n' "SELECT length(pfm_upgrade_sql('heads')) > 0;"; done |
	psql -qAtX -v VERBOSITY=sqlstate -d pfm_it_e >"$work/race.out" 2>&1 || true
wait "$churn" || true
check "pfm_upgrade_sql during register/unregister: every call answers or asks to retry" "" \
	"$(grep -v -x -e 't' -e 'ERROR:  40001' "$work/race.out" | sort -u | head -3)"
check "pfm_upgrade_sql during register/unregister: all 300 calls came back" "300" "$(wc -l <"$work/race.out" | tr -d ' ')"
check "pfm_upgrade_sql during register/unregister: no backend crashed" "$crashes_before" \
	"$(grep -c "terminated by signal" "${PFM_SERVER_LOG:-/dev/null}" || true)"

# 8. Offline scripts are inert in psql: text psql would take as a meta-command or a variable,
#    in a body (a comment, a string, after a string) or in a message, is never run by psql -f.
fresh_db pfm_it_f; fresh_db pfm_it_g
pwned="$work/pwned"
q pfm_it_f -v pwned="$pwned" -f - >/dev/null <<'SQL'
SELECT pfm_register('m1', NULL,
	format(E'SELECT $q$x$q$;\n-- \\! touch %s\nCREATE TABLE m1 (note text DEFAULT ''\\! touch %s'');\n/* \\! touch %s */ CREATE TABLE m1s AS SELECT (ARRAY[1, 2, 3])[1:two] AS a FROM (SELECT 2 AS two) s;', :'pwned', :'pwned', :'pwned'),
	format(E'DROP TABLE m1s; DROP TABLE m1;\n-- \\! touch %s\n-- \\o %s', :'pwned', :'pwned'),
	format(E'evil\n\\! touch %s', :'pwned'));
SELECT pfm_register('m2', 'm1', 'CREATE INDEX CONCURRENTLY m1_note ON m1 (note)', 'DROP INDEX CONCURRENTLY m1_note',
	'concurrent index', transactional => false);
SQL
q pfm_it_f -c "SELECT pfm_upgrade_sql('head')" >"$work/inert_up.sql"
check "an offline script with a non-transactional revision says to run it without -1" "1" \
	"$(grep -c 'run WITHOUT -1: psql -X -v ON_ERROR_STOP=1 -f' "$work/inert_up.sql")"
PGOPTIONS='-c client_min_messages=warning' psql -qX -v ON_ERROR_STOP=1 -v two=3 -f "$work/inert_up.sql" -d pfm_it_g >/dev/null
check "offline upgrade script with psql meta-commands in bodies and messages: none ran" "no" "$([ -e "$pwned" ] && echo yes || echo no)"
check "... and the script reached the state, the concurrent index valid" "m2|t" \
	"$(q pfm_it_g -c "SELECT concat_ws('|', pfm_current(), (SELECT indisvalid FROM pg_index WHERE indexrelid = 'm1_note'::regclass))")"
check "... the body ran exactly as registered (psql did not put its variable into [1:two])" "2" \
	"$(q pfm_it_g -c "SELECT array_length(a, 1) FROM m1s")"
q pfm_it_g -c "SELECT pfm_downgrade_sql('base')" >"$work/inert_down.sql"
PGOPTIONS='-c client_min_messages=warning' psql -qX -v ON_ERROR_STOP=1 -f "$work/inert_down.sql" -d pfm_it_g >/dev/null
check "offline downgrade script: none ran either, and it reached base" "no|" \
	"$([ -e "$pwned" ] && echo yes || echo no)|$(q pfm_it_g -c "SELECT pfm_current()")"

for db in pfm_it_a pfm_it_b pfm_it_c pfm_it_d pfm_it_e pfm_it_f pfm_it_g; do q postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db"; done
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
