#!/usr/bin/env bash
# scripts/dev.sh — the migrations guide's development commands, on a local throwaway cluster.
#
#   scripts/dev.sh migrate [TARGET]        install/build what is missing, start the cluster, load every
#                                          migration file and pfm_upgrade(TARGET, default head) in one
#                                          transaction, show history and current
#   scripts/dev.sh migrate-create [--non-transactional] "MSG"
#                                          write the next NNNN_slug.sql (fresh revision id, the head of
#                                          the migration files as parent) and print its path;
#                                          --non-transactional marks it `-- pfm:transactional false`
#                                          (CREATE INDEX CONCURRENTLY and the like; deployed with
#                                          one transaction per revision)
#   scripts/dev.sh merge ["MSG"]           write a merge file of the files' heads (reversible)
#   scripts/dev.sh stamp TARGET            load the files and mark TARGET as applied, running nothing
#   scripts/dev.sh convert-files           rewrite 0.1.0-style pfm_register files in the file format
#   scripts/dev.sh migrate-status          pfm_status(), pfm_check(), history
#   scripts/dev.sh downgrade [TARGET]      pfm_downgrade(TARGET, default -1)
#   scripts/dev.sh history                 every revision, newest first (unapplied files included)
#   scripts/dev.sh reset-db [--yes]        drop and recreate the dev database, then migrate
#   scripts/dev.sh test [ARGS]             the project's tests (scripts/test.sh)
#   scripts/dev.sh psql [ARGS]             psql on the dev database
#   scripts/dev.sh stop                    stop the dev cluster
#
# MIGRATIONS_DIR (default ./migrations; from the repository root, examples/pfm/migrations).
# The cluster lives in PFM_DEV_DIR (default .pfm/dev in the repository; git-ignored), listens on
# a Unix socket only (PFM_DEV_DIR/run) and runs as the `postgres` OS user when we are root.
# PFM_DEV_DB names the database (default pfm_dev). Exit codes are deploy.sh's.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# Never aim the dev commands at a server given by the environment.
unset DATABASE_URL PGHOSTADDR PGSERVICE PGPASSWORD PGSSLMODE
# shellcheck source=deploy.sh
source "$HERE/deploy.sh"

DEV_DIR=${PFM_DEV_DIR:-$PFM_ROOT/.pfm/dev}
DEV_PORT=${PFM_DEV_PORT:-5432}
DEV_DB=${PFM_DEV_DB:-pfm_dev}
[[ $DEV_DB =~ ^[a-z_][a-z0-9_]*$ ]] || fail $EX_USAGE "PFM_DEV_DB must be a plain lower-case identifier"
mkdir -p "$DEV_DIR"
DEV_DIR=$(cd "$DEV_DIR" && pwd)
# As root, the cluster runs as `postgres`, which must reach the data directory: a clone under
# /root (mode 700) is out of its reach, so the cluster goes to /var/tmp instead.
if [ "$(id -u)" = 0 ] && [ -z "${PFM_DEV_DIR:-}" ] && ! runuser -u postgres -- test -x "$DEV_DIR" 2>/dev/null; then
	DEV_DIR=/var/tmp/pfm_dev_$(printf '%s' "$PFM_ROOT" | cksum | cut -d' ' -f1)
	mkdir -p "$DEV_DIR" && chmod 755 "$DEV_DIR"
	pfm_log "the postgres user cannot reach $PFM_ROOT: the dev cluster lives in $DEV_DIR"
fi
DEV_DATA=$DEV_DIR/data
DEV_SOCK=$DEV_DIR/run
export PGHOST=$DEV_SOCK PGPORT=$DEV_PORT PGUSER=postgres PGDATABASE=$DEV_DB PGAPPNAME=pfm_dev
PG_BIN=${PG_BIN:-/usr/lib/postgresql/$PG_MAJOR/bin}

# Installed module missing, or older than the sources: build and install it.
dev_build_if_stale() {
	local so ctl newer
	so="$("$PG_CONFIG" --pkglibdir)/pfm_migrate.so"
	ctl="$("$PG_CONFIG" --sharedir)/extension/pfm_migrate.control"
	if [ -f "$so" ] && [ -f "$ctl" ]; then
		newer=$(find "$PFM_ROOT/src" "$PFM_ROOT/Makefile" "$PFM_ROOT"/pfm_migrate*.control \
			"$PFM_ROOT"/pfm_migrate--*.sql -newer "$so" -print -quit 2>/dev/null || true)
		[ -n "$newer" ] || return 0
	fi
	pfm_build_install
	pfm_log "pfm_migrate installed (if its SQL changed, run: scripts/dev.sh reset-db)"
}

# Start the cluster on demand (and nothing else).
dev_cluster() {
	pfm_ensure_deps
	[ -f "$DEV_DIR/.gitignore" ] || printf '*\n' >"$DEV_DIR/.gitignore"
	[ -f "$DEV_DATA/PG_VERSION" ] || pfm_log "creating the dev cluster in $DEV_DATA"
	pfm_cluster_start "$DEV_DATA" "$DEV_SOCK" "$DEV_PORT"
}

# Everything a command needs: deps, an up-to-date extension, the cluster, the database.
dev_up() {
	dev_cluster
	dev_build_if_stale
	if [ "$(psql -X -At -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$DEV_DB'")" = 0 ]; then
		pfm_log "creating database $DEV_DB"
		psql -X -q -d postgres -c "CREATE DATABASE $DEV_DB" >/dev/null
	fi
	psql -X -q -v ON_ERROR_STOP=1 -c 'SET client_min_messages = warning' \
		-c 'CREATE EXTENSION IF NOT EXISTS pfm_migrate' >/dev/null
}

# History with the files previewed, so files not yet registered show as pending.
dev_history() {
	local rows=()
	pfm_show_command_row() {
		[ "$1" = hist ] || return 0
		rows+=("$(printf '%-14s %-14s %-16s %-19s %s' "$2" "$3" "$4" "$6" "$5")")
	}
	pfm_session read "SELECT 'hist', revision, coalesce(down_revision, ''),
       concat_ws(' ', CASE WHEN is_current THEN 'current' WHEN applied THEN 'applied' ELSE 'pending' END,
                 CASE WHEN is_head THEN '(head)' END),
       coalesce(message, ''), coalesce(to_char(applied_at, 'YYYY-MM-DD HH24:MI:SS'), '')
  FROM pfm_history();"
	pfm_require_session "cannot read the history with the files in $MIGRATIONS_DIR"
	printf '%-14s %-14s %-16s %-19s %s\n' revision parent state applied_at message
	[ ${#rows[@]} -eq 0 ] || printf '%s\n' "${rows[@]}"
}

dev_migrate() {
	pfm_find_migrations
	say "${#MIGRATION_FILES[@]} migration file(s) from $MIGRATIONS_DIR"
	pfm_migrate "${1:-head}"
	dev_history
}

# Sets DEV_HEADS to the heads of the file set; a head with no file (applied in the dev
# database only) cannot be a parent.
dev_file_heads() {
	local h
	DEV_HEADS=()
	pfm_show_command_row() { [ "$1" != head ] || DEV_HEADS+=("$2"); }
	pfm_session read "SELECT 'head', h FROM pfm_heads() AS h ORDER BY 2;"
	pfm_require_session "cannot load the migration files in $MIGRATIONS_DIR"
	for h in "${DEV_HEADS[@]}"; do
		[ -n "${FILE_OF[$h]:-}" ] ||
			fail $EX_FAILED "head $h has no migration file in $MIGRATIONS_DIR (it is applied in $DEV_DB only): downgrade it first (scripts/dev.sh downgrade), or restore its file"
	done
}

# Sets NEXT_FILE: the next NNNN_slug.sql for MESSAGE.
dev_next_file() {
	local msg=$1 f last=0 slug
	for f in "${MIGRATION_FILES[@]}"; do
		f=${f##*/}
		if [[ $f =~ ^([0-9]+)_ ]] && [ $((10#${BASH_REMATCH[1]})) -gt "$last" ]; then
			last=$((10#${BASH_REMATCH[1]}))
		fi
	done
	slug=$(printf '%s' "$msg" | tr '[:upper:]' '[:lower:]' | sed -E 's/[^a-z0-9]+/_/g; s/^_+//; s/_+$//' | cut -c1-50)
	NEXT_FILE=$(printf '%s/%04d_%s.sql' "$MIGRATIONS_DIR" $((last + 1)) "${slug:-migration}")
	[ ! -e "$NEXT_FILE" ] || fail $EX_USAGE "$NEXT_FILE already exists"
}

dev_new_id() { od -An -N6 -tx1 /dev/urandom | tr -d ' \n'; }

dev_create() {
	local msg=$1 nontx=${2:-} id header=''
	[ -n "$msg" ] || fail $EX_USAGE 'usage: dev.sh migrate-create [--non-transactional] "message"'
	[[ $msg != *$'\n'* ]] || fail $EX_USAGE "the message must be one line"
	[ -n "${MIGRATIONS_DIR:-}" ] || [ -d ./migrations ] || [ "$(pwd -P)" = "$(cd "$PFM_ROOT" && pwd -P)" ] ||
		mkdir -p ./migrations
	[ -z "${MIGRATIONS_DIR:-}" ] || mkdir -p "$MIGRATIONS_DIR"
	pfm_find_migrations
	dev_up
	dev_file_heads >&2
	[ ${#DEV_HEADS[@]} -le 1 ] ||
		fail $EX_USAGE "several heads (${DEV_HEADS[*]}): merge them first (scripts/dev.sh merge)"
	id=$(dev_new_id)
	dev_next_file "$msg"
	[ -z "$nontx" ] || header=$'\n-- pfm:transactional false'
	cat >"$NEXT_FILE" <<EOF
-- $msg
--
-- Create Date: $(date -u '+%Y-%m-%d %H:%M:%S')
-- pfm:revision $id
-- pfm:parents ${DEV_HEADS[0]:-base}
-- pfm:message $msg$header

-- pfm:upgrade
-- the upgrade SQL$( [ -z "$nontx" ] || printf '%s' $'\n-- Each statement runs on its own at top level, as psql would run it: no transaction\n-- block around the revision, so a failure leaves the statements before it done.\n-- Make each one safe to re-run (IF NOT EXISTS; drop an INVALID index first).')

-- pfm:downgrade
-- the downgrade SQL (a migration that cannot be reverted: write irreversible after pfm:downgrade above)
EOF
	say "$NEXT_FILE"
	warn "next: write the SQL, then scripts/dev.sh migrate"
}

# merge [MESSAGE]: a file whose parents are the heads of the migration files; reverting it
# runs nothing (an empty downgrade, not an irreversible one).
dev_merge() {
	local msg=${1:-} id parents
	pfm_find_migrations
	dev_up
	dev_file_heads >&2
	[ ${#DEV_HEADS[@]} -ge 2 ] || fail $EX_USAGE "nothing to merge: the migration files have ${#DEV_HEADS[@]} head(s)"
	parents=$(printf '%s, ' "${DEV_HEADS[@]}")
	parents=${parents%, }
	msg=${msg:-Merge $parents}
	[[ $msg != *$'\n'* ]] || fail $EX_USAGE "the message must be one line"
	id=$(dev_new_id)
	dev_next_file "$msg"
	cat >"$NEXT_FILE" <<EOF
-- $msg
--
-- Create Date: $(date -u '+%Y-%m-%d %H:%M:%S')
-- pfm:revision $id
-- pfm:parents $parents
-- pfm:message $msg

-- pfm:upgrade

-- pfm:downgrade
EOF
	say "$NEXT_FILE"
}

# convert-files: rewrites 0.1.0-style files (one SELECT pfm_register(...) call) in the
# migration file format; the server reads each one, nothing in it runs.
dev_convert() {
	local f content out n=0
	pfm_find_migrations
	dev_up
	for f in "${MIGRATION_FILES[@]}"; do
		content=
		IFS= read -r -d '' content <"$f" || true
		[[ $content == *$'\n-- pfm:upgrade'* || $content == '-- pfm:upgrade'* ]] && continue
		out=$(printf '%s\n' "SELECT pfm_migration_file($(pfm_dollar_quote "${f##*/}"), $(pfm_dollar_quote "$content"));" |
			psql -X -q -At -v ON_ERROR_STOP=1 -f - 2>&1) || fail $EX_FAILED "${f##*/}: $out"
		printf '%s\n' "$out" >"$f.tmp" && mv "$f.tmp" "$f"
		say "converted ${f##*/}"
		n=$((n + 1))
	done
	say "$n file(s) converted"
}

dev_reset() {
	local ans
	if [ "${1:-}" != --yes ]; then
		[ -t 0 ] || fail $EX_USAGE "reset-db drops database $DEV_DB: confirm with --yes"
		read -r -p "Drop and recreate database $DEV_DB (all its data is lost)? [y/N] " ans
		[[ $ans =~ ^[Yy] ]] || fail $EX_USAGE "aborted"
	fi
	pfm_find_migrations
	dev_cluster
	pfm_log "dropping database $DEV_DB"
	psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DEV_DB WITH (FORCE)" >/dev/null
	dev_up
	dev_migrate head
}

usage() {
	sed -n '2,/^set -euo/p' "$HERE/dev.sh" | sed '$d; s/^# \{0,1\}//'
}

cmd=${1:-help}
[ $# -gt 0 ] && shift
case $cmd in
migrate)
	[ $# -le 1 ] || fail $EX_USAGE "usage: dev.sh migrate [TARGET]"
	pfm_find_migrations
	dev_up
	dev_migrate "${1:-head}"
	;;
migrate-create)
	nontx=''
	if [ "${1:-}" = --non-transactional ]; then
		nontx=1
		shift
	fi
	[[ ${1:-} != --* ]] || fail $EX_USAGE "unknown option '$1' (dev.sh migrate-create [--non-transactional] \"message\")"
	[ $# -eq 1 ] || fail $EX_USAGE 'usage: dev.sh migrate-create [--non-transactional] "message"'
	dev_create "$1" "$nontx"
	;;
migrate-status | status)
	pfm_find_migrations
	dev_up
	rc=0
	pfm_health || rc=$?
	dev_history
	exit $rc
	;;
downgrade)
	[ $# -le 1 ] || fail $EX_USAGE "usage: dev.sh downgrade [TARGET]"
	pfm_find_migrations
	dev_up
	pfm_downgrade_to "${1:--1}"
	dev_history
	;;
history)
	pfm_find_migrations
	dev_up
	dev_history
	;;
merge)
	[ $# -le 1 ] || fail $EX_USAGE 'usage: dev.sh merge ["message"]'
	dev_merge "${1:-}"
	;;
stamp)
	[ $# -eq 1 ] || fail $EX_USAGE "usage: dev.sh stamp TARGET"
	pfm_find_migrations
	dev_up
	pfm_stamp_to "$1"
	;;
convert-files)
	[ $# -eq 0 ] || fail $EX_USAGE "usage: dev.sh convert-files"
	dev_convert
	;;
reset-db)
	[ $# -eq 0 ] || [ "$1" = --yes ] || fail $EX_USAGE "usage: dev.sh reset-db [--yes]"
	dev_reset "${1:-}"
	;;
test)
	[ -x "$PFM_ROOT/scripts/test.sh" ] || fail $EX_USAGE "no scripts/test.sh"
	exec "$PFM_ROOT/scripts/test.sh" "$@"
	;;
psql)
	dev_up
	exec psql "$@"
	;;
stop)
	pfm_cluster_stop "$DEV_DATA"
	say "dev cluster stopped"
	;;
help | -h | --help) usage ;;
*) fail $EX_USAGE "unknown command '$cmd' (try: dev.sh help)" ;;
esac
