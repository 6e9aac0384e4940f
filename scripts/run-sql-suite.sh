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
pfm_ensure_deps

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

case "$suite" in
regress)
	mapfile -t tests < <(ls sql/*.sql | xargs -n1 basename | sed 's/\.sql$//')
	status=0
	"$pgxs_dir/test/regress/pg_regress" --inputdir=. --outputdir="$out" --bindir="$PG_BIN" \
		--dbname=pfm_regression "${tests[@]}" | tee "$out/summary.txt" || status=$?
	[ -f "$out/regression.diffs" ] && [ "$status" -ne 0 ] && cat "$out/regression.diffs"
	failed=$(grep -cE '^(not ok|test .* FAILED)|\.\.\. FAILED' "$out/summary.txt" || true)
	echo "pg_regress: $(( ${#tests[@]} - failed )) passed, $failed failed"
	exit "$status"
	;;
isolation)
	mapfile -t tests < <(ls specs/*.spec | xargs -n1 basename | sed 's/\.spec$//')
	status=0
	"$pgxs_dir/test/isolation/pg_isolation_regress" --inputdir=. --outputdir="$out" --bindir="$PG_BIN" \
		--dbname=pfm_isolation "${tests[@]}" | tee "$out/summary.txt" || status=$?
	[ -f "$out/regression.diffs" ] && [ "$status" -ne 0 ] && cat "$out/regression.diffs"
	failed=$(grep -cE '\.\.\. FAILED|^not ok' "$out/summary.txt" || true)
	echo "isolation: $(( ${#tests[@]} - failed )) passed, $failed failed"
	exit "$status"
	;;
pgtap)
	"$PG_BIN/psql" -qX -d postgres -c 'DROP DATABASE IF EXISTS pfm_tap' -c 'CREATE DATABASE pfm_tap' >/dev/null
	pg_prove -d pfm_tap --ext .sql -r test/pgtap
	;;
*) pfm_die "unknown suite: $suite" ;;
esac
