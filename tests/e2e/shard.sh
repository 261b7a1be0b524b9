#!/usr/bin/env bash
# A plan split into shards, without a scheduler (tests/e2e/slurm.sh runs
# the same under Slurm): four real Debian kernels on a loopback mirror,
# `crawl --json` pins the plan; one `build -j 1` of the whole plan, then
# three shards (--shard I/3, each with its own workspace as machines would)
# into one shared output dir, shard 0 (two kernels) killed between its
# kernels; `manifest merge` says its kernels are missing (exit 1), its
# rerun finishes the set (the kernel it had built is EXISTING), and the merged
# outputs are byte-identical to the single build's. Merging again gives the
# same manifest; a fragment of another plan is refused.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
. "$PB_TOP_SRCDIR/tests/lib/httpd.sh"
. "$PB_TOP_SRCDIR/tests/lib/fourkernels.sh"
pb_skip_if_no_e2e
pb_tmpdir
src=$PB_TOP_SRCDIR/tests/fixtures/depprobe

pb_four_kernels "$TMP" || fail "the four-kernel mirror"
trap 'pb_httpd_stop M; rm -rf "$TMP"' EXIT

"$PB" crawl -w "$TMP/ws-crawl" --json debian >"$TMP/plan.json" 2>"$TMP/crawl.err" ||
	{ cat "$TMP/crawl.err"; fail "crawl --json"; }
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["kernels"]))' "$TMP/plan.json")
[ "$n" -eq 4 ] || fail "the plan lists $n kernels, not 4"
plan_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["plan_id"])' "$TMP/plan.json")
ok "plan of 4 kernels, id ${plan_id:0:12}"

build() { # build OUT WS [OPTION...]: the plan's kernels into OUT
	local out=$1 ws=$2
	shift 2
	"$PB" build -k debian -p dep -v 1 -s "$src" --from-json "$TMP/plan.json" \
		-o "$out" -w "$ws" "$@"
}

t0=$(date +%s)
build "$TMP/single" "$TMP/ws-single" -j 1 >"$TMP/single.txt" 2>&1 ||
	{ cat "$TMP/single.txt"; fail "the single build"; }
t_single=$(($(date +%s) - t0))
[ "$(grep -cE ' BUILT +BUILT *$' "$TMP/single.txt")" -eq 4 ] ||
	{ cat "$TMP/single.txt"; fail "the single build did not build the 4 kernels"; }
ok "single build -j 1: 4 kernels in ${t_single} s"

# shard 0 (two kernels, -j 1), killed once its first kernel's two outputs
# are out: its process group, as a scheduler cancelling the job does
out=$TMP/shared
mkdir -p "$out"
setsid bash -c 'exec "$0" build -k debian -p dep -v 1 -s "$1" --from-json "$2" \
	--shard 0/3 -o "$3" -w "$4" -j 1' "$PB" "$src" "$TMP/plan.json" "$out" "$TMP/ws-0" \
	>"$TMP/killed.txt" 2>&1 &
victim=$!
for _ in $(seq 1200); do
	[ "$(ls "$out" | grep -cE '\.(ko|o)$')" -ge 2 ] && break
	kill -0 "$victim" 2>/dev/null || break
	sleep 0.1
done
kill -KILL -- "-$victim" 2>/dev/null || true
wait "$victim" 2>/dev/null || true
[ ! -e "$out/manifest.d/0-of-3.json" ] || fail "the killed shard wrote its manifest"
[ "$(ls "$out" | grep -cE '\.(ko|o)$')" -eq 2 ] ||
	{ cat "$TMP/killed.txt"; ls -l "$out"; fail "shard 0 was not killed between its kernels"; }
ok "shard 0 killed between its two kernels"

t0=$(date +%s)
for i in 1 2; do
	build "$out" "$TMP/ws-$i" --shard "$i/3" >"$TMP/shard$i.txt" 2>&1 ||
		{ cat "$TMP/shard$i.txt"; fail "shard $i"; }
	grep -q "shard $i of 0-2 (from --shard)" "$TMP/shard$i.txt" ||
		{ cat "$TMP/shard$i.txt"; fail "shard $i does not say which it is"; }
done
rc=0
"$PB" manifest merge "$out" >"$TMP/merge1.txt" 2>&1 || rc=$?
cat "$TMP/merge1.txt"
[ $rc -eq 1 ] || fail "merge without shard 0: exit $rc, not 1"
[ "$(grep -cE "^missing: .*: shard 0 of 3 never reported it" "$TMP/merge1.txt")" -eq 2 ] ||
	fail "merge does not name shard 0's two kernels as missing"
ok "merge without shard 0 exits 1, naming its two missing kernels"

build "$out" "$TMP/ws-0" --shard 0/3 >"$TMP/shard0.txt" 2>&1 ||
	{ cat "$TMP/shard0.txt"; fail "shard 0, rerun"; }
[ "$(grep -cE ' EXISTING +EXISTING *$' "$TMP/shard0.txt")" -eq 1 ] &&
	[ "$(grep -cE ' BUILT +BUILT *$' "$TMP/shard0.txt")" -eq 1 ] ||
	{ cat "$TMP/shard0.txt"; fail "shard 0's rerun: not one kernel EXISTING and one BUILT"; }
t_shards=$(($(date +%s) - t0))
"$PB" manifest merge "$out" >"$TMP/merge2.txt" 2>&1 ||
	{ cat "$TMP/merge2.txt"; fail "merge of the three shards"; }
cat "$TMP/merge2.txt"
grep -qE "^4 kernels: [0-9]+ built, [0-9]+ existing, 0 skipped, 0 failed, 0 missing" "$TMP/merge2.txt" ||
	fail "the merged summary is not 4 kernels, none failed or missing"
for i in 0 1 2; do
	grep -qE "^$i/3 +manifest.d/$i-of-3.json" "$TMP/merge2.txt" || fail "no line for shard $i"
done
ok "three shards (shard 0 rerun after its kill: one EXISTING, one BUILT) and a merge: every kernel, in ${t_shards} s"

# the outputs: the same files, the same bytes
(cd "$TMP/single" && ls *.ko *.o | sort) >"$TMP/single.files"
(cd "$out" && ls *.ko *.o | sort) >"$TMP/shared.files"
diff -u "$TMP/single.files" "$TMP/shared.files" || fail "the shards made other files than the single build"
[ "$(wc -l <"$TMP/single.files")" -eq 8 ] || fail "not 8 outputs (4 kernels, module and eBPF)"
while read -r f; do
	cmp -s "$TMP/single/$f" "$out/$f" || fail "$f differs between the single build and the shards"
done <"$TMP/single.files"
# and the manifests agree on every kernel's outputs and their digests
digest() {
	python3 - "$1" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
for e in m["kernels"]:
    print(e["release"], e["arch"], e["version"],
          *[(e[o]["file"], e[o]["sha256"]) for o in ("kmod", "ebpf")])
PY
}
diff -u <(digest "$TMP/single/manifest.json") <(digest "$out/manifest.json") ||
	fail "the merged manifest differs from the single build's"
grep -q "\"plan_id\": \"$plan_id\"" "$out/manifest.json" || fail "the merged manifest has no plan_id"
ok "the shards' 8 outputs are byte-identical to the single build's, so are the manifests' digests"

cp "$out/manifest.json" "$TMP/m1.json"
"$PB" manifest merge "$out" >/dev/null 2>&1 || fail "the second merge"
cmp -s "$TMP/m1.json" "$out/manifest.json" || fail "merging again changed manifest.json"
ok "merging again writes the same bytes"

# a fragment of another plan (the plan less one kernel)
python3 - "$TMP/plan.json" >"$TMP/plan3.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["kernels"] = p["kernels"][:3]
del p["plan_id"]
print(json.dumps(p))
PY
"$PB" build -k debian -p dep -v 1 -s "$src" --from-json "$TMP/plan3.json" --shard 0/4 \
	-o "$out" -w "$TMP/ws-1" >"$TMP/other.txt" 2>&1 || { cat "$TMP/other.txt"; fail "a shard of the other plan"; }
rc=0
"$PB" manifest merge "$out" >"$TMP/merge3.txt" 2>&1 || rc=$?
[ $rc -eq 1 ] && grep -q "0-of-4.json is of plan .* a fragment of another plan" "$TMP/merge3.txt" ||
	{ cat "$TMP/merge3.txt"; fail "a fragment of another plan: exit $rc"; }
cmp -s "$TMP/m1.json" "$out/manifest.json" || fail "the refused merge changed manifest.json"
ok "a fragment of another plan is refused, naming it; manifest.json untouched"

# without --from-json, --shard is refused before anything runs
rc=0
"$PB" build -k debian -p dep -v 1 -s "$src" --shard 0/2 -o "$TMP/o" -w "$TMP/w" >"$TMP/noplan.txt" 2>&1 || rc=$?
[ $rc -ne 0 ] && grep -q -- "--shard splits a plan" "$TMP/noplan.txt" ||
	{ cat "$TMP/noplan.txt"; fail "--shard without --from-json: exit $rc"; }
ok "--shard without --from-json is refused"
echo "single -j 1: ${t_single} s; three shards one after the other (with a kill and a rerun): ${t_shards} s"
