#!/usr/bin/env bash
# Privileges and a hostile search_path where a transaction block cannot go (SPEC section 11;
# the rest is pgTAP: test/pgtap/08_privileges.sql, 09_search_path.sql):
#  - CALL pfm_deploy / pfm_revert / pfm_migrate.wait_for_migration_lock as the README's deploy
#    role, monitoring role and a role with PUBLIC's privileges only;
#  - CALL pfm_deploy and pfm_revert (a non-transactional revision included, so the background
#    worker runs under the caller's settings too) and the offline scripts run with psql -f,
#    under a search_path on which public's shadows of the builtins come before pg_catalog:
#    the same applied set, version rows, audit and objects as under a plain search_path, and
#    no shadow called; the offline script generated under that path is the plain one's.
# Needs PGHOST/PGPORT/PGUSER of a server with pfm_migrate installed (superuser). Creates the
# cluster-wide roles pfm_priv_deployer, pfm_priv_monitor and pfm_priv_nobody, and drops them.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"
pfm_ensure_deps --tests
source "$(dirname "$0")/../checks.sh"
# The SQLSTATE of running SQL as a role (a fresh session with that role), or ok.
outcome() { # outcome DB ROLE SQL
	local out
	if out=$(PGOPTIONS='-c client_min_messages=warning' psql -qAtX -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d "$1" \
		-c "SET ROLE $2" -c "$3" 2>&1); then
		echo ok
	else
		sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\):.*/\1/p' <<<"$out" | head -1
	fi
}
fresh_db() { q postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" -c "ALTER DATABASE $1 SET client_min_messages = warning"; }
drop_roles() {
	for db in pfm_priv_a pfm_priv_plain pfm_priv_evil pfm_priv_off_plain pfm_priv_off_evil; do
		q postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
	done
	q postgres -c "SET client_min_messages = warning" \
		-c "DROP ROLE IF EXISTS pfm_priv_deployer" -c "DROP ROLE IF EXISTS pfm_priv_monitor" \
		-c "DROP ROLE IF EXISTS pfm_priv_nobody" >/dev/null 2>&1 || true
}
trap drop_roles EXIT
drop_roles

graph() { # the revisions every database here gets
	q "$1" <<'SQL' >/dev/null
SELECT pfm_register('p1', NULL, $$CREATE TABLE public.p_items (id int, name text); INSERT INTO public.p_items VALUES (1, 'a')$$, $$DROP TABLE public.p_items$$, 'items');
SELECT pfm_register('p2', 'p1', $$CREATE INDEX CONCURRENTLY p_items_name ON public.p_items (name)$$, $$DROP INDEX CONCURRENTLY public.p_items_name$$, 'index', transactional => false);
SELECT pfm_register('p3', 'p2', $$ALTER TABLE public.p_items ADD COLUMN note text DEFAULT 'it''s'$$, $$ALTER TABLE public.p_items DROP COLUMN note$$, 'note');
SQL
}

# ---- 1. the procedures, by role --------------------------------------------------------------
fresh_db pfm_priv_a
q pfm_priv_a <<'SQL' >/dev/null
CREATE EXTENSION pfm_migrate;
CREATE ROLE pfm_priv_deployer;
ALTER DATABASE pfm_priv_a OWNER TO pfm_priv_deployer;
GRANT CREATE ON SCHEMA public TO pfm_priv_deployer;
GRANT USAGE ON SCHEMA pfm_migrate TO pfm_priv_deployer;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pfm_migrate TO pfm_priv_deployer;
GRANT SELECT, USAGE ON ALL SEQUENCES IN SCHEMA pfm_migrate TO pfm_priv_deployer;
GRANT EXECUTE ON ALL ROUTINES IN SCHEMA pfm_migrate TO pfm_priv_deployer;
CREATE ROLE pfm_priv_monitor;
GRANT USAGE ON SCHEMA pfm_migrate TO pfm_priv_monitor;
GRANT SELECT ON ALL TABLES IN SCHEMA pfm_migrate TO pfm_priv_monitor;
CREATE ROLE pfm_priv_nobody;
SQL
q pfm_priv_a -c "SET ROLE pfm_priv_deployer" -f - <<'SQL' >/dev/null
SELECT pfm_register('p1', NULL, $$CREATE TABLE public.p_items (id int, name text); INSERT INTO public.p_items VALUES (1, 'a')$$, $$DROP TABLE public.p_items$$, 'items');
SELECT pfm_register('p2', 'p1', $$CREATE INDEX CONCURRENTLY p_items_name ON public.p_items (name)$$, $$DROP INDEX CONCURRENTLY public.p_items_name$$, 'index', transactional => false);
SQL
for role in pfm_priv_monitor pfm_priv_nobody; do
	check "$role cannot CALL pfm_deploy" "42501" "$(outcome pfm_priv_a $role "CALL pfm_deploy('head')")"
	check "$role cannot CALL pfm_migrate.wait_for_migration_lock" "42501" \
		"$(outcome pfm_priv_a $role "CALL pfm_migrate.wait_for_migration_lock()")"
	check "$role cannot SELECT pfm_migrate.release_migration_lock()" "42501" \
		"$(outcome pfm_priv_a $role "SELECT pfm_migrate.release_migration_lock()")"
done
check "nothing was applied by them" "" "$(q pfm_priv_a -c 'SELECT pfm_current()')"
check "the deploy role can CALL pfm_deploy (a non-transactional revision too)" "ok" \
	"$(outcome pfm_priv_a pfm_priv_deployer "CALL pfm_deploy('head')")"
check "... and it deployed" "p2" "$(q pfm_priv_a -c 'SELECT pfm_current()')"
for role in pfm_priv_monitor pfm_priv_nobody; do
	check "$role cannot CALL pfm_revert" "42501" "$(outcome pfm_priv_a $role "CALL pfm_revert('base')")"
done
check "the deploy role can CALL pfm_revert" "ok" "$(outcome pfm_priv_a pfm_priv_deployer "CALL pfm_revert('base')")"
check "the deploy role can wait for the migration lock" "ok" \
	"$(outcome pfm_priv_a pfm_priv_deployer "CALL pfm_migrate.wait_for_migration_lock()")"
check "the deploy role can release the migration lock" "ok" \
	"$(outcome pfm_priv_a pfm_priv_deployer "SELECT pfm_migrate.release_migration_lock()")"
check "the monitoring role can read the state" "ok" "$(outcome pfm_priv_a pfm_priv_monitor "SELECT * FROM pfm_status(); SELECT * FROM pfm_check()")"
check "PUBLIC cannot" "42501" "$(outcome pfm_priv_a pfm_priv_nobody "SELECT * FROM pfm_status()")"

# ---- 2. per-revision deploys under a hostile search_path ------------------------------------
hostile='public,pg_catalog'
shadows="$PFM_ROOT/test/pgtap/search_path_shadows.inc"
state() { # what a deploy leaves, without times (fails, and so fails the check, when a query does)
	q "$1" <<'SQL' || echo "state query failed"
SELECT pg_catalog.string_agg(pg_catalog.concat_ws(':', a.revision, a.checksum, a.stamped), ' ' ORDER BY a.revision) FROM pfm_migrate.applied a;
SELECT pg_catalog.string_agg(v.version_num, ' ' ORDER BY v.version_num) FROM pfm_migrate.version v;
SELECT pg_catalog.string_agg(pg_catalog.concat_ws(':', u.operation, u.revision, u.direction, u.checksum, u.outcome), ' ' ORDER BY u.id) FROM pfm_migrate.audit u;
SELECT pg_catalog.string_agg(pg_catalog.concat_ws(':', c.relname, c.relkind), ' ' ORDER BY c.relname) FROM pg_catalog.pg_class c
 WHERE c.relnamespace OPERATOR(pg_catalog.=) 'public'::pg_catalog.regnamespace AND c.relname::pg_catalog.text OPERATOR(pg_catalog.~~) 'p\_items%';
SELECT pg_catalog.string_agg(pg_catalog.concat_ws(':', i.indexrelid::pg_catalog.regclass, i.indisvalid), ' ') FROM pg_catalog.pg_index i
 WHERE i.indrelid OPERATOR(pg_catalog.=) 'public.p_items'::pg_catalog.regclass;
SELECT pg_catalog.count(*) FROM pfm_migrate.progress;
SQL
}
trips() { q "$1" -c "SELECT COALESCE(pg_catalog.string_agg(DISTINCT what, ', '), 'none') FROM public.pfm_tripwire"; }
for db in pfm_priv_plain pfm_priv_evil; do
	fresh_db $db
	q $db -c "CREATE EXTENSION pfm_migrate" >/dev/null
	graph $db
done
q pfm_priv_evil -f "$shadows" >/dev/null
check "the shadows bite a query that does not name pg_catalog" "f" \
	"$(PGOPTIONS="-c search_path=$hostile" q pfm_priv_evil -c "SELECT 'a' = 'a'")"
q pfm_priv_evil -c "TRUNCATE public.pfm_tripwire"
q pfm_priv_plain -c "CALL pfm_deploy('head')"
PGOPTIONS="-c search_path=$hostile" q pfm_priv_evil -c "CALL pfm_deploy('head')"
check "CALL pfm_deploy under search_path '$hostile': the same state as under a plain one" \
	"$(state pfm_priv_plain)" "$(state pfm_priv_evil)"
check "CALL pfm_deploy (and its worker) called no shadow" "none" "$(trips pfm_priv_evil)"
q pfm_priv_plain -c "CALL pfm_revert('p1')"
PGOPTIONS="-c search_path=$hostile" q pfm_priv_evil -c "CALL pfm_revert('p1')"
check "CALL pfm_revert under search_path '$hostile': the same state as under a plain one" \
	"$(state pfm_priv_plain)" "$(state pfm_priv_evil)"
check "CALL pfm_revert (and its worker) called no shadow" "none" "$(trips pfm_priv_evil)"
check "the looking functions answer the same" \
	"$(q pfm_priv_plain -c "SELECT pfm_current(), (SELECT array_agg(t.severity || t.problem) FROM pfm_check() t), pfm_graph()")" \
	"$(PGOPTIONS="-c search_path=$hostile" q pfm_priv_evil -c "SELECT pfm_current(), (SELECT pg_catalog.array_agg(t.severity OPERATOR(pg_catalog.||) t.problem) FROM pfm_check() t), pfm_graph()")"
check "... and called no shadow" "none" "$(trips pfm_priv_evil)"

# ---- 3. offline scripts under a hostile search_path -----------------------------------------
# Generated in each database at the same state; run with psql -f in a third and fourth, one
# with the shadows and the hostile path.
work=$(pfm_tmpdir)
trap 'drop_roles; rm -rf "$work"' EXIT
q pfm_priv_plain -c "SELECT pfm_upgrade_sql('head')" >"$work/up_plain.sql"
PGOPTIONS="-c search_path=$hostile" q pfm_priv_evil -c "SELECT pfm_upgrade_sql('head')" >"$work/up_evil.sql"
check "pfm_upgrade_sql under search_path '$hostile' writes the plain script" "same" \
	"$(cmp -s "$work/up_plain.sql" "$work/up_evil.sql" && echo same || diff "$work/up_plain.sql" "$work/up_evil.sql" | head -5)"
for db in pfm_priv_off_plain pfm_priv_off_evil; do
	fresh_db $db
	q $db -c "CREATE EXTENSION pfm_migrate" >/dev/null
	graph $db
	q $db -c "SELECT pfm_stamp('p1')" >/dev/null
	q $db -c "CREATE TABLE public.p_items (id int, name text); INSERT INTO public.p_items VALUES (1, 'a')"
done
q pfm_priv_off_evil -f "$shadows" >/dev/null
q pfm_priv_off_evil -c "TRUNCATE public.pfm_tripwire"
# The script holds a non-transactional revision: run without -1 (its header says so).
psql -qX -v ON_ERROR_STOP=1 -f "$work/up_plain.sql" -d pfm_priv_off_plain >/dev/null
PGOPTIONS="-c search_path=$hostile" psql -qX -v ON_ERROR_STOP=1 -f "$work/up_plain.sql" -d pfm_priv_off_evil >/dev/null
check "the offline upgrade script run under search_path '$hostile': the same state" \
	"$(state pfm_priv_off_plain)" "$(state pfm_priv_off_evil)"
check "... and called no shadow" "none" "$(trips pfm_priv_off_evil)"
q pfm_priv_off_plain -c "SELECT pfm_downgrade_sql('p1')" >"$work/down_plain.sql"
PGOPTIONS="-c search_path=$hostile" q pfm_priv_off_evil -c "SELECT pfm_downgrade_sql('p1')" >"$work/down_evil.sql"
check "pfm_downgrade_sql under search_path '$hostile' writes the plain script" "same" \
	"$(cmp -s "$work/down_plain.sql" "$work/down_evil.sql" && echo same || diff "$work/down_plain.sql" "$work/down_evil.sql" | head -5)"
psql -qX -v ON_ERROR_STOP=1 -f "$work/down_plain.sql" -d pfm_priv_off_plain >/dev/null
PGOPTIONS="-c search_path=$hostile" psql -qX -v ON_ERROR_STOP=1 -f "$work/down_plain.sql" -d pfm_priv_off_evil >/dev/null
check "the offline downgrade script run under search_path '$hostile': the same state" \
	"$(state pfm_priv_off_plain)" "$(state pfm_priv_off_evil)"
check "... and called no shadow" "none" "$(trips pfm_priv_off_evil)"

echo "privileges and search_path: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
