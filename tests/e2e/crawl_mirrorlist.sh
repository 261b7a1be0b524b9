#!/usr/bin/env bash
# A distro that is only a data file, found through Amazon Linux's mirror.list
# indirection: the distro file names a mirror.list URL template, the
# mirror.list names the repository (an RPM repo made with createrepo_c).
# Adding such a distro needs no C code: the file goes in a --plugin-dir.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
. "$PB_TOP_SRCDIR/tests/lib/httpd.sh"
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

# A mirror.list comes from the network: a line is a URL and nothing else.
# One that carries spec keys (keyring=, paths=) is ignored with a warning,
# and the next line is used; a list without any URL fails only its own
# repository (--allow-partial goes on with the others).
printf '%s keyring=%s paths=../../\n%s\n' "$M_URL/repos/core" "$TMP/evil.gpg" "$M_URL/repos/core" \
	>"$TMP/srv/2/core/latest/x86_64/mirror.list"
echo "not a keyring" >"$TMP/evil.gpg"
"$PB" crawl --plugin-dir "$TMP/distros" -w "$TMP/ws-inj" --require-signed testlinux >"$TMP/inj.txt" 2>"$TMP/inj.err" && rc=0 || rc=$?
# unsigned test repo + --require-signed: the crawl must fail for that, not
# because of (or thanks to) a keyring the list named
[ $rc -eq 1 ] || { cat "$TMP/inj.err"; fail "injected line: exit $rc"; }
grep -q "warning: $M_URL/2/core/latest/x86_64/mirror.list: line 1 ignored: '$M_URL/repos/core keyring=.*' is not one URL" "$TMP/inj.err" ||
	{ cat "$TMP/inj.err"; fail "the line with keyring= was not refused"; }
grep -q "repomd.xml is not signed (no repomd.xml.asc) and --require-signed is on" "$TMP/inj.err" ||
	{ cat "$TMP/inj.err"; fail "the repository of line 2 was not the one crawled"; }
# only the warning quoting the refused line names it
! grep -v "line 1 ignored" "$TMP/inj.err" | grep -q "$TMP/evil.gpg" || { cat "$TMP/inj.err"; fail "the injected keyring was used"; }
"$PB" crawl --plugin-dir "$TMP/distros" -w "$TMP/ws-inj2" testlinux >"$TMP/inj2.txt" 2>"$TMP/inj2.err" ||
	{ cat "$TMP/inj2.err"; fail "crawl with an injected line before a good one"; }
grep -qx "=== 6.1.0-56.amzn2.x86_64 ===" "$TMP/inj2.txt" || fail "the good line's kernel was not found"
ok "a mirror.list line with keyring=/paths= is ignored (warned), the next URL is used"

# a list with no URL at all next to one that works: --allow-partial goes on
mkdir -p "$TMP/srv/3/core/latest/x86_64"
printf 'rpm %s keyring=%s\n' "$M_URL/repos/core" "$TMP/evil.gpg" >"$TMP/srv/3/core/latest/x86_64/mirror.list"
sed -i 's/versions=2 /versions=2,3 /' "$TMP/distros/testlinux.distro"
"$PB" crawl --plugin-dir "$TMP/distros" -w "$TMP/ws-bad" testlinux >"$TMP/bad.txt" 2>"$TMP/bad.err" && rc=0 || rc=$?
[ $rc -eq 1 ] && grep -q "^  $M_URL/3/core/latest/x86_64/mirror.list: .*no repository URL in it" "$TMP/bad.err" ||
	{ cat "$TMP/bad.err"; fail "a list without a URL: exit $rc"; }
"$PB" crawl --plugin-dir "$TMP/distros" -w "$TMP/ws-bad" --allow-partial testlinux >"$TMP/bad2.txt" 2>"$TMP/bad2.err" && rc=0 || rc=$?
[ $rc -eq 3 ] && grep -qx "=== 6.1.0-56.amzn2.x86_64 ===" "$TMP/bad2.txt" ||
	{ cat "$TMP/bad2.err"; fail "--allow-partial with one bad list: exit $rc"; }
ok "a mirror.list without a URL fails only its repository; --allow-partial goes on (exit 3)"
