#!/usr/bin/env bash
# Builds the libFuzzer harnesses and the unit tests with clang + ASan + UBSan in
# BUILD_DIR, runs the unit tests there, then each fuzzer for SECONDS seconds.
# CI: SECONDS=20 (ctest label "fuzz"). Longer: tests/fuzz/run-short.sh build-fuzz 600
# Without clang it prints SKIP and exits 77, which ctest reports as skipped
# (SKIP_RETURN_CODE in tests/CMakeLists.txt). CLANG_CC / CLANG_CXX name other
# compilers (e.g. clang-16 and clang++-16).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build-fuzz}
seconds=${2:-20}
cc=${CLANG_CC:-clang}
cxx=${CLANG_CXX:-clang++}
for compiler in "$cc" "$cxx"; do
	if ! command -v "$compiler" >/dev/null; then
		echo "fuzz: SKIP: $compiler is missing (scripts/install-deps.sh installs clang)"
		exit 77
	fi
done
cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
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
	# A fuzzer that ran no input found nothing because it tried nothing.
	units=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$build/fuzz_$target.log" | tail -1)
	if [ "${units:-0}" -eq 0 ]; then
		echo "fuzz: $target executed no inputs"
		tail -40 "$build/fuzz_$target.log"
		exit 1
	fi
done
