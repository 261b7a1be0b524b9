#!/usr/bin/env bash
# The whole tree, programs and test programs, built with -Wall -Wextra
# -Werror by the other compiler than this build's: clang when $(CC) is
# gcc, gcc when it is clang. So a run of make check holds the tree to both
# compilers' warnings, as CI must. Skipped (77) when the other one is
# missing. Nothing is run: the tests ran with $(CC).
. "$PB_TOP_SRCDIR/tests/fuzz/subbuild.sh"

case "$("${PB_CC:?}" --version 2>/dev/null | head -n1)" in
*clang*) other=gcc ;;
*) other=clang ;;
esac
if ! command -v "$other" >/dev/null; then
	echo "SKIP: no $other on PATH: the build is checked with ${PB_CC} alone"
	exit 77
fi

pb_subbuild "werror-$other" CC="$other" --enable-werror || exit 1
cd "$pb_work/build" || exit 1
echo "building everything with $other --enable-werror"
if ! $MAKE -j"$pb_jobs" all >"$pb_work/make.log" 2>&1 ||
	! $MAKE -j"$pb_jobs" check TESTS= >>"$pb_work/make.log" 2>&1; then
	grep -E "error|warning" "$pb_work/make.log" | head -40
	echo "FAIL: the tree does not build with $other --enable-werror" \
		"(log: $pb_work/make.log)"
	exit 1
fi
echo "PASS: the tree builds with $other --enable-werror"
