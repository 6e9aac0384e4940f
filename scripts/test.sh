#!/usr/bin/env bash
# Runs every test and exits non-zero on any failure:
#   GoogleTest (core), the differential test against Alembic 1.8, pg_regress, isolation,
#   pgTAP, and the dev/deploy script tests -- against a throwaway PostgreSQL cluster.
# On a fresh Debian 12 machine it installs what it needs (as root).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$PFM_ROOT"

pfm_ensure_deps
pfm_build_install

pfm_log "building the core and its tests (cmake)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

tmp=$(pfm_tmpdir)
cleanup() { pfm_cluster_stop "$tmp/data"; rm -rf "$tmp"; }
trap cleanup EXIT
pfm_cluster_start "$tmp/data" "$tmp/sock" 5432
export PGHOST="$tmp/sock" PGPORT=5432 PGUSER=postgres

declare -A results
failures=0
run_suite() {
	local name=$1
	shift
	pfm_log "suite: $name"
	if "$@"; then
		results[$name]=passed
	else
		results[$name]=FAILED
		failures=$((failures + 1))
	fi
}

# CTest runs GoogleTest, the differential test and the three SQL suites.
run_suite ctest ctest --test-dir build --output-on-failure
run_suite concurrency test/concurrency/race.sh
PFM_SERVER_LOG="$tmp/data/server.log" run_suite integration test/integration/run.sh
if [ -x test/scripts/run.sh ]; then
	run_suite scripts test/scripts/run.sh
fi

echo
echo "== summary =="
passed=0
for name in "${!results[@]}"; do
	echo "  $name: ${results[$name]}"
	[ "${results[$name]}" = passed ] && passed=$((passed + 1))
done
echo "suites: $passed passed, $failures failed"
[ "$failures" -eq 0 ]
