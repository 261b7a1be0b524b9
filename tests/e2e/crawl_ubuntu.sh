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
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
. "$PB_TOP_SRCDIR/tests/lib/httpd.sh"
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
normalize() { # FILE: the JSON in FILE, sorted keys, its plan_id checked
	pb_crawl_json "$1"
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
                    "version": "6.1.0-56.62", "series": ["jammy"],
                    "packages": sorted(pk, key=lambda p: p["name"])})
print(json.dumps({"format": 2, "distro": "ubuntu", "kernels": kernels}, indent=2, sort_keys=True))
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

# --- one release name in two series: jammy's 6.1.0-56-generic (6.1.0-56.62)
# and focal's HWE one (6.1.0-56.62~20.04.1, its shared tree in
# linux-hwe-6.1-headers-6.1.0-56) are two kernels: both built, both recorded
PB_UBUNTU_VERSION=6.1.0-56.62~20.04.1 PB_UBUNTU_VARIANT=hwe-6.1 PB_UBUNTU_FLAVORS=generic \
	"$fx/mk-ubuntu-debs.sh" "$PB_CACHE/debian" "$TMP/debs-focal" >/dev/null
"$fx/mk-apt-mirror.sh" --key "$TMP/key" --origin Ubuntu --compress xz \
	--suite "jammy-updates:$(ls "$TMP"/debs/*.deb | paste -sd,)" \
	--suite "jammy-security:$(ls "$TMP"/debs/*.deb | paste -sd,)" \
	--suite "focal-updates:$(ls "$TMP"/debs-focal/*.deb | paste -sd,)" "$TMP/mirror2" >/dev/null
pb_httpd_start N "$TMP/mirror2" "$TMP/httpd2"
trap 'pb_httpd_stop M; pb_httpd_stop N; rm -rf "$TMP"' EXIT
suites2=(--suite jammy-updates --suite jammy-security --suite focal-updates)
"$PB" crawl -w "$TMP/ws-two" --json --mirror "$N_URL" --keyring "$kr" "${suites2[@]}" ubuntu \
	>"$TMP/two.json" 2>"$TMP/two.err" || { cat "$TMP/two.err"; fail "crawl of two series"; }
python3 - "$TMP/two.json" <<'PY'
import json, sys
ks = json.load(open(sys.argv[1]))["kernels"]
g = sorted((k["version"], k["series"], [p["name"] for p in k["packages"]])
           for k in ks if k["release"] == "6.1.0-56-generic")
assert len(g) == 2, g
(jv, js, jp), (fv, fs, fp) = g
assert jv == "6.1.0-56.62" and js == ["jammy-security", "jammy-updates"], g[0]
assert fv == "6.1.0-56.62~20.04.1" and fs == ["focal-updates"], g[1]
# each takes its own shared tree, the one its Depends names
assert "linux-headers-6.1.0-56_6.1.0-56.62_all.deb" in jp and not any("hwe" in p for p in jp), jp
assert "linux-hwe-6.1-headers-6.1.0-56_6.1.0-56.62~20.04.1_all.deb" in fp, fp
assert not any(p.startswith("linux-headers-6.1.0-56_") for p in fp), fp
print("ok")
PY
ok "crawl: 6.1.0-56-generic of jammy and of focal (HWE) are two kernels, each with its series and its own shared tree; one file in two suites is one kernel"

: >"$N_LOG"
# --keep-trees: the roots are counted below
"$PB" build -k ubuntu -p newswatch -v 2.0 -s "$PROBE_SRC" -o "$TMP/out2" -w "$TMP/ws-build2" -j 2 \
	--keep-trees --mirror "$N_URL" "${suites2[@]}" --keyring "$kr" -f generic \
	>"$TMP/build2.txt" 2>"$TMP/build2.err" || { cat "$TMP/build2.txt" "$TMP/build2.err"; fail "build of two series"; }
cat "$TMP/build2.txt"
[ "$(grep -cE '^6.1.0-56-generic\((jammy-security|focal-updates)\) +BUILT +BUILT' "$TMP/build2.txt")" -eq 2 ] ||
	fail "both 6.1.0-56-generic kernels should be BUILT"
for d in debs debs-focal; do
	md5=$(pb_deb_member_md5 "$(ls "$TMP/$d/linux-modules-6.1.0-56-generic_"*.deb)" boot/config-6.1.0-56-generic)
	[ -f "$TMP/out2/newswatch-2.0-x86_64-6.1.0-56-generic-$md5.ko" ] &&
		[ -f "$TMP/out2/newswatch-bpf-2.0-x86_64-6.1.0-56-generic-$md5.o" ] ||
		fail "$d: no outputs named with $md5: $(ls "$TMP/out2")"
done
python3 - "$TMP/out2/manifest.json" <<'PY'
import json, os, sys
d = os.path.dirname(sys.argv[1])
ks = [k for k in json.load(open(sys.argv[1]))["kernels"] if k["release"] == "6.1.0-56-generic"]
assert len(ks) == 2, ks
seen = set()
for k in ks:
    assert k["status"] == "BUILT" and k["arch"] == "x86_64", k
    seen.add((k["version"], tuple(k["series"])))
    assert os.path.isfile(os.path.join(d, k["kmod"]["file"])), k["kmod"]
    assert os.path.isfile(os.path.join(d, k["log"])), k["log"]
    names = [i["file"] for i in k["inputs"]]
    assert len(names) == 3, names
    assert all(k["version"] in n for n in names), names
assert seen == {("6.1.0-56.62", ("jammy-security", "jammy-updates")),
                ("6.1.0-56.62~20.04.1", ("focal-updates",))}, seen
assert ks[0]["kmod"]["file"] != ks[1]["kmod"]["file"]
assert ks[0]["log"] != ks[1]["log"]
print("ok")
PY
[ "$(ls -d "$TMP/ws-build2/roots/ubuntu/6.1.0-56-generic_"*/ | wc -l)" -eq 2 ] ||
	fail "two roots expected: $(ls "$TMP/ws-build2/roots/ubuntu")"
ok "build: both 6.1.0-56-generic kernels built in their own roots, both outputs coexist, the manifest records each with its series"
pb_httpd_idle N
if grep -q lowlatency "$N_LOG"; then
	cat "$N_LOG"
	fail "-f generic: a lowlatency package was requested"
fi
ok "-f generic: no package of a filtered-out kernel was requested"

# --from-json with --ignore-list and -f: what is left out is never fetched
"$PB" crawl -w "$TMP/ws-two" --json --mirror "$N_URL" --keyring "$kr" "${suites2[@]}" ubuntu \
	>"$TMP/two2.json" 2>/dev/null || fail "crawl again"
printf '6.1.0-56-low*\n' >"$TMP/ignore"
: >"$N_LOG"
# (into the output dir of the build above: the outputs are there, EXISTING;
# a new workspace: its packages are fetched)
"$PB" build -k ubuntu -p newswatch -v 2.0 -s "$PROBE_SRC" -o "$TMP/out2" -w "$TMP/ws-build3" \
	--from-json "$TMP/two2.json" --ignore-list "$TMP/ignore" -f '6.1.0-56-(generic|lowlatency)' \
	>"$TMP/build3.txt" 2>"$TMP/build3.err" || { cat "$TMP/build3.txt" "$TMP/build3.err"; fail "--from-json build"; }
grep -qE '^6.1.0-56-lowlatency +SKIPPED +SKIPPED' "$TMP/build3.txt" &&
	[ "$(grep -cE '^6.1.0-56-generic\(.*\) +EXISTING +EXISTING' "$TMP/build3.txt")" -eq 2 ] ||
	{ cat "$TMP/build3.txt"; fail "lowlatency not SKIPPED, or the generic kernels not EXISTING"; }
pb_httpd_idle N
grep -q '\.deb' "$N_LOG" || fail "--from-json fetched nothing"
if grep -q lowlatency "$N_LOG"; then
	cat "$N_LOG"
	fail "--ignore-list: a package of the ignored kernel was requested"
fi
: >"$N_LOG"
"$PB" build -k ubuntu -p newswatch -v 2.0 -s "$PROBE_SRC" -o "$TMP/out" -w "$TMP/ws-build4" \
	--from-json "$TMP/two2.json" -f lowlatency >"$TMP/build4.txt" 2>"$TMP/build4.err" ||
	{ cat "$TMP/build4.txt" "$TMP/build4.err"; fail "--from-json -f build"; }
pb_httpd_idle N
if grep -qE 'generic|hwe' "$N_LOG"; then
	cat "$N_LOG"
	fail "--from-json -f lowlatency: a package of a filtered-out kernel was requested"
fi
grep -q 'lowlatency' "$N_LOG" || fail "--from-json -f lowlatency fetched nothing"
grep -qE '^6.1.0-56-lowlatency +EXISTING +EXISTING' "$TMP/build4.txt" || { cat "$TMP/build4.txt"; fail "lowlatency not EXISTING"; }
ok "--from-json: -f and --ignore-list apply before downloads (nothing of the kernels left out is requested)"

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
