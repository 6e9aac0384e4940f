#!/usr/bin/env bash
# The extension built with ASan + UBSan (make SANITIZE=1), loaded into a throwaway server
# that preloads the compiler's libasan, running the pg_regress and pgTAP suites (SPEC §11).
# Zero reports required: the ASan/UBSan log directory must stay empty and the server log
# must have no "terminated by signal", no sanitizer text, no PANIC.
#
# The ASan build never touches the system PostgreSQL nor PFM_PG_BIN's installation: it is
# installed into a private copy of the system PostgreSQL made for this run (or kept in
# PFM_ASAN_PG_ROOT when that is set), and built from a copy of the sources, so the work
# tree's objects stay as they were.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"
cd "$PFM_ROOT"
pfm_ensure_deps --tests  # the system PostgreSQL the copy is made from, pgTAP, pg_prove

started=$SECONDS
cxx=${CXX:-g++}
libasan=$(readlink -f "$("$cxx" -print-file-name=libasan.so)")
[ -f "$libasan" ] || pfm_die "no ASan runtime for $cxx (libasan): install the compiler's libasan"

tmp=$(pfm_tmpdir)
pgroot=${PFM_ASAN_PG_ROOT:-$tmp/pgroot}
asan_logs="$tmp/sanitizer-logs"
cleanup() {
	pfm_cluster_stop "$tmp/data"
	[ -n "${reported:-}" ] || echo "asan server: 0 passed, 1 failed (stopped early; PFM_KEEP_TMP=1 keeps $tmp)"
	if [ "${PFM_KEEP_TMP:-}" ]; then pfm_log "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

# A private copy of the system PostgreSQL: its pg_config answers with paths inside the copy.
sys_bin="/usr/lib/postgresql/$PG_MAJOR/bin"
if [ ! -x "$pgroot/usr/lib/postgresql/$PG_MAJOR/bin/postgres" ]; then
	pfm_log "copying the system PostgreSQL $PG_MAJOR into $pgroot"
	mkdir -p "$pgroot/usr/lib/postgresql" "$pgroot/usr/share/postgresql" "$pgroot/usr/include"
	cp -a "/usr/lib/postgresql/$PG_MAJOR" "$pgroot/usr/lib/postgresql/"
	cp -a "/usr/share/postgresql/$PG_MAJOR" "$pgroot/usr/share/postgresql/"
	cp -a /usr/include/postgresql "$pgroot/usr/include/"
	chmod 755 "$pgroot"
fi
export PFM_PG_BIN="$pgroot/usr/lib/postgresql/$PG_MAJOR/bin"
PG_BIN=$PFM_PG_BIN
PG_CONFIG="$PG_BIN/pg_config"
case "$("$PG_CONFIG" --pkglibdir)" in
"$pgroot"/*) ;;
*) pfm_die "pg_config of the copy points outside it: $("$PG_CONFIG" --pkglibdir)" ;;
esac
[ "$PG_BIN" != "$sys_bin" ] || pfm_die "refusing to install the ASan build into the system PostgreSQL"

pfm_log "building pfm_migrate with ASan + UBSan ($cxx, make SANITIZE=1)"
mkdir -p "$tmp/src"
cp -r Makefile ./*.control ./*.sql src "$tmp/src/"
find "$tmp/src" \( -name '*.o' -o -name '*.d' -o -name '*.so' -o -name '*.bc' \) -delete
make -C "$tmp/src" -s -j"$(nproc)" SANITIZE=1 CXX="$cxx" PG_CONFIG="$PG_CONFIG" >/dev/null
make -C "$tmp/src" -s install SANITIZE=1 CXX="$cxx" PG_CONFIG="$PG_CONFIG" >/dev/null
so="$("$PG_CONFIG" --pkglibdir)/pfm_migrate.so"
ldd "$so" | grep -q libasan || pfm_die "$so is not linked against libasan"
build_seconds=$((SECONDS - started))

mkdir -p "$asan_logs"
[ "$(id -u)" = 0 ] && chown postgres: "$asan_logs"
server_asan="detect_leaks=0:halt_on_error=1:abort_on_error=1:log_path=$asan_logs/asan"
# Preloaded alone, libasan initialises lazily on the first malloc, which in Debian's postgres
# comes from a library constructor holding a glibc lock (libgpg-error's bindtextdomain,
# libp11-kit's newlocale); ASan's start-up then calls dlerror() -> dcgettext(), which takes and
# releases that same lock, and the process later hangs in set_pglocale_pgservice(). Preloading
# postgres's own libraries before libasan makes libasan initialise before their constructors.
# (malloc and operator new still resolve to libasan: libc and libstdc++ stay out of the list.)
preload="$(ldd "$PG_BIN/postgres" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' |
	grep -vE '/(libc|libm|libdl|libpthread|librt|libgcc_s|libstdc\+\+)\.so' | paste -sd' ') $libasan"
server_ubsan="print_stacktrace=1:halt_on_error=1:log_path=$asan_logs/ubsan"

# initdb without the runtime, then the server with it (pg_ctl and every backend inherit it).
pfm_cluster_start "$tmp/data" "$tmp/sock" 5432
pfm_cluster_stop "$tmp/data"
pfm_as_owner env LD_PRELOAD="$preload" ASAN_OPTIONS="$server_asan:verify_asan_link_order=0" \
	UBSAN_OPTIONS="$server_ubsan" "$PG_BIN/pg_ctl" -D "$tmp/data" -w -l "$tmp/data/server.log" \
	-o "-c listen_addresses='' -c unix_socket_directories='$tmp/sock' -p 5432" start >/dev/null
export PGHOST="$tmp/sock" PGPORT=5432 PGUSER=postgres
postmaster=$(head -1 "$tmp/data/postmaster.pid")
grep -q libasan "/proc/$postmaster/maps" || pfm_die "the postmaster ($postmaster) has no ASan runtime mapped"

# The check can see a report: a canary C function with a heap overflow, called in a backend
# of this server, must leave an ASan report and a "terminated by signal" line. Once the
# server has recovered from that crash, its report is removed and only the server log
# written after this point is checked.
cat >"$tmp/canary.c" <<'CANARY'
#include "postgres.h"
#include "fmgr.h"
PG_MODULE_MAGIC;
PG_FUNCTION_INFO_V1(asan_canary);
Datum asan_canary(PG_FUNCTION_ARGS)
{
	volatile char *p = malloc(4);
	p[4] = 1;
	PG_RETURN_VOID();
}
CANARY
gcc -fsanitize=address -fPIC -shared -I"$("$PG_CONFIG" --includedir-server)" "$tmp/canary.c" -o "$tmp/canary.so"
chmod 755 "$tmp/canary.so"
"$PG_BIN/psql" -qX -d postgres -c "CREATE FUNCTION pg_temp.asan_canary() RETURNS void AS '$tmp/canary.so' LANGUAGE C" \
	-c 'SELECT pg_temp.asan_canary()' >/dev/null 2>&1 || true
for _ in $(seq 50); do grep -qs 'terminated by signal' "$tmp/data/server.log" && break; sleep 0.2; done
grep -qs 'heap-buffer-overflow' "$asan_logs"/asan.* ||
	pfm_die "the canary left no ASan report in $asan_logs: the check would see nothing"
grep -q 'terminated by signal' "$tmp/data/server.log" ||
	pfm_die "the canary's backend was not reported as terminated by a signal"
for _ in $(seq 120); do "$PG_BIN/pg_isready" -q -h "$tmp/sock" -p 5432 && break; sleep 0.5; done
"$PG_BIN/pg_isready" -q -h "$tmp/sock" -p 5432 || pfm_die "the server did not recover from the canary's crash"
rm -f "$asan_logs"/*
log_from=$(($(stat -c %s "$tmp/data/server.log") + 1))
pfm_log "canary: heap-buffer-overflow reported and its backend terminated by a signal; the server recovered"

passed=0
failed=0
suites_started=$SECONDS
for suite in regress pgtap; do
	if scripts/run-sql-suite.sh "$suite"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
suite_seconds=$((SECONDS - suites_started))
pfm_cluster_stop "$tmp/data"

log="$tmp/server-after-canary.log"
tail -c +"$log_from" "$tmp/data/server.log" >"$log"
signals=$(grep -c 'terminated by signal' "$log" || true)
exits=$(grep -cE 'server process .* exited with exit code [1-9]' "$log" || true)
panics=$(grep -cE 'PANIC:|TRAP:' "$log" || true)
sanitizer_lines=$(grep -cE 'AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer' "$log" || true)
reports=$(find "$asan_logs" -type f | wc -l)
echo "== checked (build ${build_seconds}s, suites ${suite_seconds}s under ASan) =="
echo "  module:        $so (linked against $(ldd "$so" | awk '/lib(asan|ubsan)\.so/ {print $1}' | paste -sd' '))"
echo "  runtime:       $libasan last of the $(wc -w <<<"$preload") preloaded libraries, mapped in the postmaster"
echo "  ASAN_OPTIONS:  $server_asan:verify_asan_link_order=0"
echo "  UBSAN_OPTIONS: $server_ubsan"
echo "  report files:  $reports in $asan_logs (asan.*, ubsan.*)"
echo "  server log:    $signals 'terminated by signal', $exits backend exit code != 0, $panics PANIC/TRAP, $sanitizer_lines sanitizer lines"
if [ "$reports" -eq 0 ] && [ "$signals" -eq 0 ] && [ "$exits" -eq 0 ] && [ "$panics" -eq 0 ] && [ "$sanitizer_lines" -eq 0 ]; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
	for f in "$asan_logs"/*; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done
	grep -nE -B2 -A20 'terminated by signal|exited with exit code [1-9]|PANIC:|TRAP:|AddressSanitizer|runtime error:' "$log" | head -200 || true
	echo "(PFM_KEEP_TMP=1 keeps $tmp with the logs)"
fi
# Three checks: pg_regress, pgTAP, zero reports.
echo "asan server: $passed passed, $failed failed"
reported=1
[ "$failed" -eq 0 ]
