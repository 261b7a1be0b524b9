#!/usr/bin/env bash
# The crawler on an Ubuntu-shaped APT mirror (apt-ftparchive, Origin Ubuntu,
# signed with a throwaway key, served on 127.0.0.1) holding the packages of
# tests/fixtures/mk-ubuntu-debs.sh in jammy: the flavors generic and
# lowlatency sharing one _all headers package, each flavor's config in its
# linux-modules package. `crawl --json` is compared exactly with what the
# mirror holds; a suite the mirror lacks (jammy-updates) is a warning, not a
# failure; --distro-filter picks suites, and one that leaves none is an
# error; `build` without packages builds both flavors, fetching the shared
# package once. Last, a check that fails with this probe-builder: a
# workspace that kept the InRelease of a mirror that now has only Release.
. "$PB_TOP_SRCDIR/tests/e2e/lib.sh"
. "$PB_TOP_SRCDIR/tests/fixtures/_httpd.sh"
pb_skip_if_no_e2e
pb_tmpdir
fx=$PB_TOP_SRCDIR/tests/fixtures

abi=$(pb_debian_abi)
pb_debian_fetch "linux-headers-$abi-amd64" "linux-headers-$abi-common" \
	"linux-kbuild-${abi%%.0-*}" "linux-image-$abi-amd64" >/dev/null
export PB_SRC_ABI=$abi PB_FIXTURE_CACHE=$PB_CACHE/fixtures
"$fx/mk-ubuntu-debs.sh" "$PB_CACHE/debian" "$TMP/debs" >/dev/null
"$fx/mk-gpg-key.sh" "$TMP/key" >/dev/null
kr=$TMP/key/keyring.gpg
"$fx/mk-apt-mirror.sh" --key "$TMP/key" --origin Ubuntu --compress gz,xz \
	--suite "jammy:$(ls "$TMP"/debs/*.deb | paste -sd,)" "$TMP/mirror" >/dev/null
grep -qx "Origin: Ubuntu" "$TMP/mirror/dists/jammy/Release" || fail "the mirror is not Ubuntu's"
pb_httpd_start M "$TMP/mirror" "$TMP/httpd"
trap 'pb_httpd_stop M; rm -rf "$TMP"' EXIT

# crawl NAME ARGS...: crawl --json ubuntu into $TMP/NAME.json, stderr in
# $TMP/NAME.err, the exit status in $rc
crawl() {
	local name=$1
	shift
	set +e
	"$PB" crawl -w "$TMP/ws-$name" --json --mirror "$M_URL" --keyring "$kr" "$@" ubuntu \
		>"$TMP/$name.json" 2>"$TMP/$name.err"
	rc=$?
	set -e
}
normalize() { # FILE: the JSON in FILE, sorted keys
	python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), indent=2, sort_keys=True))' "$1"
}

# what the mirror holds, computed without probe-builder
python3 - "$TMP/mirror" "$M_URL" >"$TMP/expected.json" <<'PY'
import hashlib, json, os, sys
root, url = sys.argv[1:]
where = {}
for d, _, fs in os.walk(os.path.join(root, "pool")):
    for f in fs:
        where[f] = os.path.join(d, f)
def pkg(prefix, role):
    names = [f for f in where if f.startswith(prefix + "_")]
    assert len(names) == 1, (prefix, names)
    path = where[names[0]]
    return {"name": names[0], "url": url + "/" + os.path.relpath(path, root),
            "size": os.path.getsize(path),
            "sha256": hashlib.sha256(open(path, "rb").read()).hexdigest(),
            "role": role}
kernels = []
for flavor in ("generic", "lowlatency"):
    rel = "6.1.0-56-" + flavor
    pk = [pkg("linux-headers-" + rel, "tree"),
          pkg("linux-headers-6.1.0-56", "tree"),
          pkg("linux-modules-" + rel, "config")]
    kernels.append({"release": rel, "flavor": flavor, "arch": "x86_64",
                    "packages": sorted(pk, key=lambda p: p["name"])})
print(json.dumps({"distro": "ubuntu", "kernels": kernels}, indent=2, sort_keys=True))
PY

# --- jammy and jammy-updates, the latter not on the mirror
crawl main --suite jammy --suite jammy-updates
[ $rc -eq 0 ] || { cat "$TMP/main.err"; fail "crawl --json ubuntu: exit $rc"; }
normalize "$TMP/main.json" >"$TMP/main.got"
diff -u "$TMP/expected.json" "$TMP/main.got" || fail "crawl --json differs from the mirror"
ok "crawl --json lists generic and lowlatency exactly as the mirror holds them (shared _all, config in linux-modules)"
grep -q "warning: $M_URL/dists/jammy-updates: not on this mirror (HTTP 404)" "$TMP/main.err" ||
	{ cat "$TMP/main.err"; fail "no warning for jammy-updates"; }
! grep -q "error" "$TMP/main.err" || { cat "$TMP/main.err"; fail "an error line for a suite the mirror lacks"; }
pb_httpd_idle M
[ "$(pb_httpd_count M GET /dists/jammy-updates/InRelease status=404)" -eq 1 ] || fail "jammy-updates was not asked for"
[ "$(awk '$2 ~ /\.deb$/' "$M_LOG" | wc -l)" -eq 0 ] || fail "the crawl fetched packages"
ok "jammy-updates absent from the mirror: a warning 'not on this mirror', exit 0"

# --- --distro-filter
: >"$M_LOG"
crawl jammy --suite jammy --suite jammy-updates --distro-filter jammy
[ $rc -eq 0 ] || { cat "$TMP/jammy.err"; fail "--distro-filter jammy: exit $rc"; }
normalize "$TMP/jammy.json" >"$TMP/jammy.got"
diff -u "$TMP/expected.json" "$TMP/jammy.got" || fail "--distro-filter jammy: other kernels"
ok "--distro-filter jammy finds both flavors"
: >"$M_LOG"
crawl focal --suite jammy --suite jammy-updates --distro-filter focal
[ $rc -eq 1 ] || { cat "$TMP/focal.err"; fail "--distro-filter focal: exit $rc, expected 1"; }
grep -q "error: ubuntu: no repository to crawl for --distro-filter focal" "$TMP/focal.err" ||
	{ cat "$TMP/focal.err"; fail "--distro-filter focal: no message"; }
[ ! -s "$TMP/focal.json" ] || fail "--distro-filter focal: a listing was printed"
pb_httpd_idle M
[ ! -s "$M_LOG" ] || { cat "$M_LOG"; fail "--distro-filter focal: the mirror was asked"; }
ok "--distro-filter focal leaves no repository: an error, exit 1, nothing fetched"

# --- the plugin's own suites on this mirror: only jammy is there
crawl default
[ $rc -eq 0 ] || { cat "$TMP/default.err"; fail "crawl with the plugin's suites: exit $rc"; }
normalize "$TMP/default.json" >"$TMP/default.got"
diff -u "$TMP/expected.json" "$TMP/default.got" || fail "the plugin's suites: other kernels"
for s in focal noble-security jammy-security; do
	grep -q "warning: $M_URL/dists/$s: not on this mirror (HTTP 404)" "$TMP/default.err" ||
		{ cat "$TMP/default.err"; fail "the plugin's suites: no warning for $s"; }
done
ok "without --suite, the plugin's suites: jammy found, the $(grep -c 'not on this mirror' "$TMP/default.err") others absent"

# --- build without packages: both flavors
: >"$M_LOG"
"$PB" build -k ubuntu -p newswatch -v 2.0 -s "$PROBE_SRC" -o "$TMP/out" -w "$TMP/ws-build" -j 2 \
	--mirror "$M_URL" --suite jammy --suite jammy-updates --keyring "$kr" \
	>"$TMP/build.txt" 2>"$TMP/build.err" || { cat "$TMP/build.txt" "$TMP/build.err"; fail "build from the mirror"; }
cat "$TMP/build.txt"
for flavor in generic lowlatency; do
	rel=6.1.0-56-$flavor
	grep -qE "^$rel +BUILT +BUILT" "$TMP/build.txt" || fail "$rel not built"
	md5=$(pb_deb_member_md5 "$(ls "$TMP/debs/linux-modules-${rel}_"*.deb)" "boot/config-$rel")
	ko=$TMP/out/newswatch-2.0-x86_64-$rel-$md5.ko
	[ -f "$ko" ] && [ -f "$TMP/out/newswatch-bpf-2.0-x86_64-$rel-$md5.o" ] ||
		fail "$rel: no outputs named with $md5: $(ls "$TMP/out")"
	vm=$(modinfo -F vermagic "$ko")
	case "$vm" in "$rel "*) ;; *) fail "$rel: vermagic '$vm'" ;; esac
	ok "$rel: built from the mirror, vermagic '$vm', config MD5 $md5 from linux-modules"
done
[ "$(ls "$TMP/out"/*.ko | wc -l)" -eq 2 ] || fail "two modules expected"
pb_httpd_idle M
[ "$(awk '$2 ~ /\.deb$/ && $1 == "GET"' "$M_LOG" | wc -l)" -eq 5 ] &&
	[ "$(pb_httpd_count M GET /pool/main/l/linux/linux-headers-6.1.0-56_6.1.0-56.62_all.deb status=200)" -eq 1 ] ||
	{ cat "$M_LOG"; fail "expected each of the 5 packages fetched once (the shared one too)"; }
ok "build without packages: both flavors built, the shared _all package fetched once"

# The check below fails with this probe-builder (a bug, reported; the C code
# is left as it is).
# --- a workspace that crawled the mirror when it had InRelease, after the
# mirror was rebuilt with only Release + Release.gpg and the generic flavor:
# the crawl must read the new Release, as a fresh workspace does
sleep 1 # a new Date in Release
"$fx/mk-apt-mirror.sh" --key "$TMP/key" --origin Ubuntu --compress gz,xz --sign detached \
	--suite "jammy:$(ls "$TMP"/debs/*.deb | grep -v lowlatency | paste -sd,)" "$TMP/mirror" >/dev/null
[ ! -e "$TMP/mirror/dists/jammy/InRelease" ] && [ -e "$TMP/mirror/dists/jammy/Release.gpg" ] ||
	fail "the rebuilt mirror has an InRelease"
crawl fresh --suite jammy
[ $rc -eq 0 ] && [ "$(grep -c '"release"' "$TMP/fresh.json")" -eq 1 ] ||
	{ cat "$TMP/fresh.err"; fail "the rebuilt mirror, fresh workspace: exit $rc, or not one kernel"; }
cp -a "$TMP/ws-main" "$TMP/ws-again"
crawl again --suite jammy
cmp -s "$TMP/fresh.json" "$TMP/again.json" || {
	diff -u "$TMP/fresh.json" "$TMP/again.json" || true
	fail "a workspace that saw the old InRelease still lists what it said, not what the mirror holds now"
}
ok "a mirror that dropped InRelease: its new Release is read, not the workspace's old InRelease"
