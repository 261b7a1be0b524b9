#!/usr/bin/env bash
# End to end on real Debian packages from `apt-get download`: two releases
# of different flavors (amd64 and cloud-amd64 of one ABI), built with -j 2,
# checked by name, config MD5, vermagic and ELF type; a second run is all
# EXISTING and rewrites nothing; a -j 1 run gives the same bytes.
. "$PB_TOP_SRCDIR/tests/e2e/lib.sh"
pb_skip_if_no_e2e
pb_tmpdir

abi=$(pb_debian_abi)
kb=linux-kbuild-${abi%%.0-*}
mapfile -t files < <(pb_debian_fetch "linux-headers-$abi-amd64" \
	"linux-headers-$abi-cloud-amd64" "linux-headers-$abi-common" "$kb" \
	"linux-image-$abi-amd64" "linux-image-$abi-cloud-amd64")
echo "packages: ${files[*]##*/}"

ws=$TMP/ws out=$TMP/out
"$PB" build -k debian -p newswatch -v 1.2.3 -s "$PROBE_SRC" -o "$out" \
	-w "$ws" -j 2 "${files[@]}" >"$TMP/run1.txt" 2>"$TMP/run1.err" ||
	{ cat "$TMP/run1.txt" "$TMP/run1.err"; fail "first build failed"; }
cat "$TMP/run1.txt"

for flavor in amd64 cloud-amd64; do
	rel=$abi-$flavor
	image=$(printf '%s\n' "${files[@]}" | grep "/linux-image-${rel}_")
	md5=$(pb_deb_member_md5 "$image" "boot/config-$rel")
	ko=$out/newswatch-1.2.3-x86_64-$rel-$md5.ko
	o=$out/newswatch-bpf-1.2.3-x86_64-$rel-$md5.o
	[ -f "$ko" ] || fail "missing $ko (outputs: $(ls "$out"))"
	[ -f "$o" ] || fail "missing $o"
	ok "$rel: names carry the MD5 of boot/config-$rel from its image package ($md5)"
	vm=$(modinfo -F vermagic "$ko")
	case "$vm" in "$rel "*) ok "$rel: vermagic '$vm'";; *) fail "$rel: vermagic '$vm'";; esac
	ft=$(file -b "$o")
	[[ $ft == *eBPF* ]] || fail "$o is not eBPF: $ft"
	sections=$(readelf -W -S "$o")
	[[ $sections == *kprobe/security_inode_create* ]] || fail "$o lacks its program section"
	ok "$rel: $(file -b "$o")"
	grep -E "^$rel +BUILT +BUILT" "$TMP/run1.txt" >/dev/null || fail "summary line for $rel"
done
[ "$(ls "$out" | wc -l)" -eq 5 ] || fail "expected 4 outputs and manifest.json, got: $(ls "$out")"

# the manifest: both kernels, hashes of outputs and inputs
python3 - "$out/manifest.json" <<'PY'
import hashlib, json, os, sys
m = json.load(open(sys.argv[1]))
ks = m["kernels"]
assert len(ks) == 2, ks
d = os.path.dirname(sys.argv[1])
for k in ks:
    assert k["status"] == "BUILT" and k["distro"] == "debian", k
    for o in ("kmod", "ebpf"):
        f = os.path.join(d, k[o]["file"])
        assert hashlib.sha256(open(f, "rb").read()).hexdigest() == k[o]["sha256"], f
    assert len(k["inputs"]) == 4, k["inputs"]
    for i in k["inputs"]:
        assert hashlib.sha256(open(i["path"], "rb").read()).hexdigest() == i["sha256"], i
    assert k["compiler"]["path"].endswith("gcc-12"), k["compiler"]
    assert k["duration_s"] > 0
print("ok: manifest.json lists both kernels with the SHA-256 of outputs and inputs")
PY

# second run: EXISTING, nothing rewritten
before=$(stat -c '%n %i %Y %s' "$out"/*.ko "$out"/*.o)
"$PB" build -k debian -p newswatch -v 1.2.3 -s "$PROBE_SRC" -o "$out" \
	-w "$ws" -j 2 "${files[@]}" >"$TMP/run2.txt" 2>"$TMP/run2.err" ||
	{ cat "$TMP/run2.txt" "$TMP/run2.err"; fail "second build failed"; }
[ "$(grep -cE ' EXISTING +EXISTING *$' "$TMP/run2.txt")" -eq 2 ] ||
	{ cat "$TMP/run2.txt"; fail "second run is not EXISTING for both"; }
after=$(stat -c '%n %i %Y %s' "$out"/*.ko "$out"/*.o)
[ "$before" = "$after" ] || fail "the second run rewrote outputs"
ok "second run: EXISTING for both, outputs untouched"

# -j 1 into another output dir: the same bytes as -j 2
"$PB" build -k debian -p newswatch -v 1.2.3 -s "$PROBE_SRC" -o "$TMP/out1" \
	-w "$ws" -j 1 "${files[@]}" >/dev/null 2>"$TMP/run3.err" ||
	{ cat "$TMP/run3.err"; fail "-j 1 build failed"; }
for f in "$out"/*.ko "$out"/*.o; do
	cmp "$f" "$TMP/out1/$(basename "$f")" || fail "-j 1 and -j 2 differ: $(basename "$f")"
done
ok "-j 1 gives the same bytes as -j 2"

# and from another workspace too: no workspace path leaks into the outputs
"$PB" build -k debian -p newswatch -v 1.2.3 -s "$PROBE_SRC" -o "$TMP/out2" \
	-w "$TMP/ws2" -f 'cloud' "${files[@]}" >/dev/null 2>"$TMP/run4.err" ||
	{ cat "$TMP/run4.err"; fail "build in a second workspace failed"; }
[ "$(ls "$TMP/out2" | grep -c cloud)" -eq 2 ] && [ "$(ls "$TMP/out2" | wc -l)" -eq 3 ] ||
	fail "-f cloud built: $(ls "$TMP/out2")"
for f in "$TMP/out2"/*cloud*; do
	cmp "$f" "$out/$(basename "$f")" || fail "another workspace gives other bytes: $(basename "$f")"
done
ok "-f picks the cloud kernel only; another workspace gives the same bytes"
