#!/usr/bin/env bash
# probe-builder verify: each kernel of an output dir booted under QEMU
# (TCG) with an initramfs of ours; the agent inserts the module and loads
# and attaches the eBPF programs through that kernel's verifier.
# - newswatch built for a 6.1 (bookworm, the host's gcc), a 6.12 (trixie,
#   gcc-14 environment) and a 5.10 (bullseye, gcc-10) kernel: all LOADED,
#   programs attached, -j 2; its smoke test (the daemon on eBPF, articles
#   written by innd, the webhook's POSTs) PASSED in each;
# - a probe whose module calls an unexported symbol and whose program reads
#   a map value unchecked: REFUSED, naming "Unknown symbol" and the
#   verifier's "invalid mem access"; exit 1, 0 with --report;
# - a module whose vermagic is another release's: REFUSED;
# - a kernel whose image package is gone: SKIPPED; --required fails.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
pb_skip_if_no_e2e
pb_tmpdir
command -v qemu-system-x86_64 >/dev/null || skip "QEMU is not installed"
export PROBE_BUILDER_AGENT=${PB_BUILD_AGENT:?}

abi=$(pb_debian_abi)
mapfile -t deb < <(pb_debian_fetch "linux-headers-$abi-amd64" "linux-headers-$abi-common" \
	"linux-kbuild-${abi%%.0-*}" "linux-image-$abi-amd64")
tri=$(pb_debian_suite_abi trixie 6.12) || skip "no trixie 6.12 kernel reachable"
mapfile -t tfiles < <(pb_debian_suite_fetch trixie "linux-headers-$tri-amd64" \
	"linux-headers-$tri-common" "linux-kbuild-$tri" "linux-image-$tri-amd64-unsigned")
bul=$(pb_debian_suite_abi bullseye 5.10) || skip "no bullseye 5.10 kernel reachable"
mapfile -t bfiles < <(pb_debian_suite_fetch bullseye "linux-headers-$bul-amd64" \
	"linux-headers-$bul-common" linux-kbuild-5.10 "linux-image-$bul-amd64-unsigned")
r61=$abi-amd64 r612=$tri-amd64 r510=$bul-amd64

"$PB" build -k debian -p newswatch -v 1 -s "$PROBE_SRC" -o "$TMP/out" -w "$TMP/ws" -j 2 \
	"${deb[@]}" "${tfiles[@]}" "${bfiles[@]}" >"$TMP/build.txt" 2>&1 ||
	{ cat "$TMP/build.txt"; fail "build failed"; }
t0=$(date +%s.%N)
"$PB" verify -o "$TMP/out" -w "$TMP/ws" -j 2 >"$TMP/v1.txt" 2>"$TMP/v1.err" ||
	{ cat "$TMP/v1.txt" "$TMP/v1.err"; fail "verify failed"; }
cat "$TMP/v1.txt"
echo "verify of 3 kernels, -j 2: $(echo "$(date +%s.%N) - $t0" | bc) s"
for r in "$r61" "$r612" "$r510"; do
	grep -E "^${r//+/\\+} +LOADED +LOADED" "$TMP/v1.txt" >/dev/null || fail "$r: not LOADED LOADED"
done
python3 - "$TMP/out/manifest.json" <<'PY'
import json, sys
for k in json.load(open(sys.argv[1]))["kernels"]:
    v = k["verify"]
    assert v["booted"] == k["release"], v
    assert v["kmod"]["status"] == "LOADED" and v["ebpf"]["status"] == "LOADED", v
    assert v["ebpf"]["reason"] == "2 programs loaded, 2 attached", v
    assert v["at"], v
print("ok: the manifest records each kernel's verify: booted, LOADED, 2 programs attached")
PY
ok "newswatch LOADED on $r61, $r612 and $r510 (module inserted and removed, kprobes attached)"

# newswatch end to end on its eBPF backend, in each VM: its smoke test
# (probes/newswatch/verify/smoke.sh) with the daemon, its libraries and the
# dynamic loader bundled beside it
src=$TMP/nwsrc
cp -r "$PROBE_SRC" "$src"
mkdir -p "$src/verify/bin" "$src/verify/lib"
cp "$PB_TOP_BUILDDIR/newswatch/newswatch" "$src/verify/bin/"
ldd "$src/verify/bin/newswatch" | awk '/=> \//{print $3} /^\t\/.*ld-linux/{print $1}' |
	while read -r lib; do cp -L "$lib" "$src/verify/lib/"; done
t0=$(date +%s.%N)
# on failure, each VM's whole record too (the smoke test's output ends with
# the daemon's log)
"$PB" verify -o "$TMP/out" -w "$TMP/ws" -j 2 -s "$src" >"$TMP/vn.txt" 2>&1 ||
	{ cat "$TMP/vn.txt" "$TMP"/ws/verify/debian/*/results.txt; fail "newswatch smoke test"; }
cat "$TMP/vn.txt"
echo "verify with newswatch's smoke test, 3 kernels, -j 2: $(echo "$(date +%s.%N) - $t0" | bc) s"
for r in "$r61" "$r612" "$r510"; do
	grep -E "^${r//+/\\+} +LOADED +LOADED +PASSED" "$TMP/vn.txt" >/dev/null ||
		{ cat "$TMP/vn.txt" "$TMP"/ws/verify/debian/*/results.txt; fail "$r: newswatch's smoke test did not pass"; }
done
"$PB" verify -o "$TMP/out" -w "$TMP/ws" -f "^$r61\$" -s "$PROBE_SRC" >"$TMP/vn2.txt" 2>&1 ||
	{ cat "$TMP/vn2.txt"; fail "smoke test without the daemon"; }
grep -E "^$r61 +LOADED +LOADED +SKIPPED" "$TMP/vn2.txt" >/dev/null || { cat "$TMP/vn2.txt"; fail "not SKIPPED without the daemon"; }
ok "newswatch on eBPF in the VMs: three articles written by innd, each notified exactly once (6.1, 6.12, 5.10); without its daemon bundled, SKIPPED"

# a module that needs another module of the kernel (crc-itu-t: plain .ko in
# 6.1's image package, .ko.xz in 6.12's): that one is inserted first
"$PB" build -k debian -p usecrc -v 1 -s "$PB_TOP_SRCDIR/tests/fixtures/depprobe" -o "$TMP/dep" \
	-w "$TMP/ws" -j 2 "${deb[@]}" "${tfiles[@]}" >"$TMP/dbuild.txt" 2>&1 ||
	{ cat "$TMP/dbuild.txt"; fail "dep probe build"; }
"$PB" verify -o "$TMP/dep" -w "$TMP/ws" -j 2 >"$TMP/vd.txt" 2>&1 || { cat "$TMP/vd.txt"; fail "dep probe verify"; }
for r in "$r61" "$r612"; do
	grep -E "^${r//+/\\+} +LOADED +LOADED" "$TMP/vd.txt" >/dev/null || { cat "$TMP/vd.txt"; fail "$r: usecrc not LOADED"; }
done
grep -l "dep /pb/mods/crc_itu_t.ko ok" "$TMP"/ws/verify/debian/*/results.txt >/dev/null ||
	fail "crc_itu_t was not inserted first"
ok "a hello-world probe (a module needing crc-itu-t, a kprobe program): the kernel's own module (plain and .ko.xz) inserted first, both LOADED"

# the probe's smoke test (verify/smoke.sh), run by busybox in the VM
"$PB" verify -o "$TMP/dep" -w "$TMP/ws" -j 2 -s "$PB_TOP_SRCDIR/tests/fixtures/depprobe" \
	>"$TMP/vs.txt" 2>&1 || { cat "$TMP/vs.txt"; fail "smoke test verify"; }
for r in "$r61" "$r612"; do
	grep -E "^${r//+/\\+} +LOADED +LOADED +PASSED" "$TMP/vs.txt" >/dev/null || { cat "$TMP/vs.txt"; fail "$r: smoke not PASSED"; }
done
cp -r "$PB_TOP_SRCDIR/tests/fixtures/depprobe" "$TMP/depfail"
printf 'echo boom: nothing works\nexit 3\n' >"$TMP/depfail/verify/smoke.sh"
set +e
"$PB" verify -o "$TMP/dep" -w "$TMP/ws" -f "^$r61\$" -s "$TMP/depfail" >"$TMP/vf.txt" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "smoke: FAILED its smoke test exited with 3; boom: nothing works" "$TMP/vf.txt" ||
	{ cat "$TMP/vf.txt"; fail "a failing smoke test: exit $rc"; }
ok "smoke tests: PASSED on both kernels; a failing one FAILED with its status and output (exit 1)"

# refusals, named
"$PB" build -k debian -p bad -v 1 -s "$PB_TOP_SRCDIR/tests/fixtures/badprobe" -o "$TMP/bad" \
	-w "$TMP/ws" "${deb[@]}" >"$TMP/bbuild.txt" 2>&1 || { cat "$TMP/bbuild.txt"; fail "bad probe build"; }
set +e
"$PB" verify -o "$TMP/bad" -w "$TMP/ws" >"$TMP/v2.txt" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] || { cat "$TMP/v2.txt"; fail "refused: exit $rc, not 1"; }
grep -E "^$r61 +REFUSED +REFUSED" "$TMP/v2.txt" >/dev/null || { cat "$TMP/v2.txt"; fail "bad: not REFUSED"; }
grep -q "kmod: REFUSED.*Unknown symbol pb_no_such_symbol" "$TMP/v2.txt" || { cat "$TMP/v2.txt"; fail "no Unknown symbol"; }
grep -q "ebpf: REFUSED program bad: .*invalid mem access 'map_value_or_null'" "$TMP/v2.txt" ||
	{ cat "$TMP/v2.txt"; fail "no verifier message"; }
grep -q "program good" "$TMP/v2.txt" && fail "the good program was called refused"
"$PB" verify -o "$TMP/bad" -w "$TMP/ws" --report >/dev/null 2>&1 || fail "--report: not exit 0"
ok "a missing symbol and a verifier refusal: REFUSED, named; exit 1 (0 with --report)"

# build --verify: the run's kernels verified after the build
set +e
"$PB" build -k debian -p bad -v 1 -s "$PB_TOP_SRCDIR/tests/fixtures/badprobe" -o "$TMP/bad" \
	-w "$TMP/ws" --verify "${deb[@]}" >"$TMP/bv.txt" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -E "^$r61 +EXISTING +EXISTING +REFUSED/REFUSED/-" "$TMP/bv.txt" >/dev/null ||
	{ cat "$TMP/bv.txt"; fail "build --verify: exit $rc"; }
grep -q "VERIFY (kmod/ebpf/smoke)" "$TMP/bv.txt" || fail "build --verify: no VERIFY column"
"$PB" build -k debian -p bad -v 1 -s "$PB_TOP_SRCDIR/tests/fixtures/badprobe" -o "$TMP/bad" \
	-w "$TMP/ws" --verify=report "${deb[@]}" >"$TMP/bv2.txt" 2>&1 ||
	{ cat "$TMP/bv2.txt"; fail "build --verify=report: not exit 0"; }
ok "build --verify verifies the run's kernels (a VERIFY column in the summary): exit 1 on REFUSED, 0 with =report"

# legacy eBPF objects (SEC("maps")), which libbpf 1.x refuses to open:
# judged by the agent's own loader, accepted and refused
clang -O2 -target bpf -c "$PB_TOP_SRCDIR/tests/fixtures/legacy/legacy.c" -o "$TMP/legacy.o"
clang -O2 -target bpf -DPB_UNCHECKED -c "$PB_TOP_SRCDIR/tests/fixtures/legacy/legacy.c" \
	-o "$TMP/legacy-bad.o"
for v in good bad; do
	mkdir "$TMP/leg-$v"
	cp -r "$TMP/bad/." "$TMP/leg-$v/"
	rm "$TMP/leg-$v"/bad-1-*.ko
	if [ $v = good ]; then o=legacy.o; else o=legacy-bad.o; fi
	cp "$TMP/$o" "$TMP/leg-$v"/bad-bpf-1-*.o
done
"$PB" verify -o "$TMP/leg-good" -w "$TMP/ws" >"$TMP/vl.txt" 2>&1 || { cat "$TMP/vl.txt"; fail "legacy object"; }
grep -E "^$r61 +- +LOADED" "$TMP/vl.txt" >/dev/null || { cat "$TMP/vl.txt"; fail "legacy: not LOADED"; }
set +e
"$PB" verify -o "$TMP/leg-bad" -w "$TMP/ws" >"$TMP/vl2.txt" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "ebpf: REFUSED program count_creates: .*invalid mem access" "$TMP/vl2.txt" ||
	{ cat "$TMP/vl2.txt"; fail "legacy, unchecked: exit $rc"; }
ok "legacy SEC(\"maps\") objects: the agent's loader loads one, and the kernel refuses the unchecked one"

# a module with another release's vermagic, put in the 6.12 kernel's place
mkdir "$TMP/forged"
cp -r "$TMP/out/." "$TMP/forged/"
ko612=$(cd "$TMP/forged" && ls newswatch-1-x86_64-"$r612"-*.ko)
cp "$TMP/out"/newswatch-1-x86_64-"$r61"-*.ko "$TMP/forged/$ko612"
set +e
"$PB" verify -o "$TMP/forged" -w "$TMP/ws" -f "^${r612//+/\\+}\$" >"$TMP/v3.txt" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -E "^${r612//+/\\+} +REFUSED +LOADED" "$TMP/v3.txt" >/dev/null ||
	{ cat "$TMP/v3.txt"; fail "forged vermagic: exit $rc"; }
grep -qi "version magic\|Exec format error\|Invalid module format" "$TMP/v3.txt" || { cat "$TMP/v3.txt"; fail "forged: no reason"; }
ok "another release's module: REFUSED ($(grep -o 'kmod: REFUSED.\{0,80\}' "$TMP/v3.txt"))"

# no image package: SKIPPED; --required makes it a failure
mkdir "$TMP/noimg" && cp -r "$TMP/bad/." "$TMP/noimg/"
sed -i 's|"path": "[^"]*linux-image[^"]*"|"path": "gone.deb"|' "$TMP/noimg/manifest.json"
"$PB" verify -o "$TMP/noimg" -w "$TMP/ws-empty" >"$TMP/v4.txt" 2>&1 || { cat "$TMP/v4.txt"; fail "skipped: not exit 0"; }
grep -E "^$r61 +SKIPPED +SKIPPED" "$TMP/v4.txt" >/dev/null || { cat "$TMP/v4.txt"; fail "not SKIPPED"; }
set +e
"$PB" verify -o "$TMP/noimg" -w "$TMP/ws-empty" --required >/dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "--required: exit $rc"
ok "no image: SKIPPED with the reason; --required fails"
