#!/usr/bin/env bash
# Runs one SQL suite against a PostgreSQL server with pfm_migrate installed:
#   regress    pg_regress over sql/*.sql, compared with expected/*.out
#   isolation  pg_isolation_regress over specs/*.spec (concurrent sessions)
#   pgtap      pg_prove over test/pgtap/*.sql
# Uses the server in PGHOST/PGPORT when set (scripts/test.sh starts one); otherwise starts
# and stops a throwaway cluster of its own. Output goes under build/sql-<suite>/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
suite=${1:?usage: run-sql-suite.sh regress|isolation|pgtap}
pfm_ensure_deps --tests

own_cluster=
if [ -z "${PGHOST:-}" ]; then
	own_cluster=$(pfm_tmpdir)
	pfm_cluster_start "$own_cluster/data" "$own_cluster/sock" 5432
	export PGHOST="$own_cluster/sock" PGPORT=5432 PGUSER=postgres
	trap 'pfm_cluster_stop "$own_cluster/data"; rm -rf "$own_cluster"' EXIT
fi
export PGUSER=${PGUSER:-postgres}

pgxs_dir=$(dirname "$("$PG_CONFIG" --pgxs)")/..
out="$PFM_ROOT/build/sql-$suite"
rm -rf "$out" && mkdir -p "$out"
cd "$PFM_ROOT"

# run_regress TOOL INPUT_GLOB EXT: pg_regress-style runner over every file of a kind.
run_regress() {
	local tool=$1 pattern=$2 ext=$3 status=0
	mapfile -t tests < <(ls $pattern | xargs -n1 basename | sed "s/\\.$ext\$//")
	"$pgxs_dir/$tool" --inputdir=. --outputdir="$out" --bindir="$PG_BIN" --dbname="pfm_$suite" "${tests[@]}" \
		| tee "$out/summary.txt" || status=$?
	[ "$status" -ne 0 ] && [ -f "$out/regression.diffs" ] && cat "$out/regression.diffs"
	local failed
	failed=$(grep -cE '\.\.\. FAILED|^not ok' "$out/summary.txt" || true)
	echo "$suite: $(( ${#tests[@]} - failed )) passed, $failed failed"
	return "$status"
}

case "$suite" in
regress) run_regress test/regress/pg_regress 'sql/*.sql' sql ;;
isolation) run_regress test/isolation/pg_isolation_regress 'specs/*.spec' spec ;;
pgtap)
	"$PG_BIN/psql" -qX -d postgres -c 'DROP DATABASE IF EXISTS pfm_tap' -c 'CREATE DATABASE pfm_tap' >/dev/null
	pg_prove -d pfm_tap --ext .sql -r test/pgtap
	;;
*) pfm_die "unknown suite: $suite" ;;
esac
