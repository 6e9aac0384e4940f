#!/usr/bin/env bash
# Release 0.2.0 end to end, against real servers:
#  - ALTER EXTENSION pfm_migrate UPDATE from 0.1.0 keeps every row and ends where a fresh
#    0.2.0 install plus the same history ends; a 0.1.0 pg_dump restores under 0.2.0;
#  - CALL pfm_deploy / pfm_revert: failures leave a 'failed' audit row and resume; the
#    least-privilege deploy role; ALTER TYPE ... ADD VALUE used by the next statement;
#  - faults: kill -9 of the caller (in a transactional and in a non-transactional
#    revision), kill -9 of the worker, pg_ctl stop -m immediate, pg_cancel_backend and
#    statement_timeout mid-step: afterwards the applied set is exactly the revisions
#    before the interrupted one, and a re-run converges; a disk that fills up (a tablespace on
#    a small tmpfs, mounted as root) likewise;
#  - no free worker slot is a clear error before anything runs.
# Needs PGHOST/PGPORT/PGUSER of a server with pfm_migrate installed, and PFM_SERVER_DATA
# (its data directory, for the immediate stop and restart).
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"
pfm_ensure_deps --tests
source "$(dirname "$0")/../checks.sh"
fresh_db() { q postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"; }
work=$(pfm_tmpdir)
trap 'rm -rf "$work"' EXIT
wait_for_server() {
	for _ in $(seq 1 150); do
		q postgres -c 'SELECT 1' >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}
# The pid of a backend matching a pg_stat_activity condition, once it shows up (10 s).
backend_where() {
	local pid=
	for _ in $(seq 1 100); do
		pid=$(q postgres -c "SELECT pid FROM pg_stat_activity WHERE $1 LIMIT 1" 2>/dev/null || true)
		[ -n "$pid" ] && break
		sleep 0.1
	done
	printf '%s\n' "$pid"
}
# The catalog's rows as text, for before/after comparisons (what 0.1.0 has).
catalog_rows() {
	q "$1" -c "SELECT string_agg(format('%s|%s|%s|%s|%s|%s|%s|%s|%s', revision, down_revisions, branch_labels, depends_on,
	              message, upgrade, downgrade, checksum, registered_by), E'\n' ORDER BY revision) FROM pfm_migrate.revisions" \
		-c "SELECT string_agg(format('%s|%s|%s|%s|%s|%s', revision, checksum, applied_at, applied_by, duration_ms, stamped),
	              E'\n' ORDER BY revision) FROM pfm_migrate.applied" \
		-c "SELECT string_agg(version_num, ',' ORDER BY version_num) FROM pfm_migrate.version" \
		-c "SELECT string_agg(format('%s|%s|%s|%s|%s|%s|%s|%s', id, at, operation, revision, direction, checksum,
	              \"current_user\", transaction_id), E'\n' ORDER BY id) FROM pfm_migrate.audit" \
		-c "SELECT string_agg(format('%s|%s|%s|%s|%s', revision, down_revision, is_current, applied, applied_at), E'\n')
	              FROM pfm_history()" \
		-c "SELECT pfm_current()"
}
# A 0.1.0 database with registered, applied, stamped and downgraded revisions.
build_010() {
	fresh_db "$1"
	q "$1" -c "CREATE EXTENSION pfm_migrate VERSION '0.1.0'" >/dev/null
	q "$1" -f - >/dev/null <<'SQL'
SET client_min_messages = warning;
SELECT pfm_register('a1', NULL, 'CREATE TABLE a1 (id int)', 'DROP TABLE a1', 'first');
SELECT pfm_register('a2', 'a1', 'CREATE TABLE a2 (id int)', 'DROP TABLE a2', 'second', ARRAY['lab']);
SELECT pfm_register('a3', 'a2', 'CREATE TABLE a3 (id int)', NULL, 'third, irreversible');
SELECT pfm_register('b1', NULL, 'CREATE TABLE b1 (id int)', 'DROP TABLE b1', 'other root', depends_on => ARRAY['a1']);
SELECT count(*) FROM pfm_upgrade('a2');
SELECT count(*) FROM pfm_downgrade('a1');
SELECT pfm_stamp('b1');
SELECT count(*) FROM pfm_upgrade('a3');
SQL
}

# ---- 1. upgrading the extension from 0.1.0 -----------------------------------------------------
build_010 pfm_up
check "a 0.1.0 database: installed at 0.1.0" 0.1.0 "$(q pfm_up -c "SELECT extversion FROM pg_extension WHERE extname = 'pfm_migrate'")"
check "the 0.2.0 library serves the 0.1.0 declarations (pfm_history with its 9 columns)" "9|4|a3,b1" \
	"$(q pfm_up -c "SELECT concat_ws('|', (SELECT array_length(proargnames, 1) FROM pg_proc WHERE proname = 'pfm_history'), (SELECT count(*) FROM pfm_history()), pfm_current())")"
before=$(catalog_rows pfm_up)
q pfm_up -c "ALTER EXTENSION pfm_migrate UPDATE" >/dev/null
check "ALTER EXTENSION pfm_migrate UPDATE: now at 0.2.0" 0.2.0 "$(q pfm_up -c "SELECT extversion FROM pg_extension WHERE extname = 'pfm_migrate'")"
check "the update keeps every row (revisions, checksums, applied, version, audit, history, current)" "$before" "$(catalog_rows pfm_up)"
check "after the update, the database is healthy" "0" "$(q pfm_up -c "SELECT problems + drifted FROM pfm_status()")"
check "after the update, old audit rows read as applied" "applied" "$(q pfm_up -c "SELECT string_agg(DISTINCT outcome, ',') FROM pfm_migrate.audit")"
# The same history on a fresh 0.2.0 install ends with the same catalog definition.
fresh_db pfm_fresh
q pfm_fresh -c "CREATE EXTENSION pfm_migrate" >/dev/null
schema_of() { pg_dump -s -n pfm_migrate "$1" | grep -Ev -e '^--' -e '^$' -e '^\\(un)?restrict '; }
check "an updated 0.1.0 database has the catalog of a fresh 0.2.0 install" "$(schema_of pfm_fresh)" "$(schema_of pfm_up)"
check "... and the same functions" \
	"$(q pfm_fresh -c "SELECT string_agg(p.oid::regprocedure::text || ':' || pg_get_function_result(p.oid), ',' ORDER BY 1) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid JOIN pg_extension e ON e.oid = d.refobjid WHERE e.extname = 'pfm_migrate'")" \
	"$(q pfm_up -c "SELECT string_agg(p.oid::regprocedure::text || ':' || pg_get_function_result(p.oid), ',' ORDER BY 1) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid JOIN pg_extension e ON e.oid = d.refobjid WHERE e.extname = 'pfm_migrate'")"
q pfm_up -c "SELECT pfm_register('c1', 'b1', 'CREATE INDEX CONCURRENTLY a1_id ON a1 (id)', 'DROP INDEX CONCURRENTLY a1_id', 'concurrent', transactional => false)" >/dev/null
q pfm_up -c "SET client_min_messages = warning" -c "CALL pfm_deploy('heads')" >/dev/null
check "0.2.0 features work after the update (a non-transactional revision deployed)" "a3,c1" "$(q pfm_up -c "SELECT pfm_current()")"

# ---- 2. a 0.1.0 pg_dump restores into a server with 0.2.0 ----------------------------------------
build_010 pfm_dump010
before=$(catalog_rows pfm_dump010)
pg_dump -Fc -d pfm_dump010 -f "$work/010.dump"
fresh_db pfm_restored
pg_restore -d pfm_restored "$work/010.dump" 2>"$work/restore.err" || true
check "a 0.1.0 dump restores under 0.2.0: the extension is at 0.2.0" 0.2.0 \
	"$(q pfm_restored -c "SELECT extversion FROM pg_extension WHERE extname = 'pfm_migrate'")"
check "a 0.1.0 dump restores under 0.2.0: every row, the same checksums, the same state" "$before" "$(catalog_rows pfm_restored)"
check "a 0.1.0 dump restores under 0.2.0: no drift, no problem" "0" "$(q pfm_restored -c "SELECT problems + drifted FROM pfm_status()")"

# ---- 3. per-revision deploys: failure, resume, role, enum values --------------------------------
fresh_db pfm_dep
q pfm_dep -c "CREATE EXTENSION pfm_migrate" >/dev/null
q pfm_dep >/dev/null <<'SQL'
CREATE TABLE flaky (divisor int);
INSERT INTO flaky VALUES (0);
SELECT pfm_register('d1', NULL, $$CREATE TYPE mood AS ENUM ('sad'); CREATE TABLE moods (m mood)$$, 'DROP TABLE moods; DROP TYPE mood', 'a type');
SELECT pfm_register('d2', 'd1', $$ALTER TYPE mood ADD VALUE 'happy'; INSERT INTO moods VALUES ('happy')$$, 'DELETE FROM moods', 'a new enum value, used at once', transactional => false);
SELECT pfm_register('d3', 'd2', $$CREATE TABLE d3 (id int); SELECT 1 / divisor FROM flaky$$, 'DROP TABLE d3', 'fails once');
SELECT pfm_register('d4', 'd3', 'CREATE TABLE d4 (id int)', 'DROP TABLE d4', 'after');
SQL
err=$(q pfm_dep -c "CALL pfm_deploy('head')" 2>&1 || true)
check "pfm_deploy: a failing revision ends the call with its error" "ERROR:  division by zero" "$(printf '%s\n' "$err" | grep -m1 '^ERROR')"
check "pfm_deploy: ... naming the revision and statement" "1" "$(printf '%s\n' "$err" | grep -c 'revision d3 (upgrade), statement 2')"
check "pfm_deploy: the revisions before the failing one stay applied (one transaction each)" "d2" "$(q pfm_dep -c "SELECT pfm_current()")"
check "pfm_deploy: the enum value added by a non-transactional revision was usable at once" "happy" "$(q pfm_dep -c "SELECT string_agg(m::text, ',') FROM moods")"
check "pfm_deploy: the failing revision left nothing of itself" "t" "$(q pfm_dep -c "SELECT to_regclass('d3') IS NULL")"
check "pfm_deploy: a durable 'failed' audit row" "d3|upgrade|failed|1|division by zero" \
	"$(q pfm_dep -c "SELECT concat_ws('|', revision, direction, outcome, attempts, error) FROM pfm_migrate.audit WHERE outcome = 'failed'")"
q pfm_dep -c "UPDATE flaky SET divisor = 1" >/dev/null
q pfm_dep -c "SET client_min_messages = warning" -c "CALL pfm_deploy('head')"
check "pfm_deploy again: resumes from the failed revision" "d4" "$(q pfm_dep -c "SELECT pfm_current()")"
check "pfm_deploy again: nothing ran twice" "d1:1,d2:1,d3:1,d4:1" \
	"$(q pfm_dep -c "SELECT string_agg(revision || ':' || count, ',' ORDER BY revision) FROM (SELECT revision, count(*) FROM pfm_migrate.audit WHERE operation = 'upgrade' AND outcome = 'applied' GROUP BY 1) c")"
err=$(q pfm_dep -c "BEGIN" -c "CALL pfm_deploy('head')" 2>&1 || true)
check "pfm_deploy in a transaction block: refused up front" "ERROR:  pfm_deploy() cannot run inside a transaction block or a function" \
	"$(printf '%s\n' "$err" | grep -m1 '^ERROR')"
err=$(q pfm_dep -c "SELECT * FROM pfm_downgrade('d1')" 2>&1 || true)
check "pfm_downgrade refuses a plan with a non-transactional revision (hint: pfm_revert)" "1" \
	"$(printf '%s\n' "$err" | grep -c "HINT:  Revert with CALL pfm_revert")"
q pfm_dep -c "SET client_min_messages = warning" -c "CALL pfm_revert('d1')"
check "pfm_revert: one revision per transaction, down to d1" "d1" "$(q pfm_dep -c "SELECT pfm_current()")"

# The README's least-privilege deploy role, with a concurrent index build.
q postgres -c "DROP ROLE IF EXISTS it_deployer" -c "CREATE ROLE it_deployer LOGIN" >/dev/null
fresh_db pfm_role
q postgres -c "ALTER DATABASE pfm_role OWNER TO it_deployer" >/dev/null
q pfm_role >/dev/null <<'SQL'
CREATE EXTENSION pfm_migrate;
GRANT USAGE ON SCHEMA pfm_migrate TO it_deployer;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pfm_migrate TO it_deployer;
GRANT SELECT, USAGE ON ALL SEQUENCES IN SCHEMA pfm_migrate TO it_deployer;
GRANT EXECUTE ON ALL ROUTINES IN SCHEMA pfm_migrate TO it_deployer;
SQL
q pfm_role -U it_deployer >/dev/null <<'SQL'
SELECT pfm_register('r1', NULL, 'CREATE TABLE items (id int, name text)', 'DROP TABLE items', 'items');
SELECT pfm_register('r2', 'r1', 'CREATE INDEX CONCURRENTLY items_name ON items (name)', 'DROP INDEX CONCURRENTLY items_name', 'index', transactional => false);
SET client_min_messages = warning;
CALL pfm_deploy('head');
SQL
check "the least-privilege deploy role runs pfm_deploy with a concurrent build" "r2|it_deployer|t" \
	"$(q pfm_role -c "SELECT concat_ws('|', pfm_current(), (SELECT relowner::regrole FROM pg_class WHERE relname = 'items_name'), (SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_name'::regclass))")"

# ---- 4. faults ---------------------------------------------------------------------------------------
# A database whose r2 builds an index concurrently while session "holder" keeps an old
# snapshot, so the build waits; r1 before it is transactional, r3 after it too.
fault_db() {
	fresh_db pfm_fault
	q pfm_fault >/dev/null <<'SQL'
CREATE EXTENSION pfm_migrate;
CREATE TABLE slow (seconds float8);
INSERT INTO slow VALUES (0);
CREATE TABLE t (id int, email text);
INSERT INTO t SELECT g, 'e' || g FROM generate_series(1, 2000) g;
SELECT pfm_register('r1', NULL, 'CREATE TABLE r1 (id int); SELECT pg_sleep(seconds) FROM slow', 'DROP TABLE r1', 'transactional, sleeps when told');
SELECT pfm_register('r2', 'r1', 'CREATE INDEX CONCURRENTLY t_email ON t (email)', 'DROP INDEX CONCURRENTLY t_email', 'concurrent build', transactional => false);
SELECT pfm_register('r3', 'r2', 'CREATE TABLE r3 (id int)', 'DROP TABLE r3', 'after');
SQL
}
hold_snapshot() { # keeps a snapshot open for 60 s in the background; prints nothing
	q pfm_fault -c "SET application_name = 'it-holder'" -c "BEGIN ISOLATION LEVEL REPEATABLE READ" -c "SELECT count(*) FROM t" \
		-c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
	backend_where "application_name = 'it-holder' AND wait_event = 'PgSleep'" >/dev/null
}
start_deploy() { # CALL pfm_deploy in the background as application_name it-deploy
	q pfm_fault -c "SET application_name = 'it-deploy'" -c "SET client_min_messages = warning" -c "CALL pfm_deploy('head')" \
		>"$work/deploy.out" 2>&1 &
	deploy_job=$!
}
worker_waiting() { backend_where "backend_type = 'pfm_migrate worker' AND wait_event = 'virtualxid'"; }
converges() { # DESCRIPTION: after recovery, re-run; r3 reached, the index valid, nothing twice
	q pfm_fault -c "UPDATE slow SET seconds = 0" >/dev/null
	q pfm_fault -c "SET client_min_messages = warning" -c "CALL pfm_deploy('head')" >/dev/null 2>&1 || true
	check "$1: a re-run converges (at r3, the index valid, each revision applied once)" "r3|t|1" \
		"$(q pfm_fault -c "SELECT concat_ws('|', pfm_current(), (SELECT indisvalid FROM pg_index WHERE indexrelid = 't_email'::regclass), (SELECT max(c) FROM (SELECT count(*) c FROM pfm_migrate.audit WHERE operation = 'upgrade' AND outcome = 'applied' GROUP BY revision) x))")"
}

# kill -9 of the caller during a transactional revision.
fault_db
q pfm_fault -c "UPDATE slow SET seconds = 30" >/dev/null
start_deploy
kill -9 "$(backend_where "application_name = 'it-deploy' AND wait_event = 'PgSleep'")"
wait "$deploy_job" 2>/dev/null || true
wait_for_server
check "kill -9 of the caller in a transactional revision: nothing applied (r1 was interrupted)" "base|t" \
	"$(q pfm_fault -c "SELECT concat_ws('|', coalesce(pfm_current(), 'base'), (SELECT to_regclass('r1') IS NULL))")"
converges "kill -9 of the caller in a transactional revision"

# kill -9 of the caller while the worker builds the index.
fault_db
hold_snapshot
start_deploy
worker_waiting >/dev/null
kill -9 "$(backend_where "application_name = 'it-deploy'")"
wait "$deploy_job" 2>/dev/null || true
wait_for_server
check "kill -9 of the caller during a concurrent build: exactly r1 applied" "r1" "$(q pfm_fault -c "SELECT pfm_current()")"
check "... the INVALID index it left is reported by pfm_check()" "1" \
	"$(q pfm_fault -c "SELECT count(*) FROM pfm_check() WHERE severity = 'error' AND revision = 'r2' AND problem LIKE 'index public.t_email is INVALID%'")"
check "... and counted by pfm_status().problems" "1" "$(q pfm_fault -c "SELECT problems FROM pfm_status()")"
converges "kill -9 of the caller during a concurrent build"

# kill -9 of the worker.
fault_db
hold_snapshot
start_deploy
kill -9 "$(worker_waiting)"
wait "$deploy_job" 2>/dev/null || true
wait_for_server
check "kill -9 of the worker: exactly r1 applied" "r1" "$(q pfm_fault -c "SELECT pfm_current()")"
converges "kill -9 of the worker"

# pg_ctl stop -m immediate during the build, then a restart.
if [ -n "${PFM_SERVER_DATA:-}" ]; then
	fault_db
	hold_snapshot
	start_deploy
	worker_waiting >/dev/null
	pfm_as_owner "$PG_BIN/pg_ctl" -D "$PFM_SERVER_DATA" -m immediate -w stop >/dev/null
	wait "$deploy_job" 2>/dev/null || true
	pfm_as_owner "$PG_BIN/pg_ctl" -D "$PFM_SERVER_DATA" -w -l "$PFM_SERVER_DATA/server.log" \
		-o "-c listen_addresses='' -c unix_socket_directories='$PGHOST' -p ${PGPORT:-5432}" start >/dev/null
	wait_for_server
	check "pg_ctl stop -m immediate during a concurrent build: exactly r1 applied" "r1" "$(q pfm_fault -c "SELECT pfm_current()")"
	converges "pg_ctl stop -m immediate during a concurrent build"
else
	check "PFM_SERVER_DATA names the server's data directory (the immediate-stop test needs it)" "set" "unset"
fi

# pg_cancel_backend of the caller while the worker builds: 57014, the worker gone, a failed row.
fault_db
hold_snapshot
q pfm_fault -c "SET application_name = 'it-deploy'" -v VERBOSITY=sqlstate -c "CALL pfm_deploy('head')" >"$work/cancel.out" 2>&1 &
deploy_job=$!
worker=$(worker_waiting)
q postgres -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'it-deploy'" >/dev/null
wait "$deploy_job" 2>/dev/null || true
check "pg_cancel_backend of the caller: 57014" "ERROR:  57014" "$(grep -m1 '^ERROR' "$work/cancel.out")"
gone=no
for _ in $(seq 1 50); do
	[ -z "$(q postgres -c "SELECT pid FROM pg_stat_activity WHERE pid = $worker")" ] && gone=yes && break
	sleep 0.1
done
check "pg_cancel_backend of the caller: the worker is gone within seconds" yes "$gone"
check "pg_cancel_backend of the caller: a 'failed' audit row for r2, and r1 stays applied" "r1|1" \
	"$(q pfm_fault -c "SELECT concat_ws('|', pfm_current(), (SELECT count(*) FROM pfm_migrate.audit WHERE revision = 'r2' AND outcome = 'failed'))")"
q postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'it-holder'" >/dev/null
converges "pg_cancel_backend of the caller"

# statement_timeout mid-step: the step fails with 57014 and nothing of it stays.
fault_db
q pfm_fault -c "UPDATE slow SET seconds = 5" >/dev/null
err=$(q pfm_fault -v VERBOSITY=sqlstate -c "SET statement_timeout = '500ms'" -c "CALL pfm_deploy('head')" 2>&1 || true)
check "statement_timeout in a step: 57014" "ERROR:  57014" "$(printf '%s\n' "$err" | grep -m1 '^ERROR')"
check "statement_timeout in a step: nothing applied, a failed audit row" "base|1" \
	"$(q pfm_fault -c "SELECT concat_ws('|', coalesce(pfm_current(), 'base'), (SELECT count(*) FROM pfm_migrate.audit WHERE revision = 'r1' AND outcome = 'failed'))")"
converges "statement_timeout in a step"

# A disk that fills up mid-deploy: a tablespace on a 2 MB tmpfs (mounted here as root; the
# test fails, not skips, when root cannot mount it). Revision f2 fills it: 53100 (disk full).
# Atomic: nothing of the call stays. Per revision: f1 stays applied, f2 leaves nothing and a
# failed audit row; once the disk has room (remounted larger) a re-run converges.
if [ "$(id -u)" = 0 ]; then
	ts=$work/tablespace
	mkdir -p "$ts"
	if mount -t tmpfs -o size=2M,mode=0700 tmpfs "$ts"; then
		chown postgres: "$ts"
		q postgres -c "CREATE TABLESPACE pfm_small LOCATION '$ts'" >/dev/null
		fresh_db pfm_disk
		q pfm_disk >/dev/null <<'SQL'
CREATE EXTENSION pfm_migrate;
SELECT pfm_register('f1', NULL, 'CREATE TABLE f1 (id int)', 'DROP TABLE f1', 'small');
SELECT pfm_register('f2', 'f1', $$CREATE TABLE big (x text) TABLESPACE pfm_small;
INSERT INTO big SELECT repeat('x', 1000) FROM generate_series(1, 10000)$$, 'DROP TABLE big', 'fills the tablespace');
SELECT pfm_register('f3', 'f2', 'CREATE TABLE f3 (id int)', 'DROP TABLE f3', 'after');
SQL
		err=$(q pfm_disk -v VERBOSITY=sqlstate -c "SELECT count(*) FROM pfm_upgrade('head')" 2>&1 || true)
		check "disk full in pfm_upgrade: 53100" "ERROR:  53100" "$(printf '%s\n' "$err" | grep -m1 '^ERROR')"
		check "disk full in pfm_upgrade: nothing of the call stays (no table, no upgrade row)" "base|t|0" \
			"$(q pfm_disk -c "SELECT concat_ws('|', coalesce(pfm_current(), 'base'), to_regclass('f1') IS NULL, (SELECT count(*) FROM pfm_migrate.audit WHERE operation = 'upgrade'))")"
		err=$(q pfm_disk -v VERBOSITY=sqlstate -c "SET client_min_messages = warning" -c "CALL pfm_deploy('head')" 2>&1 || true)
		check "disk full in pfm_deploy: 53100" "ERROR:  53100" "$(printf '%s\n' "$err" | grep -m1 '^ERROR')"
		check "disk full in pfm_deploy: f1 applied, f2 left nothing, a failed row for f2" "f1|t|f2" \
			"$(q pfm_disk -c "SELECT concat_ws('|', pfm_current(), to_regclass('big') IS NULL, (SELECT string_agg(revision, ',') FROM pfm_migrate.audit WHERE outcome = 'failed'))")"
		check "disk full: the tablespace holds no leftover of the failed step" "0" \
			"$(find "$ts" -type f -size +0 | wc -l | tr -d ' ')"
		mount -o remount,size=64M "$ts"
		q pfm_disk -c "SET client_min_messages = warning" -c "CALL pfm_deploy('head')"
		check "disk full, then room again: a re-run converges, each revision applied once" "f3|f1:1,f2:1,f3:1" \
			"$(q pfm_disk -c "SELECT pfm_current() || '|' || (SELECT string_agg(revision || ':' || count, ',' ORDER BY revision) FROM (SELECT revision, count(*) FROM pfm_migrate.audit WHERE operation = 'upgrade' AND outcome = 'applied' GROUP BY 1) c)")"
		q postgres -c "DROP DATABASE pfm_disk WITH (FORCE)" -c "DROP TABLESPACE pfm_small" >/dev/null
		umount "$ts"
	else
		check "disk full: a 2 MB tmpfs can be mounted for the tablespace" "mounted" "mount failed"
	fi
else
	echo "ok - # SKIP disk full: mounting a tmpfs needs root"
fi

# ---- 5. no free worker slot: a clear error before anything runs --------------------------------------
small=$work/small
mkdir -p "$small/sock"
[ "$(id -u)" = 0 ] && chown -R postgres: "$small"
pfm_as_owner "$PG_BIN/initdb" -D "$small/data" -U postgres -A trust --no-sync >/dev/null
pfm_as_owner "$PG_BIN/pg_ctl" -D "$small/data" -w -l "$small/server.log" \
	-o "-c listen_addresses='' -c unix_socket_directories='$small/sock' -p 5498 -c max_worker_processes=1" start >/dev/null
sq() { psql -qAtX -h "$small/sock" -p 5498 -d postgres "$@"; }
sq -c "CREATE EXTENSION pfm_migrate" \
	-c "SELECT pfm_register('s1', NULL, 'CREATE TABLE s1 (id int)', 'DROP TABLE s1', 'transactional')" \
	-c "SELECT pfm_register('s2', 's1', 'CREATE INDEX CONCURRENTLY s1_id ON s1 (id)', 'DROP INDEX CONCURRENTLY s1_id', 'concurrent', transactional => false)" >/dev/null
err=$(sq -v VERBOSITY=sqlstate -c "CALL pfm_deploy('head')" 2>&1 || true)
check "no free worker slot: a clear error (53400)" "ERROR:  53400" "$(printf '%s\n' "$err" | grep -m1 '^ERROR')"
check "no free worker slot: nothing ran" "base|t" "$(sq -c "SELECT concat_ws('|', coalesce(pfm_current(), 'base'), (SELECT to_regclass('s1') IS NULL))")"
pfm_cluster_stop "$small/data"

for db in pfm_up pfm_fresh pfm_dump010 pfm_restored pfm_dep pfm_role pfm_fault; do
	q postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
done
q postgres -c "DROP ROLE IF EXISTS it_deployer" >/dev/null
echo "per-revision deploys: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
