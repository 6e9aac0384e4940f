#!/usr/bin/env bash
# Runs every test and exits non-zero on any failure:
#   GoogleTest (core), the differential test against Alembic 1.8, pg_regress, isolation,
#   pgTAP, and the dev/deploy script tests -- against a throwaway PostgreSQL cluster -- and,
#   last, the Debian package installed on, then purged from, the system PostgreSQL.
# On a fresh Debian 12 machine it installs what it needs (as root).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$PFM_ROOT"

pfm_ensure_deps --tests
make -s clean >/dev/null 2>&1 || true
PFM_WERROR=1 pfm_build_install

pfm_log "building the core and its tests (cmake)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

tmp=$(pfm_tmpdir)
cleanup() { pfm_cluster_stop "$tmp/data"; rm -rf "$tmp"; }
trap cleanup EXIT
pfm_cluster_start "$tmp/data" "$tmp/sock" 5432
export PGHOST="$tmp/sock" PGPORT=5432 PGUSER=postgres

summary=()
failures=0
# run_suite NAME COMMAND...: runs one suite, keeps its last count line for the summary.
run_suite() {
	local name=$1 log status=0
	shift
	pfm_log "suite: $name"
	log=$(mktemp)
	"$@" 2>&1 | tee "$log" || status=$?
	local counts
	counts=$(grep -E '[0-9]+ passed, [0-9]+ failed|tests passed|^Files=|^All tests successful|^Result:' "$log" | tail -2 | paste -sd' ' || true)
	rm -f "$log"
	if [ "$status" -eq 0 ]; then
		summary+=("  $name: passed  ($counts)")
	else
		summary+=("  $name: FAILED  ($counts)")
		failures=$((failures + 1))
	fi
}

run_suite "include order (C++ headers before postgres.h)" scripts/check-includes.sh
run_suite "googletest + differential vs Alembic (ctest)" ctest --test-dir build --output-on-failure -LE sql
run_suite "pg_regress" scripts/run-sql-suite.sh regress
run_suite "isolation" scripts/run-sql-suite.sh isolation
run_suite "pgTAP" scripts/run-sql-suite.sh pgtap
run_suite "differential vs Alembic through SQL" \
	test/differential/run-sql.sh --cli build/test/differential/pfm_plan_cli
run_suite "8-session race" test/concurrency/race.sh
PFM_SERVER_LOG="$tmp/data/server.log" run_suite "integration" test/integration/run.sh
PFM_SERVER_DATA="$tmp/data" run_suite "release upgrade, per-revision deploys, faults" test/integration/deploy.sh
PFM_SKIP_BUILD=1 run_suite "dev/deploy scripts and Alembic converter" test/scripts/run.sh
run_suite "privileges by role, procedures and offline scripts under a hostile search_path" test/privileges/run.sh
# Robustness (SPEC §11): sanitizers, then the core's fuzz targets for PFM_FUZZ_SECONDS (default 60) each.
run_suite "GoogleTest under ASan + UBSan" test/sanitize/unit.sh
run_suite "pg_regress + pgTAP, extension under ASan + UBSan" test/sanitize/server.sh
run_suite "libFuzzer on the core (${PFM_FUZZ_SECONDS:-60}s per target)" test/fuzz/run.sh
# Every SQL routine of the extension with hostile arguments, seeded (PFM_SQL_FUZZ_SEED), for
# PFM_SQL_FUZZ_SECONDS (default 60) against this server; its log is checked for crashes.
PFM_SERVER_LOG="$tmp/data/server.log" run_suite "SQL-level fuzz (${PFM_SQL_FUZZ_SECONDS:-60}s)" test/fuzz/sql_run.sh
# Last: it replaces the `make install` copy in the system PostgreSQL with the package, then
# purges the package (it skips itself unless root and PFM_PG_BIN is unset).
run_suite "Debian package (build, install, SQL suites, purge)" test/package/run.sh

echo
echo "== summary =="
printf '%s\n' "${summary[@]}"
echo "suites: $(( ${#summary[@]} - failures )) passed, $failures failed"
[ "$failures" -eq 0 ]
