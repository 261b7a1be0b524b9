#!/usr/bin/env bash
# Hostile packages (tests/fixtures/mk-hostile.sh): .deb and .rpm files named
# like kernel packages whose members try to land outside the release root
# (a '..' path, an absolute path, a file written through a symlink to
# outside, a hard link to an outside file, a kernel dir that is a symlink).
# Each such kernel FAILS with a message naming the package and the member,
# nothing appears outside the roots, and the good kernel of the same run
# still builds. Then the packages that extract cleanly but plant links for
# what the build writes afterwards (the Debian fixup's Makefile.pb-tmp, the
# kernel dir, its Makefile: links inside the root on paper that leave it
# through a directory link pointing at the root), a workspace with links
# where the stamp and the copies go, and a decompression bomb: nothing
# outside the workspace appears or changes (a sentinel dir beside it,
# compared before and after, and find -newer).
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
pb_skip_if_no_e2e
pb_tmpdir

fx=$PB_TOP_SRCDIR/tests/fixtures
outside=$TMP/outside abs=$TMP/abs-target
mkdir -p "$outside/planted/kmod" "$TMP/hostile"
echo "victim" >"$outside/victim"
echo "include /usr/src/outside/Makefile" >"$outside/Makefile"
echo "keep" >"$outside/planted/kmod/keep"
# the release roots are $TMP/ws/*/roots/debian/<release>: five levels down
PB_HOSTILE_OUTSIDE=$outside PB_HOSTILE_ABS=$abs PB_HOSTILE_ESCAPE=../../../../../outside \
	"$fx/mk-hostile.sh" "$TMP/hostile" >/dev/null
snapshot() {
	(cd "$outside" && find . -printf '%p %y %m %s %l\n' | sort &&
		find . -type f -exec sha256sum {} + | sort)
}

# a hostile headers package alone would be refused by the batcher (no
# common, kbuild or image): give each its harmless companions
mkdeb() { # name version arch [file content]
	local d=$TMP/mk/$1
	mkdir -p "$d/DEBIAN"
	printf 'Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: t <t@t>\nDescription: test\n' \
		"$1" "$2" "$3" >"$d/DEBIAN/control"
	if [ $# -ge 5 ]; then mkdir -p "$d/$(dirname "$4")" && printf '%s\n' "$5" >"$d/$4"; fi
	dpkg-deb -Zgzip --build "$d" "$TMP/hostile/${1}_${2}_${3}.deb" >/dev/null
}
variants="99 97 96 95 94 93 92 91 90 89 88"
for n in $variants; do
	mkdeb "linux-headers-6.1.0-$n-common" 6.1.999-1 all usr/src/linux-headers-6.1.0-$n-common/README x
	mkdeb "linux-image-6.1.0-$n-amd64" 6.1.999-1 amd64 "boot/config-6.1.0-$n-amd64" "CONFIG_X=$n"
done
mkdeb linux-kbuild-6.1 6.1.999-1 amd64 usr/lib/linux-kbuild-6.1/README x

abi=$(pb_debian_abi)
mapfile -t good < <(pb_debian_fetch "linux-headers-$abi-amd64" "linux-headers-$abi-common" \
	"linux-kbuild-${abi%%.0-*}" "linux-image-$abi-amd64")
debs=()
for n in ${variants% 88}; do
	debs+=("$TMP/hostile/"*"-6.1.0-$n-"*.deb)
done
debs+=("$TMP/hostile/linux-kbuild-6.1_6.1.999-1_amd64.deb")

check_outside() {
	local leaks
	[ ! -e "$abs" ] || fail "the absolute member was written: $abs"
	[ "$(stat -c %h "$outside/victim")" -eq 1 ] || fail "the outside victim file got a hard link"
	leaks=$(find "$TMP" -name 'pb-hostile-dotdot*')
	[ -z "$leaks" ] || fail "the '..' member was written: $leaks"
	snapshot >"$TMP/outside.after"
	diff "$TMP/outside.before" "$TMP/outside.after" >&2 ||
		fail "the sentinel dir beside the workspace changed"
	leaks=$(find "$TMP" -newer "$TMP/mark" ! -path "$TMP/ws/*" ! -path "$TMP/ws" \
		! -path "$TMP/out/*" ! -path "$TMP/out" ! -name '*.txt' ! -name '*.err' \
		! -path "$TMP/rpms*" ! -path "$TMP/fixture*" \
		! -name 'outside.after' ! -path "$TMP")
	[ -z "$leaks" ] || fail "written outside the workspace: $leaks"
}

snapshot >"$TMP/outside.before"
touch "$TMP/mark"
sleep 1
set +e
"$PB" build -k debian -p newswatch -v 1 -s "$PROBE_SRC" -o "$TMP/out" -w "$TMP/ws/deb" \
	-j 2 "${good[@]}" "${debs[@]}" >"$TMP/deb.txt" 2>"$TMP/deb.err"
rc=$?
set -e
cat "$TMP/deb.txt"
[ $rc -eq 1 ] || { cat "$TMP/deb.err"; fail "exit status $rc, expected 1"; }
grep -qE "^$abi-amd64 +BUILT +BUILT" "$TMP/deb.txt" || fail "the good kernel did not build"
expect() { # release, text the failure must hold
	grep -A3 "^  $1:\$" "$TMP/$3.txt" | grep -qF -- "$2" ||
		fail "$1: no '$2' in its failure"
	grep -qE "^$1 +FAILED +FAILED" "$TMP/$3.txt" || fail "$1 is not FAILED"
	ok "$1 FAILED: $2"
}
h=linux-headers-6.1.0
expect 6.1.0-99-amd64 "$h-99-amd64_6.1.999-1_amd64.deb: refused member './../../pb-hostile-dotdot': path with '..'" deb
expect 6.1.0-97-amd64 "refused member './../../pb-hostile-dotdot': path with '..'" deb
expect 6.1.0-96-amd64 "$h-96-amd64_6.1.999-1_amd64.deb: refused member '$abs': absolute path" deb
expect 6.1.0-95-amd64 "refused member './usr/src/escape/pwned': Cannot extract through symlink" deb
expect 6.1.0-94-amd64 "refused member './usr/src/relesc/pwned': Cannot extract through symlink" deb
expect 6.1.0-93-amd64 "hard link ./usr/src/linux-headers-6.1.0-93-amd64/hl: refused member '$outside/victim': absolute path" deb
expect 6.1.0-92-amd64 "refused member './usr/src/linux-headers-6.1.0-92-amd64/Makefile'" deb
# clean extraction, links for the writes that follow: the links are
# re-pointed into the root (judged physically), the fixup writes beneath it
grep -qE "^6.1.0-91-amd64 +FAILED +FAILED" "$TMP/deb.txt" || fail "6.1.0-91-amd64 is not FAILED"
# roots are named by the kernel's key, <release>_<arch>_<version>
k91=6.1.0-91-amd64_x86_64_6.1.999-1
r91=$TMP/ws/deb/roots/debian/$k91/usr/src/linux-headers-6.1.0-91-amd64
[ -d "$r91" ] || fail "no root $r91: $(ls "$TMP/ws/deb/roots/debian")"
grep -qF "include $TMP/ws/deb/roots/debian/$k91/usr/src/linux-headers-6.1.0-91-common/Makefile" \
	"$r91/Makefile" || fail "6.1.0-91-amd64: the fixup did not rewrite the Makefile in the root"
[ ! -L "$r91/Makefile.pb-tmp" ] || fail "6.1.0-91-amd64: Makefile.pb-tmp left as a link"
expect 6.1.0-90-amd64 "no usr/src/linux-headers-6.1.0-90-amd64/Makefile in the packages" deb
expect 6.1.0-89-amd64 "no usr/src/linux-headers-6.1.0-89-amd64/Makefile in the packages" deb
check_outside
ok "Debian: nothing outside the roots, the good kernel built"

# A workspace with links where the stamp and the copies of the probe
# source go (left by an earlier run's tree, say): the stamp link is
# replaced, never written through, and the copies refuse a link on the way.
plant=$TMP/ws/plant
key=$abi-amd64_x86_64_$(dpkg-deb -f "${good[0]}" Version)
mkdir -p "$plant/roots/debian" "$plant/build/debian"
ln -s "$outside/victim" "$plant/roots/debian/$key.stamp"
ln -s "$outside/planted" "$plant/build/debian/$key"
set +e
"$PB" build -k debian -p newswatch -v 1 -s "$PROBE_SRC" -o "$TMP/out/plant" -w "$plant" \
	"${good[@]}" >"$TMP/plant.txt" 2>"$TMP/plant.err"
rc=$?
set -e
cat "$TMP/plant.txt"
[ $rc -eq 1 ] || { cat "$TMP/plant.err"; fail "planted workspace: exit status $rc, expected 1"; }
expect "$abi-amd64" "a symlink or a file on the way" plant
[ -f "$plant/roots/debian/$key.stamp" ] && [ ! -L "$plant/roots/debian/$key.stamp" ] ||
	fail "the stamp is not a regular file of the workspace"
check_outside
ok "planted workspace: the stamp replaced, the copies refused, nothing outside"

# A decompression bomb (64 MiB of zeros in a few KiB) against a 16M limit:
# refused before a byte of it is written.
set +e
"$PB" build -k debian -p newswatch -v 1 -s "$PROBE_SRC" -o "$TMP/out" -w "$TMP/ws/bomb" \
	--max-unpacked-size 16M "$TMP/hostile/"*-6.1.0-88-*.deb \
	"$TMP/hostile/linux-kbuild-6.1_6.1.999-1_amd64.deb" >"$TMP/bomb.txt" 2>"$TMP/bomb.err"
rc=$?
set -e
cat "$TMP/bomb.txt"
[ $rc -eq 1 ] || { cat "$TMP/bomb.err"; fail "bomb: exit status $rc, expected 1"; }
expect 6.1.0-88-amd64 "$h-88-amd64_6.1.999-1_amd64.deb: member './usr/src/linux-headers-6.1.0-88-amd64/bomb': the release's packages unpack to more than 16M (--max-unpacked-size): a decompression bomb?" bomb
[ ! -e "$TMP/ws/bomb/roots/debian/6.1.0-88-amd64_x86_64_6.1.999-1/usr/src/linux-headers-6.1.0-88-amd64/bomb" ] ||
	fail "the bomb was written"
[ -z "$(find "$TMP/ws/bomb" -name '*.stamp')" ] || fail "the bomb's root was stamped"
set +e
"$PB" build -k debian -p newswatch -v 1 -s "$PROBE_SRC" -o "$TMP/out" -w "$TMP/ws/bomb" \
	--max-unpacked-size 16Q "$TMP/hostile/"*-6.1.0-88-*.deb >/dev/null 2>"$TMP/bomb.err"
rc=$?
set -e
[ $rc -eq 2 ] && grep -qF "not '16Q'" "$TMP/bomb.err" || fail "--max-unpacked-size 16Q: status $rc"
check_outside
ok "bomb: refused at the limit, nothing written"

# the same attacks as RPMs, beside a good CentOS-shaped kernel
PB_SRC_ABI=$abi PB_FIXTURE_CACHE=$PB_CACHE/fixtures "$fx/mk-centos-rpms.sh" \
	"$PB_CACHE/debian" "$TMP/rpms" 6.1.0-56.el8.x86_64 >/dev/null
set +e
"$PB" build -k centos -p newswatch -v 1 -s "$PROBE_SRC" -o "$TMP/out" -w "$TMP/ws/rpm" \
	-j 2 "$TMP/rpms/"*.rpm "$TMP/hostile/"kernel-devel-6.1.0-9[^8]*.rpm >"$TMP/rpm.txt" 2>"$TMP/rpm.err"
rc=$?
set -e
cat "$TMP/rpm.txt"
[ $rc -eq 1 ] || { cat "$TMP/rpm.err"; fail "exit status $rc, expected 1"; }
grep -qE "^6.1.0-56.el8.x86_64 +BUILT +BUILT" "$TMP/rpm.txt" || fail "the good CentOS kernel did not build"
k=kernel-devel-6.1.0
expect 6.1.0-97.el8.x86_64 "$k-97.el8.x86_64.rpm: refused member './../../pb-hostile-dotdot': path with '..'" rpm
expect 6.1.0-96.el8.x86_64 "$k-96.el8.x86_64.rpm: refused member '$abs': absolute path" rpm
expect 6.1.0-95.el8.x86_64 "refused member './usr/src/escape/pwned': Cannot extract through symlink" rpm
expect 6.1.0-94.el8.x86_64 "refused member './usr/src/relesc/pwned': Cannot extract through symlink" rpm
expect 6.1.0-92.el8.x86_64 "refused member './usr/src/kernels/6.1.0-92.el8.x86_64/Makefile': Cannot extract through symlink" rpm
# rpm sorts its payload: the absolute member comes first there
expect 6.1.0-99.el8.x86_64 "$k-99.el8.x86_64.rpm: refused member '$abs': absolute path" rpm
check_outside
ok "RPM: nothing outside the roots, the good kernel built"
