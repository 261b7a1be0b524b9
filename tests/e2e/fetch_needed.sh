#!/usr/bin/env bash
# Only what the build needs is fetched, and builds start while downloads
# go on (issue 13), on a signed loopback APT mirror of two real Debian
# kernels (6.1 amd64 and cloud-amd64, sharing their common headers and
# kbuild) whose server logs the bytes it sends for each request:
# - the image packages (70-110 MB each, for one 260 KB config) are read
#   only as far as their config: the whole transfer stays under 1.3 times
#   the tree packages plus the configs; the manifest says how each config
#   was had, with the package's own SHA-256 and URL;
# - with the mirror slowed down, the first kernel's build starts before the
#   second kernel's packages are in (the lines' times);
# - an image whose config has one line more than its headers' .config is
#   fetched whole, and refused on its SHA-256: that kernel FAILED, naming
#   it;
# - build --verify fetches the images whole.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
. "$PB_TOP_SRCDIR/tests/lib/httpd.sh"
pb_skip_if_no_e2e
pb_tmpdir

abi=$(pb_debian_abi)
mapfile -t files < <(pb_debian_pair "$abi")
pb_apt_mirror_serve M "$TMP" "${files[@]}"
trap 'pb_httpd_stop M; rm -rf "$TMP"' EXIT
export PROBE_BUILDER_AGENT=${PB_BUILD_AGENT:?}

# each line of stderr with the time it came
stamp() { while IFS= read -r l; do printf '%s %s\n' "$(date +%s.%N)" "$l"; done; }

build() { # WORKSPACE OUT LOG [options]
	local ws=$1 out=$2 log=$3
	shift 3
	# a pipe, not a process substitution: both files are whole when
	# this returns (a quick rerun outran the substitution's writer)
	"$PB" build -k debian -p newswatch -v 3.1 -s "$PROBE_SRC" -o "$out" -w "$ws" "$@" \
		2>&1 >"$log.txt" | stamp >"$log.err"
	return "${PIPESTATUS[0]}"
}

# bytes the server sent for .deb files since the log was last cut
deb_bytes() { pb_httpd_idle M; awk '$2 ~ /\.deb$/ { n += $5 } END { print n + 0 }' "$TMP/httpd/access.log"; }
cut_log() { pb_httpd_idle M; : >"$TMP/httpd/access.log"; }

# ---- a slow mirror: the first build starts before the second kernel's
# packages are in; only the heads of the images come
# one transfer at a time: the first kernel's packages, then the second's
pb_httpd_faults M '[{"glob": "*.deb", "fault": {"trickle": 2000000}}]'
cut_log
build "$TMP/ws" "$TMP/out" "$TMP/b1" -j 1 -d 1 ||
	{ cat "$TMP/b1.txt" "$TMP/b1.err"; fail "build from the slow mirror"; }
pb_httpd_faults M '[]'
[ "$(grep -cE ' BUILT +BUILT *$' "$TMP/b1.txt")" -eq 2 ] || { cat "$TMP/b1.txt"; fail "two kernels built"; }
first=$(awk '/: building$/ { print $1; exit }' "$TMP/b1.err")
cloud_in=$(awk '/fetched linux-headers-.*-cloud-amd64_/ { print $1; exit }' "$TMP/b1.err")
[ -n "$first" ] && [ -n "$cloud_in" ] || { cat "$TMP/b1.err"; fail "no build start or no cloud headers fetch in the log"; }
awk -v a="$first" -v b="$cloud_in" 'BEGIN { exit !(a < b) }' ||
	{ cat "$TMP/b1.err"; fail "the first build started ($first) only after the second kernel's headers were in ($cloud_in)"; }
ok "a build starts while the next kernel's packages still come ($(awk -v a="$first" -v b="$cloud_in" 'BEGIN { printf "%.1f", b - a }') s before they are in)"

sent=$(deb_bytes)
need=0
for f in "${files[@]}"; do
	case $f in
	*/linux-image-*)
		rel=$(basename "$f")
		rel=${rel#linux-image-}
		rel=${rel%%_*}
		need=$((need + $(dpkg-deb --fsys-tarfile "$f" | tar -xOf - "./boot/config-$rel" | wc -c)))
		;;
	*) need=$((need + $(stat -c %s "$f"))) ;;
	esac
done
all=$(cat "${files[@]}" | wc -c)
awk -v s="$sent" -v n="$need" 'BEGIN { exit !(s < 1.3 * n) }' ||
	fail "sent $sent bytes of .deb files for $need needed (all: $all)"
ok "fetched $((sent / 1000000)) MB of .deb files for $((need / 1000000)) MB needed (the packages are $((all / 1000000)) MB)"

# the manifest: each image input has its SHA-256, URL, role, and how its
# config was had
python3 - "$TMP/out/manifest.json" "$TMP/mirror" <<'PY' || fail "the manifest's inputs"
import hashlib, json, os, sys
m = json.load(open(sys.argv[1]))
pool = {}
for d, _, fs in os.walk(os.path.join(sys.argv[2], "pool")):
    for f in fs:
        pool[f] = hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest()
n = 0
for e in m["kernels"]:
    for i in e["inputs"]:
        assert i["sha256"] == pool[i["file"]], i
        assert i["url"].endswith("/" + i["file"]), i
        if i["file"].startswith("linux-image-"):
            assert i["role"] == "config", i
            assert "first" in i.get("config_from", ""), i
            n += 1
        else:
            assert i["role"] == "tree" and "config_from" not in i, i
assert n == 2, n
PY
ok "the manifest records each image's SHA-256 and URL, and that its config came from its head"

# ---- a warm rerun: nothing fetched, nothing built
cut_log
build "$TMP/ws" "$TMP/out" "$TMP/b2" -j 2 || { cat "$TMP/b2.err"; fail "rerun"; }
[ "$(grep -cE ' EXISTING +EXISTING *$' "$TMP/b2.txt")" -eq 2 ] || { cat "$TMP/b2.txt"; fail "rerun: EXISTING"; }
[ "$(deb_bytes)" -eq 0 ] || fail "the rerun fetched .deb bytes again"
ok "a rerun fetches nothing (the heads accepted before are kept)"

# ---- verify boots the image the build read only the head of: it fetches
# it whole first, from the URL the manifest gives
cut_log
"$PB" verify -o "$TMP/out" -w "$TMP/ws" -f "^$abi-amd64\$" --report >"$TMP/v1.txt" 2>"$TMP/v1.err" ||
	{ cat "$TMP/v1.txt" "$TMP/v1.err"; fail "verify"; }
pb_httpd_idle M
img=$(ls "$TMP/mirror"/pool/*/*/*/linux-image-$abi-amd64_*.deb)
awk -v n="$(basename "$img")" -v s="$(stat -c %s "$img")" '$2 ~ n && $3 == "-" && $5 == s' \
	"$TMP/httpd/access.log" | grep -q . || { cat "$TMP/v1.err"; fail "verify did not fetch the image whole"; }
grep -qE "^$abi-amd64 +LOADED" "$TMP/v1.txt" || { cat "$TMP/v1.txt" "$TMP/v1.err"; fail "verify: the kernel did not boot"; }
ok "verify fetches the image a build read the head of, and boots it"

# ---- an image whose config was tampered with (one line more), under the
# index's size and SHA-256: its head is refused, the whole package too
img=$(ls "$TMP/mirror"/pool/*/*/*/linux-image-$abi-cloud-amd64_*.deb)
size=$(stat -c %s "$img")
mkdir -p "$TMP/fake/DEBIAN" "$TMP/fake/boot"
dpkg-deb -e "$img" "$TMP/fake/DEBIAN"
rm -f "$TMP/fake/DEBIAN/md5sums"
dpkg-deb --fsys-tarfile "$img" | tar -xOf - "./boot/config-$abi-cloud-amd64" >"$TMP/fake/boot/config-$abi-cloud-amd64"
echo "CONFIG_PB_TAMPERED=y" >>"$TMP/fake/boot/config-$abi-cloud-amd64"
head -c 2000000 /dev/urandom >"$TMP/fake/boot/vmlinuz-$abi-cloud-amd64"
dpkg-deb -Zxz -b "$TMP/fake" "$TMP/fake.deb" >/dev/null
truncate -s "$size" "$TMP/fake.deb"
# the pool's files may be links to the shared package cache: replaced, not
# written through
rm -f "$img"
cp "$TMP/fake.deb" "$img"
cut_log
# a new workspace: the first one holds the head accepted before, under
# the package's SHA-256
build "$TMP/ws2" "$TMP/out2" "$TMP/b3" -j 1 -f "cloud" || true
grep -qE "^$abi-cloud-amd64 +FAILED +FAILED" "$TMP/b3.txt" || { cat "$TMP/b3.txt" "$TMP/b3.err"; fail "the tampered kernel did not fail"; }
grep -q "is not the tree's .* fetching the whole package" "$TMP/b3.err" || { cat "$TMP/b3.err"; fail "the head's refusal is not said"; }
grep -q "SHA-256" "$TMP/b3.err" || { cat "$TMP/b3.err"; fail "the whole package's refusal does not name its SHA-256"; }
pb_httpd_idle M
name=$(basename "$img")
awk -v n="$name" '$2 ~ n && $3 != "-"' "$TMP/httpd/access.log" | grep -q . || fail "no Range request of $name"
awk -v n="$name" -v s="$size" '$2 ~ n && $3 == "-" && $5 == s' "$TMP/httpd/access.log" | grep -q . ||
	fail "$name was not fetched whole after its head was refused"
! ls "$TMP/out2"/*cloud* >/dev/null 2>&1 || fail "an output of the tampered kernel"
ok "a tampered config: head refused, whole package fetched and refused on its SHA-256"

# ---- build --verify: the image whole (the kernel boots); a workspace
# of its own, the outputs there already (EXISTING)
cut_log
build "$TMP/ws3" "$TMP/out" "$TMP/b4" -j 1 -f "^$abi-amd64\$" --verify=report || true
pb_httpd_idle M
awk '$2 ~ /linux-image-/ && $3 != "-"' "$TMP/httpd/access.log" | grep -q . && fail "--verify asked for a head"
awk '$2 ~ /linux-image-/ && $3 == "-"' "$TMP/httpd/access.log" | grep -q . || fail "--verify did not fetch the image"
ok "build --verify fetches the image whole"
