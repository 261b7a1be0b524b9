#!/usr/bin/env bash
# A distro that is only a data file, found through Amazon Linux's mirror.list
# indirection: the distro file names a mirror.list URL template, the
# mirror.list names the repository (an RPM repo made with createrepo_c).
# Adding such a distro needs no C code: the file goes in a --plugin-dir.
. "$PB_TOP_SRCDIR/tests/e2e/lib.sh"
. "$PB_TOP_SRCDIR/tests/fixtures/_httpd.sh"
pb_skip_if_no_e2e
pb_tmpdir
fx=$PB_TOP_SRCDIR/tests/fixtures

abi=$(pb_debian_abi)
pb_debian_fetch "linux-headers-$abi-amd64" "linux-headers-$abi-common" \
	"linux-kbuild-${abi%%.0-*}" "linux-image-$abi-amd64" >/dev/null
export PB_SRC_ABI=$abi PB_FIXTURE_CACHE=$PB_CACHE/fixtures
"$fx/mk-rpm-mirror.sh" --unsigned --debcache "$PB_CACHE/debian" \
	--kernel "core:6.1.0-56.amzn2.x86_64" "$TMP/srv/repos" >/dev/null
pb_httpd_start M "$TMP/srv" "$TMP/httpd"
trap 'pb_httpd_stop M; rm -rf "$TMP"' EXIT

# the layout of amazonlinux.us-east-1.amazonaws.com: a mirror.list per arch
mkdir -p "$TMP/srv/2/core/latest/x86_64"
echo "$M_URL/repos/core" >"$TMP/srv/2/core/latest/x86_64/mirror.list"
mkdir -p "$TMP/distros"
cat >"$TMP/distros/testlinux.distro" <<EOT
# a test distro packaged like CentOS, found through mirror.list files
name = testlinux
builder = centos
description = Test Linux
mirror = mirrorlist $M_URL/ versions=2 paths=\$version/core/latest/\$arch/mirror.list
EOT

"$PB" plugins --plugin-dir "$TMP/distros" >"$TMP/plugins.txt"
grep -qE "^testlinux +centos +$TMP/distros/testlinux.distro\$" "$TMP/plugins.txt" ||
	{ cat "$TMP/plugins.txt"; fail "the data file distro is not listed"; }
"$PB" crawl --plugin-dir "$TMP/distros" -w "$TMP/ws" testlinux >"$TMP/crawl.txt" 2>"$TMP/crawl.err" ||
	{ cat "$TMP/crawl.err"; fail "crawl testlinux"; }
cat "$TMP/crawl.txt"
grep -qx "=== 6.1.0-56.amzn2.x86_64 ===" "$TMP/crawl.txt" &&
	grep -qx "$M_URL/repos/core/Packages/kernel-devel-6.1.0-56.amzn2.x86_64.rpm" "$TMP/crawl.txt" ||
	fail "the kernel behind mirror.list was not found"
pb_httpd_idle M
[ "$(pb_httpd_count M GET /2/core/latest/x86_64/mirror.list status=200)" -eq 1 ] || fail "mirror.list not read once"
ok "a data-file distro found its kernel through a mirror.list"

# --distro-filter on the version of the list
set +e
"$PB" crawl --plugin-dir "$TMP/distros" -w "$TMP/ws" --distro-filter 2023 testlinux >/dev/null 2>"$TMP/f.err"
rc=$?
set -e
[ $rc -eq 1 ] && grep -q "no repository to crawl for --distro-filter 2023" "$TMP/f.err" ||
	{ cat "$TMP/f.err"; fail "--distro-filter 2023: exit $rc"; }
ok "--distro-filter applies to the mirror list's version"
