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
#   scripts/dev.sh lint [TARGET]          pfm_lint's findings about the pending files (default heads)
#                                          against the dev database; exit 5 on an error finding
#   scripts/dev.sh merge ["MSG"]           write a merge file of the files' heads (reversible)
#   scripts/dev.sh stamp [--purge] TARGET  load the files and mark TARGET as applied, running nothing
#                                          (--purge: forget every applied revision first)
#   scripts/dev.sh convert-files           rewrite 0.1.0-style pfm_register files in the file format
#   scripts/dev.sh migrate-status          pfm_status(), pfm_check(), history
#   scripts/dev.sh downgrade [TARGET]      pfm_downgrade(TARGET, default -1)
#   scripts/dev.sh history [-r START:END]  every revision, newest first (unapplied files included);
#                                          -r: only a range, as in alembic history -r
#   scripts/dev.sh show REVISION           alembic show: parents, dependencies, state, both bodies
#   scripts/dev.sh branches                every branch point and what it branches into
#   scripts/dev.sh heads [--resolve-dependencies]   the heads of the migration files
#   scripts/dev.sh graph [FILE.svg|FILE.png|FILE.dot]   the revision graph and its state, drawn by
#                                          Graphviz (installed when missing); no FILE: DOT on stdout
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

# history -r START:END: dev_history's table for the revisions in the range (pfm_history(range)).
dev_history_range() {
	local range=$1 rows=()
	pfm_show_command_row() {
		[ "$1" = hist ] || return 0
		rows+=("$(printf '%-14s %-14s %-16s %-19s %s' "$2" "$3" "$4" "$6" "$5")")
	}
	pfm_session read "SELECT 'hist', revision, coalesce(down_revision, ''),
       concat_ws(' ', CASE WHEN is_current THEN 'current' WHEN applied THEN 'applied' ELSE 'pending' END,
                 CASE WHEN is_head THEN '(head)' END),
       coalesce(message, ''), coalesce(to_char(applied_at, 'YYYY-MM-DD HH24:MI:SS'), '')
  FROM pfm_history(:'range'::text);" -v range="$range"
	pfm_require_session "cannot read the history range $range with the files in $MIGRATIONS_DIR"
	printf '%-14s %-14s %-16s %-19s %s\n' revision parent state applied_at message
	[ ${#rows[@]} -eq 0 ] || printf '%s\n' "${rows[@]}"
}

# show REVISION: alembic show, with the files previewed: one block per revision the argument
# names (an id, a prefix, a label, head, heads, current), then its bodies.
dev_show() {
	local rev=$1
	pfm_show_command_row() {
		case $1 in
		line) say "$2" ;;
		path) say "Path: ${FILE_OF[$2]:-(no migration file)}" ;;
		esac
	}
	pfm_session read "SELECT l.tag, l.text FROM pfm_show(:'rev'::text) WITH ORDINALITY AS s, LATERAL (
          SELECT 0 AS part, 0::bigint AS n, 'line' AS tag, '' AS text WHERE s.ordinality > 1
UNION ALL SELECT 1, 0, 'line', concat('Rev: ', s.revision, CASE WHEN s.is_head THEN ' (head)' END,
                 CASE WHEN s.is_branch_point THEN ' (branchpoint)' END, CASE WHEN s.is_merge_point THEN ' (mergepoint)' END)
UNION ALL SELECT 2, 0, 'line', concat(CASE WHEN s.is_merge_point THEN 'Merges: ' ELSE 'Parent: ' END,
                 coalesce(nullif(array_to_string(s.parents, ', '), ''), '<base>'))
UNION ALL SELECT 3, 0, 'line', 'Also depends on: ' || array_to_string(s.depends_on, ', ') WHERE cardinality(s.depends_on) > 0
UNION ALL SELECT 4, 0, 'line', 'Branches into: ' || array_to_string(s.branches_into, ', ') WHERE cardinality(s.branches_into) > 0
UNION ALL SELECT 5, 0, 'line', 'Branch names: ' || array_to_string(s.branch_names, ', ') WHERE cardinality(s.branch_names) > 0
UNION ALL SELECT 6, 0, 'path', s.revision
UNION ALL SELECT 7, 0, 'line', CASE WHEN NOT s.applied THEN 'Applied: no (pending)'
                 ELSE concat('Applied: ', to_char(s.applied_at, 'YYYY-MM-DD HH24:MI:SS'), ' by ', s.applied_by,
                             CASE WHEN s.stamped THEN ' (stamped)' END,
                             CASE WHEN s.drifted THEN '; DRIFTED: its bodies changed since' END) END
UNION ALL SELECT 8, 0, 'line', 'Checksum: ' || s.checksum
UNION ALL SELECT 9, 0, 'line', ''
UNION ALL SELECT 10, 0, 'line', '    ' || coalesce(s.message, '')
UNION ALL SELECT 11, 0, 'line', ''
UNION ALL SELECT 12, 0, 'line', '-- upgrade'
UNION ALL SELECT 13, b.n, 'line', b.line FROM string_to_table(s.upgrade, E'\n') WITH ORDINALITY AS b(line, n)
UNION ALL SELECT 14, 0, 'line', ''
UNION ALL SELECT 15, 0, 'line', CASE WHEN s.downgrade IS NULL THEN '-- downgrade: irreversible' ELSE '-- downgrade' END
UNION ALL SELECT 16, b.n, 'line', b.line FROM string_to_table(s.downgrade, E'\n') WITH ORDINALITY AS b(line, n)
) AS l ORDER BY s.ordinality, l.part, l.n;" -v rev="$rev"
	pfm_require_session "cannot show $rev with the files in $MIGRATIONS_DIR"
}

# branches: alembic branches (files previewed): each branch point, then what it branches into.
dev_branches() {
	local n=0
	pfm_show_command_row() {
		case $1 in
		bp) say "$2 (branchpoint)${3:+, $3}" && n=$((n + 1)) ;;
		child) say "  -> $2${3:+, $3}" ;;
		esac
	}
	pfm_session read "SELECT t.tag, t.revision, t.message FROM pfm_branches() WITH ORDINALITY AS b, LATERAL (
          SELECT 0 AS n, 'bp' AS tag, b.revision, coalesce(b.message, '') AS message
UNION ALL SELECT c.n, 'child', c.id || CASE WHEN h.is_head THEN ' (head)' ELSE '' END, coalesce(h.message, '')
            FROM unnest(b.branches_into) WITH ORDINALITY AS c(id, n) LEFT JOIN pfm_history() h ON h.revision = c.id
) AS t ORDER BY b.ordinality, t.n;"
	pfm_require_session "cannot read the branches of the files in $MIGRATIONS_DIR"
	[ "$n" -gt 0 ] || say "no branch points"
}

# heads [--resolve-dependencies]: alembic heads (files previewed). A head something depends on
# is marked (effective head); --resolve-dependencies leaves it out.
dev_heads() {
	local resolve=false
	[ "${1:-}" = --resolve-dependencies ] && resolve=true
	pfm_show_command_row() { [ "$1" = head ] && say "$2 $3${4:+, $4}"; return 0; }
	pfm_session read "SELECT 'head', h, CASE WHEN h IN (SELECT pfm_heads(true)) THEN '(head)' ELSE '(effective head)' END,
       coalesce(m.message, '')
  FROM pfm_heads(:'resolve'::boolean) AS h LEFT JOIN pfm_history() m ON m.revision = h ORDER BY 2;" -v resolve="$resolve"
	pfm_require_session "cannot read the heads of the files in $MIGRATIONS_DIR"
}

# graph [FILE]: pfm_graph() (files previewed) rendered by Graphviz's dot into FILE.svg or
# FILE.png, or written as DOT into FILE.dot; without FILE, the DOT goes to stdout.
dev_graph() {
	local out=${1:-} dot q="'"
	case $out in
	'' | *.svg | *.png | *.dot) ;;
	*) fail $EX_USAGE "usage: dev.sh graph [FILE.svg|FILE.png|FILE.dot]" ;;
	esac
	if [ -n "$out" ] && [ "${out##*.}" != dot ] && ! command -v dot >/dev/null; then
		pfm_log "installing graphviz (to draw the graph)"
		pfm_apt_get install graphviz
	fi
	dot=$(mktemp "${TMPDIR:-/tmp}/pfm_graph.XXXXXX")
	# The session's own lines go to stderr: stdout may be the DOT.
	pfm_session read "SELECT pfm_graph() \\g '${dot//$q/$q$q}'" >&2
	if [ "$SESSION_RC" != 0 ]; then
		rm -f "$dot"
		pfm_require_session "cannot draw the graph of the files in $MIGRATIONS_DIR"
	fi
	case $out in
	'') cat "$dot" ;;
	*.dot) cp "$dot" "$out" ;;
	*) "$(command -v dot)" -T"${out##*.}" -o "$out" "$dot" || { rm -f "$dot"; fail $EX_FAILED "dot could not render $out"; } ;;
	esac
	rm -f "$dot"
	[ -z "$out" ] || say "wrote $out"
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
	warn "next: write the SQL, then scripts/dev.sh lint (pfm_lint against the dev database), then scripts/dev.sh migrate"
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
lint)
	[ $# -le 1 ] || fail $EX_USAGE "usage: dev.sh lint [TARGET]"
	pfm_find_migrations
	dev_up
	pfm_lint_cmd "${1:-heads}"
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
	[ $# -eq 0 ] || { [ $# -eq 2 ] && [ "$1" = -r ]; } || fail $EX_USAGE "usage: dev.sh history [-r START:END]"
	pfm_find_migrations
	dev_up
	if [ $# -eq 2 ]; then dev_history_range "$2"; else dev_history; fi
	;;
show)
	[ $# -eq 1 ] || fail $EX_USAGE "usage: dev.sh show REVISION   (an id, a prefix, a label, head, heads, current)"
	pfm_find_migrations
	dev_up
	dev_show "$1"
	;;
branches)
	[ $# -eq 0 ] || fail $EX_USAGE "usage: dev.sh branches"
	pfm_find_migrations
	dev_up
	dev_branches
	;;
heads)
	[ $# -eq 0 ] || { [ $# -eq 1 ] && [ "$1" = --resolve-dependencies ]; } ||
		fail $EX_USAGE "usage: dev.sh heads [--resolve-dependencies]"
	pfm_find_migrations
	dev_up
	dev_heads "${1:-}"
	;;
graph)
	[ $# -le 1 ] || fail $EX_USAGE "usage: dev.sh graph [FILE.svg|FILE.png|FILE.dot]"
	pfm_find_migrations
	dev_up >&2
	dev_graph "${1:-}"
	;;
merge)
	[ $# -le 1 ] || fail $EX_USAGE 'usage: dev.sh merge ["message"]'
	dev_merge "${1:-}"
	;;
stamp)
	if [ "${1:-}" = --purge ]; then
		[ $# -eq 2 ] || fail $EX_USAGE "usage: dev.sh stamp --purge TARGET"
		pfm_find_migrations
		dev_up
		pfm_stamp_purge_to "$2"
		exit 0
	fi
	[ $# -eq 1 ] || fail $EX_USAGE "usage: dev.sh stamp [--purge] TARGET"
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
