# shellcheck shell=bash
# scripts/adopt_alembic.sh end to end: a database migrated by real Alembic 1.8 (the fixture
# project) moves over to pfm_migrate without re-running a migration (sourced by run.sh).

ADOPT=$SCRIPTS/adopt_alembic.sh
DEPLOY=$SCRIPTS/deploy.sh
A=$WORK/adopt
mkdir -p "$A"
cp -r "$FIXTURES/alembic_project" "$A/project"
# Alembic needs a DB-API driver for PostgreSQL.
if ! /usr/bin/python3 -c 'import psycopg2' 2>/dev/null && [ "$(id -u)" = 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-psycopg2 >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-psycopg2 >/dev/null; }
fi
alembic_() { # alembic_ DB ARGS...: the real alembic on the fixture project
	local db=$1
	shift
	(cd "$A/project" && DATABASE_URL="postgresql+psycopg2://postgres@/$db?host=$SOCK" /usr/bin/python3 -m alembic "$@")
}

# The Alembic-managed database: main line at 0003 and the audit branch at its head -> two rows.
newdb legacy
run alembic_ legacy upgrade 0003
rc_is 0 "alembic upgrade 0003 (real Alembic)"
run alembic_ legacy upgrade c8d9e0f1a2b3
rc_is 0 "alembic upgrade c8d9e0f1a2b3 (the audit branch)"
is "$(q legacy "SELECT string_agg(version_num, ',' ORDER BY version_num) FROM alembic_version")" 0003,c8d9e0f1a2b3 \
	"alembic_version holds two heads"
q legacy "INSERT INTO users (email, password_hash) VALUES ('carol@example.com', 'x')" >/dev/null
# The application schema, without pfm_migrate, comments, blank lines and pg_dump's \restrict lines.
schema_of() { pg_dump -s -h "$SOCK" -U postgres "$@" | grep -Ev -e pfm_migrate -e '^(--|$)' -e '^\\(un)?restrict '; }
schema_before=$(schema_of legacy)
check "the schema dump used for comparisons is not empty" grep -q 'CREATE TABLE public.login_audit' <<<"$schema_before"

export DATABASE_URL MIGRATIONS_DIR=$A/migrations
DATABASE_URL=$(url legacy)

# A refused conversion touches nothing.
mkdir -p "$A/bad"
cp "$A"/project/alembic/versions/*.py "$FIXTURES"/alembic_refused/*.py "$A/bad/"
run "$ADOPT" --from "$A/bad"
rc_is 1 "adopt: a refused conversion is exit 1"
out_has "0006_add_last_seen.py:" "adopt: ... naming the file"
is "$(test -e "$MIGRATIONS_DIR" && echo written)$(q legacy "SELECT count(*) FROM pg_extension WHERE extname = 'pfm_migrate'")" 0 \
	"adopt refused: no file written, the database untouched"

run "$ADOPT" --from "$A/project/alembic/versions"
rc_is 0 "adopt: exit 0"
out_has "adopted: pfm_current() is 0003,c8d9e0f1a2b3" "adopt: pfm_current() matches alembic_version"
is "$(ls "$MIGRATIONS_DIR" | wc -l)" 7 "adopt: converted the 7 Alembic files"
is "$(q legacy "SELECT string_agg(DISTINCT operation, ',' ORDER BY operation) FROM pfm_migrate.audit")" register,stamp \
	"adopt: only registrations and stamps, no migration ran"
is "$(q legacy "SELECT string_agg(revision, ',' ORDER BY revision) FROM pfm_migrate.applied WHERE stamped")" 0001,0002,0003,b7c1d2e3f4a5,c8d9e0f1a2b3 \
	"adopt: every revision Alembic applied is recorded as stamped"
is "$(schema_of legacy)" "$schema_before" \
	"adopt: the application schema is exactly as Alembic left it"
is "$(q legacy "SELECT count(*) FROM users")" 1 "adopt: the data is untouched"

# The graph pfm_migrate holds is the one Alembic reads from the same files.
alembic_graph=$(cd "$A/project" && /usr/bin/python3 - <<'EOF'
from alembic.config import Config
from alembic.script import ScriptDirectory
s = ScriptDirectory.from_config(Config("alembic.ini"))
for r in sorted(s.walk_revisions(), key=lambda r: r.revision):
    parents = r.down_revision if isinstance(r.down_revision, tuple) else (r.down_revision,) if r.down_revision else ()
    deps = r.dependencies if isinstance(r.dependencies, tuple) else (r.dependencies,) if r.dependencies else ()
    print(r.revision, ",".join(sorted(parents)), ",".join(sorted(r._orig_branch_labels)), ",".join(sorted(deps)), sep="|")
EOF
)
pfm_graph=$(q legacy "SELECT h.revision || '|' || coalesce(h.down_revision, '') || '|' || array_to_string(coalesce(h.branch_labels, '{}'), ',')
       || '|' || array_to_string(r.depends_on, ',')
  FROM pfm_history() h JOIN pfm_migrate.revisions r USING (revision) ORDER BY h.revision")
is "$pfm_graph" "$alembic_graph" "adopt: revisions, parents, branch labels and depends_on equal Alembic's"
is "$(q legacy "SELECT string_agg(h, ',' ORDER BY h) FROM pfm_heads() h")" 0005 "adopt: one head, as Alembic has"

before_again=$(dump_of legacy)
run "$ADOPT"
rc_is 0 "adopt again: exit 0"
out_has "already adopted" "adopt again: says so"
is "$(dump_of legacy)" "$before_again" "adopt again: changes nothing"

run "$DEPLOY" plan
out_has "plan: 2 step(s) to head" "after adoption, deploy plan has only the merge and 0005"
run "$DEPLOY" migrate
rc_is 0 "after adoption, deploy migrate: exit 0"
is "$(q legacy "SELECT string_agg(revision, ',' ORDER BY id) FROM pfm_migrate.audit WHERE operation = 'upgrade'")" 0004,0005 \
	"after adoption, deploy ran only the two new revisions"
run "$ADOPT"
rc_is 0 "adopt re-run after a deploy: exit 0"
out_has "already adopted (every alembic_version row was stamped); deployed since: pfm_current() is 0005" \
	"adopt re-run after a deploy: says what happened"

# The same end state as Alembic reaching head by itself.
newdb alembic_full
run alembic_ alembic_full upgrade heads
rc_is 0 "alembic upgrade heads on a second database"
is "$(schema_of -T alembic_version legacy)" "$(schema_of -T alembic_version alembic_full)" \
	"adopted + pfm_migrate'd schema equals the schema Alembic builds"

# One row (a single head), stamped via DATABASE_URL as a second project.
run env DATABASE_URL="$(url alembic_full)" "$ADOPT"
rc_is 0 "adopt a database at Alembic's head (one row)"
is "$(q alembic_full "SELECT pfm_current()")" 0005 "adopt: pfm_current() = 0005"
run env DATABASE_URL="$(url alembic_full)" "$DEPLOY" health
rc_is 0 "after adopting at head, deploy health: healthy"

# Failures: no alembic_version; a version pfm_migrate does not know; a different pfm state.
newdb plain
run env DATABASE_URL="$(url plain)" "$ADOPT"
rc_is 1 "adopt: no alembic_version is exit 1"
newdb unknown
q unknown "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('0fffffffffff')" >/dev/null
run env DATABASE_URL="$(url unknown)" "$ADOPT"
rc_is 2 "adopt: a version missing from the files is exit 2"
is "$(q unknown "SELECT count(*) FROM pg_extension WHERE extname = 'pfm_migrate'")" 0 "adopt failed: nothing changed"
q alembic_full "UPDATE alembic_version SET version_num = '0003'" >/dev/null
run env DATABASE_URL="$(url alembic_full)" "$ADOPT"
rc_is 2 "adopt: pfm_migrate state differing from alembic_version is exit 2"
unset DATABASE_URL MIGRATIONS_DIR
