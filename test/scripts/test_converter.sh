# shellcheck shell=bash
# scripts/alembic_to_pfm.py on the fixture Alembic project (sourced by run.sh).

CONV=$SCRIPTS/alembic_to_pfm.py
VERSIONS=$FIXTURES/alembic_project/alembic/versions
C=$WORK/converter
mkdir -p "$C"

run python3 "$CONV" "$VERSIONS" "$C/out"
rc_is 0 "converter: the fixture project converts"
is "$(cd "$C/out" && ls | tr '\n' ' ')" \
	"0001_initial_schema.sql 0002_add_mfa_sessions.sql 0003_add_user_preferences.sql 0004_merge_audit_branch.sql 0005_add_users_preferences_column.sql b7c1d2e3f4a5_create_login_audit.sql c8d9e0f1a2b3_audit_user_logins.sql " \
	"converter: one .sql file per Alembic file, same names"
is "$(grep -c '^-- pfm:upgrade$' "$C"/out/*.sql | grep -vc ':1$')$(grep -l 'pfm_register' "$C"/out/*.sql | wc -l)" 00 \
	"converter: each file is in the migration file format (one upgrade section, no pfm_register call)"
check "converter: tuple down_revision becomes a merge" grep -qxF -- "-- pfm:parents 0003, c8d9e0f1a2b3" "$C/out/0004_merge_audit_branch.sql"
check "converter: an empty merge keeps an empty, reversible downgrade" \
	bash -c "tail -2 '$C/out/0004_merge_audit_branch.sql' | grep -qxF -- '-- pfm:downgrade'"
check "converter: branch_labels kept" grep -qxF -- "-- pfm:branch-labels audit" "$C/out/b7c1d2e3f4a5_create_login_audit.sql"
check "converter: a root's parent is base" grep -qxF -- "-- pfm:parents base" "$C/out/b7c1d2e3f4a5_create_login_audit.sql"
check "converter: depends_on kept (annotated assignments read too)" grep -qxF -- "-- pfm:depends-on 0001" "$C/out/c8d9e0f1a2b3_audit_user_logins.sql"
check "converter: message = first docstring line" grep -qxF -- "-- pfm:message Add user preferences table" "$C/out/0003_add_user_preferences.sql"
check "converter: a module-level SQL constant is resolved" grep -qF "CREATE TABLE mfa_sessions (" "$C/out/0002_add_mfa_sessions.sql"
check "converter: sa.text() SQL is kept" grep -qF "SET preferences = '{\"theme\": \"light\", \"notifications\": true}'::jsonb" "$C/out/0005_add_users_preferences_column.sql"
check "converter: a \$\$ function body survives as written" grep -qF 'CREATE FUNCTION audit_login() RETURNS trigger LANGUAGE plpgsql AS $$' "$C/out/c8d9e0f1a2b3_audit_user_logins.sql"
check "converter: statements are ;-terminated" grep -qxF 'DROP TABLE IF EXISTS mfa_sessions;' "$C/out/0002_add_mfa_sessions.sql"

run python3 "$CONV" "$VERSIONS" "$C/out"
rc_is 0 "converter: converting again into the same files is a no-op"

# The refused op.add_column: named with file and line, nothing written.
mkdir -p "$C/bad"
cp "$VERSIONS"/*.py "$FIXTURES"/alembic_refused/*.py "$C/bad/"
line=$(grep -n 'op.add_column' "$FIXTURES/alembic_refused/0006_add_last_seen.py" | cut -d: -f1)
run python3 "$CONV" "$C/bad" "$C/bad_out"
rc_is 1 "converter: op.add_column is refused (exit 1)"
out_has "0006_add_last_seen.py:$line: op.add_column() is not raw SQL" "converter: the refusal names the file and line"
check "converter: nothing written when refused" test ! -e "$C/bad_out"
cp -r "$C/out" "$C/out_before"
run python3 "$CONV" "$C/bad" "$C/out" --force
check "converter: a refused run leaves an existing output directory as it was" diff -r "$C/out_before" "$C/out"

# Small cases, one file each.
conv_case() { # conv_case NAME PYTHON-SOURCE: converts a one-file versions dir; OUT/RC set
	rm -rf "$C/case" && mkdir -p "$C/case/v"
	printf '%s\n' "$2" >"$C/case/v/$1.py"
	run python3 "$CONV" "$C/case/v" "$C/case/out"
}
HEAD='"""Msg

Revision ID: r1
"""
from alembic import op
import sqlalchemy as sa
revision = "r1"
down_revision = None
'
conv_case fstring "$HEAD
def upgrade():
    t = 'x'
    op.execute(f'DROP TABLE {t}')"
rc_is 1 "converter: an assignment in upgrade() is refused"
out_has "fstring.py:11:" "converter: ... at its line"
conv_case fstring2 "$HEAD
def upgrade():
    op.execute(f'DROP TABLE {t}')"
out_has "f-string SQL" "converter: f-string SQL is refused"
conv_case bind "$HEAD
def upgrade():
    op.execute(\"UPDATE t SET a = :val\")"
out_has "bind parameter ':val'" "converter: a text() bind parameter is refused"
conv_case escaped "$HEAD
def upgrade():
    op.execute(r\"UPDATE t SET a = 'x\\:y', b = '12:30'::time, c = c::text\")
def downgrade():
    raise NotImplementedError('one way')"
rc_is 0 "converter: escaped colons, casts and times are accepted"
check "converter: text()'s \\: unescaped" grep -qF "UPDATE t SET a = 'x:y', b = '12:30'::time, c = c::text;" "$C/case/out/escaped.sql"
check "converter: a downgrade() that raises is irreversible" grep -qxF -- "-- pfm:downgrade irreversible" "$C/case/out/escaped.sql"
conv_case getbind "$HEAD
def upgrade():
    op.get_bind().execute('SELECT 1')"
out_has "getbind.py:11: op.get_bind.execute() is not raw SQL" "converter: op.get_bind().execute() is refused"
conv_case helper "$HEAD
def upgrade():
    create_tables()"
out_has "call to create_tables() cannot be translated" "converter: a helper call is refused"
conv_case syntax "$HEAD
def upgrade(:
    pass"
out_has "syntax.py:10: syntax error" "converter: a Python syntax error is refused with its line"
conv_case quote "\"\"\"It's a \$up\$ test\"\"\"
from alembic import op
revision = 'q1'
down_revision = 'a1'
def upgrade():
    op.execute(\"SELECT '\$up\$'\")"
rc_is 0 "converter: quotes and dollar signs inside the SQL are handled"
check "converter: the message is kept as written" grep -qxF -- "-- pfm:message It's a \$up\$ test" "$C/case/out/quote.sql"
check "converter: the SQL is kept as written" grep -qxF -- "SELECT '\$up\$';" "$C/case/out/quote.sql"
conv_case marker "$HEAD
def upgrade():
    op.execute('SELECT 1;\\n-- pfm:downgrade\\nDROP TABLE users')"
rc_is 1 "converter: SQL with a line the file format would read as a marker is refused"
out_has "reads like a -- pfm: header or marker" "converter: ... saying why"
conv_case norev "\"\"\"x\"\"\"
down_revision = None
def upgrade():
    pass"
out_has "no \`revision = '...'\` assignment" "converter: a file without revision is refused"
conv_case badid "$HEAD
depends_on = 'x; DROP TABLE users'
def upgrade():
    pass"
out_has "is not a valid revision id or label" "converter: a malformed id is refused"

# Two files with one revision; and an output file that differs.
rm -rf "$C/dup" && mkdir -p "$C/dup/v"
cp "$VERSIONS/0001_initial_schema.py" "$C/dup/v/"
cp "$VERSIONS/0001_initial_schema.py" "$C/dup/v/0001_copy.py"
run python3 "$CONV" "$C/dup/v" "$C/dup/out"
out_has "revision 0001 is also defined in" "converter: a duplicated revision is refused"
mkdir -p "$C/dup/out2" && echo 'changed' >"$C/dup/out2/0001_initial_schema.sql"
rm "$C/dup/v/0001_copy.py"
run python3 "$CONV" "$C/dup/v" "$C/dup/out2"
out_has "exists and differs (use --force" "converter: an existing different file is not overwritten"
run python3 "$CONV" "$C/dup/v" "$C/dup/out2" --force
rc_is 0 "converter: --force overwrites"
run python3 "$CONV" "$C/nonexistent" "$C/x"
rc_is 2 "converter: a missing directory is a usage error (exit 2)"

# The converter reads with ast and runs nothing: a file that would print when imported stays silent.
conv_case sideeffect "$HEAD
open('$C/imported', 'w').write('x')
def upgrade():
    op.execute('SELECT 1')"
check "converter: the Alembic files are not executed" test ! -e "$C/imported"

# autocommit_block(): a non-transactional revision, or a refusal when a function mixes modes.
conv_case autocommit "$HEAD
def upgrade():
    with op.get_context().autocommit_block():
        op.execute('CREATE INDEX CONCURRENTLY users_email ON users (email)')
        op.execute('CREATE INDEX CONCURRENTLY users_name ON users (name)')
def downgrade():
    op.execute('DROP INDEX CONCURRENTLY users_email')"
rc_is 0 "converter: autocommit_block() converts"
check "converter: autocommit_block() makes a non-transactional revision" \
	grep -qxF -- "-- pfm:transactional false" "$C/case/out/autocommit.sql"
check "converter: the statements in the block are kept" \
	grep -qxF 'CREATE INDEX CONCURRENTLY users_name ON users (name);' "$C/case/out/autocommit.sql"
conv_case plain "$HEAD
def upgrade():
    op.execute('CREATE INDEX users_email ON users (email)')"
check "converter: a revision without autocommit_block() stays transactional" \
	bash -c "! grep -q 'pfm:transactional' '$C/case/out/plain.sql'"
conv_case mixed "$HEAD
def upgrade():
    op.execute('ALTER TABLE users ADD COLUMN email text')
    with op.get_context().autocommit_block():
        op.execute('CREATE INDEX CONCURRENTLY users_email ON users (email)')"
rc_is 1 "converter: statements inside and outside autocommit_block() are refused"
out_has "mixed.py:11: upgrade() runs statements both inside and outside autocommit_block()" \
	"converter: ... naming the file and the line of the first one"
conv_case mixeddown "$HEAD
def upgrade():
    with op.get_context().autocommit_block():
        op.execute(\"ALTER TYPE mood ADD VALUE 'meh'\")
def downgrade():
    op.execute('UPDATE t SET m = NULL')
    op.execute('DROP TYPE mood')"
out_has "mixeddown.py:13: downgrade() runs 2 statements in one transaction, but the other direction uses autocommit_block()" \
	"converter: a transactional direction of several statements next to an autocommit one is refused"
conv_case nested "$HEAD
def upgrade():
    with op.get_context().autocommit_block():
        with op.get_context().autocommit_block():
            op.execute('VACUUM users')"
out_has "nested.py:12: autocommit_block() must be a statement of upgrade() itself" "converter: a nested autocommit_block() is refused"
conv_case withas "$HEAD
def upgrade():
    with op.get_context().autocommit_block() as c:
        c.execute('VACUUM users')"
out_has "withas.py:11: With statement in upgrade() cannot be translated" "converter: any other with is refused"

# Lint through the converter's output: the guide's migrations on an empty database (every
# table is new: nothing to say), then the guide's data migration 0005 on a users table with rows.
newdb converted_lint
run env DATABASE_URL="$(url converted_lint)" MIGRATIONS_DIR="$C/out" "$SCRIPTS/deploy.sh" lint
rc_is 0 "converter + lint: the converted project on an empty database: exit 0"
out_has "lint: 0 error(s), 0 warning(s), 0 notice(s)" "converter + lint: ... nothing to say (tables created by the plan)"
run env DATABASE_URL="$(url converted_lint)" MIGRATIONS_DIR="$C/out" "$SCRIPTS/deploy.sh" migrate 0004
q converted_lint "INSERT INTO users (email, password_hash) SELECT 'u' || g, 'x' FROM generate_series(1, 100) g; ANALYZE users" >/dev/null
run env DATABASE_URL="$(url converted_lint)" MIGRATIONS_DIR="$C/out" "$SCRIPTS/deploy.sh" lint
rc_is 0 "converter + lint: the data migration on a table with rows: no error, exit 0"
out_has "lint: 0 error(s), 1 warning(s), 0 notice(s)" "converter + lint: one warning"
out_has "warning  0005, statement 1 (line 1): no-lock-timeout: ALTER TABLE takes ACCESS EXCLUSIVE on table users" \
	"converter + lint: ADD COLUMN without a lock timeout (no rewrite: no default; the UPDATE has a WHERE)"
