#!/bin/bash
# libFuzzer on every harness of tests/fuzz/: a clang build configured with
# --enable-fuzzing (AddressSanitizer and UndefinedBehaviorSanitizer on),
# each harness run for its share of FUZZ_SECONDS (20 in make check; `make
# fuzz FUZZ_SECONDS=600` by hand), starting from the committed corpus. A
# crash, leak, sanitizer report or timeout fails, naming the input that did
# it. Skipped when clang or its libFuzzer runtime is absent.
#
# Environment: FUZZ_SECONDS (total), FUZZ_ONLY (harness names, e.g. "elf
# pkgname"), PB_CLANG (default clang), FUZZ_KEEP=1 keeps what the fuzzer
# found in tests/fuzz/libfuzzer/corpus/<name>/ (`make fuzz` does).
set -u
. "$PB_TOP_SRCDIR/tests/fuzz/subbuild.sh"

clang=${PB_CLANG:-clang}
seconds=${FUZZ_SECONDS:-20}
probe_dir=$(mktemp -d) || exit 1
trap 'rm -rf "$probe_dir"' EXIT
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
	'{ (void)d; (void)n; return 0; }' >"$probe_dir/t.c"
if ! "$clang" -fsanitize=fuzzer,address,undefined "$probe_dir/t.c" \
	-o "$probe_dir/t" >"$probe_dir/log" 2>&1 ||
	! "$probe_dir/t" -runs=1 >>"$probe_dir/log" 2>&1; then
	echo "SKIP: no libFuzzer: '$clang -fsanitize=fuzzer' cannot build or" \
		"run a harness (install clang and libclang-rt-14-dev):"
	head -5 "$probe_dir/log"
	exit 77
fi

pb_subbuild libfuzzer CC="$clang" --enable-fuzzing \
	CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
	LDFLAGS="-fsanitize=address,undefined" || exit 1
cd "$pb_work/build" || exit 1

harnesses=
for h in ${PB_FUZZ_HARNESSES:?}; do
	name=${h##*/fuzz_}
	if [ -n "${FUZZ_ONLY:-}" ] && ! [[ " $FUZZ_ONLY " == *" $name "* ]]; then
		continue
	fi
	harnesses="$harnesses $h"
done
set -- $harnesses
[ $# -gt 0 ] || { echo "FAIL: no harness selected (FUZZ_ONLY=${FUZZ_ONLY:-})"; exit 1; }
echo "building $# libFuzzer harnesses with $clang"
if ! $MAKE -j"$pb_jobs" "$@" >"$pb_work/make.log" 2>&1; then
	echo "FAIL: building the harnesses:"
	grep -E 'error' "$pb_work/make.log" | head -40
	exit 1
fi

each=$((seconds / $#))
[ "$each" -ge 1 ] || each=1
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=0
for h in "$@"; do
	name=${h##*/fuzz_}
	found=$pb_work/corpus/$name
	[ "${FUZZ_KEEP:-0}" = 1 ] || rm -rf "$found"
	mkdir -p "$found" "$pb_work/artifacts"
	# new inputs go to the first directory, never into the source tree
	if ./"$h" -max_total_time="$each" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 \
		-artifact_prefix="$pb_work/artifacts/$name-" \
		"$found" "$PB_TOP_SRCDIR/tests/fuzz/corpus/$name" \
		>"$pb_work/$name.log" 2>&1; then
		echo "PASS: $name ($each s): $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$pb_work/$name.log" | grep -o '[0-9]*$') runs"
	else
		failed=1
		echo "FAIL: $name: libFuzzer found a failing input ($pb_work/$name.log):"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$pb_work/$name.log" | head -20
	fi
done
if [ "${FUZZ_KEEP:-0}" = 1 ]; then
	echo "new inputs: $pb_work/corpus/<name>/ (minimize with -merge=1 before" \
		"committing any to tests/fuzz/corpus/)"
fi
exit $failed
