#!/usr/bin/env bash
# End to end on real Debian packages from `apt-get download`: two releases
# of different flavors (amd64 and cloud-amd64 of one ABI), built with -j 2,
# checked by name, config MD5, vermagic and ELF type; a second run is all
# EXISTING and rewrites nothing; a -j 1 run gives the same bytes.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
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
[ "$(ls "$out" | wc -l)" -eq 6 ] || fail "expected 4 outputs, manifest.json and logs/, got: $(ls "$out")"

# the manifest: both kernels, hashes of outputs and inputs
python3 - "$out/manifest.json" <<'PY'
import hashlib, json, os, sys
m = json.load(open(sys.argv[1]))
assert m["format"] == 2, m["format"]
ks = m["kernels"]
assert len(ks) == 2, ks
d = os.path.dirname(sys.argv[1])
for k in ks:
    assert k["status"] == "BUILT" and k["distro"] == "debian", k
    assert k["arch"] == "x86_64" and k["version"], k
    for o in ("kmod", "ebpf"):
        f = os.path.join(d, k[o]["file"])
        assert hashlib.sha256(open(f, "rb").read()).hexdigest() == k[o]["sha256"], f
        assert k[o]["built_at"] and k[o]["log"] == k["log"], k[o]
    # paths relative to the output dir; the log is there, this run's
    assert not k["log"].startswith("/") and k["log"].startswith("logs/debian/" + k["release"] + "_x86_64_"), k["log"]
    assert "running make" in open(os.path.join(d, k["log"])).read()
    assert len(k["inputs"]) == 4, k["inputs"]
    for i in k["inputs"]:
        assert not i["path"].startswith("/"), i
        assert hashlib.sha256(open(os.path.join(d, i["path"]), "rb").read()).hexdigest() == i["sha256"], i
    assert k["compiler"]["path"].endswith("gcc-12"), k["compiler"]
    assert k["compiler"]["nearest_compiler"] is False, k["compiler"]
    assert k["kmod"]["compiler"] == k["compiler"] and k["kmod"]["vermagic"].startswith(k["release"] + " ")
    assert k["duration_s"] > 0
print("ok: manifest.json (format 2) lists both kernels with the SHA-256 of outputs and inputs, relative paths, this run's log")
PY

# second run: EXISTING, nothing rewritten
cp "$out/manifest.json" "$TMP/manifest1.json"
before=$(stat -c '%n %i %Y %s' "$out"/*.ko "$out"/*.o)
"$PB" build -k debian -p newswatch -v 1.2.3 -s "$PROBE_SRC" -o "$out" \
	-w "$ws" -j 2 "${files[@]}" >"$TMP/run2.txt" 2>"$TMP/run2.err" ||
	{ cat "$TMP/run2.txt" "$TMP/run2.err"; fail "second build failed"; }
[ "$(grep -cE ' EXISTING +EXISTING *$' "$TMP/run2.txt")" -eq 2 ] ||
	{ cat "$TMP/run2.txt"; fail "second run is not EXISTING for both"; }
after=$(stat -c '%n %i %Y %s' "$out"/*.ko "$out"/*.o)
[ "$before" = "$after" ] || fail "the second run rewrote outputs"
ok "second run: EXISTING for both, outputs untouched"

# the rerun kept what the first run recorded, and only says when it saw it
python3 - "$TMP/manifest1.json" "$out/manifest.json" <<'PY'
import json, sys
one = {k["release"]: k for k in json.load(open(sys.argv[1]))["kernels"]}
two = {k["release"]: k for k in json.load(open(sys.argv[2]))["kernels"]}
assert one.keys() == two.keys(), (one.keys(), two.keys())
for r, k in two.items():
    a = one[r]
    assert k["status"] == "BUILT", k
    for o in ("kmod", "ebpf"):
        assert k[o]["status"] == "BUILT" and k[o]["last_seen"], k[o]
        for f in ("sha256", "file", "built_at", "log", "duration_s"):
            assert k[o][f] == a[o][f], (o, f, k[o], a[o])
    assert k["kmod"]["vermagic"] == a["kmod"]["vermagic"]
    for f in ("compiler", "inputs", "config", "log"):
        assert k[f] == a[f], (f, k[f], a[f])
    assert k["last_seen"] >= a["last_seen"]
print("ok")
PY
[ "$(ls "$ws/logs/debian/"*/ | grep -c '\.log$')" -eq 4 ] ||
	fail "two runs should leave two logs per kernel: $(ls -R "$ws/logs")"
ok "the rerun keeps the BUILT records (sha256, compiler, vermagic, inputs, log) and adds last_seen; each run has its own log"

# an output that is no longer what was built is built again
ko=$(ls "$out"/*-cloud-amd64-*.ko)
cp "$ko" "$TMP/good.ko"
printf 'tampered' >>"$ko"
"$PB" build -k debian -p newswatch -v 1.2.3 -s "$PROBE_SRC" -o "$out" \
	-w "$ws" -j 2 "${files[@]}" >"$TMP/run2b.txt" 2>"$TMP/run2b.err" ||
	{ cat "$TMP/run2b.txt" "$TMP/run2b.err"; fail "rebuild after tampering failed"; }
grep -qE "^$abi-cloud-amd64 +BUILT +EXISTING" "$TMP/run2b.txt" &&
	grep -qE "^$abi-amd64 +EXISTING +EXISTING" "$TMP/run2b.txt" ||
	{ cat "$TMP/run2b.txt"; fail "the tampered module was not rebuilt alone"; }
bad=$({ cat "$TMP/good.ko"; printf 'tampered'; } | sha256sum | cut -d' ' -f1)
cmp "$ko" "$TMP/good.ko" || fail "the rebuilt module differs from the first build"
python3 - "$out/manifest.json" "$abi-cloud-amd64" "$(sha256sum <"$ko" | cut -d' ' -f1)" "$bad" <<'PY'
import json, os, sys
k = [k for k in json.load(open(sys.argv[1]))["kernels"] if k["release"] == sys.argv[2]][0]
assert k["kmod"]["status"] == "BUILT" and k["kmod"]["sha256"] == sys.argv[3], k["kmod"]
assert k["kmod"]["replaced_sha256"] == sys.argv[4], k["kmod"]
log = open(os.path.join(os.path.dirname(sys.argv[1]), k["kmod"]["log"])).read()
assert "is not the file that was built" in log, log
assert "last_seen" not in k["kmod"] or k["kmod"]["built_at"] <= k["kmod"]["last_seen"]
assert k["ebpf"]["status"] == "BUILT" and k["ebpf"]["last_seen"], k["ebpf"]
print("ok")
PY
ok "an EXISTING output whose SHA-256 no longer matches the manifest is rebuilt (same bytes)"

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
[ "$(ls "$TMP/out2" | grep -c cloud)" -eq 2 ] && [ "$(ls "$TMP/out2" | wc -l)" -eq 4 ] ||
	fail "-f cloud built: $(ls "$TMP/out2")"
for f in "$TMP/out2"/*cloud*; do
	cmp "$f" "$out/$(basename "$f")" || fail "another workspace gives other bytes: $(basename "$f")"
done
ok "-f picks the cloud kernel only; another workspace gives the same bytes"

# the kernel's gcc missing and no builder environment allowed (--toolchain
# host): the module is refused, the eBPF object is still built with clang;
# the kernel counts as FAILED (exit 1), its eBPF BUILT
nogcc=$TMP/nogcc
mkdir -p "$nogcc"
for f in /usr/bin/* /usr/local/bin/*; do
	case ${f##*/} in gcc* | cc | c89* | c99* | *-gcc* | *-gcc-*) continue ;; esac
	[ -e "$nogcc/${f##*/}" ] || ln -s "$f" "$nogcc/${f##*/}"
done
set +e
PATH=$nogcc "$PB" build -k debian -p newswatch -v 1.2.3 -s "$PROBE_SRC" -o "$TMP/out-nogcc" \
	-w "$ws" -f cloud --toolchain host "${files[@]}" >"$TMP/nogcc.txt" 2>"$TMP/nogcc.err"
rc=$?
set -e
[ $rc -eq 1 ] || { cat "$TMP/nogcc.txt" "$TMP/nogcc.err"; fail "no gcc: exit $rc, expected 1"; }
grep -qE "^$abi-cloud-amd64 +FAILED +BUILT" "$TMP/nogcc.txt" ||
	{ cat "$TMP/nogcc.txt" "$TMP/nogcc.err"; fail "no gcc: the eBPF object should be BUILT, the module FAILED"; }
cmp "$TMP/out-nogcc/"*.o "$(ls "$out"/newswatch-bpf-*-cloud-amd64-*.o)" || fail "no gcc: another eBPF object"
python3 - "$TMP/out-nogcc/manifest.json" <<'PY'
import json, sys
k, = json.load(open(sys.argv[1]))["kernels"]
assert k["status"] == "FAILED" and k["ebpf"]["status"] == "BUILT", k
assert k["kmod"]["status"] == "FAILED" and "gcc-12" in k["kmod"]["error"], k["kmod"]
print("ok")
PY
ok "no gcc for the kernel: the module FAILED, the eBPF object BUILT with clang (exit 1)"

# the same, choosing for itself: bookworm's gcc-12 from a builder
# environment (made once per toolchain dir), the same compiler as the
# host's, so the same bytes as the host-built module
PATH=$nogcc "$PB" build -k debian -p newswatch -v 1.2.3 -s "$PROBE_SRC" -o "$TMP/out-env" \
	-w "$ws" -f cloud "${files[@]}" >"$TMP/env.txt" 2>"$TMP/env.err" ||
	{ cat "$TMP/env.txt" "$TMP/env.err"; fail "no host gcc, auto: the build failed"; }
python3 - "$TMP/out-env/manifest.json" <<'PY'
import json, sys
k, = json.load(open(sys.argv[1]))["kernels"]
c = k["compiler"]
assert c["environment"] == "debian-bookworm-gcc-12" and c["path"] == "/usr/bin/gcc-12", c
PY
if [ "$(gcc-12 --version | head -n1)" = "gcc-12 (Debian $(sed -n 's/^gcc-12=//p' \
	"$PROBE_BUILDER_TOOLCHAIN_DIR/debian-bookworm-gcc-12/packages.list")) 12.2.0" ]; then
	for f in "$TMP/out-env"/*.ko "$TMP/out-env"/*.o; do
		[ -f "$f" ] || continue
		cmp "$f" "$out/${f##*/}" || fail "the environment's gcc-12 gave other bytes than the host's: ${f##*/}"
	done
	ok "no host gcc, auto: built in debian-bookworm-gcc-12, byte-identical to the host's build"
else
	ok "no host gcc, auto: built in debian-bookworm-gcc-12 (another gcc-12 build than the host's: bytes not compared)"
fi
