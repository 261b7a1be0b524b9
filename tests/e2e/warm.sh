#!/usr/bin/env bash
# A warm rerun reads no input that did not change (issue 13): two real
# Debian kernels (6.1 amd64 and cloud-amd64) built once, then again.
# - from package files: every input's SHA-256 comes from the workspace's
#   hash cache (meta/hashes), none is hashed; all EXISTING, in less than
#   WARM_MAX_S;
# - an input rewritten in place at the same size, its mtime given back, is
#   hashed again (its ctime changed): the rerun unpacks it anew;
# - from a plan (--from-json) on a loopback mirror: the packages already
#   in the workspace's cache are taken from the hash cache (recorded when
#   they were downloaded), nothing is asked of the mirror, none is hashed.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
. "$PB_TOP_SRCDIR/tests/lib/httpd.sh"
pb_skip_if_no_e2e
pb_tmpdir
# generous: a loaded CI machine; the rerun takes ~0.1 s here
WARM_MAX_S=${WARM_MAX_S:-3}

abi=$(pb_debian_abi)
mapfile -t cached < <(pb_debian_pair "$abi")
# copies of our own: other tests hard-link the shared cache's files, which
# changes their ctime (and so, rightly, invalidates their entries)
mkdir -p "$TMP/debs"
cp -p "${cached[@]}" "$TMP/debs/"
files=("$TMP"/debs/*.deb)
# a file is remembered only once its times are PB_HASHCACHE_RACY_S (2 s)
# old: the copies' ctime is now
sleep 3

build() { # NAME [options]: the run's stdout, stderr and seconds in $TMP
	local name=$1 t0 t1
	shift
	t0=$(date +%s.%N)
	"$PB" build -k debian -p newswatch -v 1.0 -s "$PROBE_SRC" -o "$TMP/out" \
		-j 2 --verbose "$@" >"$TMP/$name.txt" 2>"$TMP/$name.err" ||
		{ cat "$TMP/$name.txt" "$TMP/$name.err"; fail "$name: build failed"; }
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }' >"$TMP/$name.s"
}
# sums of the kernels' "inputs: H hashed, C from the hash cache, D checked
# as downloaded" lines: "H C D"
inputs() {
	awk '/: inputs: / { for (i = 1; i <= NF; i++) {
		if ($(i + 1) == "hashed,") h += $i
		if ($(i + 1) == "from") c += $i
		if ($(i + 1) == "checked") d += $i } }
		END { print h + 0, c + 0, d + 0 }' "$TMP/$1.err"
}
under_max() { awk -v s="$1" -v m="$WARM_MAX_S" 'BEGIN { exit !(s < m) }'; }
existing() {
	[ "$(grep -cE ' EXISTING +EXISTING *$' "$TMP/$1.txt")" -eq 2 ] ||
		{ cat "$TMP/$1.txt"; fail "$1: not EXISTING for both kernels"; }
}

build cold -w "$TMP/ws" "${files[@]}"
# the kernels start together: the packages they share (common, kbuild)
# are hashed once or twice
read -r h c d < <(inputs cold)
[ $((h + c)) -eq 8 ] && [ "$h" -ge 6 ] && [ "$d" -eq 0 ] ||
	fail "cold: inputs hashed, from the cache, downloaded: $h $c $d"
n=$(find "$TMP/ws/meta/hashes" -type f | wc -l)
# one entry per package (the outputs were not there to check)
[ "$n" -eq 6 ] || fail "cold: $n hash cache entries, want 6"
ok "cold run: $h inputs hashed, $c from the hash cache, $n entries"

build warm -w "$TMP/ws" "${files[@]}"
existing warm
[ "$(inputs warm)" = "0 8 0" ] || fail "warm: inputs hashed, from the cache: $(inputs warm), want 0 8 0"
s=$(cat "$TMP/warm.s")
under_max "$s" || fail "warm rerun took ${s}s (bound ${WARM_MAX_S}s)"
ok "warm rerun from package files: 0 inputs hashed, 8 from the hash cache, all EXISTING, ${s}s"

# the common headers, rewritten in place: same size, same mtime
common=$(printf '%s\n' "${files[@]}" | grep -- "-common_")
before=$(stat -c '%s %Y %i' "$common")
python3 - "$common" <<'PY'
import os, sys
p = sys.argv[1]
st = os.stat(p)
with open(p, "r+b") as f:
    f.seek(st.st_size - 1)
    b = f.read(1)
    f.seek(st.st_size - 1)
    f.write(bytes([b[0] ^ 1]))
os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
PY
[ "$(stat -c '%s %Y %i' "$common")" = "$before" ] || fail "the rewrite changed size, mtime or inode"
sleep 3
build changed -w "$TMP/ws" "${files[@]}"
read -r h c d < <(inputs changed)
[ $((h + c)) -eq 8 ] && [ "$h" -ge 1 ] && [ "$h" -le 2 ] ||
	fail "changed: inputs hashed, from the cache: $h $c, want the common headers (by one kernel or both) hashed"
grep -q "reusing the unpacked tree" "$TMP/changed.err" &&
	fail "changed: a root was reused though an input changed"
ok "an input changed at the same size and mtime is hashed again (ctime): roots made anew"

# --from-json: the same kernels from a loopback mirror, into another
# workspace (the outputs are there already: only the downloads matter)
cp -p "${cached[@]}" "$TMP/debs/"
pb_apt_mirror_serve M "$TMP" "${files[@]}"
trap 'pb_httpd_stop M; rm -rf "$TMP"' EXIT
"$PB" crawl -w "$TMP/ws-crawl" --json debian >"$TMP/plan.json" 2>"$TMP/crawl.err" ||
	{ cat "$TMP/crawl.err"; fail "crawl --json"; }
build plan1 -w "$TMP/ws2" --from-json "$TMP/plan.json"
existing plan1
pb_httpd_idle M
: >"$TMP/httpd/access.log"
build plan2 -w "$TMP/ws2" --from-json "$TMP/plan.json"
existing plan2
pb_httpd_idle M
[ ! -s "$TMP/httpd/access.log" ] || { cat "$TMP/httpd/access.log"; fail "plan2 asked the mirror"; }
line=$(grep "files already downloaded:" "$TMP/plan2.err") || fail "plan2: no count of the files already downloaded"
case $line in
*": 0 hashed, "[1-9]*" from the hash cache") ;;
*) fail "plan2: $line" ;;
esac
[ "$(inputs plan2)" = "0 0 8" ] || fail "plan2: inputs hashed, from the cache, downloaded: $(inputs plan2), want 0 0 8"
s=$(cat "$TMP/plan2.s")
under_max "$s" || fail "warm rerun of the plan took ${s}s (bound ${WARM_MAX_S}s)"
ok "warm rerun of a plan: nothing fetched, nothing hashed (${line##*: }), ${s}s"
