#!/usr/bin/env bash
# Ubuntu-shaped packages made from a real Debian header tree
# (tests/fixtures/mk-ubuntu-debs.sh): one _all package shared by the
# -generic and -lowlatency flavors (zstd, xz and gzip compressed), each
# flavor's config in its linux-modules package. Each flavor is a release of
# its own, built end to end.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
pb_skip_if_no_e2e
pb_tmpdir

abi=$(pb_debian_abi)
pb_debian_fetch "linux-headers-$abi-amd64" "linux-headers-$abi-common" \
	"linux-kbuild-${abi%%.0-*}" "linux-image-$abi-amd64" >/dev/null
PB_SRC_ABI=$abi PB_FIXTURE_CACHE=$PB_CACHE/fixtures \
	"$PB_TOP_SRCDIR/tests/fixtures/mk-ubuntu-debs.sh" "$PB_CACHE/debian" "$TMP/debs" >/dev/null
ls "$TMP/debs"

"$PB" build -k ubuntu -p newswatch -v 2.0 -s "$PROBE_SRC" -o "$TMP/out" -w "$TMP/ws" \
	-j 2 "$TMP/debs" >"$TMP/run.txt" 2>"$TMP/run.err" ||
	{ cat "$TMP/run.txt" "$TMP/run.err"; fail "build failed"; }
cat "$TMP/run.txt"
[ "$(grep -c ' BUILT ' "$TMP/run.txt")" -eq 2 ] || fail "expected two releases built"
for flavor in generic lowlatency; do
	rel=6.1.0-56-$flavor
	mods=$(ls "$TMP/debs/linux-modules-${rel}_"*.deb)
	md5=$(pb_deb_member_md5 "$mods" "boot/config-$rel")
	ko=$TMP/out/newswatch-2.0-x86_64-$rel-$md5.ko
	o=$TMP/out/newswatch-bpf-2.0-x86_64-$rel-$md5.o
	[ -f "$ko" ] && [ -f "$o" ] || fail "$rel: missing outputs named with $md5: $(ls "$TMP/out")"
	vm=$(modinfo -F vermagic "$ko")
	case "$vm" in "$rel "*) ;; *) fail "$rel: vermagic '$vm'";; esac
	ft=$(file -b "$o")
	[[ $ft == *eBPF* ]] || fail "$o: $ft"
	ok "$rel: built against the shared tree, vermagic '$vm', config MD5 $md5 from linux-modules"
done
# the two flavors have their own config, so their own names
[ "$(ls "$TMP/out"/*.ko | wc -l)" -eq 2 ] || fail "two modules expected"
