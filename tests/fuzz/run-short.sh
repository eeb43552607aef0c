#!/usr/bin/env bash
# Builds the libFuzzer harnesses and the unit tests with clang + ASan + UBSan in
# BUILD_DIR, runs the unit tests there, then each fuzzer for SECONDS seconds.
# CI: SECONDS=20 (ctest label "fuzz"). Longer: tests/fuzz/run-short.sh build-fuzz 600
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build-fuzz}
seconds=${2:-20}
if ! command -v clang++ >/dev/null; then
	echo "fuzz: SKIPPED: clang++ is missing (scripts/install-deps.sh installs clang)"
	exit 0
fi
cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
	-DCMAKE_BUILD_TYPE=Debug -DCOPYSCOPE_FUZZ=ON >/dev/null
cmake --build "$build" -j2 --target fuzz_trace fuzz_size unit_tests export_unit_tests >/dev/null
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
"$build/tests/unit_tests" --gtest_brief=1
"$build/tests/export_unit_tests" --gtest_brief=1
# Seeds: sizes, and a real 4 KiB sendfile trace (small enough to mutate quickly).
mkdir -p "$build/corpus/trace" "$build/corpus/size"
cp "$src"/tests/fuzz/corpus/size/* "$build/corpus/size/"
cp "$src"/tests/fuzz/corpus/trace/* "$build/corpus/trace/"
for target in size trace; do
	echo "fuzz: $target for ${seconds}s"
	status=0
	"$build/tests/fuzz_$target" -max_total_time="$seconds" -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$build/" "$build/corpus/$target" >"$build/fuzz_$target.log" 2>&1 || status=$?
	grep -E 'stat::number_of_executed_units|ERROR|SUMMARY' "$build/fuzz_$target.log" || true
	if [ "$status" -ne 0 ]; then
		tail -40 "$build/fuzz_$target.log"
		exit 1
	fi
done
