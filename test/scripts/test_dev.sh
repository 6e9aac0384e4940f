# shellcheck shell=bash
# scripts/dev.sh with its own cluster in a temporary PFM_DEV_DIR (sourced by run.sh).

DEV=$SCRIPTS/dev.sh
V=$WORK/dev
copy_examples "$V/migrations"
export PFM_DEV_DIR=$V/cluster MIGRATIONS_DIR=$V/migrations
# shellcheck disable=SC2034 # stopped by run.sh's cleanup
DEV_STOP=$PFM_DEV_DIR/data
# The path migrate-create or merge printed (its notes go to stderr, before it).
created_file() { grep -E '^/.*\.sql$' <<<"$OUT" | tail -1; }
dq() { psql -X -At -v ON_ERROR_STOP=1 -h "$PFM_DEV_DIR/run" -U postgres -d pfm_dev -c "$1"; }

run "$DEV" migrate
rc_is 0 "dev migrate: exit 0 on a new cluster"
out_has "current revision: 0005" "dev migrate: migrates the example project to head"
out_has "mode: one transaction per revision (CALL pfm_deploy); non-transactional: 0005" "dev migrate: says which mode it used"
is "$(dq "SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_last_login_at_idx'::regclass")" t \
	"dev migrate: the example's concurrent index is built and valid"
out_has "Add preferences column to users" "dev migrate: shows the history"
check "dev migrate: the cluster lives under PFM_DEV_DIR" test -f "$PFM_DEV_DIR/data/PG_VERSION"
check "dev migrate: ... which git ignores" grep -qx '\*' "$PFM_DEV_DIR/.gitignore"
is "$(dq "SHOW listen_addresses")" "" "dev migrate: it listens on a Unix socket only (no TCP)"
is "$(dq "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" 6 "dev migrate: the example schema's 6 tables exist"

run "$DEV" migrate
rc_is 0 "dev migrate again: a no-op, exit 0"

run "$DEV" migrate-create "Add user preferences table"
rc_is 0 "dev migrate-create: exit 0"
new1=$MIGRATIONS_DIR/0006_add_user_preferences_table.sql
is "$(created_file)" "$new1" "dev migrate-create: prints the path of the next NNNN_slug.sql"
id1=$(sed -n 's/^-- pfm:revision //p' "$new1")
check "dev migrate-create: a fresh 12-hex revision id" grep -Eq '^[0-9a-f]{12}$' <<<"$id1"
check "dev migrate-create: the head of the files is the parent" grep -qxF -- "-- pfm:parents 0005" "$new1"
check "dev migrate-create: the message is kept" grep -qxF -- "-- pfm:message Add user preferences table" "$new1"
out_has "scripts/dev.sh lint" "dev migrate-create: reminds to lint before migrating"

run "$DEV" migrate
rc_is 0 "dev migrate: applies the new file as written (comment-only bodies)"
is "$(dq "SELECT pfm_current()")" "$id1" "dev migrate: at the new revision"

run "$DEV" migrate-create "Add user's theme index"
new2=$(created_file)
id2=$(sed -n 's/^-- pfm:revision //p' "$new2")
is "${new2##*/}" 0007_add_user_s_theme_index.sql "dev migrate-create: numbered after the last file, slugged"
check "dev migrate-create: parent is the previous new revision" grep -qxF -- "-- pfm:parents $id1" "$new2"
sed -i 's/^-- the upgrade SQL$/CREATE INDEX user_preferences_theme_idx ON user_preferences (theme);/;
        s/^-- the downgrade SQL.*$/DROP INDEX user_preferences_theme_idx;/' "$new2"
run "$DEV" lint
rc_is 5 "dev lint: a CREATE INDEX without CONCURRENTLY on an existing table is an error: exit 5"
out_has "index-not-concurrent: CREATE INDEX on table user_preferences" "dev lint: ... named with its rule"
run "$DEV" migrate-status
rc_is 3 "dev migrate-status: exit 3 when it prints unhealthy"
check "dev migrate-status: ... and prints unhealthy" grep -qx "unhealthy" <<<"$OUT"
out_has "pending:  1" "dev migrate-status: the unapplied file is pending"
out_has "$id2" "dev migrate-status: shows history with the new file"
run "$DEV" migrate
is "$(dq "SELECT pfm_current()")/$(dq "SELECT count(*) FROM pg_indexes WHERE indexname = 'user_preferences_theme_idx'")" "$id2/1" \
	"dev migrate: applies the edited new file"
run "$DEV" migrate-status
rc_is 0 "dev migrate-status: exit 0 at head"
check "dev migrate-status: healthy at head" grep -qx "healthy" <<<"$OUT"

run "$DEV" history
rc_is 0 "dev history: exit 0"
out_has "current (head)" "dev history: marks the current head"
is "$(grep -cE '^ *(0001|0002|0003|0004|0005|'"$id1"'|'"$id2"') ' <<<"$OUT")" 7 "dev history: lists every revision"

run "$DEV" downgrade
rc_is 0 "dev downgrade: exit 0"
is "$(dq "SELECT pfm_current()")/$(dq "SELECT count(*) FROM pg_indexes WHERE indexname = 'user_preferences_theme_idx'")" "$id1/0" \
	"dev downgrade: one step back by default"
run "$DEV" downgrade 0002
is "$(dq "SELECT pfm_current()")/$(dq "SELECT to_regclass('user_preferences') IS NULL")" "0002/t" "dev downgrade 0002: back to 0002"
run "$DEV" migrate 0003
is "$(dq "SELECT pfm_current()")" 0003 "dev migrate 0003: up to a given target"
run "$DEV" migrate
is "$(dq "SELECT pfm_current()")" "$id2" "dev migrate: back to head"

dq "INSERT INTO users (email, password_hash) VALUES ('bob@example.com', 'x')" >/dev/null
run "$DEV" reset-db </dev/null
rc_is 1 "dev reset-db without --yes and no terminal: refused (exit 1)"
is "$(dq "SELECT count(*) FROM users")" 1 "dev reset-db refused: the data is still there"
run "$DEV" reset-db --yes
rc_is 0 "dev reset-db --yes: exit 0"
is "$(dq "SELECT count(*) FROM users")/$(dq "SELECT pfm_current()")" "0/$id2" "dev reset-db --yes: a new database, migrated to head"
is "$(dq "SELECT count(*) FROM pfm_migrate.applied WHERE stamped")/$(dq "SELECT count(*) FROM pfm_migrate.audit WHERE operation = 'downgrade'")" "0/0" \
	"dev reset-db --yes: the old state and audit are gone"

run "$DEV" psql -At -c "SELECT current_database()"
is "$OUT" pfm_dev "dev psql: connects to the dev database"

run "$DEV" stop
rc_is 0 "dev stop: exit 0"
check "dev stop: the cluster is down" test ! -f "$PFM_DEV_DIR/data/postmaster.pid"
run "$DEV" history
rc_is 0 "dev history after stop: the cluster starts on demand"

# Switching branches: files of revisions registered but never applied go away; migrate-create
# never builds on a revision without a file; stamp and merge from the scripts.
mkdir -p "$V/branch"
mig "$MIGRATIONS_DIR/0008_feature_a.sql" fa01 "$id2" "Feature A" 'CREATE TABLE feature_a (id int);' 'DROP TABLE feature_a;'
run "$DEV" migrate
is "$(dq "SELECT pfm_current()")" fa01 "dev migrate: the feature branch's revision is applied"
run "$DEV" downgrade
mv "$MIGRATIONS_DIR/0008_feature_a.sql" "$V/branch/"
run "$DEV" migrate-create "On main again"
new3=$(created_file)
check "dev migrate-create after a branch switch: the parent has a file" grep -qxF -- "-- pfm:parents $id2" "$new3"
rm "$new3"
run "$DEV" migrate
out_has "removed revision fa01: no migration file declares it" "dev migrate after a branch switch: names what it unregisters"
is "$(dq "SELECT count(*) FROM pfm_migrate.revisions WHERE revision = 'fa01'")" 0 \
	"dev migrate after a branch switch: the switched-away revision (unapplied, no file) is no longer registered"
mv "$V/branch/0008_feature_a.sql" "$MIGRATIONS_DIR/"
run "$DEV" migrate
mv "$MIGRATIONS_DIR/0008_feature_a.sql" "$V/branch/"
run "$DEV" migrate-create "On main with feature A applied"
rc_is 2 "dev migrate-create: refuses when the head is applied but has no file"
out_has "head fa01 has no migration file" "dev migrate-create: ... naming it"
mv "$V/branch/0008_feature_a.sql" "$MIGRATIONS_DIR/"
run "$DEV" downgrade
rm "$MIGRATIONS_DIR/0008_feature_a.sql"

mig "$MIGRATIONS_DIR/0008_side_a.sql" sa01 "$id2" "Side A" 'SELECT 1;' 'SELECT 1;'
mig "$MIGRATIONS_DIR/0009_side_b.sql" sb01 "$id2" "Side B" 'SELECT 2;' 'SELECT 2;'
run "$DEV" merge
rc_is 0 "dev merge: exit 0"
merge_file=$(created_file)
check "dev merge: parents are the two heads" grep -qxF -- "-- pfm:parents sa01, sb01" "$merge_file"
check "dev merge: reversible (an empty downgrade, not irreversible)" bash -c "tail -1 '$merge_file' | grep -qxF -- '-- pfm:downgrade'"
run "$DEV" migrate
merge_id=$(sed -n 's/^-- pfm:revision //p' "$merge_file")
is "$(dq "SELECT pfm_current()")" "$merge_id" "dev migrate: through both sides to the merge"
run "$DEV" downgrade "$id2"
rc_is 0 "dev downgrade through the merge: exit 0"
run "$DEV" stamp "$merge_id"
rc_is 0 "dev stamp: exit 0"
is "$(dq "SELECT pfm_current() || ' ' || count(*) FILTER (WHERE stamped) FROM pfm_migrate.applied")" "$merge_id 3" \
	"dev stamp: marked as applied without running anything"
run "$DEV" downgrade "$id2"
rm "$merge_file" "$MIGRATIONS_DIR/0008_side_a.sql" "$MIGRATIONS_DIR/0009_side_b.sql"

# migrate-create --non-transactional: the file says so, and migrate deploys it per revision.
run "$DEV" migrate-create --non-transactional "Index users by name concurrently"
rc_is 0 "dev migrate-create --non-transactional: exit 0"
nt_file=$(created_file)
nt_id=$(sed -n 's/^-- pfm:revision //p' "$nt_file")
check "dev migrate-create --non-transactional: the file is marked transactional false" \
	grep -qxF -- "-- pfm:transactional false" "$nt_file"
sed -i 's/^-- the upgrade SQL$/CREATE INDEX CONCURRENTLY users_email_nt_idx ON users (email);/;
        s/^-- the downgrade SQL.*$/DROP INDEX CONCURRENTLY users_email_nt_idx;/' "$nt_file"
run "$DEV" migrate
rc_is 0 "dev migrate of a --non-transactional file: exit 0"
out_has "non-transactional: $nt_id" "dev migrate: ... deploys it one revision per transaction"
is "$(dq "SELECT pfm_current()")/$(dq "SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_nt_idx'::regclass")" "$nt_id/t" \
	"dev migrate: the concurrent index of the new file is built and valid"
run "$DEV" downgrade
is "$(dq "SELECT pfm_current()")/$(dq "SELECT to_regclass('users_email_nt_idx') IS NULL")" "$id2/t" \
	"dev downgrade of the --non-transactional file: DROP INDEX CONCURRENTLY ran"
rm "$nt_file"
run "$DEV" migrate-create --transactional
rc_is 1 "dev migrate-create with an unknown option: a usage error (exit 1)"

# Read-only commands change nothing, whatever the files hold.
snapshot=$(pg_dump -h "$PFM_DEV_DIR/run" -U postgres --no-comments pfm_dev | grep -Ev '^-- Dumped|^\\(un)?restrict ')
for hostile in 'COMMIT;' 'CREATE TABLE hostile_t (i int);' "\\! touch $V/pwned" \
	"SELECT pfm_register('h1', '$id2', 'SELECT 1', 'SELECT 1'); DROP TABLE users;" \
	"-- pfm:revision h1
-- pfm:parents $id2
-- pfm:upgrade
SELECT 1;
-- pfm:downgrade
SELECT 1;
\\! touch $V/pwned"; do
	printf '%s\n' "$hostile" >"$MIGRATIONS_DIR/0099_hostile.sql"
	for cmd in migrate-status history; do run "$DEV" $cmd; done
	run env MIGRATIONS_DIR="$MIGRATIONS_DIR" "$SCRIPTS/deploy.sh" plan
done
rm "$MIGRATIONS_DIR/0099_hostile.sql"
is "$(pg_dump -h "$PFM_DEV_DIR/run" -U postgres --no-comments pfm_dev | grep -Ev '^-- Dumped|^\\(un)?restrict ')" "$snapshot" \
	"dev migrate-status, history and deploy plan with hostile files: the database is byte-for-byte the same"
check "... and nothing in a file ran on this machine either" test ! -e "$V/pwned"

# convert-files: a 0.1.0-style pfm_register file becomes the file format, same registration.
cat >"$MIGRATIONS_DIR/0008_legacy.sql" <<'EOF'
-- A file written for 0.1.0
SELECT pfm_register(revision => 'lg01', down_revision => 'PARENT', message => 'Legacy file',
    upgrade => $up$
CREATE TABLE legacy_t (id int);
$up$, downgrade => $down$DROP TABLE legacy_t$down$);
EOF
sed -i "s/PARENT/$id2/" "$MIGRATIONS_DIR/0008_legacy.sql"
run "$DEV" migrate
is "$(dq "SELECT pfm_current()")$(dq "SELECT to_regclass('legacy_t') IS NOT NULL")" lg01t "dev migrate: a 0.1.0-style file still loads (read, not run)"
run "$DEV" convert-files
rc_is 0 "dev convert-files: exit 0"
check "dev convert-files: the file is in the file format now" grep -qxF -- "-- pfm:revision lg01" "$MIGRATIONS_DIR/0008_legacy.sql"
check "dev convert-files: ... keeping its comment" grep -qxF -- "-- A file written for 0.1.0" "$MIGRATIONS_DIR/0008_legacy.sql"
run "$DEV" migrate
rc_is 0 "dev migrate after converting an applied file: the same registration, no edit refused"
is "$(dq "SELECT count(*) FROM pfm_migrate.audit WHERE revision = 'lg01' AND operation = 'replace'")" 0 \
	"dev migrate after converting: nothing replaced"
run "$DEV" downgrade
rm "$MIGRATIONS_DIR/0008_legacy.sql"

# Which migrations: the example project from the repository root, an error elsewhere.
run env -u MIGRATIONS_DIR PFM_DEV_DB=pfm_examples bash -c "cd '$PFM_ROOT' && '$DEV' migrate"
rc_is 0 "dev migrate from the repository root without MIGRATIONS_DIR: exit 0"
out_has "migration file(s) from $PFM_ROOT/examples/pfm/migrations" "dev migrate: ... uses examples/pfm/migrations"
mkdir -p "$V/elsewhere"
run env -u MIGRATIONS_DIR bash -c "cd '$V/elsewhere' && '$DEV' migrate"
rc_is 1 "dev migrate elsewhere without ./migrations: exit 1"
out_has "no migrations directory" "dev migrate elsewhere: says why"
run env -u MIGRATIONS_DIR PFM_DEV_DB=pfm_new bash -c "cd '$V/elsewhere' && '$DEV' migrate-create 'First revision'"
rc_is 0 "dev migrate-create in a new project: exit 0"
is "$(created_file)" "$V/elsewhere/migrations/0001_first_revision.sql" "dev migrate-create in a new project: creates ./migrations"
check "dev migrate-create in a new project: a root" grep -qxF -- "-- pfm:parents base" "$V/elsewhere/migrations/0001_first_revision.sql"
run "$DEV" frobnicate
rc_is 1 "dev: an unknown command is exit 1"

"$DEV" stop >/dev/null
unset PFM_DEV_DIR MIGRATIONS_DIR
