#!/usr/bin/env bash
# scripts/adopt_alembic.sh — move a database Alembic manages over to pfm_migrate, running no migration.
#
#   scripts/adopt_alembic.sh [--from ALEMBIC_VERSIONS_DIR]
#
# 1. with --from: converts the Alembic versions directory into $MIGRATIONS_DIR
#    (scripts/alembic_to_pfm.py: raw-SQL op.execute() migrations only; refused otherwise);
# 2. reads the rows of alembic_version (ALEMBIC_VERSION_TABLE, default alembic_version; may be schema.table);
# 3. in ONE transaction: CREATE EXTENSION pfm_migrate if missing, registers every migration file,
#    pfm_stamp()s each alembic_version row (no body runs), and checks that every row is now applied
#    and pfm_current() names nothing else; anything wrong rolls the whole thing back.
# alembic_version is left as it was (drop it once you no longer need Alembic).
#
# The server: DATABASE_URL or the PG* variables. MIGRATIONS_DIR defaults to ./migrations.
# Exit codes: 0 adopted (or already adopted); 1 usage or environment error (no alembic_version,
# conversion refused, cannot connect); 2 adoption failed, nothing changed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PGAPPNAME=${PGAPPNAME:-pfm_adopt_alembic}
# shellcheck source=deploy.sh
source "$HERE/deploy.sh"

from=
while [ $# -gt 0 ]; do
	case $1 in
	--from)
		[ $# -ge 2 ] || fail $EX_USAGE "--from needs a directory"
		from=$2
		shift 2
		;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$HERE/adopt_alembic.sh" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) fail $EX_USAGE "unknown argument '$1' (try: adopt_alembic.sh --help)" ;;
	esac
done

table=${ALEMBIC_VERSION_TABLE:-alembic_version}
[[ $table =~ ^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$ ]] || fail $EX_USAGE "bad ALEMBIC_VERSION_TABLE '$table'"

if [ -n "$from" ]; then
	MIGRATIONS_DIR=${MIGRATIONS_DIR:-./migrations}
	say "converting $from into $MIGRATIONS_DIR"
	python3 "$HERE/alembic_to_pfm.py" "$from" "$MIGRATIONS_DIR" >/dev/null ||
		fail $EX_USAGE "conversion refused; nothing was written and the database was not touched"
fi
pfm_find_migrations
[ ${#MIGRATION_FILES[@]} -gt 0 ] || fail $EX_USAGE "no migration files in $MIGRATIONS_DIR"

[ "$(pfm_query "SELECT to_regclass(:'t') IS NOT NULL" -v t="$table")" = t ] ||
	fail $EX_USAGE "no table $table in this database: is it managed by Alembic?"
mapfile -t rows < <(pfm_query "SELECT version_num FROM $table ORDER BY version_num")
[ ${#rows[@]} -gt 0 ] || fail $EX_USAGE "$table is empty: the database is at base, there is nothing to adopt (run deploy.sh)"
expected=$(
	IFS=,
	printf '%s' "${rows[*]}"
)
say "alembic_version: ${rows[*]}"

if [ "$(pfm_query "SELECT count(*) FROM pg_catalog.pg_extension WHERE extname = 'pfm_migrate'")" = 1 ]; then
	before=$(pfm_query "SELECT coalesce(pfm_current(), '')")
	if [ "$before" = "$expected" ]; then
		say "already adopted: pfm_current() is $before"
		exit 0
	fi
	# Adopted earlier and deployed since: exactly the alembic_version rows and their ancestors
	# were stamped, and pfm_migrate has moved on from there by upgrades.
	adopted=$(pfm_query "WITH RECURSIVE anc(r) AS (
	    SELECT unnest(string_to_array(:'rows', ','))
	    UNION SELECT unnest(rv.down_revisions || rv.depends_on) FROM anc JOIN pfm_migrate.revisions rv ON rv.revision = anc.r)
	  SELECT (SELECT count(*) FROM pfm_migrate.applied a WHERE a.stamped AND a.revision = ANY (string_to_array(:'rows', ','))) = :n
	     AND NOT EXISTS (SELECT FROM pfm_migrate.applied a WHERE a.stamped AND a.revision NOT IN (SELECT r FROM anc))" \
		-v n="${#rows[@]}" -v rows="$expected")
	if [ "$adopted" = t ]; then
		say "already adopted (every $table row was stamped); deployed since: pfm_current() is ${before:-base}"
		say "$table still holds $expected: drop it once no environment needs Alembic"
		exit 0
	fi
	[ -z "$before" ] || fail $EX_FAILED "pfm_migrate already has a state ($before) that differs from $table ($expected)"
fi

# Stamp each row unless an earlier stamp already covers it (Alembic can keep a parent row beside
# its child); then check: every row applied, and pfm_current() names only rows.
stamps=() vars=(-v "rows=$expected")
for i in "${!rows[@]}"; do
	vars+=(-v "r$i=${rows[$i]}")
	stamps+=("SELECT pfm_stamp(:'r$i') WHERE NOT EXISTS (SELECT FROM pfm_history() WHERE revision = :'r$i' AND applied);")
done
pfm_show_command_row() { [ "$1" != done ] || say "adopted: pfm_current() is $3"; }
PFM_EXTENSION_IN_MOVE=1 # a failed adoption leaves no extension behind either
pfm_session write "${stamps[*]}
SET LOCAL pfm_adopt.rows = :'rows';
DO \$\$
DECLARE
    want text[] := string_to_array(current_setting('pfm_adopt.rows'), ',');
    have text[] := coalesce(string_to_array(pfm_current(), ','), '{}');
BEGIN
    IF EXISTS (SELECT FROM unnest(want) AS w(r)
                WHERE NOT EXISTS (SELECT FROM pfm_history() AS h WHERE h.revision = w.r AND h.applied))
       OR NOT have <@ want THEN
        RAISE EXCEPTION 'after stamping, pfm_current() is % but alembic_version holds %',
            coalesce(pfm_current(), 'base'), current_setting('pfm_adopt.rows');
    END IF;
END
\$\$;
COMMIT;
SELECT 'done', '', coalesce(pfm_current(), 'base');" "${vars[@]}"
pfm_require_session "adoption failed; nothing was changed (the transaction was rolled back)"
say "next: scripts/deploy.sh plan   (what is still pending)"
