# shellcheck shell=bash
# scripts/deploy.sh against databases of the throwaway cluster (sourced by run.sh).

DEPLOY=$SCRIPTS/deploy.sh
D=$WORK/deploy
copy_examples "$D/migrations"
export MIGRATIONS_DIR=$D/migrations BACKUP_DIR=$D/backups
newdb deploy_a
export DATABASE_URL
DATABASE_URL=$(url deploy_a)
audit_count() { q "$1" "SELECT count(*) FROM pfm_migrate.audit"; }
backups() { find "$BACKUP_DIR" -name '*.dump' 2>/dev/null | wc -l; }

run "$DEPLOY" health
rc_is 3 "deploy health: a database without the extension is unhealthy (exit 3)"
out_has "extension pfm_migrate is not installed" "deploy health: ... and says why"

newdb deploy_empty
q deploy_empty "CREATE EXTENSION pfm_migrate" >/dev/null
run env DATABASE_URL="$(url deploy_empty)" "$DEPLOY" health --db-only
rc_is 0 "deploy health --db-only: an empty catalog is healthy"
out_has "problems: 0" "deploy health: empty fields (no heads) do not shift the columns"

run "$DEPLOY" plan
rc_is 0 "deploy plan: exit 0"
out_has "plan: 5 step(s) to head" "deploy plan: lists the 5 pending revisions"
out_has "upgrade   0003           Add user preferences table" "deploy plan: one line per step"
is "$(q deploy_a "SELECT count(*) FROM pg_extension WHERE extname = 'pfm_migrate'")$(has_table deploy_a users && echo users)" 0 \
	"deploy plan: changes nothing (not even the extension)"

run "$DEPLOY"
rc_is 0 "deploy: backup, migrate, health: exit 0"
is "$(tail -1 <<<"$OUT")" "healthy" "deploy: reports healthy"
out_has "restore with (as postgres, or a superuser): DATABASE_URL=\"\$DATABASE_URL\" '$SCRIPTS/deploy.sh' downgrade base && pg_restore --clean --if-exists --single-transaction -d \"\$DATABASE_URL\"" \
	"deploy: prints the restore command (revert the deploy, then restore) and the role it needs"
if grep -qF "$DATABASE_URL" <<<"$OUT"; then not_ok "deploy: never prints the database URL" "$OUT"; else ok "deploy: never prints the database URL"; fi
is "$(backups)" 1 "deploy: wrote one backup file under \$BACKUP_DIR"
backup1=$(find "$BACKUP_DIR" -name '*.dump')
check "deploy: the backup is a pg_dump custom-format archive" pg_restore -l "$backup1"
is "$(stat -c %a "$backup1")" 600 "deploy: the backup file is mode 600"
is "$(q deploy_a "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN
   ('users', 'sessions', 'mfa_methods', 'mfa_backup_codes', 'mfa_sessions', 'user_preferences')")" 6 \
	"deploy: every table of the example schema exists"
is "$(q deploy_a "SELECT data_type FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'preferences'")" jsonb \
	"deploy: the data migration's column exists"
is "$(q deploy_a "SELECT pfm_current() || ' ' || (SELECT string_agg(version_num, ',') FROM pfm_migrate.version)")" "0005 0005" \
	"deploy: pfm_current() and pfm_migrate.version say 0005"
is "$(q deploy_a "SELECT string_agg(DISTINCT application_name, ',') FROM pfm_migrate.audit WHERE operation = 'upgrade'")" pfm_deploy \
	"deploy: the audit log names the deploy (application_name)"

run "$DEPLOY" health
rc_is 0 "deploy health: at head, exit 0"
out_has "pending:  0" "deploy health: shows the status"

audit=$(audit_count deploy_a)
run "$DEPLOY"
rc_is 0 "deploy again: exit 0"
out_has "nothing to apply" "deploy again: nothing to apply"
is "$(backups)/$(audit_count deploy_a)" "1/$audit" "deploy again: no backup, no audit row"
run "$DEPLOY" migrate
is "$OUT" "nothing to apply to deploy_a: current revision: 0005 (target head)" "deploy migrate at head: one line, no empty table"

# A new migration: health says pending, plan shows it, deploy applies it (with a backup).
mig "$MIGRATIONS_DIR/0006_add_login_events.sql" 0006 0005 "Add login events" \
	'CREATE TABLE login_events (id bigserial PRIMARY KEY, user_id uuid REFERENCES users(id), at timestamptz DEFAULT now());' \
	'DROP TABLE login_events;'
run "$DEPLOY" health
rc_is 3 "deploy health: a new migration file is pending (exit 3)"
out_has "pending:  1" "deploy health: counts the pending file"
run "$DEPLOY" health --db-only
rc_is 0 "deploy health --db-only: the database alone is healthy"
run "$DEPLOY" plan
out_has "plan: 1 step(s) to head" "deploy plan: only the new revision"
q deploy_a "INSERT INTO users (email, password_hash) VALUES ('ann@example.com', 'x')" >/dev/null
run env PGAPPNAME=nightly-pipeline "$DEPLOY"
rc_is 0 "deploy: applies the new file"
is "$(q deploy_a "SELECT pfm_current()")" 0006 "deploy: now at 0006"
is "$(q deploy_a "SELECT v.catalog_key = g.xmin::text || ':' || g.generation || ':' || e.extversion
   FROM pfm_migrate.status_verdict v, pfm_migrate.catalog_generation g, pg_extension e WHERE e.extname = 'pfm_migrate'")" t \
	"deploy: a move leaves pfm_status()'s record for the new catalog (the next health probe reads it)"
is "$(q deploy_a "SELECT count(*) FROM pfm_migrate.noop_verdict v, pfm_migrate.catalog_image i, pfm_migrate.catalog_generation g, pg_extension e
  WHERE e.extname = 'pfm_migrate' AND v.target = 'head' AND v.catalog_key = g.xmin::text || ':' || g.generation || ':' || e.extversion
    AND i.catalog_key = v.catalog_key AND i.image IS NOT NULL")" 1 \
	"deploy: a move to head also leaves the no-op's record and the catalog image (the next deploy's first call reads no catalog)"
deploy_out=$OUT # (its restore command is run below)
run "$DEPLOY" migrate
rc_is 0 "deploy migrate at head after a move: exit 0"
is "$(q deploy_a "SELECT count(*) FROM pfm_migrate.noop_verdict v, pfm_migrate.catalog_image i, pfm_migrate.catalog_generation g, pg_extension e
  WHERE e.extname = 'pfm_migrate' AND v.target = 'head' AND v.catalog_key = g.xmin::text || ':' || g.generation || ':' || e.extversion
    AND i.catalog_key = v.catalog_key AND i.image IS NOT NULL")" 1 \
	"deploy: the first no-op migrate after a move records the no-op and the catalog image (the later ones read no graph)"
OUT=$deploy_out
is "$(backups)" 2 "deploy: a second backup"
is "$(q deploy_a "SELECT application_name FROM pfm_migrate.audit WHERE operation = 'upgrade' AND revision = '0006'")" nightly-pipeline \
	"deploy: a custom PGAPPNAME names the deploy in the audit log"

# The backup restores (catalog included): state before 0006, into a new database ...
newdb restored
newest=$(ls -t "$BACKUP_DIR"/*.dump | head -1)
check "deploy backup: pg_restore into an empty database" pg_restore -h "$SOCK" -U postgres -d restored --exit-on-error "$newest"
is "$(q restored "SELECT pfm_current() || ' ' || (SELECT count(*) FROM users)")" "0005 1" \
	"deploy backup: restored at 0005, with the data and the migration state"
# ... and into the live database, exactly as printed.
restore=$(grep -o 'restore with (as postgres, or a superuser): .*' <<<"$OUT" | head -1)
run bash -c "export DATABASE_URL='$DATABASE_URL'; ${restore#*superuser): }"
rc_is 0 "deploy backup: the printed restore command works on the live database"
is "$(q deploy_a "SELECT pfm_current()")$(has_table deploy_a login_events && echo ' login_events')" 0005 \
	"deploy backup: ... which is back at 0005"
run "$DEPLOY" migrate
is "$(q deploy_a "SELECT pfm_current()")" 0006 "deploy: migrates on from the restored state"

# Edited applied migration: the deploy fails before anything changes.
cp "$MIGRATIONS_DIR/0003_add_user_preferences_table.sql" "$D/0003.orig"
sed -i "s/DEFAULT 'light'/DEFAULT 'dark'/" "$MIGRATIONS_DIR/0003_add_user_preferences_table.sql"
mig "$MIGRATIONS_DIR/0007_add_notes.sql" 0007 0006 "Add notes" 'CREATE TABLE notes (id int);' 'DROP TABLE notes;'
audit=$(audit_count deploy_a)
run "$DEPLOY"
rc_is 2 "deploy: an edited applied migration fails the deploy (exit 2)"
out_has "changes revision 0003, which has been applied" "deploy: the error names the edited revision"
out_has "downgrade the revision first (scripts/dev.sh downgrade)" "deploy: the hint says how to redo it in development"
is "$(backups)/$(audit_count deploy_a)/$(q deploy_a "SELECT pfm_current()")/$(has_table deploy_a notes && echo notes)" "2/$audit/0006/" \
	"deploy: nothing changed (no backup, no audit row, still 0006, pending 0007 not applied)"
run "$DEPLOY" migrate
rc_is 2 "deploy migrate: also refuses the edited file"
run "$DEPLOY" health
rc_is 3 "deploy health: the edited file makes it unhealthy"
cp "$D/0003.orig" "$MIGRATIONS_DIR/0003_add_user_preferences_table.sql"

# A failing body: nothing half-applied, not even the registration of the new file.
mig "$MIGRATIONS_DIR/0008_broken.sql" 0008 0007 Broken 'CREATE TABLE half_done (id int); SELECT 1/0;' 'DROP TABLE half_done;'
run "$DEPLOY" migrate
rc_is 2 "deploy migrate: a failing body fails (exit 2)"
out_has "division by zero" "deploy migrate: shows the database error"
is "$(q deploy_a "SELECT pfm_current() || ' ' || count(*) FROM pfm_migrate.revisions WHERE revision IN ('0007', '0008')")$(has_table deploy_a notes && echo notes)$(has_table deploy_a half_done && echo half_done)" "0006 0" \
	"deploy migrate: rolled back entirely (0007/0008 neither applied nor registered, no table)"
rm "$MIGRATIONS_DIR/0008_broken.sql"

# migrate TARGET, then the offline script, checked on a second database.
run "$DEPLOY" migrate 0007
rc_is 0 "deploy migrate 0007: exit 0"
out_has "current revision: 0007" "deploy migrate: prints the current revision"
mig "$MIGRATIONS_DIR/0009_add_tags.sql" 0009 0007 "Add tags" 'CREATE TABLE tags (name text PRIMARY KEY);' 'DROP TABLE tags;'
run "$DEPLOY" sql "$D/upgrade.sql"
rc_is 0 "deploy sql: exit 0"
check "deploy sql: wrote the script" grep -q 'CREATE TABLE tags' "$D/upgrade.sql"
is "$(q deploy_a "SELECT pfm_current()")$(has_table deploy_a tags && echo tags)" 0007 "deploy sql: the database is unchanged"
check "deploy sql: the script applies with psql -1 -f" psql -X -q -v ON_ERROR_STOP=1 -1 -h "$SOCK" -U postgres -d deploy_a -f "$D/upgrade.sql"
is "$(q deploy_a "SELECT pfm_current()")$(has_table deploy_a tags && echo ' tags')" "0009 tags" "deploy sql: ... and reaches the target"

run "$DEPLOY" downgrade -1
rc_is 0 "deploy downgrade -1: exit 0"
is "$(q deploy_a "SELECT pfm_current()")$(has_table deploy_a tags && echo ' tags')" 0007 "deploy downgrade -1: one step back, table gone"
run "$DEPLOY" downgrade
rc_is 1 "deploy downgrade: the target is required (exit 1)"

# A deleted file: its unapplied revision is removed, never applied.
mig "$MIGRATIONS_DIR/0010_risky.sql" 0010 0009 "Risky: drop sessions" 'DROP TABLE sessions CASCADE;' '-- none'
run "$DEPLOY" migrate 0009
rc_is 0 "deploy migrate 0009 with a pending 0010 file: exit 0"
is "$(q deploy_a "SELECT count(*) FROM pfm_migrate.revisions WHERE revision = '0010'")" 1 "... 0010 is registered, pending"
rm "$MIGRATIONS_DIR/0010_risky.sql"
run "$DEPLOY" plan
out_has "revision 0010 has no migration file: it is not applied, and loading the files removes it" \
	"deploy plan: says the file-less pending revision goes"
out_has "plan: 0 step(s) to head" "deploy plan: ... and does not plan it"
run "$DEPLOY" --no-backup
rc_is 0 "deploy after the file was deleted: exit 0"
out_has "removed revision 0010: no migration file declares it" "deploy: names the removed revision"
is "$(q deploy_a "SELECT count(*) FROM pfm_migrate.revisions WHERE revision = '0010'")$(has_table deploy_a sessions && echo ' sessions')" \
	"0 sessions" "deploy: the deleted migration did not run (sessions is still there) and is unregistered"
is "$(q deploy_a "SELECT count(*) FROM pfm_migrate.audit WHERE operation = 'unregister' AND revision = '0010'")" 1 \
	"deploy: the removal is audited"

# An applied revision whose file is gone: reported by plan and health, not silently passed.
mv "$MIGRATIONS_DIR/0009_add_tags.sql" "$D/0009.sql"
run "$DEPLOY" plan
out_has "warning: revision 0009 is applied but no migration file declares it" "deploy plan: reports an applied revision with no file"
run "$DEPLOY" health
rc_is 3 "deploy health: an applied revision with no file is unhealthy (exit 3)"
out_has "applied revision '0009' has no migration file" "deploy health: ... named in the checks"
run "$DEPLOY" migrate
rc_is 0 "deploy migrate: an applied revision with no file stays applied (nothing runs twice)"
out_has "warning: revision 0009 is applied but no migration file declares it" "deploy migrate: ... with a warning"
mv "$D/0009.sql" "$MIGRATIONS_DIR/0009_add_tags.sql"

# Files are data: a plain SQL file or one with a stray COMMIT is refused, naming the file.
snapshot=$(dump_of deploy_a)
printf 'CREATE TABLE plain_t (i int);\n' >"$MIGRATIONS_DIR/0011_plain.sql"
for cmd in plan migrate health; do
	run "$DEPLOY" $cmd
	[ $cmd = health ] && rc_is 3 "deploy $cmd: a plain SQL file is refused (unhealthy)" || rc_is 2 "deploy $cmd: a plain SQL file is refused (exit 2)"
done
out_has 'migration file "0011_plain.sql", line 1' "deploy: the refusal names the file and the line"
is "$(has_table deploy_a plain_t && echo ran)" "" "deploy: the plain SQL did not run"
printf '%s\n' '-- pfm:revision 0011' '-- pfm:parents 0009' 'COMMIT;' '-- pfm:upgrade' 'SELECT 1;' '-- pfm:downgrade' >"$MIGRATIONS_DIR/0011_plain.sql"
run "$DEPLOY" plan
rc_is 2 "deploy plan: a file with a stray COMMIT is refused"
out_has 'migration file "0011_plain.sql", line 3: SQL before the -- pfm:upgrade line' "deploy plan: ... at its line"
rm "$MIGRATIONS_DIR/0011_plain.sql"
is "$(dump_of deploy_a)" "$snapshot" "deploy: refused files changed nothing in the database"

# Files load in any order (reverse here), through pfm_load by hand.
newdb deploy_order
q deploy_order "CREATE EXTENSION pfm_migrate" >/dev/null
mapfile -t files < <(ls -r "$MIGRATIONS_DIR"/*.sql)
(
	source "$SCRIPTS/deploy.sh"
	MIGRATION_FILES=("${files[@]}")
	{
		echo "BEGIN;"
		pfm_files_sql pfm_load
		echo "COMMIT; CALL pfm_deploy('head');"
	} | psql -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -U postgres -d deploy_order -f - >/dev/null 2>&1
) && ok "migration files load in any order (reverse), then CALL pfm_deploy" ||
	not_ok "migration files load in any order (reverse), then CALL pfm_deploy"
is "$(q deploy_order "SELECT pfm_current()")" 0009 "... and reach head"

# stamp: the files are loaded first, nothing runs.
newdb deploy_stamp
run env DATABASE_URL="$(url deploy_stamp)" "$DEPLOY" stamp 0002
rc_is 0 "deploy stamp 0002: exit 0"
is "$(q deploy_stamp "SELECT pfm_current() || ' ' || (SELECT count(*) FROM pfm_migrate.applied WHERE stamped)")$(has_table deploy_stamp users && echo ' users')" \
	"0002 2" "deploy stamp: recorded as applied, nothing ran"

# PG* variables instead of DATABASE_URL; two concurrent deploys of one database; SERIALIZABLE.
newdb deploy_b
run env -u DATABASE_URL PGHOST="$SOCK" PGUSER=postgres PGDATABASE=deploy_b "$DEPLOY" migrate
rc_is 0 "deploy migrate with PG* variables: exit 0"
newdb deploy_race
DATABASE_URL=$(url deploy_race) "$DEPLOY" migrate >"$D/race1.log" 2>&1 &
p1=$!
DATABASE_URL=$(url deploy_race) "$DEPLOY" migrate >"$D/race2.log" 2>&1 &
p2=$!
rc1=0 rc2=0
wait $p1 || rc1=$?
wait $p2 || rc2=$?
is "$rc1$rc2" 00 "two concurrent deploys both succeed"
is "$(q deploy_race "SELECT count(*) FROM pfm_migrate.audit WHERE operation = 'upgrade'")" 8 \
	"two concurrent deploys: every revision applied exactly once"
newdb deploy_serial
run env DATABASE_URL="$(url deploy_serial)" PGOPTIONS='-c default_transaction_isolation=serializable' "$DEPLOY" migrate
rc_is 0 "deploy migrate under SERIALIZABLE: exit 0"
is "$(q deploy_serial "SELECT pfm_current()")" 0009 "deploy migrate under SERIALIZABLE: at head"

# A least-privilege deploy role (the grants the README gives), backup included.
q postgres "CREATE ROLE deployer LOGIN" >/dev/null
q postgres "CREATE DATABASE deploy_c OWNER deployer" >/dev/null
q deploy_c "CREATE EXTENSION pfm_migrate;
GRANT USAGE ON SCHEMA pfm_migrate TO deployer;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pfm_migrate TO deployer;
GRANT SELECT, USAGE ON ALL SEQUENCES IN SCHEMA pfm_migrate TO deployer;
GRANT EXECUTE ON ALL ROUTINES IN SCHEMA pfm_migrate TO deployer;
GRANT EXECUTE ON FUNCTION pfm_trace(text) TO deployer;" >/dev/null
run env DATABASE_URL="$(url deploy_c deployer)" "$DEPLOY"
rc_is 0 "deploy as a least-privilege role (not superuser): exit 0"
out_has "restore with (as deployer, or a superuser)" "deploy as deployer: the restore command names the role it needs"
is "$(q deploy_c "SELECT tableowner FROM pg_tables WHERE tablename = 'users'")/$(q deploy_c "SELECT pfm_current()")" deployer/0009 \
	"deploy as deployer: the schema is the deployer's, at head"

q postgres "CREATE ROLE monitor LOGIN" >/dev/null
q deploy_c "GRANT USAGE ON SCHEMA pfm_migrate TO monitor;
GRANT SELECT ON ALL TABLES IN SCHEMA pfm_migrate TO monitor;" >/dev/null
run env DATABASE_URL="$(url deploy_c monitor)" "$DEPLOY" health --db-only
rc_is 0 "deploy health --db-only as a read-only monitoring role: exit 0"
mig "$MIGRATIONS_DIR/0010_add_labels.sql" 0010 0009 "Add labels" 'CREATE TABLE labels (name text);' 'DROP TABLE labels;'
run env DATABASE_URL="$(url deploy_c deployer)" "$DEPLOY" plan --trace
rc_is 0 "deploy plan --trace as the deploy role: exit 0"
out_has "0010 statement 1 (line 1): labels " "deploy plan --trace as the deploy role: traces the pending revision"
if has_table deploy_c labels; then not_ok "deploy plan --trace: leaves no table behind"; else ok "deploy plan --trace: leaves no table behind"; fi
n_before=$(backups)
run env DATABASE_URL="$(url deploy_c deployer)" "$DEPLOY" --no-backup
rc_is 0 "deploy --no-backup: exit 0"
is "$(backups)/$(q deploy_c "SELECT pfm_current()")" "$n_before/0010" "deploy --no-backup: applied, no backup written"
mig "$MIGRATIONS_DIR/0011_add_colors.sql" 0011 0010 "Add colors" 'CREATE TABLE colors (name text);' 'DROP TABLE colors;'
run env DATABASE_URL="$(url deploy_c deployer)" "$DEPLOY" sql "$D/upgrade_c.sql"
rc_is 0 "deploy sql as the deploy role: exit 0"
run psql -X -q -v ON_ERROR_STOP=1 -1 -h "$SOCK" -U deployer -d deploy_c -f "$D/upgrade_c.sql"
rc_is 0 "the offline script runs as the deploy role"
is "$(q deploy_c "SELECT pfm_current()")" 0011 "... and reaches 0011"

# The backup fails: exit 4, nothing applied.
mig "$MIGRATIONS_DIR/0012_add_shapes.sql" 0012 0011 "Add shapes" 'CREATE TABLE shapes (name text);' 'DROP TABLE shapes;'
mkdir -p "$D/readonly" && chmod 500 "$D/readonly" && chown postgres "$D/readonly" 2>/dev/null
run env BACKUP_DIR="$D/readonly/sub" runuser -u postgres -- env DATABASE_URL="$(url deploy_c)" MIGRATIONS_DIR="$MIGRATIONS_DIR" \
	BACKUP_DIR="$D/readonly/sub" "$DEPLOY"
rc_is 4 "deploy: a backup that cannot be written is exit 4"
is "$(q deploy_c "SELECT pfm_current()")$(has_table deploy_c shapes && echo ' shapes')" 0011 "deploy: ... and nothing was applied"

# Hot tables: --lock-wait and retries reach the server; a reader holding shapes' table is
# waited out with retries instead of an unbounded wait.
run "$DEPLOY" migrate --lock-wait 2x
rc_is 1 "deploy --lock-wait: a malformed duration is exit 1"
out_has "--lock-wait takes a duration such as 2s or 500ms, not '2x'" "deploy --lock-wait: ... and says what it takes"
run "$DEPLOY" migrate --lock-retries
rc_is 1 "deploy --lock-retries without a value is exit 1"
mig "$MIGRATIONS_DIR/0013_shape_sides.sql" 0013 0011 "Shape sides" 'ALTER TABLE colors ADD COLUMN sides int;' \
	'ALTER TABLE colors DROP COLUMN sides;'
rm -f "$MIGRATIONS_DIR/0012_add_shapes.sql"
psql -X -q -h "$SOCK" -U postgres -d deploy_c -c "BEGIN; SELECT count(*) FROM colors; SELECT pg_sleep(1.5); COMMIT;" >/dev/null &
holder=$!
for _ in $(seq 1 100); do
	[ "$(q deploy_c "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'colors' AND l.granted")" -gt 0 ] && break
	sleep 0.05
done
run env DATABASE_URL="$(url deploy_c)" "$DEPLOY" migrate --lock-wait 100ms --lock-retries=100 --lock-retry-delay 100ms
wait "$holder"
rc_is 0 "deploy migrate --lock-wait: exit 0 once the reader is gone"
out_has "the ACCESS EXCLUSIVE lock on relation public.colors was not granted within 100 ms (attempt 1 of 101)" \
	"deploy migrate --lock-wait: each retry is reported, naming the table"
is "$(q deploy_c "SELECT pfm_current() || ' ' || (attempts > 1) FROM pfm_migrate.audit WHERE revision = '0013' AND operation = 'upgrade'")" "0013 true" \
	"deploy migrate --lock-wait: applied, after more than one attempt (the audit row)"
run env DATABASE_URL="$(url deploy_c)" "$DEPLOY" sql "$D/lock.sql" --lock-wait 3s
rc_is 0 "deploy sql --lock-wait: exit 0"
is "$(grep -c "^SET lock_timeout = '3000ms';" "$D/lock.sql")" 1 "deploy sql --lock-wait: the script sets lock_timeout (one try)"
# Lint and trace: deploy.sh lint is a CI gate (exit 5 on an error finding), plan shows the
# findings, plan --trace the locks; none of them changes anything.
L=$WORK/lint
copy_examples "$L/migrations"
newdb deploy_lint
run env DATABASE_URL="$(url deploy_lint)" MIGRATIONS_DIR="$L/migrations" "$DEPLOY" lint
rc_is 0 "deploy lint: the example project (new tables only) has no error finding: exit 0"
out_has "lint: 0 error(s), 0 warning(s), 0 notice(s)" "deploy lint: ... and says so"
run env DATABASE_URL="$(url deploy_lint)" MIGRATIONS_DIR="$L/migrations" "$DEPLOY" migrate
q deploy_lint "INSERT INTO users (email, password_hash) SELECT 'u' || g || '@example.com', 'x' FROM generate_series(1, 50) g; ANALYZE users" >/dev/null
mig "$L/migrations/0006_index_users_by_created_at.sql" 0006 0005 "Index users by creation time" \
	'CREATE INDEX users_created_at ON users (created_at);' 'DROP INDEX users_created_at;'
mig "$L/migrations/0007_drop_password_hash.sql" 0007 0006 "Drop password hash" \
	'-- pfm:allow irreversible
ALTER TABLE users DROP COLUMN password_hash;'
dump_lint=$(q deploy_lint "SELECT count(*) FROM pfm_migrate.audit")/$(q deploy_lint "SELECT count(*) FROM pg_indexes WHERE tablename = 'users'")
run env DATABASE_URL="$(url deploy_lint)" MIGRATIONS_DIR="$L/migrations" "$DEPLOY" lint
rc_is 5 "deploy lint: CREATE INDEX without CONCURRENTLY on a table with rows is an error: exit 5"
out_has "error    0006, statement 1 (line 1): index-not-concurrent: CREATE INDEX on table users blocks its writes" \
	"deploy lint: names the revision, statement, line and rule"
out_has "warning  0007, statement 1 (line 2): drop-or-rename" "deploy lint: a DROP COLUMN is a warning, at its line"
out_has "index-not-concurrent: Use CREATE INDEX CONCURRENTLY" "deploy lint: prints each rule's hint"
run env DATABASE_URL="$(url deploy_lint)" MIGRATIONS_DIR="$L/migrations" "$DEPLOY" lint 0006
out_has "lint: 1 error(s), 0 warning(s)" "deploy lint TARGET: only the move to TARGET"
run env DATABASE_URL="$(url deploy_lint)" MIGRATIONS_DIR="$L/migrations" "$DEPLOY" plan --trace
rc_is 0 "deploy plan --trace: exit 0 (plan informs, lint gates)"
out_has "lint: 1 error(s), 2 warning(s), 0 notice(s)" "deploy plan: shows the findings"
out_has "0006 statement 1 (line 1): users ShareLock, users_created_at AccessExclusiveLock" \
	"deploy plan --trace: CREATE INDEX takes a SHARE lock on its table"
out_has "0007 statement 1 (line 2): users AccessExclusiveLock" "deploy plan --trace: DROP COLUMN takes ACCESS EXCLUSIVE"
is "$(q deploy_lint "SELECT count(*) FROM pfm_migrate.audit")/$(q deploy_lint "SELECT count(*) FROM pg_indexes WHERE tablename = 'users'")" \
	"$dump_lint" "deploy lint, plan --trace: nothing changed (no audit row, no index)"
is "$(q deploy_lint "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'password_hash'")" 1 \
	"deploy plan --trace: the traced DROP COLUMN was rolled back"
printf '%s\n' '-- pfm:revision 0006' '-- pfm:parents 0005' '-- pfm:message Index users by creation time' \
	'-- pfm:transactional false' '' '-- pfm:upgrade' 'CREATE INDEX CONCURRENTLY users_created_at ON users (created_at);' '' \
	'-- pfm:downgrade' 'DROP INDEX CONCURRENTLY users_created_at;' >"$L/migrations/0006_index_users_by_created_at.sql"
run env DATABASE_URL="$(url deploy_lint)" MIGRATIONS_DIR="$L/migrations" "$DEPLOY" lint
rc_is 0 "deploy lint: CONCURRENTLY in a non-transactional revision: no error, exit 0"
run env DATABASE_URL="$(url deploy_lint)" MIGRATIONS_DIR="$L/migrations" "$DEPLOY" lint no-such-revision
rc_is 2 "deploy lint: an unknown target is exit 2"

run env DATABASE_URL="postgresql://postgres@/nope?host=$WORK/nosocket" "$DEPLOY" migrate
rc_is 1 "deploy: cannot connect is exit 1"
out_has "error: cannot connect" "deploy: cannot connect says so (the psql started while the files are checked)"
for c in plan health; do
	run env DATABASE_URL="postgresql://postgres@/nope?host=$WORK/nosocket" "$DEPLOY" $c
	rc_is 1 "deploy $c: cannot connect is exit 1"
	out_has "No such file or directory" "deploy $c: cannot connect shows psql's reason"
done
run "$DEPLOY" frobnicate
rc_is 1 "deploy: an unknown command is exit 1"
run env MIGRATIONS_DIR="$D/none" "$DEPLOY" migrate
rc_is 1 "deploy: a missing migrations directory is exit 1"
unset DATABASE_URL MIGRATIONS_DIR BACKUP_DIR

# ---- the file digest: a deploy whose files the database holds skips re-sending them -------
# Two databases get the same files and the same commands: dg_fast as users run it, dg_full
# with PFM_FILE_DIGEST=off (every command loads the files in full). Each step must give both
# the same output, exit status and catalog; dg_fast counts its pfm_load/pfm_preview calls.
G=$WORK/digest
copy_examples "$G/migrations"
newdb dg_fast
newdb dg_full
q postgres "ALTER DATABASE dg_fast SET track_functions = 'all'" >/dev/null
loads() { # pfm_load + pfm_preview calls in dg_fast so far
	q dg_fast "SELECT pg_stat_clear_snapshot(); SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE funcname IN ('pfm_load', 'pfm_preview')" | tail -1
}
catalog_of() {
	q "$1" "SELECT string_agg(revision || ':' || checksum || ':' || coalesce(message, ''), ' ' ORDER BY revision) FROM pfm_migrate.revisions"
	q "$1" "SELECT string_agg(revision, ' ' ORDER BY revision) FROM pfm_migrate.applied"
}
# both DESC CMD...: runs deploy.sh CMD... on both databases; compares them; leaves dg_fast's
# run in OUT/RC.
both() {
	local desc=$1 full_out full_rc
	shift
	run env MIGRATIONS_DIR="$G/migrations" DATABASE_URL="$(url dg_full)" PFM_FILE_DIGEST=off "$DEPLOY" "$@"
	full_out=${OUT//dg_full/DB} full_rc=$RC
	run env MIGRATIONS_DIR="$G/migrations" DATABASE_URL="$(url dg_fast)" "$DEPLOY" "$@"
	is "${OUT//dg_fast/DB} (exit $RC)" "$full_out (exit $full_rc)" "digest: $desc: the output of a full load"
	is "$(catalog_of dg_fast)" "$(catalog_of dg_full)" "digest: $desc: the catalog of a full load"
}
digest_of() { q dg_fast "SELECT coalesce(digest, 'none') FROM pfm_migrate.file_set"; }

both "first migrate" migrate
is "$(digest_of)" "$(q dg_fast "SELECT digest FROM pfm_migrate.file_set WHERE digest LIKE 'files-v2 5 %'")" \
	"digest: the first migrate stores the digest of the 5 files"
before=$(loads)
both "migrate at head" migrate
both "plan at head" plan
both "health at head" health
is "$(loads)" "$before" "digest: migrate, plan and health at head send no file"
# The psql started before deploy.sh has read its own functions takes the command's variables
# as \set lines: whatever a target holds reaches the server exactly, as with -v.
odd="it's a \\ \`back\` :quote :'q'"
both "a target with quotes, a backslash, backquotes and colons (migrate)" migrate "$odd"
rc_is 2 "digest: ... is refused (exit 2)"
out_has "invalid revision target '$odd'" "digest: ... naming the target exactly as given"
both "a target with quotes, a backslash, backquotes and colons (plan)" plan "$odd"
out_has "invalid revision target '$odd'" "digest: plan names it exactly too"
both "a target with a newline and a psql command after it" migrate $'head\n\\! touch '"$G/ran"
rc_is 2 "digest: ... is one (invalid) target: exit 2"
is "$([ -e "$G/ran" ] && echo ran || echo not run)" "not run" "digest: ... and the line after the newline never reaches psql as a command"
both "migrate at head with --lock-wait (its psql starts late: PGOPTIONS)" migrate --lock-wait 2s
rc_is 0 "digest: migrate --lock-wait at head: exit 0"
is "$(loads)" "$before" "digest: none of these sent a file"

# An edited applied file: refused exactly as a full load refuses it; then restored.
cp "$G/migrations/0002_"*.sql "$G/saved.sql"
sed -i 's/CREATE TABLE mfa_sessions (/CREATE TABLE mfa_sessions (\n    note text,/' "$G/migrations/0002_"*.sql
both "an edited applied file (migrate)" migrate
rc_is 2 "digest: an edited applied file is refused (exit 2)"
out_has "which has been applied" "digest: ... with the full load's reason"
both "an edited applied file (health)" health
rc_is 3 "digest: health with an edited applied file: unhealthy"
cp "$G/saved.sql" "$G/migrations/0002_"*.sql
both "the file restored" migrate
rc_is 0 "digest: the restored file deploys"
before=$(loads)
both "the file restored, again" migrate
is "$(loads)" "$before" "digest: the restored set is known again"

# Added, renamed, removed files.
mig "$G/migrations/0006_add_tags.sql" 0006 0005 "Add tags" 'CREATE TABLE tags (name text);' 'DROP TABLE tags;'
both "an added file (plan)" plan
out_has "plan: 1 step(s) to head" "digest: plan sees the added file"
both "an added file (migrate)" migrate
is "$(q dg_fast "SELECT pfm_current()")" 0006 "digest: the added file is applied"
mv "$G/migrations/0006_add_tags.sql" "$G/migrations/0006_tags.sql"
before=$(loads)
both "a renamed file" migrate
is "$(loads)" "$((before + 1))" "digest: a renamed file takes the full load"
mig "$G/migrations/0007_add_notes.sql" 0007 0006 "Add notes" 'CREATE TABLE notes (body text);' 'DROP TABLE notes;'
both "a file added, not applied" migrate 0006
rm "$G/migrations/0007_add_notes.sql"
both "an unapplied file removed" migrate
is "$(q dg_fast "SELECT count(*) FROM pfm_migrate.revisions WHERE revision = '0007'")" 0 \
	"digest: the removed file's unapplied revision is gone"
mv "$G/migrations/0006_tags.sql" "$G/saved6.sql"
both "an applied file removed (health)" health
rc_is 3 "digest: an applied revision without its file is unhealthy"
out_has "revision 0006 is applied but no migration file declares it" "digest: ... with the full load's warning"
both "an applied file removed (migrate)" migrate
is "$(q dg_fast "SELECT count(*) FROM pfm_migrate.file_set WHERE digest LIKE 'files-v2 5 %'")" 0 \
	"digest: not stored while a registered revision has no file"
both "an applied file removed (health, again)" health
out_has "revision 0006 is applied but no migration file declares it" "digest: ... and the warning stays"
mv "$G/saved6.sql" "$G/migrations/0006_tags.sql"
both "the applied file back" migrate

# What the digest lists (find) is what a load reads (the shell's *.sql): a dot-file, a
# directory and a broken symlink named *.sql are no migration files for either; a symlink
# to a file is the file.
printf 'not SQL\n' >"$G/migrations/.draft.sql"
mkdir "$G/migrations/old.sql"
ln -s "$G/nowhere.sql" "$G/migrations/0008_broken.sql"
both "a dot-file, a directory and a broken symlink named *.sql" migrate
before=$(loads)
both "a dot-file, a directory and a broken symlink named *.sql, again" migrate
is "$(loads)" "$before" "digest: ... none of them counts: nothing is sent"
mkdir "$G/elsewhere"
mv "$G/migrations/0006_tags.sql" "$G/elsewhere/"
ln -s "$G/elsewhere/0006_tags.sql" "$G/migrations/0006_tags.sql"
both "a file replaced by a symlink to it" migrate
is "$(loads)" "$before" "digest: ... is the same file set"
sed -i 's/CREATE TABLE tags (name text);/CREATE TABLE tags (name text NOT NULL);/' "$G/elsewhere/0006_tags.sql"
both "the symlinked file edited" migrate
rc_is 2 "digest: an edit behind a symlink is refused like any edit of an applied file"
sed -i 's/CREATE TABLE tags (name text NOT NULL);/CREATE TABLE tags (name text);/' "$G/elsewhere/0006_tags.sql"
rm -r "$G/migrations/.draft.sql" "$G/migrations/old.sql" "$G/migrations/0008_broken.sql"
both "the symlinked file restored" migrate
rc_is 0 "digest: ... and deploys again"

# Changes from elsewhere: each one makes the next command load in full, or needs no load.
for db in dg_fast dg_full; do q "$db" "SELECT pfm_register('0099', '0006', upgrade => 'SELECT 1')" >/dev/null; done
is "$(digest_of)" none "digest: a registration from elsewhere clears the digest"
both "after a registration from elsewhere" migrate
is "$(q dg_fast "SELECT count(*) FROM pfm_migrate.revisions WHERE revision = '0099'")" 0 \
	"digest: ... which the next deploy removes, like a full load"
for db in dg_fast dg_full; do
	q "$db" "UPDATE pfm_migrate.revisions SET upgrade = upgrade || ' ' WHERE revision = '0006'" >/dev/null
done
is "$(digest_of)" none "digest: a direct edit of the catalog clears the digest"
both "after a direct edit of an applied body" migrate
rc_is 2 "digest: ... and the file is refused against the edited catalog, like a full load"
for db in dg_fast dg_full; do
	q "$db" "UPDATE pfm_migrate.revisions SET upgrade = rtrim(upgrade, ' ') WHERE revision = '0006'" >/dev/null
done
both "the catalog edit undone" migrate
for db in dg_fast dg_full; do q "$db" "SELECT count(*) FROM pfm_downgrade('-1')" >/dev/null 2>&1; done
before=$(loads)
both "after a downgrade from elsewhere (plan)" plan
out_has "plan: 1 step(s) to head" "digest: plan after a downgrade from elsewhere: the reverted revision is pending"
both "after a downgrade from elsewhere (migrate)" migrate
is "$(loads)" "$before" "digest: a downgrade from elsewhere needs no load (the registered revisions are the files')"
is "$(q dg_fast "SELECT pfm_current()")" 0006 "digest: ... and the deploy re-applies it"

# ---- the digest cache: a command whose files' stat is the cached one reads no file ----------
# sha256sum is counted through a shim in PATH (find -exec finds it there too).
C=$WORK/cachetest
copy_examples "$C/migrations"
mkdir -p "$C/bin"
printf '#!/bin/sh\necho x >>"%s"\nexec /usr/bin/sha256sum "$@"\n' "$C/hashed" >"$C/bin/sha256sum"
chmod +x "$C/bin/sha256sum"
newdb dg_cache
hashes() { [ -f "$C/hashed" ] && wc -l <"$C/hashed" || echo 0; }
cached() { env MIGRATIONS_DIR="$C/migrations" DATABASE_URL="$(url dg_cache)" PATH="$C/bin:$PATH" "$DEPLOY" "$@"; }
cache_file=$XDG_CACHE_HOME/pfm_migrate/files${C//[^A-Za-z0-9._-]/_}_migrations
run cached migrate
rc_is 0 "digest cache: the first migrate"
[ -s "$cache_file" ] && ok "digest cache: stored" || not_ok "digest cache: stored"
before=$(hashes)
run cached migrate
[ "$(hashes)" -gt "$before" ] && ok "digest cache: files written less than 2 s before they were hashed are hashed again" ||
	not_ok "digest cache: files written less than 2 s before they were hashed are hashed again"
sleep 2.1
run cached migrate
before=$(hashes)
run cached migrate
out_has "nothing to apply" "digest cache: a no-op with the cached digest"
is "$(hashes)" "$before" "digest cache: ... reads no file (no sha256sum)"
run cached health
rc_is 0 "digest cache: health with the cached digest is healthy"
is "$(hashes)" "$before" "digest cache: ... and reads no file either"
# An edit that keeps the size and the mtime (touch -r): only the ctime tells; it must.
f=$(ls "$C/migrations"/0002_*.sql)
cp -p "$f" "$C/orig.sql"
sed -i 's/CREATE TABLE mfa_sessions (/CREATE TABLE mfa_sessionz (/' "$f"
touch -r "$C/orig.sql" "$f"
is "$(stat -c '%s %Y' "$f")" "$(stat -c '%s %Y' "$C/orig.sql")" "digest cache: the edited file has the old size and mtime"
run cached migrate
rc_is 2 "digest cache: an edit with the same size and mtime is refused like any edit of an applied file"
out_has "which has been applied" "digest cache: ... with the full load's reason"
[ "$(hashes)" -gt "$before" ] && ok "digest cache: ... after hashing the files again" || not_ok "digest cache: ... after hashing the files again"
cp -p "$C/orig.sql" "$f"
sleep 2.1
run cached migrate
rc_is 0 "digest cache: the restored file deploys"
before=$(hashes)
run cached migrate
is "$(hashes)" "$before" "digest cache: ... and is cached again"
# An entry written at a time the clock has not reached again (it was set back since) is
# not trusted: an edit made meanwhile could have an older ctime than the entry's time.
sed -i "5s/.*/$(($(date +%s) + 3600))/" "$cache_file"
run cached migrate
[ "$(hashes)" -gt "$before" ] && ok "digest cache: an entry from the clock's future is not trusted" ||
	not_ok "digest cache: an entry from the clock's future is not trusted"
run cached migrate
before=$(hashes)
run cached migrate
is "$(hashes)" "$before" "digest cache: ... and the next command caches again"
# A new file changes the directory: seen at once.
mig "$C/migrations/0006_add_tags.sql" 0006 0005 "Add tags" 'CREATE TABLE tags (name text);' 'DROP TABLE tags;'
run cached plan
out_has "plan: 1 step(s) to head" "digest cache: a file added since is seen"
rm "$C/migrations/0006_add_tags.sql"
run cached plan
out_has "plan: 0 step(s) to head" "digest cache: ... and a file removed since"
# A damaged cache file is ignored; PFM_FILE_CACHE=off neither reads nor writes one.
printf 'pfm_migrate file digest cache 2\n%s\n1.5\nfiles-v2 9 nonsense\n' "$C/migrations" >"$cache_file"
before=$(hashes)
run cached migrate
out_has "nothing to apply" "digest cache: a damaged cache file is ignored"
[ "$(hashes)" -gt "$before" ] && ok "digest cache: ... and the files are hashed" || not_ok "digest cache: ... and the files are hashed"
rm -f "$cache_file"
run env PFM_FILE_CACHE=off MIGRATIONS_DIR="$C/migrations" DATABASE_URL="$(url dg_cache)" "$DEPLOY" migrate
out_has "nothing to apply" "digest cache: PFM_FILE_CACHE=off"
[ ! -e "$cache_file" ] && ok "digest cache: PFM_FILE_CACHE=off writes no cache file" || not_ok "digest cache: PFM_FILE_CACHE=off writes no cache file"

# ---- the compiled client (bin/pfm_deploy_fast): the plain case without psql ---------------
# Each command runs as the script alone runs it (PFM_FAST_CLIENT=off) and with the client, on
# the same database: the same output and exit status. psql is counted through a shim in PATH:
# the client never runs it, the script always does (so a count above 0 is a hand-over).
F=$WORK/fastclient
copy_examples "$F/migrations"
mkdir -p "$F/bin"
printf '#!/bin/sh\necho x >>"%s"\nexec "%s" "$@"\n' "$F/psqls" "$(command -v psql)" >"$F/bin/psql"
chmod +x "$F/bin/psql"
newdb dg_client
[ -x "$PFM_ROOT/bin/pfm_deploy_fast" ] && ok "fast client: built with the module (make)" ||
	not_ok "fast client: built with the module (make)"
psqls() { [ -f "$F/psqls" ] && wc -l <"$F/psqls" || echo 0; }
fast() { env MIGRATIONS_DIR="$F/migrations" DATABASE_URL="${FAST_URL:-$(url dg_client)}" PATH="$F/bin:$PATH" "$DEPLOY" "$@"; }
# same DESC CMD...: the command with the client, then by the script alone; compares them.
# Leaves the client's run in OUT/RC and the psql processes it started in PSQLS.
same() {
	local desc=$1 fast_out fast_rc before
	shift
	before=$(psqls)
	run fast "$@"
	PSQLS=$(($(psqls) - before)) fast_out=$OUT fast_rc=$RC
	run env PFM_FAST_CLIENT=off MIGRATIONS_DIR="$F/migrations" DATABASE_URL="${FAST_URL:-$(url dg_client)}" "$DEPLOY" "$@"
	is "$fast_out (exit $fast_rc)" "$OUT (exit $RC)" "fast client: $desc: the script's own output and exit status"
	OUT=$fast_out RC=$fast_rc
}
run fast migrate
rc_is 0 "fast client: the first migrate (handed over: no digest cached yet)"
sleep 2.1 # (files written less than 2 s before they were hashed are not cached)
run fast migrate
for cmd in migrate plan health; do
	same "$cmd at head" "$cmd"
	is "$PSQLS" 0 "fast client: $cmd at head runs no psql"
done
same "migrate head, named" migrate head
is "$PSQLS" 0 "fast client: ... runs no psql"
# heads: no no-op recorded for it yet; the script's no-op records one, then the client answers
same "migrate heads, the first time" migrate heads
[ "$PSQLS" -gt 0 ] && ok "fast client: ... is handed over (no recorded no-op for heads)" ||
	not_ok "fast client: ... is handed over (no recorded no-op for heads)"
same "migrate heads again" migrate heads
is "$PSQLS" 0 "fast client: ... runs no psql"
# A no-op takes no lock (as pfm_upgrade's own no-op): it answers while another session holds
# the migration lock; the script alone would wait for it.
psql -X -q -h "$SOCK" -U postgres -d dg_client -c "CALL pfm_migrate.wait_for_migration_lock()" -c "SELECT pg_sleep(30)" \
	>/dev/null 2>&1 &
holder=$!
held="SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
         AND database = (SELECT oid FROM pg_database WHERE datname = 'dg_client')"
for _ in $(seq 1 100); do
	[ "$(q dg_client "$held")" -gt 0 ] && break
	sleep 0.05
done
is "$(q dg_client "$held")" 1 "fast client: another session holds the migration lock"
before=$(psqls)
run timeout 10 env MIGRATIONS_DIR="$F/migrations" DATABASE_URL="$(url dg_client)" PATH="$F/bin:$PATH" "$DEPLOY" migrate
rc_is 0 "fast client: ... a no-op migrate answers meanwhile (exit 0, within 10 s)"
out_has "nothing to apply to dg_client" "fast client: ... nothing to apply"
is "$(($(psqls) - before))" 0 "fast client: ... answered by the client"
q dg_client "SELECT pg_terminate_backend(l.pid) FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
               AND l.database = (SELECT oid FROM pg_database WHERE datname = 'dg_client')" >/dev/null
wait "$holder" 2>/dev/null || true
for args in "migrate --per-revision" "migrate 0003" "plan --trace" "health --db-only" "current"; do
	# shellcheck disable=SC2086 # (the words of args are the arguments)
	same "$args (not the client's)" $args
	[ "$PSQLS" -gt 0 ] && ok "fast client: $args is handed over" || not_ok "fast client: $args is handed over"
done
# A revision stamped away from elsewhere: health says so itself; plan and migrate are handed over.
q dg_client "SELECT pfm_stamp('0004')" >/dev/null
same "health with a pending revision" health
rc_is 3 "fast client: ... unhealthy (exit 3)"
out_has "pending:  1" "fast client: ... one pending"
is "$PSQLS" 0 "fast client: ... answered by the client"
same "plan with a pending revision" plan
out_has "plan: 1 step(s) to head" "fast client: ... shows the step"
[ "$PSQLS" -gt 0 ] && ok "fast client: ... handed over" || not_ok "fast client: ... handed over"
run fast migrate
out_has "applied 1 revision(s)" "fast client: migrate with a pending revision applies it (handed over)"
same "migrate after it" migrate
is "$PSQLS" 0 "fast client: ... the move left a no-op record: no psql"
# A registration from elsewhere: not the files' set any more; the script's load removes it.
q dg_client "SELECT pfm_register('0099', (SELECT pfm_current()), upgrade => 'SELECT 1')" >/dev/null
run fast migrate
out_has "removed revision 0099" "fast client: a revision registered from elsewhere: handed over, the load removes it"
# An edited file (content only): its ctime says so; handed over, refused like any edit.
f=$(ls "$F/migrations"/0002_*.sql)
cp -p "$f" "$F/orig.sql"
printf -- '-- edited\n' >>"$f"
before=$(psqls)
run fast migrate
rc_is 2 "fast client: an edited applied file is refused (exit 2)"
out_has "which has been applied" "fast client: ... with the full load's reason"
[ "$(psqls)" -gt "$before" ] && ok "fast client: ... by the script" || not_ok "fast client: ... by the script"
cp -p "$F/orig.sql" "$f"
# The extension's functions not on the search_path: the script cannot call pfm_upgrade; the
# client does not answer for it either.
PGOPTIONS="-c search_path=pg_catalog" same "pfm_upgrade not on the search_path" migrate
[ "$RC" != 0 ] && ok "fast client: ... fails as the script fails" || not_ok "fast client: ... fails as the script fails" "$OUT"
[ "$PSQLS" -gt 0 ] && ok "fast client: ... handed over" || not_ok "fast client: ... handed over"
# No server: the script's own error.
FAST_URL="postgresql://postgres@/dg_client?host=$WORK/nowhere" same "no server" migrate
rc_is 1 "fast client: no server: exit 1"
# Without the extension: the script's first deploy (no error in the server's log either).
newdb dg_client2
FAST_URL=$(url dg_client2) same "a database without the extension (plan)" plan
out_has "plan: 5 step(s) to head" "fast client: ... shows the whole plan"
