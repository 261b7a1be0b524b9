#!/usr/bin/env bash
# The crawler on RPM repositories made with createrepo_c
# (tests/fixtures/mk-rpm-mirror.sh): CentOS-shaped kernel-devel and
# kernel-core made from a real Debian tree, repo1 with 6.1.0-56.el8.x86_64
# and repo2 with 6.1.0-57.el8.x86_64, repomd.xml signed with a throwaway key,
# served on 127.0.0.1. `crawl --json` is compared exactly with what the
# repositories hold; primary compressed with xz and zstd parses the same;
# `build` without packages builds both kernels; --require-signed refuses an
# unsigned repository, a signature by another key is refused; a distro that
# is only a data file (rocky) finds the same kernels; a mirror root laid out
# like CentOS's ($version/BaseOS/$arch/os/) is crawled, the versions it does
# not hold being "not on this mirror". Last, two checks that fail with
# this probe-builder: --allow-partial with a --mirror that is down, and a
# workspace that kept the repomd.xml.asc of a repository that stopped signing.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
. "$PB_TOP_SRCDIR/tests/lib/httpd.sh"
pb_skip_if_no_e2e
pb_tmpdir
fx=$PB_TOP_SRCDIR/tests/fixtures

abi=$(pb_debian_abi)
pb_debian_fetch "linux-headers-$abi-amd64" "linux-headers-$abi-common" \
	"linux-kbuild-${abi%%.0-*}" "linux-image-$abi-amd64" >/dev/null
export PB_SRC_ABI=$abi PB_FIXTURE_CACHE=$PB_CACHE/fixtures
r56=6.1.0-56.el8.x86_64 r57=6.1.0-57.el8.x86_64

# every mirror under one served root: srv/NAME/repoN
"$fx/mk-gpg-key.sh" "$TMP/key" >/dev/null
kr=$TMP/key/keyring.gpg
mkrepo() { # NAME [mk-rpm-mirror.sh options]
	local name=$1
	shift
	"$fx/mk-rpm-mirror.sh" --debcache "$PB_CACHE/debian" "$@" "$TMP/srv/$name" >/dev/null
}
mkrepo gz --key "$TMP/key"
mkrepo xz --key "$TMP/key" --compress-type xz --kernel repo1:$r56
mkrepo zst --key "$TMP/key" --compress-type zstd --kernel repo1:$r56
mkrepo unsigned --unsigned --kernel repo1:$r56
mkrepo other --key "$TMP/key" --signer other --kernel repo1:$r56
# a mirror root laid out like CentOS's: 8.5.2111/BaseOS/x86_64/os/ is repo1
mkdir -p "$TMP/tree/8.5.2111/BaseOS/x86_64"
cp -al "$TMP/srv/gz/repo1" "$TMP/tree/8.5.2111/BaseOS/x86_64/os"
pb_httpd_start M "$TMP/srv" "$TMP/httpd-M"
pb_httpd_start T "$TMP/tree" "$TMP/httpd-T"
trap 'pb_httpd_stop M; pb_httpd_stop T; rm -rf "$TMP"' EXIT

# expected DISTRO DIR URL [DIR URL]...: the crawl listing of the repositories
# in DIR (served at URL), computed without probe-builder, normalized
expected() {
	python3 - "$@" <<'PY'
import hashlib, json, os, sys
distro, args = sys.argv[1], sys.argv[2:]
kernels = []
for d, url in zip(args[0::2], args[1::2]):
    rels = {}
    for f in sorted(os.listdir(os.path.join(d, "Packages"))):
        for prefix, role in (("kernel-devel-", "tree"), ("kernel-core-", "config")):
            if f.startswith(prefix) and f.endswith(".rpm"):
                path = os.path.join(d, "Packages", f)
                rels.setdefault(f[len(prefix):-4], []).append({
                    "name": f, "url": url + "/Packages/" + f,
                    "size": os.path.getsize(path),
                    "sha256": hashlib.sha256(open(path, "rb").read()).hexdigest(),
                    "role": role})
    for rel, pk in rels.items():
        kernels.append({"release": rel, "flavor": "kernel", "arch": "x86_64",
                        "version": rel.rsplit(".", 1)[0],
                        "packages": sorted(pk, key=lambda p: p["name"])})
kernels.sort(key=lambda k: k["release"])
print(json.dumps({"format": 2, "distro": distro, "kernels": kernels}, indent=2, sort_keys=True))
PY
}
normalize() { # FILE: the JSON in FILE, sorted keys, its plan_id checked,
	# without the series (the labels of the repositories, which depend on
	# the mirror specs)
	pb_crawl_json "$1" --no-series
}

# crawl NAME DISTRO ARGS...: crawl --json into $TMP/NAME.json, stderr in
# $TMP/NAME.err, the exit status in $rc
crawl() {
	local name=$1 distro=$2
	shift 2
	set +e
	"$PB" crawl -w "$TMP/ws-$name" --json "$@" "$distro" >"$TMP/$name.json" 2>"$TMP/$name.err"
	rc=$?
	set -e
}

# --- two signed repositories, exactly
crawl gz centos --mirror "$M_URL/gz/repo1" --mirror "$M_URL/gz/repo2" --keyring "$kr"
[ $rc -eq 0 ] || { cat "$TMP/gz.err"; fail "crawl --json centos: exit $rc"; }
expected centos "$TMP/srv/gz/repo1" "$M_URL/gz/repo1" "$TMP/srv/gz/repo2" "$M_URL/gz/repo2" >"$TMP/gz.expected"
[ "$(grep -c '"release"' "$TMP/gz.expected")" -eq 2 ] || fail "the fixture has not two kernels"
normalize "$TMP/gz.json" >"$TMP/gz.got"
diff -u "$TMP/gz.expected" "$TMP/gz.got" || fail "crawl --json differs from the repositories"
pb_httpd_idle M
[ "$(awk '$2 ~ /\.rpm$/' "$M_LOG" | wc -l)" -eq 0 ] || fail "the crawl fetched packages"
[ "$(pb_httpd_count M GET /gz/repo1/repodata/repomd.xml.asc status=200)" -eq 1 ] &&
	[ "$(pb_httpd_count M GET /gz/repo2/repodata/repomd.xml.asc status=200)" -eq 1 ] ||
	fail "the signatures were not fetched"
ok "crawl --json lists $r56 (repo1) and $r57 (repo2) exactly as the repositories hold them"

# --- primary compressed with xz and with zstd
for z in xz zst; do
	crawl $z centos --mirror "$M_URL/$z/repo1" --keyring "$kr"
	[ $rc -eq 0 ] || { cat "$TMP/$z.err"; fail "$z: crawl exit $rc"; }
	expected centos "$TMP/srv/$z/repo1" "$M_URL/$z/repo1" >"$TMP/$z.expected"
	normalize "$TMP/$z.json" >"$TMP/$z.got"
	diff -u "$TMP/$z.expected" "$TMP/$z.got" || fail "$z: crawl --json differs from the repository"
	pb_httpd_idle M
	[ "$(awk -v p="^/$z/repo1/repodata/[0-9a-f]+-primary\\\\.xml\\\\.$z\$" '$2 ~ p && $4 == 200' "$M_LOG" | wc -l)" -eq 1 ] ||
		{ grep primary "$M_LOG"; fail "$z: the primary read was not .xml.$z"; }
	ok "primary.xml.$z parses the same"
done

# --- build without packages: both kernels
"$PB" build -k centos -p newswatch -v 3.0 -s "$PROBE_SRC" -o "$TMP/out" -w "$TMP/ws-build" -j 2 \
	--mirror "$M_URL/gz/repo1" --mirror "$M_URL/gz/repo2" --keyring "$kr" \
	>"$TMP/build.txt" 2>"$TMP/build.err" || { cat "$TMP/build.txt" "$TMP/build.err"; fail "build from the repositories"; }
cat "$TMP/build.txt"
for rel in $r56 $r57; do
	repo=repo1
	[ $rel = $r56 ] || repo=repo2
	grep -qE "^$rel +BUILT +BUILT" "$TMP/build.txt" || fail "$rel not built"
	md5=$(bsdtar -xOf "$TMP/srv/gz/$repo/Packages/kernel-core-$rel.rpm" "./boot/config-$rel" | md5sum | cut -d' ' -f1)
	ko=$TMP/out/newswatch-3.0-x86_64-$rel-$md5.ko
	[ -f "$ko" ] || fail "$rel: no module named with kernel-core's config MD5 $md5: $(ls "$TMP/out")"
	[ -f "$TMP/out/newswatch-bpf-3.0-x86_64-$rel-$md5.o" ] || fail "$rel: no eBPF object"
	vm=$(modinfo -F vermagic "$ko")
	case "$vm" in "$rel "*) ;; *) fail "$rel: vermagic '$vm'" ;; esac
	ok "$rel: built from the mirror, vermagic '$vm', named with kernel-core's config MD5"
done
[ "$(ls "$TMP/out"/*.ko | wc -l)" -eq 2 ] || fail "two modules expected"
pb_httpd_idle M
[ "$(awk '$2 ~ /\.rpm$/ && $1 == "GET" && $4 == 200' "$M_LOG" | wc -l)" -eq 4 ] || fail "each of the 4 RPMs fetched once"

# --- --require-signed on an unsigned repository; accepted without it
crawl unsigned-ok centos --mirror "$M_URL/unsigned/repo1" --keyring "$kr"
[ $rc -eq 0 ] && [ "$(grep -c '"release"' "$TMP/unsigned-ok.json")" -eq 1 ] ||
	{ cat "$TMP/unsigned-ok.err"; fail "an unsigned repository without --require-signed: exit $rc"; }
crawl unsigned centos --mirror "$M_URL/unsigned/repo1" --keyring "$kr" --require-signed
[ $rc -eq 1 ] || { cat "$TMP/unsigned.err"; fail "--require-signed on an unsigned repository: exit $rc"; }
grep -q "$M_URL/unsigned/repo1/repodata/repomd.xml is not signed (no repomd.xml.asc) and --require-signed is on" "$TMP/unsigned.err" ||
	{ cat "$TMP/unsigned.err"; fail "--require-signed: the message does not name repomd.xml"; }
[ ! -s "$TMP/unsigned.json" ] || fail "--require-signed: a listing was printed"
ok "--require-signed refuses a repository without repomd.xml.asc, naming its repomd.xml"

# --- a repomd.xml.asc by another key
crawl other centos --mirror "$M_URL/other/repo1" --keyring "$kr"
[ $rc -eq 1 ] || { cat "$TMP/other.err"; fail "signed by the other key: exit $rc"; }
grep -q "repomd.xml.asc: signed by key [0-9A-F]*, which is not in the keyrings given" "$TMP/other.err" &&
	grep -q "^  $M_URL/other/repo1/: " "$TMP/other.err" ||
	{ cat "$TMP/other.err"; fail "signed by the other key: no 'not in the keyrings' message naming the repository"; }
pb_httpd_idle M
[ "$(awk '$2 ~ /^\/other\/.*primary/' "$M_LOG" | wc -l)" -eq 0 ] || fail "primary fetched past a bad signature"
ok "a repomd.xml.asc by a key not in the keyrings fails the crawl"

# --- rocky, a distro that is only a data file: the same kernels
crawl rocky rocky --mirror "$M_URL/gz/repo1" --mirror "$M_URL/gz/repo2" --keyring "$kr"
[ $rc -eq 0 ] || { cat "$TMP/rocky.err"; fail "crawl rocky: exit $rc"; }
sed 's/"distro": "centos"/"distro": "rocky"/' "$TMP/gz.expected" >"$TMP/rocky.expected"
normalize "$TMP/rocky.json" >"$TMP/rocky.got"
diff -u "$TMP/rocky.expected" "$TMP/rocky.got" || fail "-k rocky lists other kernels"
ok "-k rocky (a data file) finds the same kernels"

# --- a mirror root laid out like CentOS's
crawl tree85 centos --mirror "$T_URL/" --distro-filter 8.5 --keyring "$kr"
[ $rc -eq 0 ] || { cat "$TMP/tree85.err"; fail "mirror root, --distro-filter 8.5: exit $rc"; }
os=$T_URL/8.5.2111/BaseOS/x86_64/os
expected centos "$TMP/tree/8.5.2111/BaseOS/x86_64/os" "$os" >"$TMP/tree.expected"
grep -q "\"release\": \"$r56\"" "$TMP/tree.expected" || fail "the tree has no $r56"
normalize "$TMP/tree85.json" >"$TMP/tree85.got"
diff -u "$TMP/tree.expected" "$TMP/tree85.got" || fail "mirror root: not the kernel of 8.5.2111/BaseOS/x86_64/os/"
pb_httpd_idle T
awk '{print $2}' "$T_LOG" | grep -v '^/repodata/repomd.xml$' | grep -v "^/8.5.2111/BaseOS/x86_64/os/repodata/" &&
	fail "mirror root, --distro-filter 8.5: other repositories were asked"
ok "a mirror root with --distro-filter 8.5: $r56 from 8.5.2111/BaseOS/x86_64/os/, nothing else asked"
# every version: those not there are 404, warnings, not failures
crawl tree centos --mirror "$T_URL/" --keyring "$kr"
[ $rc -eq 0 ] || { cat "$TMP/tree.err"; fail "mirror root, every version: exit $rc"; }
normalize "$TMP/tree.json" >"$TMP/tree.got"
diff -u "$TMP/tree.expected" "$TMP/tree.got" || fail "mirror root, every version: not the kernel of 8.5.2111"
grep -q "warning: $T_URL/8.4.2105/BaseOS/x86_64/os/repodata/repomd.xml: not on this mirror (HTTP 404)" "$TMP/tree.err" &&
	grep -q "warning: $T_URL/7.9.2009/updates/x86_64/repodata/repomd.xml: not on this mirror (HTTP 404)" "$TMP/tree.err" ||
	{ cat "$TMP/tree.err"; fail "the versions not on the mirror are not reported"; }
! grep -q "error" "$TMP/tree.err" || { cat "$TMP/tree.err"; fail "mirror root: an error line"; }
pb_httpd_idle T
[ "$(pb_httpd_count T GET /8.4.2105/BaseOS/x86_64/os/repodata/repomd.xml status=404)" -eq 1 ] ||
	fail "8.4.2105 was not asked for"
ok "a mirror root, every version: $r56 found, the $(grep -c 'not on this mirror' "$TMP/tree.err") others are 'not on this mirror'"

# The checks below fail with this probe-builder (bugs reported, the C code is
# left as it is): each says FAIL and the others still run; the test fails at
# the end.
nbug=0
later() {
	echo "FAIL: $*" >&2
	nbug=$((nbug + 1))
}

# --- a --mirror that is down next to a good one
pb_httpd_start D "$TMP/tree" "$TMP/httpd-D"
pb_httpd_stop D # D_URL is now a port nothing listens on
crawl down centos --mirror "$D_URL/repo" --mirror "$M_URL/gz/repo1" --keyring "$kr" -r 0
[ $rc -eq 1 ] && grep -q "$D_URL/repo" "$TMP/down.err" ||
	{ cat "$TMP/down.err"; fail "a --mirror that is down: exit $rc, or the message does not name it"; }
ok "a --mirror that is down fails the crawl, naming it"
crawl partial centos --mirror "$D_URL/repo" --mirror "$M_URL/gz/repo1" --keyring "$kr" -r 0 --allow-partial
if [ $rc -eq 3 ] && grep -q "warning: --allow-partial: missed .*$D_URL/repo" "$TMP/partial.err" &&
	grep -q "\"release\": \"$r56\"" "$TMP/partial.json"; then
	ok "--allow-partial: the down --mirror is listed as missed, $r56 from the other, exit 3"
else
	cat "$TMP/partial.err"
	later "--allow-partial with a --mirror that is down: exit $rc (expected 3, the other mirror's kernel listed and the down one named as missed)"
fi

# --- a workspace that crawled the repository when it was signed, after it
# was rebuilt without repomd.xml.asc: the same as a fresh workspace
mkrepo later --key "$TMP/key" --kernel repo1:$r56
crawl later-1 centos --mirror "$M_URL/later/repo1" --keyring "$kr"
[ $rc -eq 0 ] || { cat "$TMP/later-1.err"; fail "the signed repository: exit $rc"; }
sleep 1 # a new <revision> in repomd.xml
mkrepo later --unsigned --kernel repo1:$r56
cp -a "$TMP/ws-later-1" "$TMP/ws-later-2"
crawl later-2 centos --mirror "$M_URL/later/repo1" --keyring "$kr"
crawl later-fresh centos --mirror "$M_URL/later/repo1" --keyring "$kr"
[ $rc -eq 0 ] || { cat "$TMP/later-fresh.err"; fail "the unsigned repository, fresh workspace: exit $rc"; }
if cmp -s "$TMP/later-2.json" "$TMP/later-fresh.json" && ! grep -q "error" "$TMP/later-2.err"; then
	ok "a repository that stopped signing: the workspace's old repomd.xml.asc is not used"
else
	cat "$TMP/later-2.err"
	later "a repository rebuilt without repomd.xml.asc, crawled again in the same workspace: not what a fresh workspace gives"
fi
[ $nbug -eq 0 ] || exit 1
