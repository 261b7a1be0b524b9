#!/usr/bin/env bash
# The layers of core/ (../shared/DESIGN.md, "Layout"; the README's "Layout"):
# a file includes only headers of its own layer or of the layers below it,
# and every include of the core names its layer ("net/fetch.h"). Listed top
# down; main.c, the dispatch, stands above them all.
set -u
top=${PB_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
layers=(cli pipeline verify build crawl net repo plugin output archive util sdk)

rank() { # LAYER -> its index, or nothing
	local i
	for i in "${!layers[@]}"; do
		[ "${layers[$i]}" = "$1" ] && { echo "$i"; return; }
	done
}

check() { # TOP: 0 when the layers of TOP/core hold
local top=$1 f rel from fr inc to tr bad=0
while IFS= read -r f; do
	rel=${f#"$top"/core/}
	from=${rel%%/*}
	if [ "$rel" = main.c ]; then
		fr=-1
	else
		fr=$(rank "$from")
		if [ -z "$fr" ]; then
			echo "FAIL: core/$rel: core/$from/ is not a layer (${layers[*]})"
			bad=1
			continue
		fi
	fi
	while IFS= read -r inc; do
		case $inc in
		config.h | probe-builder/*) continue ;; # build config, the SDK's API
		esac
		to=${inc%%/*}
		if [ "$to" = "$inc" ]; then
			echo "FAIL: core/$rel includes \"$inc\": name its layer (\"<layer>/$inc\")"
			bad=1
			continue
		fi
		tr=$(rank "$to")
		if [ -z "$tr" ]; then
			echo "FAIL: core/$rel includes \"$inc\": $to/ is not a layer"
			bad=1
		elif [ "$tr" -lt "$fr" ]; then
			echo "FAIL: core/$rel ($from) includes \"$inc\": $to is above $from"
			bad=1
		fi
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done < <(find "$top/core" -name '*.[ch]' | sort)
return $bad
}

# the check itself: a tree with an include pointing up must fail it
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/core/util" "$t/core/net"
printf '#include "net/fetch.h"\n' >"$t/core/util/x.c"
if check "$t" >"$t/out"; then
	echo "FAIL: the check let util/ include net/"
	exit 1
fi
grep -q 'net is above util' "$t/out" || { cat "$t/out"; echo "FAIL: the check said no why"; exit 1; }

if check "$top"; then
	echo "PASS: every include of core/ names its layer and points to its own or one below"
	exit 0
fi
exit 1
