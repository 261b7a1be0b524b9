#!/usr/bin/env bash
# The README's plugin example ("Writing a distro plugin") compiles against
# the SDK headers with -Wall -Wextra -Werror: what a reader copies works.
set -euo pipefail
: "${PB_TOP_SRCDIR:?run through make check}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pb-readme.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
awk '/^### Writing a distro plugin/ { on = 1 }
     on && /^```c$/ { code = 1; next }
     code && /^```$/ { exit }
     code { print }' "$PB_TOP_SRCDIR/README.md" >"$tmp/mybuilder.c"
[ -s "$tmp/mybuilder.c" ] || { echo "FAIL: no C example under 'Writing a distro plugin'"; exit 1; }
${CC:-cc} -std=gnu11 -Wall -Wextra -Werror -fPIC -fvisibility=hidden \
	-I"$PB_TOP_SRCDIR/include" -c "$tmp/mybuilder.c" -o "$tmp/mybuilder.o" ||
	{ echo "FAIL: the README's plugin example does not compile"; exit 1; }
nm "$tmp/mybuilder.o" | grep -q " T pb_plugin_entry$" ||
	{ echo "FAIL: the example exports no pb_plugin_entry"; exit 1; }
echo "PASS: the README's plugin example compiles with -Wall -Wextra -Werror and exports pb_plugin_entry"
