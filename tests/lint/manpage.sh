#!/usr/bin/env bash
# probe-builder(1) tells the truth about the options: every option that a
# command's --help lists is in the man page, and groff renders it without
# a warning (-ww). probe-builder-plugin(7) has every hook of the plugin
# descriptor; it and newswatch(8) render cleanly too.
set -euo pipefail
: "${PB_TOP_SRCDIR:?run through make check}"
PB=${PB_PROBE_BUILDER:?}
man1=$PB_TOP_SRCDIR/man/probe-builder.1
command -v groff >/dev/null || { echo "SKIP: no groff (Debian: groff-base): the pages are not rendered"; exit 77; }
for page in "$man1" "$PB_TOP_SRCDIR/man/probe-builder-plugin.7" \
	"$PB_TOP_SRCDIR/newswatch/newswatch.8"; do
	out=$(groff -man -ww -z "$page" 2>&1)
	[ -z "$out" ] || { echo "FAIL: groff warns about $page:"; echo "$out"; exit 1; }
done
# the page's text, options unescaped
text=$(sed 's/\\-/-/g; s/\\f[BIR]//g' "$man1")
missing=()
for cmd in build crawl verify toolchains plugins manifest; do
	for opt in $("$PB" "$cmd" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
		grep -qF -- "$opt" <<<"$text" || missing+=("$cmd $opt")
	done
done
for sub in build crawl verify toolchains plugins manifest; do
	grep -q "^\.SS \"\{0,1\}$sub" "$man1" || missing+=("the $sub command's section")
done
# every member of struct pb_plugin is described in probe-builder-plugin(7)
man7=$(sed 's/\\-/-/g; s/\\f[BIR]//g' "$PB_TOP_SRCDIR/man/probe-builder-plugin.7")
for m in $(python3 - "$PB_TOP_SRCDIR/include/probe-builder/plugin.h" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
body = src[src.index("struct pb_plugin {"):]
body = body[:body.index("\n};")]
body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
for stmt in body.split(";")[:-1]:
    stmt = stmt.split("{", 1)[-1].strip()
    m = re.search(r"\(\*\s*(\w+)\)", stmt) or re.search(r"(\w+)\s*$", stmt)
    if m:
        print(m.group(1))
PY
); do
	grep -qw -- "$m" <<<"$man7" || missing+=("plugin(7): $m")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "FAIL: probe-builder(1) lacks: ${missing[*]}"
	exit 1
fi
echo "PASS: probe-builder(1) has every option of every command's --help, probe-builder-plugin(7) every hook; groff -ww is quiet"
