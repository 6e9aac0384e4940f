#!/usr/bin/env bash
# The GoogleTest suite of the core under AddressSanitizer + UndefinedBehaviorSanitizer
# (SPEC §11): a separate CMake build in build-asan/, every report fatal, zero reports required.
# CXX picks the compiler (default: the system c++, g++ on Debian 12).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out="$root/build-asan"

if ! command -v cmake >/dev/null || ! command -v g++ >/dev/null || [ ! -f /usr/include/gtest/gtest.h ]; then
	[ "$(id -u)" = 0 ] || { echo "error: need cmake, g++ and libgtest-dev; run as root to install" >&2; exit 1; }
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends cmake g++ make libgtest-dev >/dev/null
fi

sanitize="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
echo "==> building pfm_core_tests with $sanitize in build-asan/" >&2
cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPFM_SQL_TESTS=OFF \
	-DCMAKE_CXX_FLAGS="$sanitize" -DCMAKE_EXE_LINKER_FLAGS="$sanitize" >/dev/null
cmake --build "$out" -j"$(nproc)" --target pfm_core_tests >/dev/null

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
log="$out/pfm_core_tests.log"
status=0
"$out/pfm_core_tests" >"$log" 2>&1 || status=$?
reports=$(grep -cE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" || true)
tests=$(grep -oE '^\[  PASSED  \] [0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
failed=$(grep -oE '^\[  FAILED  \] [0-9]+ test' "$log" | grep -oE '[0-9]+' || echo 0)
tail -3 "$log"
echo "sanitizer reports: $reports (log: build-asan/pfm_core_tests.log)"
if [ "$status" -ne 0 ] || [ "$reports" -ne 0 ]; then
	grep -A30 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" | head -80 || true
	[ "$failed" -eq 0 ] && failed=1
fi
echo "asan+ubsan googletest: $tests passed, $failed failed"
[ "$status" -eq 0 ] && [ "$reports" -eq 0 ]
