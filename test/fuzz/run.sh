#!/usr/bin/env bash
# Builds the libFuzzer targets of the core (clang, ASan + UBSan) and runs each for a bounded
# time from the checked-in seed corpus; prints executions/second and coverage (libFuzzer's
# cov/ft) per target and exits non-zero on any finding (crash, sanitizer report, broken
# invariant, uncaught non-core::Error exception, leak, timeout, out of memory).
#   PFM_FUZZ_SECONDS  seconds per target (default 60)
#   PFM_FUZZ_TARGETS  which targets (default: fuzz_target fuzz_graph)
#   PFM_FUZZ_SEED     libFuzzer -seed (default: random, printed in the log)
# Installs clang and its libFuzzer runtime (Debian 12: clang, libclang-rt-dev) when missing.
# Output: build-fuzz/ (the grown corpus in build-fuzz/corpus/, logs, crash artifacts).
# Reproduce a finding: build-fuzz/<target> build-fuzz/artifacts/<target>/crash-...
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
seconds=${PFM_FUZZ_SECONDS:-60}
targets=(${PFM_FUZZ_TARGETS:-fuzz_target fuzz_graph})
out="$root/build-fuzz"

log() { printf '==> %s\n' "$*" >&2; }

# libFuzzer links only when clang and its compiler-rt are both there: try it.
fuzzer_links() {
	command -v clang++ >/dev/null || return 1
	local probe
	probe=$(mktemp -d)
	printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char *, unsigned long) { return 0; }\n' >"$probe/p.cpp"
	clang++ -fsanitize=fuzzer,address,undefined "$probe/p.cpp" -o "$probe/p" >/dev/null 2>&1
	local status=$?
	rm -rf "$probe"
	return "$status"
}
if ! fuzzer_links || ! command -v cmake >/dev/null; then
	[ "$(id -u)" = 0 ] || { echo "error: need clang++ with libFuzzer (clang, libclang-rt-dev) and cmake; run as root to install" >&2; exit 1; }
	log "installing clang, libclang-rt-dev, cmake"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends clang libclang-rt-dev cmake make >/dev/null
	fuzzer_links || { echo "error: clang++ -fsanitize=fuzzer still does not link" >&2; exit 1; }
fi

log "building the fuzz targets (clang++ -fsanitize=fuzzer,address,undefined)"
cmake -S test/fuzz -B "$out" -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$out" -j"$(nproc)" >/dev/null

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0
failed=0
for t in "${targets[@]}"; do
	corpus="$out/corpus/$t"
	artifacts="$out/artifacts/$t"
	dict="test/fuzz/${t#fuzz_}.dict"
	mkdir -p "$corpus"
	rm -rf "$artifacts" && mkdir -p "$artifacts"
	log "fuzzing $t for ${seconds}s (seeds: test/fuzz/corpus/$t, $(ls "test/fuzz/corpus/$t" | wc -l) files)"
	status=0
	start=$SECONDS
	# The first directory collects new inputs; the checked-in seeds are only read.
	"$out/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
		${PFM_FUZZ_SEED:+-seed="$PFM_FUZZ_SEED"} -dict="$dict" -print_final_stats=1 \
		-artifact_prefix="$artifacts/" "$corpus" "test/fuzz/corpus/$t" >"$out/$t.log" 2>&1 || status=$?
	elapsed=$((SECONDS - start))
	done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$out/$t.log" | tail -1 || true)
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' <<<"$done_line" || true)
	execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$out/$t.log")
	rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$out/$t.log")
	finds=$(ls "$artifacts")
	if [ "$status" -ne 0 ] || [ -n "$finds" ]; then
		failed=$((failed + 1))
		echo "$t: FINDING after ${elapsed}s (exit $status): $out/$t.log"
		grep -E 'ERROR|SUMMARY|runtime error|invariant broken|terminate called|what\(\)' "$out/$t.log" | head -20 || true
		tail -40 "$out/$t.log"
		for f in $finds; do echo "  artifact: $artifacts/$f (replay: $out/$t $artifacts/$f)"; done
	else
		passed=$((passed + 1))
		echo "$t: ok in ${elapsed}s: ${execs:-?} executions, ${rate:-?} exec/s, ${cov:-cov ?}, corpus $(ls "$corpus" | wc -l) files"
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
