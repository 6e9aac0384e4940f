#!/usr/bin/env bash
# test/scripts/run.sh [NAME...] — tests for scripts/dev.sh, deploy.sh, adopt_alembic.sh and
# alembic_to_pfm.py, each command run against a real throwaway cluster (Unix socket only).
# NAME is converter, deploy, dev, inspect or adopt (default: all). Prints TAP lines, then
# "N passed, M failed"; exits non-zero when anything failed.
# PFM_SKIP_BUILD=1 skips `make install` (when the caller has just installed the extension).
set -euo pipefail

TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../scripts/lib.sh
source "$TEST_DIR/../../scripts/lib.sh"
# shellcheck disable=SC2034 # used by the test_*.sh files
SCRIPTS=$PFM_ROOT/scripts FIXTURES=$TEST_DIR/fixtures
EXAMPLES=$PFM_ROOT/examples/pfm/migrations
export PYTHONDONTWRITEBYTECODE=1
unset DATABASE_URL PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGSERVICE PGPASSWORD MIGRATIONS_DIR BACKUP_DIR

# ---- TAP helpers -------------------------------------------------------------
N=0 PASSED=0 FAILED=0
OUT='' RC=0
ok() { N=$((N + 1)) PASSED=$((PASSED + 1)); printf 'ok %d - %s\n' "$N" "$1"; }
not_ok() {
	N=$((N + 1)) FAILED=$((FAILED + 1))
	printf 'not ok %d - %s\n' "$N" "$1"
	[ -z "${2:-}" ] || printf '%s\n' "$2" | tail -n 25 | sed 's/^/#   /'
}
# run CMD...: runs CMD, keeping its stdout+stderr in OUT and its exit status in RC.
run() { OUT=$("$@" 2>&1) && RC=0 || RC=$?; }
# check DESC CMD...: passes when CMD succeeds.
check() {
	local desc=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$desc"; else not_ok "$desc" "command failed: $*"; fi
}
# is ACTUAL EXPECTED DESC
is() {
	if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3" "got:      '$1'
expected: '$2'"; fi
}
# rc_is EXPECTED DESC: the exit status of the last run
rc_is() {
	if [ "$RC" = "$1" ]; then ok "$2"; else not_ok "$2 (exit $RC, expected $1)" "$OUT"; fi
}
# out_has TEXT DESC: the output of the last run contains TEXT
out_has() {
	if grep -qF -- "$1" <<<"$OUT"; then ok "$2"; else not_ok "$2 (no '$1' in the output)" "$OUT"; fi
}

# ---- a throwaway cluster ----------------------------------------------------
pfm_ensure_deps --tests
[ "${PFM_SKIP_BUILD:-0}" = 1 ] || pfm_build_install
WORK=$(pfm_tmpdir)
SOCK=$WORK/run
# deploy.sh's digest cache (and anything else that caches) stays in the run's directory
export XDG_CACHE_HOME=$WORK/cache
cleanup() {
	pfm_cluster_stop "$WORK/data"
	[ -n "${DEV_STOP:-}" ] && pfm_cluster_stop "$DEV_STOP"
	rm -rf "$WORK"
}
[ "${KEEP:-0}" = 1 ] || trap cleanup EXIT
pfm_cluster_start "$WORK/data" "$SOCK" 5432


# q DB SQL: one value (or lines of values) from the test cluster, as superuser.
q() { psql -X -At -v ON_ERROR_STOP=1 -h "$SOCK" -U postgres -d "$1" -c "$2"; }
newdb() { q postgres "CREATE DATABASE $1" >/dev/null; }
url() { printf 'postgresql://%s@/%s?host=%s' "${2:-postgres}" "$1" "$SOCK"; }
has_table() { [ "$(q "$1" "SELECT to_regclass('$2') IS NOT NULL")" = t ]; }
# A writable copy of the example migrations.
# (Only the files git tracks: a stray file someone wrote there is not part of the examples.)
copy_examples() {
	mkdir -p "$1"
	local f
	while IFS= read -r f; do cp "$PFM_ROOT/$f" "$1"/; done < <(git -C "$PFM_ROOT" ls-files 'examples/pfm/migrations/*.sql')
}
# mig FILE REVISION PARENTS MESSAGE UPGRADE [DOWNGRADE]: writes a migration file (PARENTS
# "base" for a root; no DOWNGRADE: irreversible).
mig() {
	{
		printf -- '-- pfm:revision %s\n-- pfm:parents %s\n-- pfm:message %s\n\n-- pfm:upgrade\n%s\n\n' "$2" "$3" "$4" "$5"
		if [ $# -ge 6 ]; then printf -- '-- pfm:downgrade\n%s\n' "$6"; else printf -- '-- pfm:downgrade irreversible\n'; fi
	} >"$1"
}
# The database as pg_dump sees it (schema and data, catalog included), for "changes nothing".
# (pg_dump's \restrict lines carry a random key.)
dump_of() { pg_dump -h "$SOCK" -U postgres --no-comments "$1" | grep -Ev -e '^-- Dumped' -e '^\\(un)?restrict '; }

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(converter deploy dev inspect adopt)
for s in "${suites[@]}"; do
	printf '# --- %s\n' "$s"
	# Sourced as part of an || list, so errexit is off inside: a failing step is a failed
	# assertion, never the end of the run.
	# shellcheck source=/dev/null
	source "$TEST_DIR/test_$s.sh" || not_ok "suite $s ended with an error"
done

printf '1..%d\n%d passed, %d failed\n' "$N" "$PASSED" "$FAILED"
[ "$FAILED" -eq 0 ]
