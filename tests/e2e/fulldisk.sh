#!/usr/bin/env bash
# A full disk is noticed: a workspace on a small tmpfs (mounted in a mount
# namespace of its own) where a kernel's packages do not fit (an 8 MiB
# header on 4 MiB), and one where they fit but the Debian fixup's rewrite
# of a 2 MiB Makefile does not (3 MiB). Each kernel FAILS with "No space
# left on device" naming the file, and no root is stamped ready. Skipped,
# with the reason, where tmpfs cannot be mounted (not root, no user
# namespaces).
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
pb_skip_if_no_e2e
pb_tmpdir

if ! unshare -m sh -c "mount -t tmpfs -o size=1m tmpfs '$TMP' && umount '$TMP'" 2>"$TMP/mount.err"; then
	echo "SKIP: cannot mount a tmpfs in a mount namespace here: $(cat "$TMP/mount.err")"
	exit 77
fi

fx=$PB_TOP_SRCDIR/tests/fixtures
mkdir -p "$TMP/hostile"
# only the variants 87 and 86 are used: no attack, so fixed names and the
# fixture cache
PB_HOSTILE_OUTSIDE=/nonexistent/pb-fulldisk-outside PB_HOSTILE_ABS=/nonexistent/pb-fulldisk-abs \
	PB_FIXTURE_CACHE=$PB_CACHE/fixtures "$fx/mk-hostile.sh" "$TMP/hostile" >/dev/null

mkdeb() { # name version arch [file content]
	local d=$TMP/mk/$1
	mkdir -p "$d/DEBIAN"
	printf 'Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: t <t@t>\nDescription: test\n' \
		"$1" "$2" "$3" >"$d/DEBIAN/control"
	if [ $# -ge 5 ]; then mkdir -p "$d/$(dirname "$4")" && printf '%s\n' "$5" >"$d/$4"; fi
	dpkg-deb -Zgzip --build "$d" "$TMP/hostile/${1}_${2}_${3}.deb" >/dev/null
}
for n in 87 86; do
	mkdeb "linux-headers-6.1.0-$n-common" 6.1.999-1 all usr/src/linux-headers-6.1.0-$n-common/README x
	mkdeb "linux-image-6.1.0-$n-amd64" 6.1.999-1 amd64 "boot/config-6.1.0-$n-amd64" "CONFIG_X=$n"
done
mkdeb linux-kbuild-6.1 6.1.999-1 amd64 usr/lib/linux-kbuild-6.1/README x

# build N SIZE: kernel 6.1.0-N-amd64 with its workspace on a SIZE tmpfs;
# what the workspace holds after is listed in $TMP/N.ls (the tmpfs goes
# with its namespace)
build() {
	local ws=$TMP/ws$1
	mkdir -p "$ws"
	set +e
	unshare -m sh -c 'mount -t tmpfs -o size="$1" tmpfs "$2" || exit 99
		ls=$3 ws=$2; shift 3; "$@"; rc=$?
		(cd "$ws" && find . | sort) >"$ls"; exit $rc' sh \
		"$2" "$ws" "$TMP/$1.ls" "$PB" build -k debian -p newswatch -v 1 -s "$PROBE_SRC" -o "$TMP/out" \
		-w "$ws" "$TMP/hostile/"*-6.1.0-"$1"-*.deb "$TMP/hostile/linux-kbuild-6.1_6.1.999-1_amd64.deb" \
		>"$TMP/$1.txt" 2>"$TMP/$1.err"
	rc=$?
	set -e
	cat "$TMP/$1.txt"
	[ $rc -eq 1 ] || { cat "$TMP/$1.err"; fail "6.1.0-$1-amd64: exit status $rc, expected 1"; }
	grep -qE "^6.1.0-$1-amd64 +FAILED +FAILED" "$TMP/$1.txt" || fail "6.1.0-$1-amd64 is not FAILED"
}

# the unpack: the member and the errno text
build 87 4m
grep -A3 "^  6.1.0-87-amd64:\$" "$TMP/87.txt" |
	grep -qF "member ./usr/src/linux-headers-6.1.0-87-amd64/big.h: Write failed: No space left on device" ||
	fail "6.1.0-87-amd64: no 'No space left on device' naming big.h"
ok "a full disk in the unpack fails the kernel, naming the member"

# the fixup: its temporary file and the errno text
build 86 3m
grep -A3 "^  6.1.0-86-amd64:\$" "$TMP/86.txt" |
	grep -qF "usr/src/linux-headers-6.1.0-86-amd64/Makefile.pb-tmp: No space left on device" ||
	fail "6.1.0-86-amd64: no 'No space left on device' naming Makefile.pb-tmp"
ok "a full disk in the fixup fails the kernel, naming the file"

# no root stamped ready; the failed one is gone (which gave the log and
# the result room on the full disk)
for n in 87 86; do
	! grep -q 'stamp' "$TMP/$n.ls" || fail "6.1.0-$n-amd64: stamped: $(grep stamp "$TMP/$n.ls")"
	! grep -q "^./roots/debian/6.1.0-$n-amd64_" "$TMP/$n.ls" || fail "6.1.0-$n-amd64: the failed root stayed"
	grep -q "^./logs/debian/6.1.0-$n-amd64" "$TMP/$n.ls" || fail "6.1.0-$n-amd64: no log"
done
ok "no root stamped ready, the failed roots wiped"
