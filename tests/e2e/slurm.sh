#!/usr/bin/env bash
# A plan of four real Debian kernels built by a real Slurm array (a
# one-node cluster on 127.0.0.1, tests/lib/slurm.sh) whose shards download
# through a real Apache Traffic Server in front of the mirror
# (tests/lib/ats.sh, deploy/trafficserver's configuration):
#   - the plan crawled through the cache's reverse map has the same plan_id
#     as the one crawled from the mirror;
#   - a `build -j 1` of the plan straight from the mirror is the reference;
#   - `sbatch --array=0-2` runs deploy/pb-shard build (--shard auto) into one
#     shared output dir; shard 0 is cancelled (scancel) once its first
#     kernel is out; merge exits 1 naming the kernel it did not finish; `sbatch --array=0`
#     reruns it alone (PB_SHARD_COUNT in the batch script keeps it shard 0
#     of 3) and finds its first kernel EXISTING; merge exits 0 with every kernel once; the outputs are
#     byte-identical to the reference's;
#   - through the cache the mirror sends each package once, as to one
#     machine (twice only when two shards ask for it at the same moment,
#     said), never again later;
#   - as a forward proxy (HTTP_PROXY, plan URLs at the mirror) a shard's
#     packages are all cache hits.
# Skips (77) only when Slurm or ATS cannot start outside CI; under CI=true
# that fails.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
. "$PB_TOP_SRCDIR/tests/lib/httpd.sh"
. "$PB_TOP_SRCDIR/tests/lib/fourkernels.sh"
. "$PB_TOP_SRCDIR/tests/lib/slurm.sh"
. "$PB_TOP_SRCDIR/tests/lib/ats.sh"
pb_skip_if_no_e2e
pb_tmpdir
chmod 0711 "$TMP" # munged wants every directory above its socket searchable
src=$PB_TOP_SRCDIR/tests/fixtures/depprobe

pb_four_kernels "$TMP" || fail "the four-kernel mirror"
cleanup() {
	pb_slurm_stop
	pb_ats_stop
	pb_httpd_stop M
	rm -rf "$TMP"
}
trap cleanup EXIT
rc=0
pb_slurm_start "$TMP/slurm" || rc=$?
[ $rc -eq 0 ] || { [ $rc -eq 77 ] && exit 77; fail "the Slurm cluster did not start"; }
ok "a one-node Slurm cluster on 127.0.0.1 in ${PB_SLURM_START_SECONDS} s"
# room for the plan's 360 MB of packages twice over: ATS's cache is a ring,
# and a full one overwrites its oldest objects
PB_ATS_CACHE_SIZE=1G pb_ats_start "$TMP/ats" "$M_URL/" || rc=$?
[ $rc -eq 0 ] || { [ $rc -eq 77 ] && exit 77; fail "Traffic Server did not start"; }
ok "Apache Traffic Server on $PB_ATS_URL, the mirror behind $PB_ATS_MIRROR"

# The cache is proven on the tree packages (headers, kbuild), fetched
# whole; the image packages are read only as far as their configs, with a
# Range, which Traffic Server passes to the mirror without storing.
TREE_RE='/pool/.*/linux-(headers|kbuild)-[^/]*\.deb$'
# origin_pool_bytes FROM: the tree package bytes the mirror sent after log
# line FROM
origin_pool_bytes() {
	pb_httpd_idle M
	awk -v from="$1" -v re="$TREE_RE" 'NR > from && $1 == "GET" && $2 ~ re { s += $5 } END { print s + 0 }' "$M_LOG"
}

# ---- the plan, from the mirror and through the cache --------------------------
"$PB" crawl -w "$TMP/ws-crawl" --json debian >"$TMP/plan.json" 2>"$TMP/crawl.err" ||
	{ cat "$TMP/crawl.err"; fail "crawl --json"; }
mkdir -p "$TMP/etc-apt-cache/sources.list.d"
sed "s|^URIs: .*|URIs: $PB_ATS_MIRROR|" "$PROBE_BUILDER_ETC_APT/sources.list.d/debian.sources" \
	>"$TMP/etc-apt-cache/sources.list.d/debian.sources"
PROBE_BUILDER_ETC_APT=$TMP/etc-apt-cache "$PB" crawl -w "$TMP/ws-crawl-cache" --json debian \
	>"$TMP/plan-cache.json" 2>"$TMP/crawl-cache.err" || { cat "$TMP/crawl-cache.err"; fail "crawl --json through the cache"; }
read -r id1 id2 n urls <<<"$(python3 - "$TMP/plan.json" "$TMP/plan-cache.json" "$PB_ATS_MIRROR" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
urls = all(p["url"].startswith(sys.argv[3]) for k in b["kernels"] for p in k["packages"])
print(a["plan_id"], b["plan_id"], len(b["kernels"]), int(urls))
PY
)"
[ "$n" -eq 4 ] || fail "the plan lists $n kernels, not 4"
[ "$id1" = "$id2" ] || fail "the plan through the cache has another id: $id2, not $id1"
[ "$urls" = 1 ] || fail "the plan through the cache has package URLs elsewhere than $PB_ATS_MIRROR"
ok "the plan through the cache: 4 kernels, its packages at the cache, the same plan_id ${id1:0:12}"
# what each shard of 3 downloads, and the packages once each (tree
# packages: the heads of the config packages are checked apart)
read -r unique per_shard <<<"$(python3 - "$TMP/plan.json" <<'PY'
import json, sys
ks = json.load(open(sys.argv[1]))["kernels"]
key = lambda k: "%s\t%s\t%s" % (k["release"], k["arch"], k["version"])
ks.sort(key=key)
size = {p["name"]: p["size"] for k in ks for p in k["packages"] if p["role"] == "tree"}
shards = [{p["name"] for j, k in enumerate(ks) if j % 3 == i for p in k["packages"] if p["role"] == "tree"} for i in range(3)]
print(sum(size.values()), sum(size[n] for s in shards for n in s))
PY
)"

# ---- the reference: one machine, -j 1, straight from the mirror ---------------
# (the first packages the mirror sends: the crawls fetched only indexes)
t0=$(date +%s)
"$PB" build -k debian -p dep -v 1 -s "$src" --from-json "$TMP/plan.json" -o "$TMP/single" \
	-w "$TMP/ws-single" -j 1 >"$TMP/single.txt" 2>&1 || { cat "$TMP/single.txt"; fail "the single build"; }
t_single=$(($(date +%s) - t0))
single_bytes=$(origin_pool_bytes 0)
[ "$(grep -cE ' BUILT +BUILT *$' "$TMP/single.txt")" -eq 4 ] || { cat "$TMP/single.txt"; fail "the single build"; }
[ "$single_bytes" -eq "$unique" ] || fail "the single build fetched $single_bytes tree package bytes, not the plan's $unique"
read -r n_img img_bytes img_size <<<"$(python3 - "$TMP/plan.json" "$M_LOG" <<'PY'
import json, sys
ks = json.load(open(sys.argv[1]))["kernels"]
size = {p["url"].split("/")[-1]: p["size"] for k in ks for p in k["packages"] if p["role"] == "config"}
sent = {}
for line in open(sys.argv[2]):
    f = line.split()
    name = f[1].split("/")[-1]
    if f[0] == "GET" and name in size:
        assert f[2].startswith("bytes=0-"), line  # heads only, never whole
        sent[name] = sent.get(name, 0) + int(f[4])
print(len(sent), sum(sent.values()), sum(size.values()))
PY
)" || fail "an image package was fetched whole"
[ "$n_img" -ge 1 ] && [ "$img_bytes" -lt "$img_size" ] ||
	fail "the image packages: $n_img read, $img_bytes of $img_size bytes"
ok "one machine, -j 1: 4 kernels in ${t_single} s, $single_bytes tree package bytes from the mirror; $n_img image packages read only to their configs ($img_bytes of $img_size bytes)"

# ---- the Slurm array, through the cache ----------------------------------------
out=$TMP/shared
mkdir -p "$out" "$TMP/jobs"
cat >"$TMP/shard.sbatch" <<EOF
#!/bin/bash
# one shard: deploy/pb-shard build, its own workspace, the count said here
# so that a task resubmitted alone is still its shard
export PB_SHARD_COUNT=3
export PB_WORKSPACE=$TMP/ws-slurm-\$SLURM_ARRAY_TASK_ID
exec "$PB_TOP_SRCDIR/deploy/pb-shard" build
EOF
export PROBE_BUILDER=$PB PB_DISTRO=debian PB_PLAN=$TMP/plan-cache.json PB_OUTPUT=$out \
	PB_PROBE=dep PB_PROBE_VERSION=1 PB_SOURCE=$src PB_JOBS=1
# shard 0's kernels (ranks 0 and 3 of the sorted keys), to watch them come out
mapfile -t shard0 < <(python3 - "$TMP/plan.json" <<'PY'
import json, sys
ks = json.load(open(sys.argv[1]))["kernels"]
ks.sort(key=lambda k: "%s\t%s\t%s" % (k["release"], k["arch"], k["version"]))
print("\n".join(k["release"] for j, k in enumerate(ks) if j % 3 == 0))
PY
)
t0=$(date +%s)
jid=$(sbatch --parsable --array=0-2 -o "$TMP/jobs/%A_%a.out" "$TMP/shard.sbatch") ||
	fail "sbatch --array=0-2"
outs0() { # how many outputs of shard 0's kernels are out
	local r n=0
	for r in "${shard0[@]}"; do n=$((n + $(ls "$out" | grep -F -- "-$r-" | grep -cE '\.(ko|o)$' || true))); done
	echo "$n"
}
for _ in $(seq 1800); do
	[ "$(outs0)" -ge 2 ] && break
	sleep 0.1
done
scancel "${jid}_0" || fail "scancel ${jid}_0"
for _ in $(seq 1800); do
	[ -z "$(squeue -h -j "$jid" 2>/dev/null)" ] && break
	sleep 0.2
done
[ -z "$(squeue -h -j "$jid")" ] || fail "the array did not end: $(squeue -j "$jid")"
state=$(scontrol show job "${jid}_0" | grep -oE 'JobState=[A-Z]+' | head -n1)
[ "$state" = JobState=CANCELLED ] || fail "task 0 is $state, not cancelled"
# scancel sends SIGTERM: the shard records the kernel it finished, not the
# one it was building
[ "$(outs0)" -eq 2 ] || fail "shard 0 was not cancelled between its kernels ($(outs0) outputs)"
for i in 1 2; do
	scontrol show job "${jid}_$i" | grep -q 'JobState=COMPLETED' ||
		{ cat "$TMP/jobs/${jid}_$i.out"; fail "task $i did not complete"; }
done
rc=0
"$PROBE_BUILDER" manifest merge "$out" >"$TMP/merge1.txt" 2>&1 || rc=$?
cat "$TMP/merge1.txt"
[ $rc -eq 1 ] && grep -q ": shard 0 of 3 never reported it" "$TMP/merge1.txt" ||
	fail "merge after the cancel: exit $rc, or shard 0's unfinished kernel not named missing"
ok "sbatch --array=0-2: tasks 1 and 2 completed, task 0 cancelled between its kernels; merge exits 1 naming what it did not finish"

jid2=$(sbatch --parsable --wait --array=0 -o "$TMP/jobs/%A_%a.out" "$TMP/shard.sbatch") ||
	{ cat "$TMP/jobs/"*_0.out; fail "sbatch --array=0 (the rerun)"; }
t_shards=$(($(date +%s) - t0))
grep -q "shard 0 of 0-2 (from SLURM_ARRAY_TASK_ID)" "$TMP/jobs/${jid2}_0.out" ||
	{ cat "$TMP/jobs/${jid2}_0.out"; fail "the rerun task is not shard 0 of 3"; }
grep -cE ' EXISTING +EXISTING *$' "$TMP/jobs/${jid2}_0.out" | grep -qx 1 ||
	{ cat "$TMP/jobs/${jid2}_0.out"; fail "the rerun did not find its first kernel EXISTING"; }
"$PROBE_BUILDER" manifest merge "$out" >"$TMP/merge2.txt" 2>&1 ||
	{ cat "$TMP/merge2.txt"; fail "merge after the rerun"; }
cat "$TMP/merge2.txt"
grep -qE "^4 kernels: [0-9]+ built, [0-9]+ existing, 0 skipped, 0 failed, 0 missing; .* has 4 entries" "$TMP/merge2.txt" ||
	fail "the merged manifest does not list every kernel once"
ok "sbatch --array=0 reran shard 0 alone (one kernel EXISTING); merge: 4 kernels, each once, in ${t_shards} s"

(cd "$TMP/single" && ls *.ko *.o | sort) >"$TMP/single.files"
(cd "$out" && ls *.ko *.o | sort) >"$TMP/shared.files"
diff -u "$TMP/single.files" "$TMP/shared.files" || fail "the array made other files than the single build"
while read -r f; do
	cmp -s "$TMP/single/$f" "$out/$f" || fail "$f differs between the single build and the Slurm array"
done <"$TMP/single.files"
ok "the array's $(wc -l <"$TMP/single.files") outputs are byte-identical to the single build's"

# ---- the cache ------------------------------------------------------------------
# the forward proxy, for http:// mirrors: a shard of the plan straight from
# the mirror, with only HTTP_PROXY set (libcurl reads http_proxy alone;
# probe-builder passes the capital one on): its packages come through the
# cache, which has them (one cache for both modes: the reverse map's key is
# the mirror's URL)
pb_ats_sync
hits_before=$(pb_ats_hits "$TREE_RE")
debs_logged() { awk -v re="$TREE_RE" '$7 ~ re' "$PB_ATS_LOG" | wc -l; }
logged_before=$(debs_logged)
env -u http_proxy HTTP_PROXY="$PB_ATS_URL" "$PB" build -k debian -p dep -v 1 -s "$src" \
	--from-json "$TMP/plan.json" --shard 2/3 -o "$TMP/fwd" -w "$TMP/ws-fwd" >"$TMP/fwd.txt" 2>&1 ||
	{ cat "$TMP/fwd.txt"; fail "a shard through the forward proxy"; }
pb_ats_sync
hits=$(pb_ats_hits "$TREE_RE")
misses=$(pb_ats_misses "$TREE_RE")
fwd_hits=$((hits - hits_before))
n_pkgs=$(python3 - "$TMP/plan.json" <<'PY'
import json, sys
ks = json.load(open(sys.argv[1]))["kernels"]
ks.sort(key=lambda k: "%s\t%s\t%s" % (k["release"], k["arch"], k["version"]))
print(len({p["name"] for j, k in enumerate(ks) if j % 3 == 2 for p in k["packages"] if p["role"] == "tree"}))
PY
)
# What the mirror sent, whole test (counted over the whole log: ATS may
# still be logging at the mirror a fetch its client has finished with, so
# a count between phases could be off). Without the cache, the array and
# the forward-proxy shard would fetch $per_shard + that shard's packages
# again; through it, ideally each package once more: $single_bytes.
total=$(origin_pool_bytes 0)
cached_bytes=$((total - single_bytes))
shard2_bytes=$(python3 - "$TMP/plan.json" <<'PY'
import json, sys
ks = json.load(open(sys.argv[1]))["kernels"]
ks.sort(key=lambda k: "%s\t%s\t%s" % (k["release"], k["arch"], k["version"]))
print(sum({p["name"]: p["size"] for j, k in enumerate(ks) if j % 3 == 2 for p in k["packages"] if p["role"] == "tree"}.values()))
PY
)
uncached=$((per_shard + shard2_bytes))
fwd_seen=$(($(debs_logged) - logged_before))
echo "package bytes from the mirror: one machine $single_bytes; through the cache, 3 Slurm shards, a rerun and" \
	"a shard through the forward proxy $cached_bytes (each package once: $single_bytes; without the cache:" \
	"$uncached); cache: $hits hits ($fwd_hits for the forward-proxy shard), $misses misses"
[ "$per_shard" -gt "$single_bytes" ] || fail "the shards of this plan share no package: the cache proves nothing"
[ "$fwd_seen" -eq "$n_pkgs" ] || fail "the shard with HTTP_PROXY did not fetch its $n_pkgs packages through the proxy ($fwd_seen)"
[ "$hits" -ge 2 ] || fail "only $hits packages were served from the cache"
# Each package fetched from the mirror once through the cache; twice only
# when two shards asked for it at the same moment, before either held the
# cache's write lock (ATS then lets both through: within a few seconds of
# each other in its log). A package fetched again later was lost by the
# cache: a failure.
refetched=$(awk -v re="$TREE_RE" '$7 ~ re && $4 ~ /MISS/ {
	if ($7 in first && $1 - first[$7] > 5) print $7; if (!($7 in first)) first[$7] = $1 }' "$PB_ATS_LOG")
[ -z "$refetched" ] || fail "the cache fetched again, later, what it had stored: $refetched"
[ "$fwd_hits" -eq "$n_pkgs" ] || fail "through the forward proxy: $fwd_hits cache hits, not the shard's $n_pkgs packages"
[ "$cached_bytes" -lt "$uncached" ] ||
	fail "through the cache the mirror sent $cached_bytes package bytes, as many as without it ($uncached)"
if [ "$cached_bytes" -eq "$single_bytes" ]; then
	ok "through the cache the mirror sent each package once ($cached_bytes bytes, as one machine; $uncached without it); HTTP_PROXY: shard 2's $n_pkgs packages all from the cache"
else
	ok "through the cache the mirror sent $cached_bytes bytes, $((cached_bytes - single_bytes)) more than each package once (two shards asked for one at the same moment), $((uncached - cached_bytes)) less than without it; HTTP_PROXY: shard 2's $n_pkgs packages all from the cache"
fi
echo "single -j 1: ${t_single} s; Slurm array of 3 (2 CPUs) with a cancel and a rerun: ${t_shards} s"
