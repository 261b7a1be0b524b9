#!/usr/bin/env bash
# CentOS-shaped packages made from a real Debian header tree with rpmbuild
# (tests/fixtures/mk-centos-rpms.sh): kernel-devel with usr/src/kernels/<rel>
# and kernel-core with the config. Built end to end with -k centos and with
# a distro that is only a data file (-k rocky). A package whose tree claims
# another kernel gives a module with a foreign vermagic: FAILED as corrupted.
# Without kernel-core, the tree's .config names the outputs (RHEL installs
# the same file in both).
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
pb_skip_if_no_e2e
pb_tmpdir

abi=$(pb_debian_abi)
pb_debian_fetch "linux-headers-$abi-amd64" "linux-headers-$abi-common" \
	"linux-kbuild-${abi%%.0-*}" "linux-image-$abi-amd64" >/dev/null
fx=$PB_TOP_SRCDIR/tests/fixtures
export PB_SRC_ABI=$abi PB_FIXTURE_CACHE=$PB_CACHE/fixtures
rel=6.1.0-56.el8.x86_64 bad=6.1.0-57.el8.x86_64
"$fx/mk-centos-rpms.sh" "$PB_CACHE/debian" "$TMP/rpms" $rel >/dev/null
PB_TREE_RELEASE=$rel "$fx/mk-centos-rpms.sh" "$PB_CACHE/debian" "$TMP/rpms" $bad >/dev/null
ls "$TMP/rpms"
image=$(ls "$PB_CACHE/debian/linux-image-$abi-amd64_"*.deb | sort -V | tail -n1)
md5=$(pb_deb_member_md5 "$image" "boot/config-$abi-amd64")

for distro in centos rocky; do
	set +e
	"$PB" build -k $distro -p newswatch -v 3.0 -s "$PROBE_SRC" -o "$TMP/out-$distro" \
		-w "$TMP/ws" -j 2 "$TMP/rpms" >"$TMP/$distro.txt" 2>"$TMP/$distro.err"
	rc=$?
	set -e
	cat "$TMP/$distro.txt"
	[ $rc -eq 1 ] || { cat "$TMP/$distro.err"; fail "-k $distro: exit status $rc, expected 1"; }
	grep -qE "^$rel +BUILT +BUILT" "$TMP/$distro.txt" || fail "-k $distro: $rel not built"
	ko=$TMP/out-$distro/newswatch-3.0-x86_64-$rel-$md5.ko
	[ -f "$ko" ] || fail "-k $distro: no $ko"
	vm=$(modinfo -F vermagic "$ko")
	case "$vm" in "$rel "*) ;; *) fail "$rel: vermagic '$vm'";; esac
	ok "-k $distro: $rel built, vermagic '$vm', config MD5 from kernel-core"
	grep -qE "^$bad +FAILED +BUILT" "$TMP/$distro.txt" || fail "-k $distro: $bad should fail its module only"
	grep -qF "corrupted probe: vermagic '$rel " "$TMP/$distro.txt" || fail "no corrupted-probe message"
	[ -z "$(ls "$TMP/out-$distro" | grep -- "-$bad-.*\.ko")" ] || fail "the corrupted module was written"
	ok "-k $distro: $bad FAILED as a corrupted probe, no module written"
done
cmp "$TMP/out-centos/newswatch-3.0-x86_64-$rel-$md5.ko" "$TMP/out-rocky/newswatch-3.0-x86_64-$rel-$md5.ko" ||
	fail "centos and rocky built other bytes"

# kernel-devel alone: the config comes from the tree's .config
"$PB" build -k centos -p newswatch -v 3.0 -s "$PROBE_SRC" -o "$TMP/out-devel" -w "$TMP/ws2" \
	"$TMP/rpms/kernel-devel-$rel.rpm" >"$TMP/devel.txt" 2>"$TMP/devel.err" ||
	{ cat "$TMP/devel.txt" "$TMP/devel.err"; fail "kernel-devel alone"; }
cat "$TMP/ws2/logs/centos/${rel}_"*/*.log | grep -q "config comes from kernel-devel's .config" ||
	fail "the log says nothing of the config used"
grep -q "\"file\": \"usr/src/kernels/$rel/.config\"" "$TMP/out-devel/manifest.json" ||
	fail "the manifest does not name the config used"
[ "$(ls "$TMP/out-devel"/*.ko | wc -l)" -eq 1 ] || fail "kernel-devel alone: no module"
ok "kernel-devel alone builds, with the tree's .config named in the log"
