# shellcheck shell=bash
# scripts/dev.sh with its own cluster in a temporary PFM_DEV_DIR (sourced by run.sh).

DEV=$SCRIPTS/dev.sh
V=$WORK/dev
copy_examples "$V/migrations"
export PFM_DEV_DIR=$V/cluster MIGRATIONS_DIR=$V/migrations
# shellcheck disable=SC2034 # stopped by run.sh's cleanup
DEV_STOP=$PFM_DEV_DIR/data
dq() { psql -X -At -v ON_ERROR_STOP=1 -h "$PFM_DEV_DIR/run" -U postgres -d pfm_dev -c "$1"; }

run "$DEV" migrate
rc_is 0 "dev migrate: exit 0 on a new cluster"
out_has "current revision: 0004" "dev migrate: migrates the example project to head"
out_has "Add preferences column to users" "dev migrate: shows the history"
check "dev migrate: the cluster lives under PFM_DEV_DIR" test -f "$PFM_DEV_DIR/data/PG_VERSION"
check "dev migrate: ... which git ignores" grep -qx '\*' "$PFM_DEV_DIR/.gitignore"
is "$(dq "SHOW listen_addresses")" "" "dev migrate: it listens on a Unix socket only (no TCP)"
is "$(dq "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" 6 "dev migrate: the example schema's 6 tables exist"

run "$DEV" migrate
rc_is 0 "dev migrate again: a no-op, exit 0"

run "$DEV" migrate-create "Add user preferences table"
rc_is 0 "dev migrate-create: exit 0"
new1=$MIGRATIONS_DIR/0005_add_user_preferences_table.sql
is "$OUT" "$new1" "dev migrate-create: prints the path of the next NNNN_slug.sql"
id1=$(sed -n "s/^    revision      => '\(.*\)',$/\1/p" "$new1")
check "dev migrate-create: a fresh 12-hex revision id" grep -Eq '^[0-9a-f]{12}$' <<<"$id1"
check "dev migrate-create: the current head is the parent" grep -qF "down_revision => '0004'," "$new1"
check "dev migrate-create: the message is kept" grep -qF "message       => 'Add user preferences table'," "$new1"

run "$DEV" migrate
rc_is 0 "dev migrate: applies the new file as written (comment-only bodies)"
is "$(dq "SELECT pfm_current()")" "$id1" "dev migrate: at the new revision"

run "$DEV" migrate-create "Add user's theme index"
new2=$OUT
id2=$(sed -n "s/^    revision      => '\(.*\)',$/\1/p" "$new2")
is "${new2##*/}" 0006_add_user_s_theme_index.sql "dev migrate-create: numbered after the last file, slugged"
check "dev migrate-create: parent is the previous new revision" grep -qF "down_revision => '$id1'," "$new2"
sed -i 's/^-- the upgrade SQL$/CREATE INDEX user_preferences_theme_idx ON user_preferences (theme);/;
        s/^-- the downgrade SQL.*$/DROP INDEX user_preferences_theme_idx;/' "$new2"
run "$DEV" migrate-status
rc_is 0 "dev migrate-status: exit 0"
out_has "pending:  1" "dev migrate-status: the unapplied file is pending"
out_has "$id2" "dev migrate-status: shows history with the new file"
run "$DEV" migrate
is "$(dq "SELECT pfm_current()")/$(dq "SELECT count(*) FROM pg_indexes WHERE indexname = 'user_preferences_theme_idx'")" "$id2/1" \
	"dev migrate: applies the edited new file"
run "$DEV" migrate-status
out_has "healthy" "dev migrate-status: healthy at head"

run "$DEV" history
rc_is 0 "dev history: exit 0"
out_has "current (head)" "dev history: marks the current head"
is "$(grep -cE '^ *(0001|0002|0003|0004|'"$id1"'|'"$id2"') ' <<<"$OUT")" 6 "dev history: lists every revision"

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

# Which migrations: the example project from the repository root, an error elsewhere.
run env -u MIGRATIONS_DIR PFM_DEV_DB=pfm_examples bash -c "cd '$PFM_ROOT' && '$DEV' migrate"
rc_is 0 "dev migrate from the repository root without MIGRATIONS_DIR: exit 0"
out_has "migration file(s) from $PFM_ROOT/examples/pfm/migrations" "dev migrate: ... uses examples/pfm/migrations"
mkdir -p "$V/elsewhere"
run env -u MIGRATIONS_DIR bash -c "cd '$V/elsewhere' && '$DEV' migrate"
rc_is 1 "dev migrate elsewhere without ./migrations: exit 1"
out_has "no migrations directory" "dev migrate elsewhere: says why"
run "$DEV" frobnicate
rc_is 1 "dev: an unknown command is exit 1"

"$DEV" stop >/dev/null
unset PFM_DEV_DIR MIGRATIONS_DIR
