#!/usr/bin/env bash
# scripts/deploy.sh — deploy the migration files to a PostgreSQL server with pfm_migrate.
#
#   scripts/deploy.sh [--no-backup]  backup, load every file + pfm_upgrade('head') in ONE transaction, health
#   scripts/deploy.sh migrate [T]    load every file + pfm_upgrade(T, default head) in one transaction
#   scripts/deploy.sh plan [T]       dry run: what migrate would do (everything rolled back)
#   scripts/deploy.sh health [--db-only]   pfm_status() + pfm_check(); non-zero when pending/drifted/broken
#   scripts/deploy.sh sql [FILE [T]] the offline upgrade script (pfm_upgrade_sql) written to FILE
#   scripts/deploy.sh downgrade T    pfm_downgrade(T) in one transaction (T is required: -1, a revision, base)
#
# The server: DATABASE_URL (a libpq URI or conninfo string), else the usual PG* variables.
# MIGRATIONS_DIR (default ./migrations; from the repository root, examples/pfm/migrations),
# BACKUP_DIR (default ./backups).
#
# Exit codes: 0 done / healthy; 1 usage or environment error (bad arguments, no migrations,
# cannot connect); 2 a migration failed, nothing was applied (the transaction rolled back);
# 3 unhealthy (pending, drifted, broken, or the extension is missing); 4 the backup failed,
# nothing was applied.
#
# This file is also sourced by scripts/dev.sh for its functions (main runs only when executed).
set -euo pipefail

PFM_ROOT=${PFM_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
EX_USAGE=1 EX_FAILED=2 EX_UNHEALTHY=3 EX_BACKUP=4
US=$'\x1f' # field separator for psql -A output: not whitespace, so empty fields survive `read`

say() { printf '%s\n' "$*"; }
warn() { printf '%s\n' "$*" >&2; }
fail() { # fail CODE MESSAGE
	local code=$1
	shift
	printf 'error: %s\n' "$*" >&2
	exit "$code"
}

# Connection options for psql and pg_dump: DATABASE_URL if set, else libpq's PG* variables.
PFM_CONN=()
[ -n "${DATABASE_URL:-}" ] && PFM_CONN=(-d "$DATABASE_URL")
export PGAPPNAME=${PGAPPNAME:-pfm_deploy}

pg() { psql -X -q -v ON_ERROR_STOP=1 "${PFM_CONN[@]}" "$@"; }
# pg_script ARGS: a psql script on stdin. psql prefixes each message with "psql:<stdin>:LINE:";
# drop that (messages from a migration file keep their prefix: it names the file).
pg_script() {
	{ pg "$@" -f - 2>&1 1>&3 3>&- | sed -u 's/^psql:<stdin>:[0-9]*: //' >&2 3>&-; } 3>&1
}

# Sets MIGRATIONS_DIR and the array MIGRATION_FILES (sorted *.sql; may be empty).
pfm_find_migrations() {
	if [ -z "${MIGRATIONS_DIR:-}" ]; then
		MIGRATIONS_DIR=./migrations
		if [ ! -d "$MIGRATIONS_DIR" ] && [ "$(pwd -P)" = "$(cd "$PFM_ROOT" && pwd -P)" ]; then
			MIGRATIONS_DIR=$PFM_ROOT/examples/pfm/migrations
		fi
	fi
	[ -d "$MIGRATIONS_DIR" ] || fail $EX_USAGE "no migrations directory '$MIGRATIONS_DIR' (set MIGRATIONS_DIR)"
	MIGRATIONS_DIR=$(cd "$MIGRATIONS_DIR" && pwd)
	MIGRATION_FILES=()
	local f
	for f in "$MIGRATIONS_DIR"/*.sql; do
		[ -f "$f" ] && MIGRATION_FILES+=("$f")
	done
	return 0
}

# A psql script: BEGIN; CREATE EXTENSION when missing; register every migration file
# (results hidden; errors and NOTICEs still shown); then the SQL in $2; then $1 (COMMIT or ROLLBACK).
pfm_txn_script() {
	local end=$1 sql=$2 f q="'"
	local missing="SELECT NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pfm_migrate') AS pfm_need_extension \\gset"
	# Two first deploys at once: the second waits for the first's CREATE EXTENSION, then skips it.
	printf '%s\n' 'BEGIN;' "$missing" '\if :pfm_need_extension' \
		"SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pfm_migrate: CREATE EXTENSION')) \\gset" \
		"$missing" '\if :pfm_need_extension' 'CREATE EXTENSION pfm_migrate;' '\endif' '\endif' '\o /dev/null'
	for f in "${MIGRATION_FILES[@]}"; do
		printf "\\\\i '%s'\n" "${f//$q/$q$q}"
	done
	printf '%s\n' '\o' "$sql" "$end;"
}

# Runs pfm_txn_script through psql; extra arguments go to psql (e.g. -v target=head).
pfm_run_txn() {
	local end=$1 sql=$2
	shift 2
	pfm_txn_script "$end" "$sql" | pg_script "$@"
}

pfm_check_connection() {
	local who
	who=$(pg -At -c "SELECT current_database() || ' as ' || current_user" 2>&1) ||
		fail $EX_USAGE "cannot connect: $who"
	say "database: $who"
}

pfm_have_extension() {
	[ "$(pg -At -c "SELECT count(*) FROM pg_catalog.pg_extension WHERE extname = 'pfm_migrate'")" = 1 ]
}

# migrate [TARGET]: load + upgrade, committed together or not at all.
pfm_migrate() {
	local target=${1:-head}
	say "loading ${#MIGRATION_FILES[@]} migration file(s) from $MIGRATIONS_DIR, upgrading to $target"
	pfm_run_txn COMMIT "SELECT * FROM pfm_upgrade(:'target'::text);
SELECT coalesce(pfm_current(), 'base') AS pfm_cur \\gset
\\echo current revision: :pfm_cur" -v target="$target" ||
		fail $EX_FAILED "migration failed; nothing was applied (the transaction was rolled back)"
}

# plan [TARGET]: prints the steps and sets PLAN_STEPS; nothing is kept.
pfm_plan() {
	local target=${1:-head} out
	out=$(pfm_run_txn ROLLBACK "SET LOCAL client_min_messages = warning;
SELECT direction, revision, coalesce(message, '') FROM pfm_upgrade(:'target'::text, dry_run => true);" \
		-v target="$target" -At -F "$US") || fail $EX_FAILED "the plan failed; nothing was changed"
	PLAN_STEPS=0
	[ -n "$out" ] && PLAN_STEPS=$(printf '%s\n' "$out" | wc -l)
	say "plan: $PLAN_STEPS step(s) to $target"
	[ -z "$out" ] || printf '%s\n' "$out" | while IFS=$US read -r dir rev msg; do
		printf '  %-9s %-14s %s\n' "$dir" "$rev" "$msg"
	done
}

# health [--db-only]: with the files loaded (rolled back) unless --db-only; returns 0 or EX_UNHEALTHY.
pfm_health() {
	local db_only=${1:-} out rc=0 kind a b c d e pending=0 drifted=0 problems=0
	if ! pfm_have_extension; then
		warn "unhealthy: extension pfm_migrate is not installed in this database"
		return $EX_UNHEALTHY
	fi
	local sql="SELECT 'status', coalesce(current, 'base'), coalesce(heads, ''), pending, drifted, problems FROM pfm_status();
SELECT 'check', severity, coalesce(revision, '-'), problem FROM pfm_check();"
	if [ "$db_only" = --db-only ]; then
		out=$(printf '%s\n' "$sql" | pg_script -At -F "$US" 2>&1) || rc=$?
	else
		out=$(pfm_run_txn ROLLBACK "$sql" -At -F "$US" 2>&1) || rc=$?
	fi
	if [ $rc -ne 0 ]; then
		warn "$out"
		warn "unhealthy: the migration files in $MIGRATIONS_DIR cannot be loaded into this database"
		return $EX_UNHEALTHY
	fi
	while IFS=$US read -r kind a b c d e; do
		case $kind in
		status)
			pending=$c drifted=$d problems=$e
			printf 'current:  %s\nheads:    %s\npending:  %s\ndrifted:  %s\nproblems: %s\n' "$a" "$b" "$c" "$d" "$e"
			;;
		check) printf '  %-8s %-14s %s\n' "$a" "$b" "$c" ;;
		*) [ -z "$kind" ] || say "$kind${a:+ $a}" ;; # NOTICEs and the like
		esac
	done <<<"$out"
	if [ "$pending" != 0 ] || [ "$drifted" != 0 ] || [ "$problems" != 0 ]; then
		say "unhealthy"
		return $EX_UNHEALTHY
	fi
	say "healthy"
}

# backup: pg_dump -Fc into $BACKUP_DIR; sets BACKUP_FILE.
pfm_backup() {
	local dir=${BACKUP_DIR:-./backups} db
	db=$(pg -At -c 'SELECT current_database()') || fail $EX_BACKUP "cannot read the database name"
	mkdir -p "$dir" || fail $EX_BACKUP "cannot create $dir"
	local base n=1
	base="$(cd "$dir" && pwd)/${db//[^A-Za-z0-9_.-]/_}_$(date -u +%Y%m%dT%H%M%S.%3NZ)"
	BACKUP_FILE=$base.dump
	while [ -e "$BACKUP_FILE" ]; do # never overwrite a backup
		n=$((n + 1))
		BACKUP_FILE=$base-$n.dump
	done
	say "backup: $BACKUP_FILE"
	(umask 077 && pg_dump -Fc "${PFM_CONN[@]}" -f "$BACKUP_FILE") ||
		{
			rm -f "$BACKUP_FILE"
			fail $EX_BACKUP "pg_dump failed; nothing was applied"
		}
	if [ -n "${DATABASE_URL:-}" ]; then
		say "  restore with: pg_restore --clean --if-exists --single-transaction -d \"\$DATABASE_URL\" '$BACKUP_FILE'"
	else
		say "  restore with: pg_restore --clean --if-exists --single-transaction -d '$db' '$BACKUP_FILE'"
	fi
}

# sql [FILE [TARGET]]: the offline script, computed against this database's state.
pfm_offline_sql() {
	local file=${1:-} target=${2:-head} q="'"
	[ -n "$file" ] || file="pfm_upgrade_$(date -u +%Y%m%dT%H%M%SZ).sql"
	pfm_run_txn ROLLBACK "SELECT pfm_upgrade_sql(:'target'::text) \\g '${file//$q/$q$q}'" \
		-v target="$target" -At >/dev/null || fail $EX_FAILED "could not produce the upgrade script"
	say "wrote $file"
	say "  review it, then run: psql -X -v ON_ERROR_STOP=1 -1 -f '$file'"
}

# downgrade TARGET: uses the bodies stored in the database (no files needed).
pfm_downgrade_to() {
	local target=$1
	printf '%s\n' 'BEGIN;' "SELECT * FROM pfm_downgrade(:'target'::text);" \
		"SELECT coalesce(pfm_current(), 'base') AS pfm_cur \\gset" '\echo current revision: :pfm_cur' 'COMMIT;' |
		pg_script -v target="$target" ||
		fail $EX_FAILED "downgrade failed; nothing was changed (the transaction was rolled back)"
}

usage() {
	sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

main() {
	local cmd=${1:-deploy}
	[ $# -gt 0 ] && shift
	command -v psql >/dev/null || fail $EX_USAGE "psql not found (install postgresql-client)"
	case $cmd in
	-h | --help | help)
		usage
		return 0
		;;
	deploy | --no-backup)
		local backup=1
		[ "$cmd" = --no-backup ] && backup=0
		[ "${1:-}" = --no-backup ] && backup=0 && shift
		[ $# -eq 0 ] || fail $EX_USAGE "unexpected argument: $1"
		pfm_find_migrations
		pfm_check_connection
		pfm_plan head
		if [ "$PLAN_STEPS" -eq 0 ]; then
			say "nothing to apply"
		else
			if [ $backup = 1 ]; then pfm_backup; else say "backup: skipped (--no-backup)"; fi
			pfm_migrate head
		fi
		pfm_health
		;;
	migrate)
		[ $# -le 1 ] || fail $EX_USAGE "usage: deploy.sh migrate [TARGET]"
		pfm_find_migrations
		pfm_check_connection
		pfm_migrate "${1:-head}"
		;;
	plan)
		[ $# -le 1 ] || fail $EX_USAGE "usage: deploy.sh plan [TARGET]"
		pfm_find_migrations
		pfm_check_connection
		pfm_plan "${1:-head}"
		;;
	health)
		[ $# -eq 0 ] || [ "$1" = --db-only ] || fail $EX_USAGE "usage: deploy.sh health [--db-only]"
		if [ "${1:-}" = --db-only ]; then MIGRATION_FILES=(); else pfm_find_migrations; fi
		pfm_check_connection
		pfm_health "${1:-}"
		;;
	sql)
		[ $# -le 2 ] || fail $EX_USAGE "usage: deploy.sh sql [FILE [TARGET]]"
		pfm_find_migrations
		pfm_check_connection
		pfm_offline_sql "$@"
		;;
	downgrade)
		[ $# -eq 1 ] || fail $EX_USAGE "usage: deploy.sh downgrade TARGET   (e.g. -1, a revision, base)"
		pfm_check_connection
		pfm_downgrade_to "$1"
		;;
	*) fail $EX_USAGE "unknown command '$cmd' (try: deploy.sh help)" ;;
	esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main "$@"
fi
