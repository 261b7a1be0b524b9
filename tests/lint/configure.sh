#!/usr/bin/env bash
# ./configure --help names a --disable-plugin-NAME for every plugin in
# plugins/ (a loop of AC_ARG_ENABLE once listed only the first), and
# configure does not print rm's complaints about our core/ folder.
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
# configure, run in a build directory that holds a core/ folder (as every
# build directory does after make), does not complain about removing it
if [ -f "$PB_TOP_SRCDIR/config.status" ]; then
	echo "PASS: configure --help lists --disable-plugin-NAME for the $n plugins (the source tree is configured in place, so no second build directory: rm check skipped)"
	exit 0
fi
bd=$(mktemp -d)
trap 'rm -rf "$bd"' EXIT
mkdir "$bd/core"
(cd "$bd" && "$PB_TOP_SRCDIR/configure" --disable-plugin-centos >configure.out 2>&1) ||
	{ tail -n 20 "$bd/configure.out"; echo "FAIL: configure in $bd failed"; exit 1; }
if grep -n "rm: " "$bd/configure.out"; then
	echo "FAIL: configure's output has rm's complaints"
	exit 1
fi
echo "PASS: configure --help lists --disable-plugin-NAME for the $n plugins; configure runs without rm's complaints"
