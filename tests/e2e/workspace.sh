#!/usr/bin/env bash
# The workspace stays bounded (issue 13, item 6), on a signed loopback APT
# mirror of two real Debian kernels (6.1 amd64 and cloud-amd64):
# - after a build, no unpacked tree, stamp or build copy is left; each
#   tree's config is remembered in meta/configs/;
# - a rerun is EXISTING without unpacking anything;
# - --keep-trees keeps the trees, a later run reuses them (and, without
#   --keep-trees, removes them once EXISTING);
# - a kernel that FAILED keeps its tree and build copies, and its log says
#   where;
# - a run touches each cached package it uses; --cache-max evicts the
#   least recently used packages first, never the run's own, says what it
#   evicted, and refuses a bad size.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
. "$PB_TOP_SRCDIR/tests/lib/httpd.sh"
pb_skip_if_no_e2e
pb_tmpdir

abi=$(pb_debian_abi)
mapfile -t files < <(pb_debian_pair "$abi")
pb_apt_mirror_serve M "$TMP" "${files[@]}"
trap 'pb_httpd_stop M; rm -rf "$TMP"' EXIT

ws=$TMP/ws
# NAME OUT [options]: exit status in $rc, stdout NAME.txt, stderr NAME.err,
# the logs of its kernels (the workers' lines) in NAME.log
build() {
	local name=$1 out=$2
	shift 2
	rc=0
	: >"$TMP/$name.t0"
	"$PB" build -k debian -p newswatch -v 2.0 -s "${SRC:-$PROBE_SRC}" -o "$out" -w "$ws" "$@" \
		>"$TMP/$name.txt" 2>"$TMP/$name.err" || rc=$?
	find "$ws/logs" -name '*.log' -newer "$TMP/$name.t0" -exec cat {} + >"$TMP/$name.log" 2>/dev/null || true
}
must() { # NAME: the run went well
	[ "$rc" -eq 0 ] || { cat "$TMP/$1.txt" "$TMP/$1.err"; fail "$1: exit status $rc"; }
}
# what a run left of the kernels' trees and build copies
trees() { find "$ws/roots/debian" "$ws/build/debian" -mindepth 1 -maxdepth 1 2>/dev/null | sort; }

# ---- a build: nothing of the trees is left, the configs are remembered
build b1 "$TMP/out" -j 2
must b1
[ "$(grep -cE ' BUILT +BUILT *$' "$TMP/b1.txt")" -eq 2 ] || { cat "$TMP/b1.txt"; fail "b1: two kernels BUILT"; }
[ "$(grep -c ': unpacked linux-headers-' "$TMP/b1.log")" -ge 3 ] || { cat "$TMP/b1.log"; fail "b1 unpacked no headers"; }
[ -z "$(trees)" ] || fail "b1 left trees or build copies: $(trees)"
[ "$(ls "$ws/meta/configs" | wc -l)" -eq 2 ] || fail "two configs remembered: $(ls "$ws/meta/configs")"
for f in "$ws/meta/configs"/*; do
	grep -qE "^boot/config-$abi-(cloud-)?amd64$" "$f" && grep -qE '^[0-9a-f]{32}$' "$f" ||
		fail "$f: $(cat "$f")"
done
ok "after a build: no unpacked tree, stamp or build copy in the workspace; the configs remembered"

# ---- a rerun: EXISTING, nothing unpacked
build b2 "$TMP/out" -j 2
must b2
[ "$(grep -cE ' EXISTING +EXISTING *$' "$TMP/b2.txt")" -eq 2 ] || { cat "$TMP/b2.txt"; fail "b2: EXISTING"; }
[ "$(grep -c "(remembered: not unpacked)" "$TMP/b2.log")" -eq 2 ] || { cat "$TMP/b2.log"; fail "b2: configs not remembered"; }
! grep -v "(remembered: not unpacked)" "$TMP/b2.log" | grep -q "unpacked" || { cat "$TMP/b2.log"; fail "the rerun unpacked"; }
[ -z "$(trees)" ] || fail "b2 left trees: $(trees)"
ok "a rerun is EXISTING without unpacking (the configs' MD5s remembered)"

# ---- --keep-trees: they stay, a later run reuses them
build k1 "$TMP/out-k" -j 2 --keep-trees
must k1
[ "$(grep -cE ' BUILT +BUILT *$' "$TMP/k1.txt")" -eq 2 ] || { cat "$TMP/k1.txt"; fail "k1: BUILT"; }
for flavor in amd64 cloud-amd64; do
	key=$(cd "$ws/roots/debian" && ls -d "${abi}-${flavor}_x86_64_"*/ | tr -d /)
	[ -f "$ws/roots/debian/$key.stamp" ] || fail "--keep-trees: no stamp for $key"
	[ -f "$ws/roots/debian/$key/usr/src/linux-headers-$abi-$flavor/Makefile" ] || fail "--keep-trees: no tree $key"
	[ -d "$ws/build/debian/$key/kmod" ] || fail "--keep-trees: no build copy for $key"
done
cp "$TMP/out-k/manifest.json" "$TMP/k1.json"
rm -f "$TMP/out-k"/*-cloud-amd64-*.ko
build k2 "$TMP/out-k" -f cloud --keep-trees
must k2
grep -qE "^$abi-cloud-amd64 +BUILT +EXISTING" "$TMP/k2.txt" || { cat "$TMP/k2.txt"; fail "k2: the module rebuilt"; }
grep -q "$abi-cloud-amd64: reusing the unpacked tree in $ws/roots/debian/" "$TMP/k2.log" ||
	{ cat "$TMP/k2.log"; fail "k2 did not reuse the kept tree"; }
! grep -q ": unpacked" "$TMP/k2.log" || fail "k2 unpacked again"
[ "$(trees | wc -l)" -eq 6 ] || fail "--keep-trees: two roots, their stamps and build copies expected: $(trees)"
ok "--keep-trees keeps the trees and build copies; a later run reuses a kept tree"
build k3 "$TMP/out-k" -j 2
must k3
[ "$(grep -cE ' EXISTING +EXISTING *$' "$TMP/k3.txt")" -eq 2 ] || { cat "$TMP/k3.txt"; fail "k3: EXISTING"; }
[ -z "$(trees)" ] || fail "k3 (EXISTING, no --keep-trees) left $(trees)"
ok "without --keep-trees, a kept tree goes once its kernel is EXISTING"

# ---- a module that does not compile: that kernel keeps its tree and
# copies, and says where (the config was remembered: the tree is made anew)
cp -r "$PROBE_SRC" "$TMP/src-bad"
printf '\n#error pb-test-marker: this module must not build\n' >>"$TMP/src-bad/newswatch_main.c"
SRC=$TMP/src-bad build f1 "$TMP/out-f" -f "^$abi-amd64\$"
[ "$rc" -eq 1 ] || { cat "$TMP/f1.txt" "$TMP/f1.err"; fail "f1: exit status $rc, expected 1"; }
grep -qE "^$abi-amd64 +FAILED +BUILT" "$TMP/f1.txt" || { cat "$TMP/f1.txt"; fail "f1: the module should fail"; }
key=$(cd "$ws/roots/debian" && ls -d "${abi}-amd64_x86_64_"*/ | tr -d /)
where="$abi-amd64: kept for inspection: its tree $ws/roots/debian/$key, its build copies $ws/build/debian/$key"
[ "$(grep -cF "$where" "$TMP/f1.log")" -eq 1 ] || { cat "$TMP/f1.log"; fail "f1: where the tree is kept is not said once"; }
# the log the summary names, in the output dir
log=$(ls "$TMP/out-f/logs/debian/$key/"*.log)
grep -qF "$where" "$log" || fail "$log does not say where the tree is"
[ -f "$ws/roots/debian/$key.stamp" ] && [ -f "$ws/roots/debian/$key/usr/src/linux-headers-$abi-amd64/Makefile" ] ||
	fail "the failed kernel's tree is gone"
[ -f "$ws/build/debian/$key/kmod/newswatch_main.c" ] || fail "the failed kernel's build copy is gone"
[ "$(trees | wc -l)" -eq 3 ] || fail "only the failed kernel's tree and copies stay: $(trees)"
ok "a kernel that FAILED keeps its tree and build copies; its log says where"
# fixed, it reuses that tree and then removes it
build f2 "$TMP/out-f" -f "^$abi-amd64\$"
must f2
grep -qE "^$abi-amd64 +BUILT +EXISTING" "$TMP/f2.txt" || { cat "$TMP/f2.txt"; fail "f2"; }
grep -q "reusing the unpacked tree" "$TMP/f2.log" || fail "f2 did not reuse the tree kept"
[ -z "$(trees)" ] || fail "f2 left $(trees)"
ok "fixed, the kernel reuses the tree kept and removes it once BUILT"

# ---- the cache: touched when used (here: no download), evicted least
# recently used first, never the run's own packages
entry() { # PACKAGE-NAME-PREFIX: its cache entry, cache/<xx>/<sha256>
	local f
	f=$(find "$ws/cache" -type f -name "$1_*.deb" | head -n1)
	[ -n "$f" ] || fail "no $1 in the cache"
	f=${f#"$ws/cache/"}
	echo "$ws/cache/$(cut -d/ -f1-2 <<<"$f")"
}
bytes() { find "$1" -type f -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }'; }
h_amd=$(entry "linux-headers-$abi-amd64") h_cloud=$(entry "linux-headers-$abi-cloud-amd64")
i_amd=$(entry "linux-image-$abi-amd64") i_cloud=$(entry "linux-image-$abi-cloud-amd64")
common=$(entry "linux-headers-$abi-common") kb=$(entry "linux-kbuild-${abi%%.0-*}")
[ "$(find "$ws/cache" -mindepth 2 -maxdepth 2 -type d | wc -l)" -eq 6 ] || fail "six packages in the cache: $(ls -R "$ws/cache")"
touch -d '3 days ago' "$h_amd" "$h_cloud" "$i_amd" "$i_cloud" "$common" "$kb"
build c1 "$TMP/out" -f cloud
must c1
for e in "$h_cloud" "$i_cloud" "$common" "$kb"; do
	[ "$(stat -c %Y "$e")" -gt "$(date -d '1 hour ago' +%s)" ] || fail "$e was used and not touched"
done
for e in "$h_amd" "$i_amd"; do
	[ "$(stat -c %Y "$e")" -lt "$(date -d '1 day ago' +%s)" ] || fail "$e was not used and was touched"
done
ok "a run touches the cached packages it uses (heads too), not the others"

touch -d '2 days ago' "$i_amd" # the amd64 headers are the least recently used
total=$(bytes "$ws/cache")
build c2 "$TMP/out" -f cloud --cache-max "$((total - 1))"
must c2
[ ! -e "$h_amd" ] || fail "--cache-max: the least recently used package ($h_amd) stayed"
for e in "$i_amd" "$h_cloud" "$i_cloud" "$common" "$kb"; do
	[ -d "$e" ] || fail "--cache-max $((total - 1)): $e evicted too"
done
grep -qE "cache: evicted 1 package, [0-9.]+ MB, least recently used first" "$TMP/c2.err" ||
	{ cat "$TMP/c2.err"; fail "c2: the eviction is not said"; }
ok "--cache-max: the least recently used package evicted, and only it ($(bytes "$ws/cache") of $total bytes left)"

build c3 "$TMP/out" -f cloud --cache-max 1K
must c3
[ ! -e "$i_amd" ] || fail "--cache-max 1K: $i_amd stayed"
for e in "$h_cloud" "$i_cloud" "$common" "$kb"; do
	[ -d "$e" ] || fail "--cache-max 1K: the run's own $e evicted"
done
grep -q "cache: evicted 1 package" "$TMP/c3.err" && grep -q "above --cache-max (0.0 MB): .* this run's packages, kept" "$TMP/c3.err" ||
	{ cat "$TMP/c3.err"; fail "c3: what could not be evicted is not said"; }
ok "--cache-max below the run's own packages: the others evicted, the run's kept, and said"

build c4 "$TMP/out" -f cloud --cache-max 10X
[ "$rc" -eq 2 ] && grep -qF "build: --cache-max wants a size above 0 (K, M, G suffixes), not '10X'" "$TMP/c4.err" ||
	{ cat "$TMP/c4.err"; fail "--cache-max 10X: exit status $rc"; }
ok "--cache-max refuses a bad size, naming it"
