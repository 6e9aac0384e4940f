#!/usr/bin/env bash
# bench/run.sh — the pfm_migrate benchmark in one command (SPEC §5, issue 6).
#
#   bench/run.sh            the full bench (about 4–5 minutes on 2 cores); writes bench/RESULTS.md
#   bench/run.sh --quick    small sizes, few runs: checks that the bench works (about 20 s);
#                           prints the table and leaves bench/RESULTS.md alone
#   bench/run.sh --only SECTION[,SECTION] [--quick]
#                           only those sections, printed; bench/RESULTS.md left alone. Sections:
#                           planning (3: dry-run planning and pfm_status() at 1k/10k/100k revisions,
#                           first call and repeat, the backend's memory after the first call),
#                           scaling (4: the apply rows, 1k-100k tiny revisions, with peak RSS),
#                           lock_wait (1c: pfm_migrate.lock_wait off vs on, N = 1 000), lint
#                           (pfm_lint over 1 000 pending revisions), noop (5: deploy.sh at head next to
#                           the floor and dbmate), probes (6: pgbench probes from new sessions, backend
#                           RSS). --lint is --only lint.
#
# Installs what is missing (Debian packages; needs root for that), builds and installs the
# extension, starts a throwaway PostgreSQL cluster with default settings (fsync on) on a Unix
# socket, runs bench/bench.py against it, and removes the cluster. BENCH_PORT picks the port
# (default 5499; the socket lives in a private directory, so it cannot clash with a server).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../scripts/lib.sh
source "$BENCH_DIR/../scripts/lib.sh"

usage="usage: bench/run.sh [--quick] [--only SECTION[,SECTION]] (sections: see bench/run.sh's header)"
quick='' only=()
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=--quick ;;
	--only)
		[ -n "${2:-}" ] || pfm_die "$usage"
		only=(--only "$2")
		shift
		;;
	--lint) only=(--only lint) ;;
	*) pfm_die "$usage" ;;
	esac
	shift
done

started=$(date +%s)
pfm_ensure_deps --tests # PostgreSQL 15, the build tools, python3-alembic
if ! /usr/bin/python3 -c 'import psycopg2' 2>/dev/null; then
	[ "$(id -u)" = 0 ] || pfm_die "missing package: python3-psycopg2 (run as root, or install it)"
	pfm_log "installing: python3-psycopg2"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends python3-psycopg2 >/dev/null
fi
# dbmate, the peer that commits per migration (npm package; the tests never need it): only
# for the sections that run it (the full bench, --quick, --only noop).
dbmate_args=()
if [ ${#only[@]} -eq 0 ] || [[ ",${only[1]}," == *,noop,* ]]; then
	DBMATE_VERSION=2.36.0
	tools=$PFM_ROOT/.pfm/tools
	dbmate=$tools/node_modules/.bin/dbmate
	if ! "$dbmate" --version 2>/dev/null | grep -qF "$DBMATE_VERSION"; then
		command -v npm >/dev/null || {
			[ "$(id -u)" = 0 ] || pfm_die "missing package: npm (run as root, or install it)"
			pfm_log "installing: npm"
			export DEBIAN_FRONTEND=noninteractive
			apt-get update -qq >/dev/null
			apt-get install -y -qq --no-install-recommends npm >/dev/null
		}
		pfm_log "installing: dbmate $DBMATE_VERSION (npm) into $tools"
		mkdir -p "$tools"
		npm install --prefix "$tools" --no-audit --no-fund --silent "dbmate@$DBMATE_VERSION" >/dev/null ||
			pfm_die "npm install dbmate@$DBMATE_VERSION failed"
	fi
	# The npm package's bin is a Node.js wrapper that starts dbmate's own (Go) binary; time
	# that binary, as anyone running dbmate from its release would (Node's start-up is not dbmate's).
	for native in "$tools"/node_modules/@dbmate/linux-*/bin/dbmate; do
		[ -x "$native" ] && dbmate=$native
	done
	dbmate_args=(--dbmate "$dbmate")
fi
pfm_build_install
# What is measured is whatever sits in PostgreSQL's lib directory: note it, to notice a
# `make install` from elsewhere during the run (the figures would then mix two builds).
installed_so=$("$PG_CONFIG" --pkglibdir)/pfm_migrate.so
so_sum() { sha256sum "$installed_so" | cut -c1-16; }
so_before=$(so_sum)
revision=$(git -C "$PFM_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ "$revision" != unknown ] && [ -n "$(git -C "$PFM_ROOT" status --porcelain -- src sql '*.sql' '*.control' Makefile 2>/dev/null)" ]; then
	revision="$revision + uncommitted changes"
fi

work=$(pfm_tmpdir)
cleanup() {
	pfm_cluster_stop "$work/data"
	rm -rf "$work"
}
trap cleanup EXIT
sock=$work/sock port=${BENCH_PORT:-5499}
pfm_log "starting a throwaway cluster in $work"
pfm_cluster_start "$work/data" "$sock" "$port"
fsync=$(psql -X -At -h "$sock" -p "$port" -U postgres -d postgres -c 'SHOW fsync')
[ "$fsync" = on ] || pfm_die "the bench cluster runs with fsync=$fsync; it must be on"

mkdir -p "$work/files"
pfm_log "running the bench${quick:+ (quick)}"
/usr/bin/python3 "$BENCH_DIR/bench.py" $quick "${only[@]+"${only[@]}"}" --host "$sock" --port "$port" --work "$work/files" \
	--out "$work/RESULTS.md" --command "bench/run.sh${quick:+ --quick}" --revision "$revision" "${dbmate_args[@]+"${dbmate_args[@]}"}"
if [ "$(so_sum)" != "$so_before" ]; then
	pfm_die "$installed_so changed during the run (a make install from elsewhere): the figures mix two builds; bench/RESULTS.md left alone, run again"
fi
if [ ${#only[@]} -gt 0 ]; then
	pfm_log "done in $(($(date +%s) - started)) s (one section: bench/RESULTS.md left alone)"
	exit 0
fi
[ -n "$quick" ] || cp "$work/RESULTS.md" "$BENCH_DIR/RESULTS.md"
pfm_log "done in $(($(date +%s) - started)) s${quick:+ (bench/RESULTS.md left alone)}"
[ -n "$quick" ] || pfm_log "wrote bench/RESULTS.md"
