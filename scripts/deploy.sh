#!/bin/bash
# scripts/deploy.sh — deploy the migration files to a PostgreSQL server with pfm_migrate.
#
#   scripts/deploy.sh [--no-backup]  plan; when something is pending, backup and migrate; then health
#   scripts/deploy.sh migrate [T] [--per-revision]
#                                    load the files + pfm_upgrade(T, default head), in ONE transaction;
#                                    CALL pfm_deploy (one transaction per revision) when a pending
#                                    revision is non-transactional, or with --per-revision
#   scripts/deploy.sh plan [T] [--trace]
#                                    what migrate would do, with pfm_lint's findings (read-only:
#                                    changes nothing); --trace also runs the move in a transaction
#                                    that is rolled back and shows pfm_trace (locks, rewrites, rows)
#   scripts/deploy.sh lint [T]       pfm_lint's findings about the move to T (default heads), the
#                                    files previewed (read-only); exit 5 on any error finding
#   scripts/deploy.sh health [--db-only]   pfm_status() + pfm_check() with the files (read-only);
#                                    non-zero when pending, drifted, broken or a file is missing
#   scripts/deploy.sh stamp T        load the files + pfm_stamp(T): mark as applied, run nothing
#   scripts/deploy.sh stamp --purge T  the same after forgetting every applied revision, even ones
#                                    no longer registered (alembic stamp --purge)
#   scripts/deploy.sh current [--check-heads]  the current revision(s) (alembic current); with
#                                    --check-heads exit 3 unless every head of the files is applied
#   scripts/deploy.sh sql [FILE [T]] the offline upgrade script (pfm_upgrade_sql) written to FILE
#   scripts/deploy.sh downgrade T [--per-revision]
#                                    pfm_downgrade(T) in one transaction (T is required: -1, a revision,
#                                    base); CALL pfm_revert when needed, as migrate
#
# Hot tables (any command): --lock-wait 2s  bounds each lock wait of a DDL statement that would
# make other sessions queue (pfm_migrate.lock_wait), --lock-retries N (default 5) and
# --lock-retry-delay 1s (the first backoff; it doubles, with jitter) say how often to try again;
# sql writes `SET lock_timeout` into the script instead (one try). Passed through PGOPTIONS.
#
# Migration files are data: their names and contents are handed to the server (pfm_load,
# pfm_preview), which reads them; nothing in a file is ever run by loading it. Loading makes
# the registered revisions exactly the files' (an unapplied revision without a file is removed).
#
# The server: DATABASE_URL (a libpq URI or conninfo string), else the usual PG* variables.
# MIGRATIONS_DIR (default ./migrations; from the repository root, examples/pfm/migrations),
# BACKUP_DIR (default ./backups). PFM_FILE_DIGEST=off sends every file every time;
# PFM_FILE_CACHE=off hashes them every time (no local digest cache; see pfm_files_digest).
# migrate, plan and health with nothing to do are answered by the compiled client
# bin/pfm_deploy_fast when make has built it (below); PFM_FAST_CLIENT=off: by this script.
#
# Exit codes: 0 done / healthy; 1 usage or environment error (bad arguments, no migrations,
# cannot connect); 2 a migration, a file or the plan failed, nothing was applied (the
# transaction rolled back); 3 unhealthy (pending, drifted, broken, a file missing, or the
# extension is missing; for current --check-heads: a head of the files is not applied);
# 4 the backup failed, nothing was applied; 5 lint: a finding of severity error.
#
# This file is also sourced by scripts/dev.sh for its functions (main runs only when executed).
set -euo pipefail
# (#!/bin/bash, not env: one exec less on every command. Where /bin/bash is older than 4.3
# (macOS), the first bash on PATH runs the script instead.)
if [ "${BASH_SOURCE[0]}" = "$0" ] && { [ "${BASH_VERSINFO[0]}" -lt 4 ] || { [ "${BASH_VERSINFO[0]}" = 4 ] && [ "${BASH_VERSINFO[1]}" -lt 3 ]; }; } &&
	[ -z "${PFM_BASH_FROM_PATH:-}" ]; then
	export PFM_BASH_FROM_PATH=1
	exec /usr/bin/env bash "$0" "$@"
fi

# pfm_abs_dir VAR DIR [-P]: DIR as an absolute path (-P: physical, symlinks resolved) into
# VAR; fails when DIR cannot be entered. No subshell: every process counts in a no-op
# deploy (a fork costs about a millisecond on a small virtual machine).
pfm_abs_dir() {
	local pfm_here_=$PWD
	CDPATH='' builtin cd ${3:+"$3"} -- "$2" 2>/dev/null || return 1
	printf -v "$1" '%s' "$PWD"
	builtin cd -- "$pfm_here_"
}
if [ -z "${PFM_ROOT:-}" ]; then
	PFM_ROOT=${BASH_SOURCE[0]%/*}
	[ "$PFM_ROOT" != "${BASH_SOURCE[0]}" ] || PFM_ROOT=.
	pfm_abs_dir PFM_ROOT "$PFM_ROOT/.."
fi
EX_USAGE=1 EX_FAILED=2 EX_UNHEALTHY=3 EX_BACKUP=4 EX_LINT=5

# pfm_migrations_dir: MIGRATIONS_DIR (default ./migrations; from the repository root,
# examples/pfm/migrations) made absolute; fails with 1 when it is no directory, 2 when it
# cannot be entered.
pfm_migrations_dir() {
	if [ -z "${MIGRATIONS_DIR:-}" ]; then
		MIGRATIONS_DIR=./migrations
		local here root
		if [ ! -d "$MIGRATIONS_DIR" ] && pfm_abs_dir here . -P && pfm_abs_dir root "$PFM_ROOT" -P && [ "$here" = "$root" ]; then
			MIGRATIONS_DIR=$PFM_ROOT/examples/pfm/migrations
		fi
	fi
	[ -d "$MIGRATIONS_DIR" ] || return 1
	pfm_abs_dir MIGRATIONS_DIR "$MIGRATIONS_DIR" || return 2
}
# migrate, plan and health, the commands a pipeline runs on every deploy, are first offered
# to the compiled client bin/pfm_deploy_fast when it is built (make builds it with the
# module): it answers the plain case (the cached digest still holds for the files, the
# database holds exactly them, nothing is to run) as this script would, in about the time of
# one psql call, and hands every other case back to this script (PFM_FAST_CLIENT=off),
# having changed nothing; the script then runs the whole command. PFM_FAST_CLIENT=off: never.
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ "${PFM_FAST_CLIENT:-on}" != off ] && [ "${PFM_FILE_DIGEST:-on}" != off ] &&
	[ "${PFM_FILE_CACHE:-on}" != off ] && [ -x "$PFM_ROOT/bin/pfm_deploy_fast" ]; then
	case ${1:-} in
	migrate | plan | health)
		if pfm_migrations_dir; then exec "$PFM_ROOT/bin/pfm_deploy_fast" "$BASH" "${BASH_SOURCE[0]}" "$MIGRATIONS_DIR" "$@"; fi
		;;
	esac
fi
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
# Migration files are UTF-8 text.
export PGCLIENTENCODING=UTF8

pg() { psql -X -q -v ON_ERROR_STOP=1 "${PFM_CONN[@]}" "$@"; }

# pfm_psql_start [psql args]: starts the next session's psql now, its script to come through
# a pipe (pfm_psql_send): it connects, and the server starts a backend, while this shell
# checks the files and builds the script. pfm_session_run then reads it as any other.
PFM_PSQL_PID= PFM_PSQL_IN= PFM_PSQL_OUT=
pfm_psql_start() {
	coproc PFM_PSQL_CO { exec psql -X -q -v ON_ERROR_STOP=1 "${PFM_CONN[@]}" "$@" -f - 2>&1; }
	# (copies of the coprocess's pipes that stay open after bash reaps it; its own are closed
	# at once, so that closing PFM_PSQL_IN is the end of psql's input)
	local r=${PFM_PSQL_CO[0]} w=${PFM_PSQL_CO[1]}
	PFM_PSQL_PID=$PFM_PSQL_CO_PID
	exec {PFM_PSQL_OUT}<&"$r" {PFM_PSQL_IN}>&"$w"
	eval "exec $r<&- $w>&-"
}
# pfm_psql_send: PFM_SCRIPT to the started psql, then the end of its input. A long script
# is written by a background process, so that psql's output (read by this shell meanwhile)
# can never fill its pipe while this shell waits for psql to read; a psql that exited
# (no connection) takes nothing and says why on its output.
pfm_psql_send() {
	trap '' PIPE
	if [ ${#PFM_SCRIPT} -lt 16384 ]; then
		printf '%s' "$PFM_SCRIPT" >&"$PFM_PSQL_IN" 2>/dev/null || true
	else
		{ printf '%s' "$PFM_SCRIPT" >&"$PFM_PSQL_IN"; } 2>/dev/null &
	fi
	trap - PIPE
	exec {PFM_PSQL_IN}>&-
	PFM_PSQL_IN=
}
# pfm_psql_discard: a started psql that is not needed after all (the files are sent in
# full) ends with an empty script.
pfm_psql_discard() {
	[ -n "$PFM_PSQL_PID" ] || return 0
	exec {PFM_PSQL_IN}>&-
	cat <&"$PFM_PSQL_OUT" >/dev/null
	exec {PFM_PSQL_OUT}<&-
	wait "$PFM_PSQL_PID" 2>/dev/null || true
	PFM_PSQL_PID= PFM_PSQL_IN= PFM_PSQL_OUT=
}

# A command that may find the database already holding exactly its files (migrate, plan,
# health, deploy: see pfm_files_digest) starts its first session's psql before this shell
# reads the rest of this file: it connects, and the server starts a backend, while the
# functions below are parsed and the files checked. The first session takes it (its
# variables come as \set lines at the head of its script, pfm_psql_vars); a session that
# cannot use it ends it unused. Not when sourced (scripts/dev.sh), nor with --lock-* options
# (they set PGOPTIONS, which psql reads when it starts).
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ "${PFM_FILE_DIGEST:-on}" != off ] && command -v psql >/dev/null; then
	case ${1:-deploy}:" $* " in
	*" --lock"*) ;;
	migrate:* | plan:* | deploy:* | health:"  ")
		pfm_psql_start -At -F "$US"
		# what every session's first statements cost in a new backend (the library loaded, the
		# file set's table opened) is paid while the files are checked; it changes nothing
		trap '' PIPE
		printf '%s\n' "SELECT coalesce(pg_catalog.has_function_privilege(pg_catalog.to_regprocedure('pfm_migrate.file_set_loaded(text)'), 'EXECUTE'), false) AS pfm_warm \\gset" \
			'\if :pfm_warm' "SELECT pfm_migrate.file_set_loaded('') AS pfm_warm \\gset" '\endif' >&"$PFM_PSQL_IN" 2>/dev/null || true
		trap - PIPE
		;;
	esac
fi
# pfm_psql_vars VAR [-v NAME=VALUE]...: the psql variables as \set lines into VAR (the value
# quoted as psql reads a backslash command's argument); fails on any other psql argument.
pfm_psql_vars() {
	local pfm_out_=$1 pfm_lines_='' pfm_name_ pfm_value_
	shift
	while [ $# -gt 0 ]; do
		[ "$1" = -v ] && [ $# -ge 2 ] && [[ $2 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || return 1
		pfm_name_=${2%%=*} pfm_value_=${2#*=}
		pfm_value_=${pfm_value_//\\/\\\\} pfm_value_=${pfm_value_//\'/\'\'}
		pfm_value_=${pfm_value_//$'\n'/\\n} pfm_value_=${pfm_value_//$'\r'/\\r}
		pfm_lines_+="\\set $pfm_name_ '$pfm_value_'"$'\n'
		shift 2
	done
	printf -v "$pfm_out_" '%s' "$pfm_lines_"
}
# pfm_query SQL [psql args]: the value(s) a query returns; exit 1 when psql cannot connect,
# exit 2 when the query fails.
pfm_query() {
	local sql=$1 out rc=0
	shift
	out=$(printf '%s\n' "$sql;" | pg -At "$@" -f - 2>&1) || rc=$?
	[ $rc -eq 2 ] && fail $EX_USAGE "cannot connect: $out"
	[ $rc -eq 0 ] || fail $EX_FAILED "$out"
	printf '%s\n' "$out"
}

MIGRATION_FILES=() MIGRATION_NAMES=() MIGRATION_FILES_LISTED=1
# pfm_find_migrations [--dir-only]: sets MIGRATIONS_DIR (pfm_migrations_dir, above) and lists
# its files (below); with --dir-only, leaves that to pfm_session, which lists them only when
# it sends them (a command whose files the database already holds never needs the list).
pfm_find_migrations() {
	local rc=0
	pfm_migrations_dir || rc=$?
	[ $rc != 1 ] || fail $EX_USAGE "no migrations directory '$MIGRATIONS_DIR' (set MIGRATIONS_DIR)"
	[ $rc != 2 ] || fail $EX_USAGE "cannot enter the migrations directory '$MIGRATIONS_DIR'"
	MIGRATION_FILES=() MIGRATION_NAMES=() MIGRATION_FILES_LISTED=0
	[ "${1:-}" = --dir-only ] || pfm_list_migrations
}
# pfm_list_migrations: the arrays MIGRATION_FILES (the regular files *.sql of MIGRATIONS_DIR,
# symlinks followed, sorted; may be empty) and MIGRATION_NAMES (the same, without the directory).
pfm_list_migrations() {
	MIGRATION_NAMES=()
	local f here=$PWD
	builtin cd -- "$MIGRATIONS_DIR" || fail $EX_USAGE "cannot enter the migrations directory '$MIGRATIONS_DIR'"
	for f in *.sql; do
		[[ -f $f ]] && MIGRATION_NAMES+=("$f")
	done
	builtin cd -- "$here"
	MIGRATION_FILES=("${MIGRATION_NAMES[@]/#/$MIGRATIONS_DIR/}") MIGRATION_FILES_LISTED=1
}

# $text as a dollar-quoted SQL literal whose tag occurs nowhere in it: psql neither
# interpolates variables nor sees backslash commands inside, and the server gets the text
# exactly. (No tag ending can be completed by the text: the text never contains "$tag".)
pfm_dollar_quote() {
	local quoted
	pfm_dollar_quote_to quoted "$1"
	printf '%s' "$quoted"
}
# pfm_dollar_quote_to VAR TEXT: the same into VAR, without a subshell (one per file adds up).
pfm_dollar_quote_to() {
	local text=$2 tag=pfm_file n=0
	while [[ $text == *"\$$tag"* ]]; do
		n=$((n + 1))
		tag=pfm_file$n
	done
	printf -v "$1" '$%s$%s$%s$' "$tag" "$text" "$tag"
}

# pfm_files_sql FUNCTION: one statement handing every migration file (name and content, as
# data) to FUNCTION (pfm_load or pfm_preview), whose rows come back tagged "file".
pfm_files_sql() {
	local sql
	pfm_files_sql_to sql "$1"
	printf '%s' "$sql"
}
# pfm_files_sql_to VAR FUNCTION: the same into VAR.
pfm_files_sql_to() {
	local fn=$2 f content names='' contents='' sep='' quoted
	for f in "${MIGRATION_FILES[@]}"; do
		content=
		IFS= read -r -d '' content <"$f" || true
		pfm_dollar_quote_to quoted "${f##*/}"
		names+="$sep$quoted"
		pfm_dollar_quote_to quoted "$content"
		contents+="$sep$quoted"
		sep=,
	done
	printf -v "$1" "SELECT 'file', revision, coalesce(file, ''), action FROM %s(ARRAY[%s]::text[], ARRAY[%s]::text[]);\n" \
		"$fn" "$names" "$contents"
}

# The psql script of a session is built in PFM_SCRIPT, in this shell (no subshell per part).
PFM_SCRIPT=
pfm_emit() { # LINE...: appends each line
	local lines
	printf -v lines '%s\n' "$@"
	PFM_SCRIPT+=$lines
}
pfm_emit_files() { # FUNCTION: pfm_files_sql FUNCTION, appended
	local sql
	pfm_files_sql_to sql "$1"
	PFM_SCRIPT+=$sql
}

# A command that changes the state first takes the migration lock for its session, waiting
# without a snapshot (a procedure that commits first): while another deploy builds an
# index concurrently, a wait holding a snapshot would be refused (it would hold up the
# build). Needs the extension at the installed version; on a first deploy the transaction
# below takes the lock itself.
pfm_lock_sql() {
	pfm_emit "SELECT count(*) = 1 AS pfm_can_wait FROM pg_catalog.pg_extension e
  JOIN pg_catalog.pg_available_extensions a ON a.name = e.extname
 WHERE e.extname = 'pfm_migrate' AND e.extversion = a.default_version
   AND coalesce(pg_catalog.has_function_privilege(pg_catalog.to_regprocedure('pfm_migrate.wait_for_migration_lock()'), 'EXECUTE'), false) \\gset" \
		'\if :pfm_can_wait' 'CALL pfm_migrate.wait_for_migration_lock();' '\endif'
}
PFM_UNLOCK_SQL="SELECT pfm_migrate.release_migration_lock() AS pfm_released \\gset"

# The digest of the migration files: sha256 over sha256sum's listing of them (names and
# contents), computed by the server from the listing in the script (its lines sorted: the
# order find gives does not count). The server keeps the digest of the file set it last
# loaded in full while the registered revisions are exactly the files' (pfm_migrate.file_set;
# any change to the revisions clears it); a command whose files hash to it skips re-sending
# them, since loading them again would change nothing and refuse nothing. An edited, added,
# removed or renamed file changes the digest: that command takes the full, checked path.
# find picks what pfm_list_migrations picks: regular files named *.sql, symlinks followed,
# no name starting with a dot; a full load stores the digest only when the listing counts
# as many files as it loaded and the files hashed the same before and after it read them.
#
# Reading every file is most of a no-op's cost (1 000 files: about 8 000 system calls), so
# the digest is also kept in a local cache, per user and migrations directory, with the time
# T just before the files were hashed, less 2 s. A command for which find sees no migration
# file and not the directory itself with a ctime or mtime later than T takes the cached
# digest without reading a file: each file's content is then what was hashed. (ctime cannot
# be set back: every write, rename, chmod and every change to the directory's entries sets
# it; the 2 s cover file timestamps advancing in clock ticks behind the clock.) A file
# written since T misses until a later command hashes it again. A wrong cache entry could
# hide an edit: an entry written at a time the clock has not reached again (it was set
# back) is not trusted, and PFM_FILE_CACHE=off turns the cache off, e.g. on a file system
# whose ctime is not kept, or where the clock may have been set back by more than 2 s
# while files were edited.
#
# FILES_DIGEST=1 when there is a digest (sha256sum and find exist, every file could be
# read, every name is printable ASCII without "$" or "\"; PFM_FILE_DIGEST=off turns it off):
# then FILES_CACHED holds the cached digest, or FILES_LISTING the listing to hash.
FILES_DIGEST= FILES_LISTING= FILES_CACHED= FILES_HASHED_AFTER= FILES_CACHE= SESSION_DIGEST=
PFM_FIND_FILES=(find -L . -maxdepth 1 -name '*.sql' ! -name '.*' -type f)
PFM_UNSAFE_NAMES=$'[^[:print:]\n]|[$\\]'
PFM_CACHE_HEADER='pfm_migrate file digest cache 2'
pfm_files_listing() { # VAR: the listing into VAR, or fails
	local pfm_listing_
	pfm_listing_=$(cd "$MIGRATIONS_DIR" && exec "${PFM_FIND_FILES[@]}" -exec sha256sum -- {} + 2>/dev/null) || return 1
	printf -v "$1" '%s' "$pfm_listing_"
}
pfm_files_digest() {
	FILES_DIGEST= FILES_LISTING= FILES_CACHED= FILES_CACHE=
	[ "${PFM_FILE_DIGEST:-on}" != off ] || return 0
	command -v sha256sum >/dev/null && command -v find >/dev/null || return 0
	local listing LC_ALL=C
	if [ "${PFM_FILE_CACHE:-on}" != off ]; then
		local home=${XDG_CACHE_HOME:-${HOME:+$HOME/.cache}} header dir since digest written changed
		[ -z "$home" ] || FILES_CACHE=$home/pfm_migrate/files${MIGRATIONS_DIR//[^A-Za-z0-9._-]/_}
		local at=$EPOCHREALTIME
		FILES_HASHED_AFTER="$((${at%[.,]*} - 2)).${at#*[.,]}"
		# the cache file: the header, the directory, T, the digest, when it was written
		if [ -n "$FILES_CACHE" ] && [ -f "$FILES_CACHE" ]; then
			{ IFS= read -r header && IFS= read -r dir && IFS= read -r since && IFS= read -r digest &&
				IFS= read -r written; } <"$FILES_CACHE" || true
			if [ "$header" = "$PFM_CACHE_HEADER" ] && [ "$dir" = "$MIGRATIONS_DIR" ] && [[ $since =~ ^[0-9]+\.[0-9]+$ ]] &&
				[[ $digest =~ ^files-v2\ [0-9]+\ [0-9a-f]{64}$ ]] && [[ $written =~ ^[0-9]+$ ]] &&
				[ "${at%[.,]*}" -ge "$written" ] &&
				changed=$(cd "$MIGRATIONS_DIR" && exec find -L . -maxdepth 1 \( -path . -o -name '*.sql' ! -name '.*' -type f \) \
					\( -newerct "@$since" -o -newermt "@$since" \) -print -quit 2>/dev/null) && [ -z "$changed" ]; then
				FILES_CACHED=$digest FILES_DIGEST=1
				return 0
			fi
		fi
	fi
	pfm_files_listing listing || return 0
	[ -n "$listing" ] && [[ ! $listing =~ $PFM_UNSAFE_NAMES ]] || return 0
	FILES_LISTING=$listing FILES_DIGEST=1
}
# pfm_cache_digest: after a session whose digest (SESSION_DIGEST) the server computed from a
# listing taken after FILES_HASHED_AFTER + 2 s, stores it (see above).
pfm_cache_digest() {
	[ -n "$FILES_CACHE" ] && [ -z "$FILES_CACHED" ] && [[ $SESSION_DIGEST =~ ^files-v2\ [0-9]+\ [0-9a-f]{64}$ ]] || return 0
	local dir=${FILES_CACHE%/*}
	[ -d "$dir" ] || mkdir -p -m 700 "$dir" 2>/dev/null || return 0
	{ printf '%s\n' "$PFM_CACHE_HEADER" "$MIGRATIONS_DIR" "$FILES_HASHED_AFTER" "$SESSION_DIGEST" "${EPOCHREALTIME%[.,]*}" >"$FILES_CACHE.$$" &&
		mv -f "$FILES_CACHE.$$" "$FILES_CACHE"; } 2>/dev/null || rm -f "$FILES_CACHE.$$" 2>/dev/null || true
}
# pfm_emit_digest: the statement that sets the psql variables pfm_digest and pfm_listed (how
# many files the listing names).
pfm_emit_digest() {
	if [ -z "$FILES_LISTING" ] && [ -n "$FILES_CACHED" ]; then
		pfm_emit "\\set pfm_digest '$FILES_CACHED'"
		return 0
	fi
	[ -n "$FILES_LISTING" ] || pfm_files_listing FILES_LISTING || FILES_LISTING=unreadable
	pfm_emit "SELECT 'files-v2 ' OPERATOR(pg_catalog.||) pg_catalog.count(*) OPERATOR(pg_catalog.||) ' '
       OPERATOR(pg_catalog.||) pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(
         pg_catalog.string_agg(l, E'\\n' ORDER BY l COLLATE pg_catalog.\"C\"), 'UTF8')), 'hex') AS pfm_digest,
       pg_catalog.count(*) AS pfm_listed
  FROM pg_catalog.string_to_table(\$pfm_listing\$" "$FILES_LISTING" "\$pfm_listing\$, E'\\n') AS l
 WHERE l OPERATOR(pg_catalog.<>) '' \\gset" "SELECT 'digest', :'pfm_digest';"
}

# pfm_session_script MODE SQL: the psql script of one command, into PFM_SCRIPT.
#   write  the extension created or updated when needed (its own transaction); the
#          migration lock for the session; BEGIN; pfm_load(files); SQL, which commits (and
#          may go on outside the transaction, e.g. CALL pfm_deploy)
#   read   BEGIN, read-only when the extension is current (else created/updated, rolled back);
#          pfm_preview(files); SQL; ROLLBACK: nothing in the database changes
#   db     BEGIN READ ONLY; SQL; ROLLBACK (no files)
#   plain  the migration lock for the session; SQL alone (no files; it makes its own transactions)
pfm_session_script() {
	local mode=$1 sql=$2
	local ext="SELECT pg_catalog.count(*) = 0 AS pfm_missing FROM pg_catalog.pg_extension WHERE extname = 'pfm_migrate' \\gset"
	# Two first deploys at once: the second waits for the first's CREATE EXTENSION, then skips it.
	local ensure=("$ext" '\if :pfm_missing'
		"SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pfm_migrate: CREATE EXTENSION')) \\gset"
		"$ext" '\if :pfm_missing' 'CREATE EXTENSION pfm_migrate;' '\endif' '\endif'
		"SELECT e.extversion <> a.default_version AS pfm_old, e.extversion AS pfm_from, a.default_version AS pfm_to
   FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_available_extensions a ON a.name = e.extname
  WHERE e.extname = 'pfm_migrate' \\gset")
	pfm_emit "SELECT 'db', pg_catalog.current_database(), current_user;"
	case $mode in
	db)
		pfm_emit 'BEGIN READ ONLY;' "$sql" 'ROLLBACK;'
		;;
	plain)
		pfm_lock_sql
		pfm_emit "$sql" "$PFM_UNLOCK_SQL"
		;;
	write)
		pfm_emit 'BEGIN;' "${ensure[@]}" '\if :pfm_old' "\\echo updating extension pfm_migrate from :pfm_from to :pfm_to" \
			'ALTER EXTENSION pfm_migrate UPDATE;' '\endif'
		# (PFM_EXTENSION_IN_MOVE=1: the extension comes and goes with the move, as
		# adopt_alembic.sh wants; otherwise it is committed first, so that the move can
		# wait for the migration lock without a snapshot)
		if [ "${PFM_EXTENSION_IN_MOVE:-0}" != 1 ]; then
			pfm_emit 'COMMIT;'
			pfm_lock_sql
			pfm_emit 'BEGIN;'
		fi
		# the files as data; the digest is stored only with the load it describes (see
		# pfm_files_digest): the files hashed the same before and after they were read
		local files after=
		[ -z "$FILES_DIGEST" ] || [ -n "$FILES_LISTING" ] || pfm_files_listing FILES_LISTING || FILES_DIGEST=
		pfm_files_sql_to files pfm_load
		if [ -n "$FILES_DIGEST" ] && pfm_files_listing after && [ "$after" = "$FILES_LISTING" ]; then
			pfm_emit_digest
			pfm_emit "SELECT coalesce(pg_catalog.has_function_privilege(pg_catalog.to_regprocedure('pfm_migrate.remember_file_set(text,integer)'), 'EXECUTE')
   AND pg_catalog.has_function_privilege(pg_catalog.to_regprocedure('pfm_migrate.hold_file_set()'), 'EXECUTE'), false) AS pfm_can_digest \\gset" \
				'\if :pfm_can_digest' 'SELECT pfm_migrate.hold_file_set() AS pfm_held \gset' '\endif'
			PFM_SCRIPT+=$files
			pfm_emit '\if :pfm_can_digest' \
				"SELECT pfm_migrate.remember_file_set(CASE WHEN :pfm_listed OPERATOR(pg_catalog.=) ${#MIGRATION_FILES[@]} THEN :'pfm_digest' END,
                                      ${#MIGRATION_FILES[@]}) AS pfm_remembered \\gset" '\endif'
		else
			PFM_SCRIPT+=$files
		fi
		pfm_emit "$sql" "$PFM_UNLOCK_SQL"
		;;
	read)
		pfm_emit 'BEGIN;' "${ensure[@]}" '\if :pfm_old' 'ALTER EXTENSION pfm_migrate UPDATE;' '\else' \
			'SET TRANSACTION READ ONLY;' '\endif'
		pfm_emit_files pfm_preview
		pfm_emit "$sql" 'ROLLBACK;'
		;;
	trace)
		# As read, but not read-only: pfm_trace runs the bodies (and rolls them back itself).
		pfm_emit 'BEGIN;' "${ensure[@]}" '\if :pfm_old' 'ALTER EXTENSION pfm_migrate UPDATE;' '\endif'
		pfm_emit_files pfm_preview
		pfm_emit "$sql" 'ROLLBACK;'
		;;
	esac
}

# pfm_fast_session_script MODE SQL: the psql script of a write or read command whose files
# the database already holds exactly (their digest is the stored one, read under the
# migration lock for a write): MODE's script without the files. Prints a 'pfm_slow' row and
# changes nothing otherwise (the extension missing, or not at its library's version — the
# full script updates it; no privilege; another digest): the caller then runs the full script.
pfm_fast_session_script() {
	local mode=$1 sql=$2 lock_privilege='' begin=('BEGIN;') done=('ROLLBACK;') unlock=()
	if [ "$mode" = write ]; then
		lock_privilege="
   AND coalesce(pg_catalog.has_function_privilege(pg_catalog.to_regprocedure('pfm_migrate.wait_for_migration_lock()'), 'EXECUTE'), false)"
		begin=('CALL pfm_migrate.wait_for_migration_lock();' 'BEGIN;')
		unlock=("$PFM_UNLOCK_SQL")
		done=("${unlock[@]}") # SQL commits
	else
		begin+=('SET TRANSACTION READ ONLY;')
	fi
	pfm_emit "SELECT 'db', pg_catalog.current_database(), current_user;" '\set pfm_missing f' \
		"SELECT coalesce(pg_catalog.has_function_privilege(pg_catalog.to_regprocedure('pfm_migrate.file_set_loaded(text)'), 'EXECUTE'), false)$lock_privilege AS pfm_fast \\gset" \
		'\if :pfm_fast' "${begin[@]}"
	pfm_emit_digest
	pfm_emit "SELECT pfm_migrate.file_set_loaded(:'pfm_digest') AS pfm_fast \\gset" \
		'\if :pfm_fast' "$sql" "${done[@]}" \
		'\else' 'ROLLBACK;' "${unlock[@]}" "SELECT 'pfm_slow', '';" '\endif' \
		'\else' "SELECT 'pfm_slow', '';" '\endif'
}

# pfm_session MODE SQL [psql args]: runs the command's script in one psql process and prints
# what comes back in order: NOTICEs as they arrive, then the rows (tagged in their first
# column) through pfm_show_row, which the caller may redefine. Sets SESSION_RC: 0, or
# EX_USAGE when psql cannot connect, or EX_FAILED when a statement failed.
# A caller that needs no 'file' rows (FILE_OF) sets SESSION_SKIP_FILES=1: when the database
# already holds exactly these files (see pfm_files_digest), the command runs without
# re-sending them, with the same outcome; otherwise in full. A write session stores the
# digest with its load.
SESSION_RC=0
declare -A FILE_OF=() # revision -> its file, from the last session that loaded the files
pfm_session() {
	local mode=$1 sql=$2
	shift 2
	FILES_DIGEST= FILES_LISTING= FILES_CACHED= SESSION_DIGEST= PFM_SCRIPT_VARS=
	if [ "$mode" = write ] || { [ "$mode" = read ] && [ "${SESSION_SKIP_FILES:-0}" = 1 ]; }; then
		# (the fast script's psql connects while the files are checked: two processes at once;
		# its variables go in at the head of the script, so it may be the one started before
		# this file was read)
		if [ "${SESSION_SKIP_FILES:-0}" = 1 ] && [ "${PFM_FILE_DIGEST:-on}" != off ]; then
			if pfm_psql_vars PFM_SCRIPT_VARS "$@"; then
				[ -n "$PFM_PSQL_PID" ] || pfm_psql_start -At -F "$US"
			else
				pfm_psql_discard
				pfm_psql_start -At -F "$US" "$@"
			fi
		fi
		pfm_files_digest
	fi
	if [ -n "$FILES_DIGEST" ] && [ "${SESSION_SKIP_FILES:-0}" = 1 ]; then
		pfm_session_run pfm_fast_session_script "$mode" "$sql" "$@"
		if [ "$SESSION_SLOW" != 1 ]; then
			pfm_cache_digest
			return 0
		fi
	fi
	pfm_psql_discard
	[ "$MIGRATION_FILES_LISTED" = 1 ] || pfm_list_migrations
	pfm_session_run pfm_session_script "$mode" "$sql" "$@"
	pfm_cache_digest
}
# pfm_session_run SCRIPT MODE SQL [psql args]: SCRIPT builds PFM_SCRIPT; one psql process runs
# it (the only process started here) and this shell reads what it prints as it comes.
pfm_session_run() {
	local script=$1 mode=$2 sql=$3 line tag rest status=0
	shift 3
	SESSION_RC=0 FILES_MISSING=0 FILE_CHANGES=0 SESSION_STEPS=0 SESSION_MODE=$mode SESSION_SLOW=0
	FILE_OF=()
	PFM_SCRIPT=
	"$script" "$mode" "$sql"
	local fd pid
	if [ -n "$PFM_PSQL_PID" ]; then
		fd=$PFM_PSQL_OUT pid=$PFM_PSQL_PID PFM_PSQL_PID= PFM_SCRIPT=$PFM_SCRIPT_VARS$PFM_SCRIPT PFM_SCRIPT_VARS=
		pfm_psql_send
	else
		exec {fd}< <(pfm_run_script -At -F "$US" "$@")
		pid=$!
	fi
	while IFS= read -r -u "$fd" line; do
		case $line in
		"pfm_slow$US"*) SESSION_SLOW=1 ;;
		*"$US"*)
			tag=${line%%"$US"*} rest=${line#*"$US"}
			pfm_show_row "$tag" "$rest"
			;;
		*)
			line=${line#psql:<stdin>:*: }
			case $line in
			"NOTICE:  nothing to do: the database is already at"*) ;;
			"NOTICE:  Running "*)
				SESSION_STEPS=$((SESSION_STEPS + 1))
				say "  ${line#NOTICE:  }"
				;;
			"NOTICE:  "*) say "notice: ${line#NOTICE:  }" ;;
			*) say "$line" ;;
			esac
			;;
		esac
	done
	exec {fd}<&-
	wait "$pid" || status=$?
	case $status in
	0) SESSION_RC=0 ;;
	2) SESSION_RC=$EX_USAGE ;;
	*) SESSION_RC=$EX_FAILED ;;
	esac
	return 0
}
# pfm_run_script [psql args]: psql running PFM_SCRIPT, its messages on stdout. Becomes psql
# (exec): its exit status is psql's. PFM_SCRIPT goes in as a here-string (a temporary file
# when it is long), or through a pipe when the temporary directory cannot be written.
pfm_run_script() {
	if [ -w "${TMPDIR:-/tmp}" ]; then
		exec psql -X -q -v ON_ERROR_STOP=1 "${PFM_CONN[@]}" "$@" -f - <<<"$PFM_SCRIPT" 2>&1
	fi
	printf '%s' "$PFM_SCRIPT" | pg "$@" -f - 2>&1
}

# pfm_show_row TAG FIELDS: the rows every command shares (the files, the database).
pfm_show_row() {
	local tag=$1 a b c d e
	IFS=$US read -r a b c d e <<<"$2"
	case $tag in
	db) SESSION_DB=$a SESSION_USER=$b ;;
	digest) SESSION_DIGEST=$a ;;
	file)
		[ -z "$b" ] || FILE_OF[$a]=$b
		case $c in registered | replaced | removed) FILE_CHANGES=$((FILE_CHANGES + 1)) ;; esac
		case $SESSION_MODE:$c in
		write:replaced) say "file $b replaces unapplied revision $a" ;;
		write:removed) say "removed revision $a: no migration file declares it (it was never applied)" ;;
		read:removed) say "revision $a has no migration file: it is not applied, and loading the files removes it" ;;
		*":applied, no file")
			FILES_MISSING=$((FILES_MISSING + 1))
			say "warning: revision $a is applied but no migration file declares it"
			;;
		esac
		;;
	*) pfm_show_command_row "$tag" "$a" "$b" "$c" "$d" "$e" ;;
	esac
}
pfm_show_command_row() { :; }

pfm_require_session() { # after pfm_session: stop with the right exit code and MESSAGE
	[ "$SESSION_RC" = 0 ] && return 0
	[ "$SESSION_RC" = "$EX_USAGE" ] && fail $EX_USAGE "cannot connect to the database"
	fail "$SESSION_RC" "$*"
}

# The steps FUNCTION(:'target', dry_run => true) would run, as "WITH ... SELECT ... FROM
# $PFM_STEPS_FROM": u (revision, direction, message, n) with h.transactional. pfm_history() is
# not read when there is no step (a no-op deploy). FUNCTION replaces @fn@.
PFM_STEPS_WITH="WITH u AS MATERIALIZED (
  SELECT * FROM @fn@(:'target'::text, dry_run => true) WITH ORDINALITY AS u(revision, direction, message, elapsed_ms, n))"
PFM_STEPS_FROM="u JOIN (SELECT revision, coalesce((to_jsonb(x) ->> 'transactional')::boolean, true) AS transactional
          FROM pfm_history() AS x WHERE EXISTS (SELECT FROM u)) AS h USING (revision)"

# The SQL that picks the mode of a move and runs it: atomic (one transaction, with the
# files' registration) unless a revision to run is non-transactional or --per-revision was
# given; then the registration commits, and CALL pfm_deploy / pfm_revert runs one revision
# per transaction. Prints a 'mode' row when there is something to run.
pfm_move_sql() { # DIRECTION(upgrade|downgrade): into MOVE_SQL
	local atomic=pfm_upgrade procedure=pfm_deploy
	[ "$1" = downgrade ] && atomic=pfm_downgrade procedure=pfm_revert
	# (a no-op, the common case, plans once more but reads no history. After a move, a
	# transaction of its own records for the new catalog what the next commands read first:
	# pfm_status() its answer, for the first health probe; after a move to head or heads, the
	# no-op pfm_upgrade that then follows also records that it is a no-op and the catalog
	# image, for the next deploy's first call. With the migration lock still held, nothing
	# can have become pending meanwhile. The atomic move's commit records all that itself,
	# so this finds it done; the registration committed before CALL pfm_deploy does not
	# record, since the procedure records for the catalog it leaves.)
	local after="SELECT count(*) AS pfm_status_rows FROM pfm_status() \gset"
	if [ "$1" = upgrade ] && { [ "$MOVE_TARGET" = head ] || [ "$MOVE_TARGET" = heads ]; }; then
		after="SELECT count(*) AS pfm_noop_rows FROM pfm_upgrade(:'target'::text) \gset"
	fi
	MOVE_SQL="SELECT count(*) > 0 AS pfm_any FROM $atomic(:'target'::text, dry_run => true) \gset
\if :pfm_any
${PFM_STEPS_WITH//@fn@/$atomic}
SELECT count(*) AS pfm_steps,
       coalesce(bool_or(NOT h.transactional), false) OR :'per_revision' = 'on' AS pfm_per_revision,
       coalesce(string_agg(u.revision, ', ' ORDER BY u.n) FILTER (WHERE NOT h.transactional), '') AS pfm_nontx
  FROM $PFM_STEPS_FROM \gset
\else
\set pfm_steps 0
\set pfm_nontx ''
\set pfm_per_revision :per_revision
\endif
\if :pfm_per_revision
SELECT 'mode', 'per-revision', :'pfm_nontx', :pfm_steps;
SET LOCAL pfm_migrate.record_at_commit = off;
COMMIT;
CALL $procedure(:'target'::text);
\else
SELECT 'mode', 'atomic', '', :pfm_steps;
SELECT 'step', revision FROM $atomic(:'target'::text);
COMMIT;
\endif
\if :pfm_any
$after
\endif
SELECT 'done', '', coalesce(pfm_current(), 'base');"
}

# The 'mode' and 'done' rows of a move.
pfm_show_move_row() { # TAG A B C VERB
	case $1 in
	mode)
		[ "$4" = 0 ] && return 0
		if [ "$2" = atomic ]; then
			say "mode: atomic (one transaction for the whole move)"
		elif [ -n "$3" ]; then
			say "mode: one transaction per revision (CALL pfm_${5}); non-transactional: $3"
		else
			say "mode: one transaction per revision (CALL pfm_${5}, --per-revision)"
		fi
		;;
	done)
		if [ "$SESSION_STEPS" = 0 ]; then
			say "nothing to apply to $SESSION_DB: current revision: $3 (target $MOVE_TARGET)"
		else
			say "$6 $SESSION_STEPS revision(s) in $SESSION_DB; current revision: $3"
		fi
		;;
	esac
}

# migrate [TARGET]: load + upgrade, committed together or not at all (atomic mode), or one
# revision per transaction (per-revision mode, see pfm_move_sql).
pfm_migrate() {
	MOVE_TARGET=${1:-head}
	pfm_show_command_row() { pfm_show_move_row "$1" "$2" "$3" "$4" deploy applied; }
	local SESSION_SKIP_FILES=1
	pfm_move_sql upgrade
	pfm_session write "$MOVE_SQL" -v target="$MOVE_TARGET" -v per_revision="${PER_REVISION:-off}"
	pfm_require_session "migration failed; in atomic mode nothing was applied (the transaction was rolled back); one transaction per revision: the revisions before the failing one stay applied"
}

# plan [TARGET]: prints the steps; sets PLAN_STEPS, PLAN_FILE_CHANGES (revisions loading the
# files would register, replace or remove) and PLAN_CURRENT; changes nothing.
pfm_plan() {
	local target=${1:-head}
	PLAN_STEPS=0 PLAN_NONTX=0 PLAN_FILE_CHANGES=0 PLAN_CURRENT=base
	PLAN_LINES=()
	pfm_show_command_row() {
		case $1 in
		plan)
			PLAN_STEPS=$((PLAN_STEPS + 1))
			[ -z "$5" ] || PLAN_NONTX=$((PLAN_NONTX + 1))
			local line
			printf -v line '  %-9s %-14s %s%s' "$2" "$3" "$4" "${5:+  [$5]}"
			PLAN_LINES+=("$line")
			;;
		changes) PLAN_FILE_CHANGES=$2 ;;
		cur) PLAN_CURRENT=$2 ;;
		lint | linthint) pfm_show_lint_row "$@" ;;
		esac
	}
	pfm_show_lint_rows
	local SESSION_SKIP_FILES=1
	# (with nothing to do there is no history to read and no move to lint)
	pfm_session read "SELECT count(*) > 0 AS pfm_any FROM pfm_upgrade(:'target'::text, dry_run => true) \\gset
\\if :pfm_any
${PFM_STEPS_WITH//@fn@/pfm_upgrade}
SELECT 'plan', u.direction, u.revision, coalesce(u.message, ''),
       CASE WHEN h.transactional THEN '' ELSE 'non-transactional' END
  FROM $PFM_STEPS_FROM ORDER BY u.n;
$PFM_LINT_SQL
\\endif
SELECT 'cur', coalesce(pfm_current(), 'base');" -v target="$target"
	pfm_require_session "the plan failed; nothing was changed"
	say "plan: $PLAN_STEPS step(s) to $target in $SESSION_DB"
	[ "$PLAN_STEPS" = 0 ] || printf '%s\n' "${PLAN_LINES[@]}"
	if [ "$PLAN_STEPS" != 0 ]; then
		if [ "$PLAN_NONTX" != 0 ] || [ "${PER_REVISION:-off}" = on ]; then
			say "mode: one transaction per revision (CALL pfm_deploy)"
		else
			say "mode: atomic (one transaction for the whole move)"
		fi
		pfm_print_lint
	fi
	if [ "${PLAN_TRACE:-0}" = 1 ] && [ "$PLAN_STEPS" != 0 ]; then
		pfm_trace_plan "$target"
	fi
}

# ---- lint and trace (pfm_lint, pfm_trace) --------------------------------------------------
# The findings of pfm_lint(:'target'), then each rule's hint once.
PFM_LINT_SQL="SELECT 'lint', l.severity, l.revision,
       CASE WHEN l.statement IS NULL THEN 'revision' ELSE 'statement ' || l.statement || ' (line ' || l.line || ')' END,
       l.rule, l.message
  FROM pfm_lint(:'target'::text) l;
SELECT DISTINCT 'linthint', l.rule, l.hint FROM pfm_lint(:'target'::text) l ORDER BY 2;"

# Collects lint rows into LINT_LINES / LINT_HINTS and counts them by severity.
pfm_show_lint_rows() {
	LINT_LINES=() LINT_HINTS=() LINT_ERRORS=0 LINT_WARNINGS=0 LINT_NOTICES=0
	pfm_show_lint_row() { # TAG A B C D E
		case $1 in
		lint)
			case $2 in
			error) LINT_ERRORS=$((LINT_ERRORS + 1)) ;;
			warning) LINT_WARNINGS=$((LINT_WARNINGS + 1)) ;;
			*) LINT_NOTICES=$((LINT_NOTICES + 1)) ;;
			esac
			local line
			printf -v line '  %-8s %s, %s: %s: %s' "$2" "$3" "$4" "$5" "${6//$US/ }"
			LINT_LINES+=("$line")
			;;
		linthint) LINT_HINTS+=("  $2: ${3//$US/ }") ;;
		*) return 1 ;;
		esac
	}
}

pfm_print_lint() {
	say "lint: $LINT_ERRORS error(s), $LINT_WARNINGS warning(s), $LINT_NOTICES notice(s)"
	[ ${#LINT_LINES[@]} = 0 ] && return 0
	printf '%s\n' "${LINT_LINES[@]}"
	say "hints:"
	printf '%s\n' "${LINT_HINTS[@]}"
}

# lint [TARGET]: the findings with the files previewed; EX_LINT on any error finding.
pfm_lint_cmd() {
	local target=${1:-heads}
	pfm_show_lint_rows
	pfm_show_command_row() { pfm_show_lint_row "$@" || true; }
	pfm_session read "$PFM_LINT_SQL" -v target="$target"
	pfm_require_session "lint failed; nothing was changed"
	say "lint of the move to $target in $SESSION_DB"
	pfm_print_lint
	[ "$LINT_ERRORS" = 0 ] || exit "$EX_LINT"
}

# The move to TARGET run for real and rolled back (pfm_trace): per statement the locks it takes.
pfm_trace_plan() {
	local target=$1
	TRACE_LINES=()
	pfm_show_command_row() {
		[ "$1" = trace ] || return 0
		local line
		printf -v line '  %s %s' "$2" "${3//$US/ }"
		TRACE_LINES+=("$line")
	}
	# One line per statement: each relation with the modes it newly locked (TOAST tables left out).
	pfm_session trace "WITH t AS (
  SELECT * FROM pfm_trace(:'target'::text)
         WITH ORDINALITY AS t(revision, statement, line, relation, lock_mode, rewritten, rows, elapsed_ms, n)),
r AS (
  SELECT revision, statement, line, rows, elapsed_ms, min(n) AS n,
         relation || ' ' || string_agg(lock_mode, '+' ORDER BY n) || CASE WHEN bool_or(rewritten) THEN ' REWRITTEN' ELSE '' END AS locks
    FROM t WHERE relation IS NOT NULL AND relation NOT LIKE 'pg_toast.%'
   GROUP BY revision, statement, line, rows, elapsed_ms, relation
  UNION ALL
  SELECT revision, statement, line, rows, elapsed_ms, n, NULL FROM t WHERE relation IS NULL)
SELECT 'trace', revision,
       CASE WHEN statement IS NULL THEN 'non-transactional: listed, not run'
            ELSE 'statement ' || statement || ' (line ' || line || '): '
                 || coalesce(string_agg(locks, ', ' ORDER BY n), 'no new relation lock')
                 || '; ' || rows || ' row(s), ' || round(elapsed_ms::numeric, 1) || ' ms' END
  FROM r GROUP BY revision, statement, line, rows, elapsed_ms ORDER BY min(n);" -v target="$target"
	pfm_require_session "the trace failed (it was rolled back; nothing was changed)"
	say "trace (run and rolled back):"
	[ ${#TRACE_LINES[@]} = 0 ] || printf '%s\n' "${TRACE_LINES[@]}"
}

# health [--db-only]: with the files previewed unless --db-only; returns 0 or EX_UNHEALTHY.
pfm_health() {
	local db_only=${1:-} mode=read pending=0 drifted=0 problems=0 noext=
	[ "$db_only" = --db-only ] && mode=db
	pfm_show_command_row() {
		case $1 in
		status)
			pending=$4 drifted=$5 problems=$6
			printf 'current:  %s\nheads:    %s\npending:  %s\ndrifted:  %s\nproblems: %s\n' "$2" "$3" "$4" "$5" "$6"
			;;
		check) printf '  %-8s %-14s %s\n' "$2" "$3" "$4" ;;
		noext)
			noext=1
			say "unhealthy: extension pfm_migrate is not installed in this database"
			;;
		esac
	}
	local sql="SELECT 'status', coalesce(current, 'base'), coalesce(heads, ''), pending, drifted, problems FROM pfm_status();
SELECT 'check', severity, coalesce(revision, '-'), problem FROM pfm_check();"
	if [ $mode = db ]; then
		# A monitoring role (or a standby) reads the database alone; without the extension
		# there is nothing to read.
		sql="SELECT count(*) = 0 AS pfm_missing FROM pg_catalog.pg_extension WHERE extname = 'pfm_migrate' \\gset
\\if :pfm_missing
SELECT 'noext', '';
\\else
$sql
\\endif"
	else
		sql="SELECT 'noext', '' WHERE :'pfm_missing' = 't';
$sql"
	fi
	local SESSION_SKIP_FILES=1
	pfm_session $mode "$sql"
	if [ "$SESSION_RC" = "$EX_USAGE" ]; then fail $EX_USAGE "cannot connect to the database"; fi
	if [ "$SESSION_RC" != 0 ]; then
		say "unhealthy: the migration files in $MIGRATIONS_DIR cannot be loaded into this database"
		return $EX_UNHEALTHY
	fi
	if [ "$pending" != 0 ] || [ "$drifted" != 0 ] || [ "$problems" != 0 ] || [ -n "$noext" ]; then
		say "unhealthy"
		return $EX_UNHEALTHY
	fi
	say "healthy"
}

# stamp TARGET: load the files and mark TARGET as reached, running no migration body.
pfm_stamp_to() {
	local target=$1
	pfm_show_command_row() { [ "$1" = done ] && say "stamped $SESSION_DB; current revision: $3"; return 0; }
	pfm_session write "SELECT pfm_stamp(:'target'::text);
COMMIT;
SELECT 'done', '', coalesce(pfm_current(), 'base');" -v target="$target"
	pfm_require_session "stamp failed; nothing was changed"
}

# stamp --purge TARGET: like stamp, after forgetting every applied revision (alembic stamp
# --purge): the way out when the recorded state names a revision that no longer exists.
pfm_stamp_purge_to() {
	local target=$1
	pfm_show_command_row() { [ "$1" = "done" ] && say "stamped $SESSION_DB (every applied revision forgotten first); current revision: $3"; return 0; }
	pfm_session write "SELECT 'stamped', '' FROM pfm_stamp(:'target'::text, purge => true);
COMMIT;
SELECT 'done', '', coalesce(pfm_current(), 'base');" -v target="$target"
	pfm_require_session "stamp --purge failed; nothing was changed"
}

# current [--check-heads]: the version rows (alembic current), each marked (head) when it is a
# head of the migration files. With --check-heads, returns EX_UNHEALTHY unless every head of
# the files is applied (alembic current --check-heads: the CI check). Read-only.
pfm_current_cmd() {
	local check=${1:-} current=() missing=()
	pfm_show_command_row() {
		case $1 in
		cur) current+=("$2${3:+ $3}") ;;
		missing) missing+=("$2") ;;
		esac
	}
	pfm_session read "SELECT 'cur', c, CASE WHEN c IN (SELECT pfm_heads()) THEN '(head)' ELSE '' END
  FROM pg_catalog.unnest(pg_catalog.string_to_array(pfm_current(), ',')) AS c ORDER BY 2;
SELECT 'missing', h FROM pfm_heads() AS h
 WHERE NOT EXISTS (SELECT FROM pfm_history() p WHERE p.revision = h AND p.applied) ORDER BY 2;"
	pfm_require_session "cannot read the current revision with the migration files in $MIGRATIONS_DIR"
	if [ ${#current[@]} -eq 0 ]; then say "base"; else printf '%s\n' "${current[@]}"; fi
	[ "$check" = --check-heads ] || return 0
	if [ ${#missing[@]} -gt 0 ]; then
		warn "not on every head: ${missing[*]} not applied in $SESSION_DB"
		return $EX_UNHEALTHY
	fi
	return 0
}

# backup: pg_dump -Fc into $BACKUP_DIR; sets BACKUP_FILE.
pfm_backup() {
	local dir=${BACKUP_DIR:-./backups} db=${SESSION_DB:-} who
	if [ -z "$db" ]; then db=$(pg -At -c 'SELECT current_database()') || fail $EX_BACKUP "cannot read the database name"; fi
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
	who=${SESSION_USER:-the role that took it}
	# First the migrations since the backup are reverted (what they created may depend on
	# what the backup holds), then --clean drops and recreates what the dump holds: its
	# objects must belong to the restoring role.
	local target=\"\$DATABASE_URL\"
	[ -n "${DATABASE_URL:-}" ] || target="'$db'"
	say "  restore with (as $who, or a superuser): DATABASE_URL=$target '$PFM_ROOT/scripts/deploy.sh' downgrade ${PLAN_CURRENT:-base} && pg_restore --clean --if-exists --single-transaction -d $target '$BACKUP_FILE'"
}

# sql [FILE [TARGET]]: the offline script, computed against this database's state and the files.
pfm_offline_sql() {
	local file=${1:-} target=${2:-head} q="'"
	[ -n "$file" ] || file="pfm_upgrade_$(date -u +%Y%m%dT%H%M%SZ).sql"
	pfm_session read "SELECT pfm_upgrade_sql(:'target'::text) \\g '${file//$q/$q$q}'" -v target="$target"
	pfm_require_session "could not produce the upgrade script"
	say "wrote $file"
	say "  review it, then run: psql -X -v ON_ERROR_STOP=1 -1 -f '$file'"
}

# downgrade TARGET: uses the bodies stored in the database (no files needed); atomic, or
# one revision per transaction (CALL pfm_revert) when a revision to revert is
# non-transactional or --per-revision was given.
pfm_downgrade_to() {
	MOVE_TARGET=$1
	pfm_show_command_row() { pfm_show_move_row "$1" "$2" "$3" "$4" revert reverted; }
	pfm_move_sql downgrade
	pfm_session plain "BEGIN;
$MOVE_SQL" -v target="$MOVE_TARGET" -v per_revision="${PER_REVISION:-off}"
	pfm_require_session "downgrade failed; in atomic mode nothing was changed (the transaction was rolled back)"
}

# pfm_lock_option OPTION VALUE: checks the value and adds the setting to PGOPTIONS.
pfm_lock_option() {
	local option=$1 value=$2 setting
	case $option in
	--lock-wait) setting=lock_wait ;;
	--lock-retries) setting=lock_retries ;;
	--lock-retry-delay) setting=lock_retry_delay ;;
	esac
	if [ "$setting" = lock_retries ]; then
		[[ $value =~ ^[0-9]+$ ]] || fail $EX_USAGE "$option takes a number of retries, not '$value'"
	else
		[[ $value =~ ^[0-9]+(ms|s|min)?$ ]] || fail $EX_USAGE "$option takes a duration such as 2s or 500ms, not '$value'"
	fi
	export PGOPTIONS="${PGOPTIONS:+$PGOPTIONS }-c pfm_migrate.$setting=$value"
}

usage() {
	sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

main() {
	local cmd=${1:-deploy} args=() a
	[ $# -gt 0 ] && shift
	# --per-revision (migrate, deploy, downgrade): one transaction per revision even when
	# every revision could run in one.
	# --lock-wait/--lock-retries/--lock-retry-delay VALUE: the server's pfm_migrate.lock_*
	# settings for this run's sessions (PGOPTIONS, so every command's session gets them).
	local pending=
	for a in "$@"; do
		if [ -n "$pending" ]; then
			pfm_lock_option "$pending" "$a"
			pending=
			continue
		fi
		case $a in
		--per-revision) PER_REVISION=on ;;
		--lock-wait | --lock-retries | --lock-retry-delay) pending=$a ;;
		--lock-wait=* | --lock-retries=* | --lock-retry-delay=*) pfm_lock_option "${a%%=*}" "${a#*=}" ;;
		*) args+=("$a") ;;
		esac
	done
	[ -z "$pending" ] || fail $EX_USAGE "$pending needs a value (e.g. $pending ${pending/--lock-retries/5})"
	set -- "${args[@]+"${args[@]}"}"
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
		pfm_find_migrations --dir-only
		pfm_plan head
		if [ "$PLAN_STEPS" -eq 0 ]; then
			say "nothing to apply"
			# the catalog still takes the files' changes (a removed file's revision goes)
			[ "$FILE_CHANGES" -eq 0 ] || pfm_migrate head
		else
			if [ $backup = 1 ]; then pfm_backup; else say "backup: skipped (--no-backup)"; fi
			pfm_migrate head
		fi
		pfm_health
		;;
	migrate)
		[ $# -le 1 ] || fail $EX_USAGE "usage: deploy.sh migrate [TARGET]"
		pfm_find_migrations --dir-only
		pfm_migrate "${1:-head}"
		;;
	plan)
		local plan_args=()
		for a in "$@"; do
			if [ "$a" = --trace ]; then PLAN_TRACE=1; else plan_args+=("$a"); fi
		done
		[ ${#plan_args[@]} -le 1 ] || fail $EX_USAGE "usage: deploy.sh plan [TARGET] [--trace]"
		pfm_find_migrations --dir-only
		pfm_plan "${plan_args[0]:-head}"
		;;
	lint)
		[ $# -le 1 ] || fail $EX_USAGE "usage: deploy.sh lint [TARGET]"
		pfm_find_migrations --dir-only
		pfm_lint_cmd "${1:-heads}"
		;;
	health)
		[ $# -eq 0 ] || [ "$1" = --db-only ] || fail $EX_USAGE "usage: deploy.sh health [--db-only]"
		if [ "${1:-}" = --db-only ]; then MIGRATION_FILES=() MIGRATION_NAMES=(); else pfm_find_migrations --dir-only; fi
		pfm_health "${1:-}"
		;;
	stamp)
		if [ "${1:-}" = --purge ]; then
			[ $# -eq 2 ] || fail $EX_USAGE "usage: deploy.sh stamp --purge TARGET"
			pfm_find_migrations --dir-only
			pfm_stamp_purge_to "$2"
			return
		fi
		[ $# -eq 1 ] || fail $EX_USAGE "usage: deploy.sh stamp [--purge] TARGET   (e.g. head, a revision)"
		pfm_find_migrations --dir-only
		pfm_stamp_to "$1"
		;;
	current)
		[ $# -eq 0 ] || { [ $# -eq 1 ] && [ "$1" = --check-heads ]; } || fail $EX_USAGE "usage: deploy.sh current [--check-heads]"
		pfm_find_migrations --dir-only
		pfm_current_cmd "${1:-}"
		;;
	sql)
		[ $# -le 2 ] || fail $EX_USAGE "usage: deploy.sh sql [FILE [TARGET]]"
		pfm_find_migrations --dir-only
		pfm_offline_sql "$@"
		;;
	downgrade)
		[ $# -eq 1 ] || fail $EX_USAGE "usage: deploy.sh downgrade TARGET   (e.g. -1, a revision, base)"
		pfm_downgrade_to "$1"
		;;
	*) fail $EX_USAGE "unknown command '$cmd' (try: deploy.sh help)" ;;
	esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main "$@"
fi
