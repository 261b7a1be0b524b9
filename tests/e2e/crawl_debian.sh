#!/usr/bin/env bash
# The crawler on an APT mirror made with apt-ftparchive from real Debian
# kernel packages, signed with a throwaway key and served on 127.0.0.1:
# two releases of two flavors in bookworm, their kbuild in another suite
# (bookworm-security). The mirror comes from a fake host apt config (the
# default for Debian: the mirrors the host already uses, deb822 style).
# `crawl --json` is compared exactly with what the mirror holds; `build`
# without packages builds both kernels; a second run downloads nothing; only
# index files and each kernel's own packages are fetched; a keyring without
# the signing key fails the crawl.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
. "$PB_TOP_SRCDIR/tests/lib/httpd.sh"
pb_skip_if_no_e2e
pb_tmpdir
fx=$PB_TOP_SRCDIR/tests/fixtures

abi=$(pb_debian_abi)
mapfile -t files < <(pb_debian_pair "$abi")
kbuild=$(printf '%s\n' "${files[@]}" | grep /linux-kbuild-)
others=$(printf '%s\n' "${files[@]}" | grep -v /linux-kbuild- | paste -sd,)

"$fx/mk-gpg-key.sh" "$TMP/key" >/dev/null
"$fx/mk-apt-mirror.sh" --key "$TMP/key" --compress gz,xz \
	--suite "bookworm:$others" --suite "bookworm-security:$kbuild" "$TMP/mirror" >/dev/null
pb_httpd_start M "$TMP/mirror" "$TMP/httpd"
trap 'pb_httpd_stop M; rm -rf "$TMP"' EXIT

# the host's apt sources, as Debian 12 writes them (and a vendor repo that
# carries no kernel, which must be left alone)
mkdir -p "$TMP/etc-apt/sources.list.d"
cat >"$TMP/etc-apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $M_URL/
Suites: bookworm bookworm-security
Components: main
Signed-By: $TMP/key/keyring.gpg
EOF
echo "deb [signed-by=$TMP/key/keyring.gpg] $M_URL/vendor nodistro main" \
	>"$TMP/etc-apt/sources.list.d/vendor.list"
export PROBE_BUILDER_ETC_APT=$TMP/etc-apt

ws=$TMP/ws
"$PB" crawl -w "$ws" --json debian >"$TMP/crawl.json" 2>"$TMP/crawl.err" ||
	{ cat "$TMP/crawl.err"; fail "crawl --json"; }

# what the mirror holds, computed without probe-builder
python3 - "$TMP/mirror" "$M_URL" "$abi" >"$TMP/expected.json" <<'PY'
import hashlib, json, os, sys
root, url, abi = sys.argv[1:]
where = {}
for d, _, fs in os.walk(os.path.join(root, "pool")):
    for f in fs:
        where[f] = os.path.join(d, f)
def pkg(prefix, role):
    name = [f for f in where if f.startswith(prefix + "_")][0]
    path = where[name]
    return {"name": name, "url": url + "/" + os.path.relpath(path, root),
            "size": os.path.getsize(path),
            "sha256": hashlib.sha256(open(path, "rb").read()).hexdigest(),
            "role": role}
kernels = []
for flavor in ("amd64", "cloud-amd64"):
    rel = abi + "-" + flavor
    pk = [pkg("linux-headers-" + rel, "tree"),
          pkg("linux-headers-" + abi + "-common", "tree"),
          pkg("linux-image-" + rel, "config"),
          pkg("linux-kbuild-" + abi.split(".0-")[0], "tree")]
    kernels.append({"release": rel, "flavor": flavor, "arch": "x86_64",
                    "version": pk[0]["name"].split("_")[1], "series": ["bookworm"],
                    "packages": sorted(pk, key=lambda p: p["name"])})
print(json.dumps({"format": 2, "distro": "debian", "kernels": kernels}, indent=2, sort_keys=True))
PY
pb_crawl_json "$TMP/crawl.json" >"$TMP/got.json" || fail "crawl --json: its plan_id"
diff -u "$TMP/expected.json" "$TMP/got.json" || fail "crawl --json differs from the mirror"
ok "crawl --json lists both kernels exactly as the mirror holds them (kbuild from bookworm-security)"

# the text form of the original tool
"$PB" crawl -q -w "$ws" debian >"$TMP/crawl.txt"
[ "$(grep -c '^=== ' "$TMP/crawl.txt")" -eq 2 ] && grep -qx "=== $abi-cloud-amd64 ===" "$TMP/crawl.txt" &&
	[ "$(grep -c "^$M_URL/pool/" "$TMP/crawl.txt")" -eq 8 ] || { cat "$TMP/crawl.txt"; fail "crawl text form"; }
ok "crawl: '=== release ===' then one URL a line"

# only index files: InRelease and one Packages index a suite, no package
pb_httpd_idle M
for f in $(awk '{print $2}' "$TMP/httpd/access.log" | sort -u); do
	case $f in
	/dists/bookworm*/InRelease | /dists/bookworm*/main/binary-amd64/Packages.xz) ;;
	*) fail "the crawl fetched $f" ;;
	esac
done
[ "$(pb_httpd_count M GET /dists/bookworm/InRelease status=200)" -eq 2 ] || fail "InRelease count"
ok "the crawl fetched index files only (InRelease, Packages.xz)"

# build with no package files: both kernels, from the mirror
: >"$TMP/httpd/access.log.mark"
"$PB" build -k debian -p newswatch -v 3.1 -s "$PROBE_SRC" -o "$TMP/out" -w "$ws" -j 2 \
	>"$TMP/build.txt" 2>"$TMP/build.err" || { cat "$TMP/build.txt" "$TMP/build.err"; fail "build from the mirror"; }
cat "$TMP/build.txt"
[ "$(grep -cE ' BUILT +BUILT *$' "$TMP/build.txt")" -eq 2 ] || fail "two kernels built"
for flavor in amd64 cloud-amd64; do
	md5=$(pb_deb_member_md5 "$(ls "$TMP/mirror"/pool/*/*/*/linux-image-$abi-${flavor}_*.deb)" "boot/config-$abi-$flavor")
	[ -f "$TMP/out/newswatch-3.1-x86_64-$abi-$flavor-$md5.ko" ] || fail "$flavor: no module named with $md5"
	[ -f "$TMP/out/newswatch-bpf-3.1-x86_64-$abi-$flavor-$md5.o" ] || fail "$flavor: no eBPF object"
done
grep -q "\"url\": \"$M_URL/pool/" "$TMP/out/manifest.json" || fail "the manifest does not give the inputs' URLs"
pb_httpd_idle M
# the tree packages once each, whole; the image packages (the config's)
# only as far as their config: Ranges from 0, fewer bytes than the file
n_debs=$(awk '$2 ~ /\.deb$/ && $2 !~ /linux-image-/ && $1 == "GET" && $3 == "-" && $4 == 200' "$TMP/httpd/access.log" | wc -l)
[ "$n_debs" -eq 4 ] || fail "expected each of the 4 tree packages fetched once, whole, got $n_debs GETs"
for flavor in amd64 cloud-amd64; do
	img=$(ls "$TMP/mirror"/pool/*/*/*/linux-image-$abi-${flavor}_*.deb)
	read -r n whole ranged bytes <<<"$(awk -v f="/${img##*/}" '$1 == "GET" && substr($2, length($2) - length(f) + 1) == f {
		n++; if ($3 == "-") w++; else if ($3 ~ /^bytes=0-/) r++; b += $5 } END { print n + 0, w + 0, r + 0, b + 0 }' "$TMP/httpd/access.log")"
	[ "$n" -ge 1 ] && [ "$whole" -eq 0 ] && [ "$ranged" -eq "$n" ] ||
		fail "${img##*/}: $n GETs, $whole whole, $ranged from byte 0: not read as a head"
	[ "$bytes" -lt "$(stat -c %s "$img")" ] || fail "${img##*/}: $bytes bytes sent, as many as the file"
done
ok "build without packages: both kernels built from the mirror, each tree package fetched once, the images only as far as their configs"
n_debs=$(awk '$2 ~ /\.deb$/ && $1 == "GET"' "$TMP/httpd/access.log" | wc -l)

# second run: EXISTING, and no package downloaded again
"$PB" build -k debian -p newswatch -v 3.1 -s "$PROBE_SRC" -o "$TMP/out" -w "$ws" -j 2 \
	>"$TMP/build2.txt" 2>"$TMP/build2.err" || { cat "$TMP/build2.err"; fail "second build"; }
[ "$(grep -cE ' EXISTING +EXISTING *$' "$TMP/build2.txt")" -eq 2 ] || fail "second run is not EXISTING"
pb_httpd_idle M
n_debs2=$(awk '$2 ~ /\.deb$/ && $1 == "GET"' "$TMP/httpd/access.log" | wc -l)
[ "$n_debs2" -eq "$n_debs" ] || fail "the second run downloaded packages again"
ok "second run: EXISTING, nothing downloaded (the cache is keyed by SHA-256)"

# --from-json: the listing, pinned, built later
"$PB" build -k debian -p newswatch -v 3.2 -s "$PROBE_SRC" -o "$TMP/out" -w "$ws" \
	-f cloud --from-json "$TMP/crawl.json" >"$TMP/build3.txt" 2>"$TMP/build3.err" ||
	{ cat "$TMP/build3.txt" "$TMP/build3.err"; fail "--from-json"; }
grep -qE "^$abi-cloud-amd64 +BUILT +BUILT" "$TMP/build3.txt" || fail "--from-json did not build the cloud kernel"
ok "build --from-json builds from a crawl listing"

# a keyring without the signing key: nothing is trusted
set +e
"$PB" crawl -w "$ws" --keyring "$TMP/key/other-keyring.gpg" debian >/dev/null 2>"$TMP/bad.err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "crawl with the wrong keyring: exit $rc"
grep -q "InRelease: signed by key .* which is not in the keyrings given" "$TMP/bad.err" ||
	{ cat "$TMP/bad.err"; fail "no message about the unknown key"; }
# every suite failed: each named, and no --allow-partial hint (it would
# have nothing to go on with)
grep -q "debian: no repository could be read; 2 failed:" "$TMP/bad.err" &&
	grep -q "^  $M_URL/dists/bookworm: " "$TMP/bad.err" &&
	grep -q "^  $M_URL/dists/bookworm-security: " "$TMP/bad.err" ||
	{ cat "$TMP/bad.err"; fail "the failed suites are not named"; }
! grep -q -- "--allow-partial" "$TMP/bad.err" || fail "--allow-partial hinted when no suite could be read"
ok "a signature by a key not in the keyrings fails the crawl, naming the suites"

# no apt sources and no --mirror: the message says what to do
mkdir -p "$TMP/empty-apt"
set +e
PROBE_BUILDER_ETC_APT=$TMP/empty-apt "$PB" crawl -w "$ws" debian >/dev/null 2>"$TMP/none.err"
rc=$?
set -e
[ $rc -eq 1 ] && grep -q -- "--mirror URL" "$TMP/none.err" || { cat "$TMP/none.err"; fail "no mirror: $rc"; }
ok "without apt sources, --mirror is asked for"

# through a caching proxy, the seed's workflow: HTTP_PROXY is honoured (the
# mirror's host name resolves nowhere: only the proxy can reach it), and
# NO_PROXY takes a host out of it
HTTP_PROXY=$M_URL http_proxy= "$PB" crawl -q -w "$TMP/ws-proxy" --mirror http://mirror.invalid/ \
	--suite bookworm --suite bookworm-security --keyring "$TMP/key/keyring.gpg" debian \
	>"$TMP/proxy.txt" 2>"$TMP/proxy.err" || { cat "$TMP/proxy.err"; fail "crawl through HTTP_PROXY"; }
grep -qx "=== $abi-amd64 ===" "$TMP/proxy.txt" && grep -q "^http://mirror.invalid/pool/" "$TMP/proxy.txt" ||
	fail "through the proxy: $(cat "$TMP/proxy.txt")"
set +e
HTTP_PROXY=$M_URL http_proxy= NO_PROXY=mirror.invalid "$PB" crawl -q -w "$TMP/ws-proxy" -r 0 \
	--mirror http://mirror.invalid/ --suite bookworm --keyring "$TMP/key/keyring.gpg" debian \
	>/dev/null 2>"$TMP/noproxy.err"
rc=$?
set -e
[ $rc -eq 1 ] && grep -q "mirror.invalid" "$TMP/noproxy.err" || { cat "$TMP/noproxy.err"; fail "NO_PROXY: exit $rc"; }
ok "HTTP_PROXY carries the crawl to a mirror only the proxy reaches; NO_PROXY takes it out"

# an unsigned mirror: refused, unless --no-verify, which says so loudly
"$fx/mk-apt-mirror.sh" --unsigned --compress xz --suite "bookworm:$others" \
	--suite "bookworm-security:$kbuild" "$TMP/unsigned" >/dev/null
pb_httpd_start U "$TMP/unsigned" "$TMP/httpd-u"
trap 'pb_httpd_stop U; pb_httpd_stop M; rm -rf "$TMP"' EXIT
set +e
"$PB" crawl -q -w "$TMP/ws-u" --mirror "$U_URL/" --keyring "$TMP/key/keyring.gpg" debian \
	>/dev/null 2>"$TMP/unsigned.err"
rc=$?
set -e
[ $rc -eq 1 ] && grep -q "dists/bookworm: Release is not signed (no InRelease, no Release.gpg)" "$TMP/unsigned.err" ||
	{ cat "$TMP/unsigned.err"; fail "an unsigned mirror was not refused (exit $rc)"; }
"$PB" crawl -w "$TMP/ws-u" --mirror "$U_URL/" --no-verify debian >"$TMP/nov.txt" 2>"$TMP/nov.err" ||
	{ cat "$TMP/nov.err"; fail "--no-verify"; }
grep -q "warning: --no-verify: the signatures of the repositories are NOT checked" "$TMP/nov.err" ||
	fail "--no-verify is not said loudly"
[ "$(grep -c '^=== ' "$TMP/nov.txt")" -eq 2 ] || fail "--no-verify did not list the kernels"
ok "an unsigned mirror is refused; --no-verify reads it and says so loudly"
