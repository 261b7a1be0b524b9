#!/bin/bash
# The sanitizer run of make check: the unit tests and the fuzz replays
# built again with AddressSanitizer (LeakSanitizer on) and
# UndefinedBehaviorSanitizer, -fno-sanitize-recover=all, with the same $CC,
# and run; any report fails. Skipped when configure found that $CC cannot
# build with them.
set -u
. "$PB_TOP_SRCDIR/tests/fuzz/subbuild.sh"

if [ -z "${PB_SAN_CFLAGS:-}" ]; then
	echo "SKIP: ${PB_CC:-cc} cannot build and run programs with" \
		"-fsanitize=address,undefined (configure checked); gcc needs" \
		"libasan8 and libubsan1, clang libclang-rt-14-dev"
	exit 77
fi
pb_subbuild sanitize CC="$PB_CC" CFLAGS="-g -O1 $PB_SAN_CFLAGS" \
	LDFLAGS="$PB_SAN_CFLAGS" || exit 1

export ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=${LSAN_OPTIONS:-}
cd "$pb_work/build" || exit 1
echo "building and running the unit tests and fuzz replays with $PB_SAN_CFLAGS"
# the literal $(...) are the sub-build's own lists
if $MAKE -j"$pb_jobs" check TESTS='$(UNIT_TESTS) $(FUZZ_HARNESSES)' \
	>"$pb_work/check.log" 2>&1; then
	grep -E '^# (TOTAL|PASS|SKIP|FAIL|XFAIL|XPASS|ERROR):' "$pb_work/check.log"
	exit 0
fi
echo "FAIL: the sanitizer build or run failed ($pb_work/build):"
if [ -f test-suite.log ]; then
	grep -E '^(FAIL|ERROR):' "$pb_work/check.log"
	# the reports of the failed tests
	sed -n '/^FAIL: \|^ERROR: /,$p' test-suite.log | head -200
else
	grep -E 'error|Error' "$pb_work/check.log" | head -40
	tail -20 "$pb_work/check.log"
fi
exit 1
