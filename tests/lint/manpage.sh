#!/usr/bin/env bash
# probe-builder(1) tells the truth about the options: every option that a
# command's --help lists is in the man page, and groff renders it without
# a warning (-ww). newswatch(8) renders cleanly too.
set -euo pipefail
: "${PB_TOP_SRCDIR:?run through make check}"
PB=${PB_PROBE_BUILDER:?}
man1=$PB_TOP_SRCDIR/man/probe-builder.1
command -v groff >/dev/null || { echo "SKIP: no groff (Debian: groff-base): the pages are not rendered"; exit 77; }
for page in "$man1" "$PB_TOP_SRCDIR/newswatch/newswatch.8"; do
	out=$(groff -man -ww -z "$page" 2>&1)
	[ -z "$out" ] || { echo "FAIL: groff warns about $page:"; echo "$out"; exit 1; }
done
# the page's text, options unescaped
text=$(sed 's/\\-/-/g; s/\\f[BIR]//g' "$man1")
missing=()
for cmd in build crawl verify toolchains plugins; do
	for opt in $("$PB" "$cmd" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
		grep -qF -- "$opt" <<<"$text" || missing+=("$cmd $opt")
	done
done
for sub in build crawl verify toolchains plugins; do
	grep -q "^\.SS \"\{0,1\}$sub" "$man1" || missing+=("the $sub command's section")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "FAIL: probe-builder(1) lacks: ${missing[*]}"
	exit 1
fi
echo "PASS: probe-builder(1) has every option of every command's --help; groff -ww is quiet"
