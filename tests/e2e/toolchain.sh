#!/usr/bin/env bash
# The exact compiler for kernels this host has none for: a trixie kernel
# (gcc-14) in two flavors and a bullseye kernel (gcc-10), their packages
# from those suites through a private sources list naming the host's own
# mirror. With -j 2 and an empty toolchain dir, each environment is made
# once by mmdebstrap (the two trixie flavors share one); every module is
# BUILT with vermagic starting with its release, and the manifest says
# gcc-14 and gcc-10, exact, from which environment. A second run, cold
# (another workspace and output dir), makes nothing and gives the same
# bytes, BTF included (pahole from the environment). Then `toolchains
# list` and `remove`.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
pb_skip_if_no_e2e
pb_tmpdir
command -v mmdebstrap >/dev/null || skip "mmdebstrap is not installed"

tri=$(pb_debian_suite_abi trixie 6.12) || skip "no trixie 6.12 kernel reachable"
bul=$(pb_debian_suite_abi bullseye 5.10) || skip "no bullseye 5.10 kernel reachable"
tv=${tri%%+*}
mapfile -t tfiles < <(pb_debian_suite_fetch trixie "linux-headers-$tri-amd64" \
	"linux-headers-$tri-cloud-amd64" "linux-headers-$tri-common" "linux-kbuild-$tri" \
	"linux-image-$tri-amd64-unsigned" "linux-image-$tri-cloud-amd64-unsigned")
mapfile -t bfiles < <(pb_debian_suite_fetch bullseye "linux-headers-$bul-amd64" \
	"linux-headers-$bul-common" linux-kbuild-5.10 "linux-image-$bul-amd64-unsigned")
echo "packages: ${tfiles[*]##*/} ${bfiles[*]##*/} ($tv)"

tc=$TMP/toolchains
build() { # name, options...
	local name=$1
	shift
	"$PB" build -k debian -p newswatch -v 1 -s "$PROBE_SRC" -o "$TMP/out-$name" \
		-w "$TMP/ws-$name" --toolchain-dir "$tc" "$@" "${tfiles[@]}" "${bfiles[@]}" \
		>"$TMP/$name.txt" 2>"$TMP/$name.err" ||
		{ cat "$TMP/$name.txt" "$TMP/$name.err"; fail "$name: the build failed"; }
	cat "$TMP/$name.txt"
}

t0=$(date +%s)
build one -j 2
echo "first run: $(($(date +%s) - t0)) s"
for rel in "$tri-amd64" "$tri-cloud-amd64" "$bul-amd64"; do
	ko=$(ls "$TMP/out-one"/newswatch-1-x86_64-"$rel"-*.ko)
	vm=$(modinfo -F vermagic "$ko")
	case "$vm" in "$rel "*) ok "$rel: BUILT, vermagic '$vm'" ;; *) fail "$rel: vermagic '$vm'" ;; esac
done
n=$(grep -c "toolchain debian-trixie-gcc-14: making it with mmdebstrap" "$TMP/one.err" || true)
[ "$n" -eq 1 ] || fail "debian-trixie-gcc-14 made $n times under -j 2"
n=$(grep -c "toolchain debian-bullseye-gcc-10: making it with mmdebstrap" "$TMP/one.err" || true)
[ "$n" -eq 1 ] || fail "debian-bullseye-gcc-10 made $n times"
[ "$(ls "$tc" | grep -v -e '\.lock$' -e '\.log$' | sort | tr '\n' ' ')" = \
	"debian-bullseye-gcc-10 debian-trixie-gcc-14 " ] || fail "toolchain dir: $(ls -a "$tc")"
grep "made in" "$TMP/one.err"
ok "-j 2: each environment made once (two trixie kernels shared one)"

python3 - "$TMP/out-one/manifest.json" "$tri" "$bul" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
want = {sys.argv[2] + "-amd64": ("gcc-14", "debian-trixie-gcc-14"),
        sys.argv[2] + "-cloud-amd64": ("gcc-14", "debian-trixie-gcc-14"),
        sys.argv[3] + "-amd64": ("gcc-10", "debian-bullseye-gcc-10")}
seen = set()
for k in m["kernels"]:
    cc, env = want[k["release"]]
    c = k["compiler"]
    # the name the kernel's banner gives it, when the environment has it
    assert c["path"] in ("/usr/bin/" + cc, "/usr/bin/x86_64-linux-gnu-" + cc), c
    assert c["kernel"].startswith(cc) or (" " + cc[4:] + ".") in c["kernel"], c
    assert c["match"] == "major.minor" and c["exact_major"] is True, c
    assert c["environment"] == env and len(c["environment_packages_sha256"]) == 64, c
    assert k["kmod"]["compiler"] == c, k["kmod"]
    assert k["kmod"]["status"] == "BUILT" and k["ebpf"]["status"] == "BUILT", k
    seen.add(k["release"])
assert seen == set(want), seen
print("ok: the manifest says gcc-14 and gcc-10, major.minor, with each environment and its package digest")
PY
digest=$(sed -n 's/^packages_sha256 = //p' "$tc/debian-trixie-gcc-14/env.info")
[ "$(sha256sum <"$tc/debian-trixie-gcc-14/packages.list" | cut -d' ' -f1)" = "$digest" ] ||
	fail "env.info's digest is not that of packages.list"
grep -q "^gcc-14=" "$tc/debian-trixie-gcc-14/packages.list" || fail "no gcc-14 in packages.list"

# a second, cold run: nothing made, the same bytes
made_at=$(sed -n 's/^made_at = //p' "$tc/debian-trixie-gcc-14/env.info")
build two -j 1
! grep -q "making it with mmdebstrap" "$TMP/two.err" || fail "the second run made an environment"
[ "$(sed -n 's/^made_at = //p' "$tc/debian-trixie-gcc-14/env.info")" = "$made_at" ] || fail "remade"
for f in "$TMP/out-one"/*.ko "$TMP/out-one"/*.o; do
	cmp "$f" "$TMP/out-two/${f##*/}" || fail "${f##*/} differs between two cold builds"
done
ko=$(ls "$TMP/out-one"/newswatch-1-x86_64-"$tri"-amd64-*.ko)
readelf -S -W "$ko" | grep -q '\.BTF ' || fail "$ko has no .BTF (pahole did not run)"
ok "second run: no environment made; every output byte-identical, the 6.12 modules' BTF included"

"$PB" toolchains --toolchain-dir "$tc" list >"$TMP/list.txt"
grep -E "^debian-trixie-gcc-14 +gcc-14 +made" "$TMP/list.txt" >/dev/null || { cat "$TMP/list.txt"; fail "list"; }
grep -E "^debian-sid-gcc-15 +gcc-15 +not made" "$TMP/list.txt" >/dev/null || fail "list: sid"
"$PB" toolchains --toolchain-dir "$tc" remove debian-bullseye-gcc-10 >/dev/null
[ ! -e "$tc/debian-bullseye-gcc-10" ] || fail "remove left $tc/debian-bullseye-gcc-10"
"$PB" toolchains --toolchain-dir "$tc" list | grep -E "^debian-bullseye-gcc-10 .* not made" >/dev/null ||
	fail "list after remove"
set +e
"$PB" toolchains --toolchain-dir "$tc" remove debian-bullseye-gcc-10 2>"$TMP/rm.err"
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "is not made" "$TMP/rm.err" || fail "removing it again: exit $rc, $(cat "$TMP/rm.err")"
ok "toolchains list shows what is made; remove removes it, and says so when there is nothing"

# no environment allowed: the module fails naming the compiler, the eBPF
# object (clang, no gcc) is built all the same
set +e
"$PB" build -k debian -p newswatch -v 1 -s "$PROBE_SRC" -o "$TMP/out-host" -w "$TMP/ws-host" \
	--toolchain host "${tfiles[0]}" "${tfiles[2]}" "${tfiles[3]}" "${tfiles[4]}" \
	>"$TMP/host.txt" 2>"$TMP/host.err"
rc=$?
set -e
[ "$rc" -eq 1 ] || { cat "$TMP/host.txt" "$TMP/host.err"; fail "--toolchain host: exit $rc"; }
grep -E "^${tri//+/\\+}-amd64 +FAILED +BUILT" "$TMP/host.txt" >/dev/null || { cat "$TMP/host.txt"; fail "--toolchain host: summary"; }
grep -q "gcc-14 is not on this host and --toolchain=host allows no builder environment" "$TMP/host.txt" || { cat "$TMP/host.txt"; fail "--toolchain host: the message does not name gcc-14"; }
ls "$TMP/out-host"/newswatch-bpf-1-x86_64-"$tri"-amd64-*.o >/dev/null || fail "no eBPF object"
ok "--toolchain host: the module FAILED naming gcc-14; the eBPF object was built"
