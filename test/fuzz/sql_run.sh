#!/usr/bin/env bash
# SQL-level fuzz (SPEC section 11): test/fuzz/sql_fuzz.py against a live server for a bounded
# time, seeded (the seed is printed; PFM_SQL_FUZZ_SEED picks one). Uses the server in
# PGHOST/PGPORT (scripts/test.sh passes it, with PFM_SERVER_LOG, its log file, for the
# "terminated by signal" check); otherwise starts a throwaway cluster of its own.
#   PFM_SQL_FUZZ_SECONDS  how long (default 60)
#   PFM_SQL_FUZZ_SEED     the seed (default: random)
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"
pfm_ensure_deps --tests
if [ -z "${PGHOST:-}" ]; then
	own=$(pfm_tmpdir)
	pfm_cluster_start "$own/data" "$own/sock" "${PFM_SQL_FUZZ_PORT:-5432}"
	export PGHOST="$own/sock" PGPORT=${PFM_SQL_FUZZ_PORT:-5432} PGUSER=postgres PFM_SERVER_LOG="$own/data/server.log"
	trap 'pfm_cluster_stop "$own/data"; rm -rf "$own"' EXIT
fi
export PGUSER=${PGUSER:-postgres}
/usr/bin/python3 "$PFM_ROOT/test/fuzz/sql_fuzz.py" "$@"
