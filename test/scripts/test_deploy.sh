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

newdb deploy_empty
q deploy_empty "CREATE EXTENSION pfm_migrate" >/dev/null
run env DATABASE_URL="$(url deploy_empty)" "$DEPLOY" health --db-only
rc_is 0 "deploy health --db-only: an empty catalog is healthy"
out_has "problems: 0" "deploy health: empty fields (no heads) do not shift the columns"

run "$DEPLOY" plan
rc_is 0 "deploy plan: exit 0"
out_has "plan: 4 step(s) to head" "deploy plan: lists the 4 pending revisions"
out_has "upgrade   0003           Add user preferences table" "deploy plan: one line per step"
is "$(q deploy_a "SELECT count(*) FROM pg_extension WHERE extname = 'pfm_migrate'")$(has_table deploy_a users && echo users)" 0 \
	"deploy plan: changes nothing (not even the extension)"

run "$DEPLOY"
rc_is 0 "deploy: backup, migrate, health: exit 0"
out_has "healthy" "deploy: reports healthy"
out_has "restore with: pg_restore --clean --if-exists --single-transaction -d \"\$DATABASE_URL\"" "deploy: prints the restore command"
is "$(backups)" 1 "deploy: wrote one backup file under \$BACKUP_DIR"
check "deploy: the backup is a pg_dump custom-format archive" pg_restore -l "$(find "$BACKUP_DIR" -name '*.dump')"
is "$(q deploy_a "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN
   ('users', 'sessions', 'mfa_methods', 'mfa_backup_codes', 'mfa_sessions', 'user_preferences')")" 6 \
	"deploy: every table of the example schema exists"
is "$(q deploy_a "SELECT data_type FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'preferences'")" jsonb \
	"deploy: the data migration's column exists"
is "$(q deploy_a "SELECT pfm_current() || ' ' || (SELECT string_agg(version_num, ',') FROM pfm_migrate.version)")" "0004 0004" \
	"deploy: pfm_current() and pfm_migrate.version say 0004"
is "$(q deploy_a "SELECT application_name FROM pfm_migrate.audit WHERE operation = 'upgrade' LIMIT 1")" pfm_deploy \
	"deploy: the audit log names the deploy (application_name)"

run "$DEPLOY" health
rc_is 0 "deploy health: at head, exit 0"
out_has "pending:  0" "deploy health: shows the status"

audit=$(audit_count deploy_a)
run "$DEPLOY"
rc_is 0 "deploy again: exit 0"
out_has "nothing to apply" "deploy again: nothing to apply"
is "$(backups)/$(audit_count deploy_a)" "1/$audit" "deploy again: no backup, no audit row"

# A new migration: health says pending, plan shows it, deploy applies it (with a backup).
cat >"$MIGRATIONS_DIR/0005_add_login_events.sql" <<'EOF'
SELECT pfm_register(revision => '0005', down_revision => '0004', message => 'Add login events',
    upgrade => $up$CREATE TABLE login_events (id bigserial PRIMARY KEY, user_id uuid REFERENCES users(id), at timestamptz DEFAULT now())$up$,
    downgrade => $down$DROP TABLE login_events$down$);
EOF
run "$DEPLOY" health
rc_is 3 "deploy health: a new migration file is pending (exit 3)"
out_has "pending:  1" "deploy health: counts the pending file"
run "$DEPLOY" health --db-only
rc_is 0 "deploy health --db-only: the database alone is healthy"
run "$DEPLOY" plan
out_has "plan: 1 step(s) to head" "deploy plan: only the new revision"
q deploy_a "INSERT INTO users (email, password_hash) VALUES ('ann@example.com', 'x')" >/dev/null
run "$DEPLOY"
rc_is 0 "deploy: applies the new file"
is "$(q deploy_a "SELECT pfm_current()")" 0005 "deploy: now at 0005"
is "$(backups)" 2 "deploy: a second backup"

# The backup restores (catalog included): state before 0005.
newdb restored
newest=$(ls -t "$BACKUP_DIR"/*.dump | head -1)
check "deploy backup: pg_restore into an empty database" pg_restore -h "$SOCK" -U postgres -d restored --exit-on-error "$newest"
is "$(q restored "SELECT pfm_current() || ' ' || (SELECT count(*) FROM users)")" "0004 1" \
	"deploy backup: restored at 0004, with the data and the migration state"

# Edited applied migration: the deploy fails before anything changes.
cp "$MIGRATIONS_DIR/0003_add_user_preferences_table.sql" "$D/0003.orig"
sed -i "s/DEFAULT 'light'/DEFAULT 'dark'/" "$MIGRATIONS_DIR/0003_add_user_preferences_table.sql"
cat >"$MIGRATIONS_DIR/0006_add_notes.sql" <<'EOF'
SELECT pfm_register(revision => '0006', down_revision => '0005', message => 'Add notes',
    upgrade => 'CREATE TABLE notes (id int)', downgrade => 'DROP TABLE notes');
EOF
audit=$(audit_count deploy_a)
run "$DEPLOY"
rc_is 2 "deploy: an edited applied migration fails the deploy (exit 2)"
out_has "0003" "deploy: the error names the edited revision"
is "$(backups)/$(audit_count deploy_a)/$(q deploy_a "SELECT pfm_current()")/$(has_table deploy_a notes && echo notes)" "2/$audit/0005/" \
	"deploy: nothing changed (no backup, no audit row, still 0005, pending 0006 not applied)"
run "$DEPLOY" migrate
rc_is 2 "deploy migrate: also refuses the edited file"
run "$DEPLOY" health
rc_is 3 "deploy health: the edited file makes it unhealthy"
cp "$D/0003.orig" "$MIGRATIONS_DIR/0003_add_user_preferences_table.sql"

# A failing body: nothing half-applied, not even the registration of the new file.
cat >"$MIGRATIONS_DIR/0007_broken.sql" <<'EOF'
SELECT pfm_register(revision => '0007', down_revision => '0006', message => 'Broken',
    upgrade => 'CREATE TABLE half_done (id int); SELECT 1/0', downgrade => 'DROP TABLE half_done');
EOF
run "$DEPLOY" migrate
rc_is 2 "deploy migrate: a failing body fails (exit 2)"
out_has "division by zero" "deploy migrate: shows the database error"
is "$(q deploy_a "SELECT pfm_current() || ' ' || count(*) FROM pfm_migrate.revisions WHERE revision IN ('0006', '0007')")$(has_table deploy_a notes && echo notes)$(has_table deploy_a half_done && echo half_done)" "0005 0" \
	"deploy migrate: rolled back entirely (0006/0007 neither applied nor registered, no table)"
rm "$MIGRATIONS_DIR/0007_broken.sql"

# migrate TARGET, then the offline script, checked on a second database.
run "$DEPLOY" migrate 0006
rc_is 0 "deploy migrate 0006: exit 0"
out_has "current revision: 0006" "deploy migrate: prints the current revision"
cat >"$MIGRATIONS_DIR/0008_add_tags.sql" <<'EOF'
SELECT pfm_register(revision => '0008', down_revision => '0006', message => 'Add tags',
    upgrade => 'CREATE TABLE tags (name text PRIMARY KEY)', downgrade => 'DROP TABLE tags');
EOF
run "$DEPLOY" sql "$D/upgrade.sql"
rc_is 0 "deploy sql: exit 0"
check "deploy sql: wrote the script" grep -q 'CREATE TABLE tags' "$D/upgrade.sql"
is "$(q deploy_a "SELECT pfm_current()")$(has_table deploy_a tags && echo tags)" 0006 "deploy sql: the database is unchanged"
check "deploy sql: the script applies with psql -1 -f" psql -X -q -v ON_ERROR_STOP=1 -1 -h "$SOCK" -U postgres -d deploy_a -f "$D/upgrade.sql"
is "$(q deploy_a "SELECT pfm_current()")$(has_table deploy_a tags && echo ' tags')" "0008 tags" "deploy sql: ... and reaches the target"

run "$DEPLOY" downgrade -1
rc_is 0 "deploy downgrade -1: exit 0"
is "$(q deploy_a "SELECT pfm_current()")$(has_table deploy_a tags && echo ' tags')" 0006 "deploy downgrade -1: one step back, table gone"
run "$DEPLOY" downgrade
rc_is 1 "deploy downgrade: the target is required (exit 1)"

# Files load in any order (reverse here), by hand as the README shows.
newdb deploy_order
q deploy_order "CREATE EXTENSION pfm_migrate" >/dev/null
mapfile -t files < <(ls -r "$MIGRATIONS_DIR"/*.sql)
args=()
for f in "${files[@]}"; do args+=(-f "$f"); done
check "migration files load in any order (reverse), with pfm_upgrade in one psql -1" \
	psql -X -q -v ON_ERROR_STOP=1 -1 -h "$SOCK" -U postgres -d deploy_order "${args[@]}" -c "SELECT * FROM pfm_upgrade('head')"
is "$(q deploy_order "SELECT pfm_current()")" 0008 "... and reach head"

# PG* variables instead of DATABASE_URL; two concurrent deploys of one database.
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
is "$(q deploy_race "SELECT count(*) FROM pfm_migrate.audit WHERE operation = 'upgrade'")" 7 \
	"two concurrent deploys: every revision applied exactly once"

# A least-privilege deploy role (the grants docs/workflow.md gives), backup included.
q postgres "CREATE ROLE deployer LOGIN" >/dev/null
q postgres "CREATE DATABASE deploy_c OWNER deployer" >/dev/null
q deploy_c "CREATE EXTENSION pfm_migrate;
GRANT USAGE ON SCHEMA pfm_migrate TO deployer;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pfm_migrate TO deployer;
GRANT SELECT, USAGE ON ALL SEQUENCES IN SCHEMA pfm_migrate TO deployer;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pfm_migrate TO deployer;" >/dev/null
run env DATABASE_URL="$(url deploy_c deployer)" "$DEPLOY"
rc_is 0 "deploy as a least-privilege role (not superuser): exit 0"
is "$(q deploy_c "SELECT tableowner FROM pg_tables WHERE tablename = 'users'")/$(q deploy_c "SELECT pfm_current()")" deployer/0008 \
	"deploy as deployer: the schema is the deployer's, at head"

q postgres "CREATE ROLE monitor LOGIN" >/dev/null
q deploy_c "GRANT USAGE ON SCHEMA pfm_migrate TO monitor;
GRANT SELECT ON ALL TABLES IN SCHEMA pfm_migrate TO monitor;" >/dev/null
run env DATABASE_URL="$(url deploy_c monitor)" "$DEPLOY" health --db-only
rc_is 0 "deploy health --db-only as a read-only monitoring role: exit 0"
cat >"$MIGRATIONS_DIR/0009_add_labels.sql" <<'EOF2'
SELECT pfm_register(revision => '0009', down_revision => '0008', message => 'Add labels',
    upgrade => 'CREATE TABLE labels (name text)', downgrade => 'DROP TABLE labels');
EOF2
n_before=$(backups)
run env DATABASE_URL="$(url deploy_c deployer)" "$DEPLOY" --no-backup
rc_is 0 "deploy --no-backup: exit 0"
is "$(backups)/$(q deploy_c "SELECT pfm_current()")" "$n_before/0009" "deploy --no-backup: applied, no backup written"
cat >"$MIGRATIONS_DIR/0010_add_colors.sql" <<'EOF2'
SELECT pfm_register(revision => '0010', down_revision => '0009', message => 'Add colors',
    upgrade => 'CREATE TABLE colors (name text)', downgrade => 'DROP TABLE colors');
EOF2
run env DATABASE_URL="$(url deploy_c deployer)" "$DEPLOY" sql "$D/upgrade_c.sql"
rc_is 0 "deploy sql as the deploy role: exit 0"
run psql -X -q -v ON_ERROR_STOP=1 -1 -h "$SOCK" -U deployer -d deploy_c -f "$D/upgrade_c.sql"
rc_is 0 "the offline script runs as the deploy role"
is "$(q deploy_c "SELECT pfm_current()")" 0010 "... and reaches 0010"

run env DATABASE_URL="postgresql://postgres@/nope?host=$WORK/nosocket" "$DEPLOY" migrate
rc_is 1 "deploy: cannot connect is exit 1"
run "$DEPLOY" frobnicate
rc_is 1 "deploy: an unknown command is exit 1"
run env MIGRATIONS_DIR="$D/none" "$DEPLOY" migrate
rc_is 1 "deploy: a missing migrations directory is exit 1"
unset DATABASE_URL MIGRATIONS_DIR BACKUP_DIR
