#!/usr/bin/env bash
# ./configure --help names a --disable-plugin-NAME for every plugin in
# plugins/ (a loop of AC_ARG_ENABLE once listed only the first).
set -euo pipefail
: "${PB_TOP_SRCDIR:?run through make check}"
help=$("$PB_TOP_SRCDIR/configure" --help)
n=0
for d in "$PB_TOP_SRCDIR"/plugins/*/; do
	name=$(basename "$d")
	grep -q -- "--disable-plugin-$name " <<<"$help" ||
		{ echo "FAIL: configure --help has no --disable-plugin-$name"; exit 1; }
	n=$((n + 1))
done
[ "$n" -ge 3 ] || { echo "FAIL: only $n plugins found in $PB_TOP_SRCDIR/plugins"; exit 1; }
echo "PASS: configure --help lists --disable-plugin-NAME for the $n plugins"
