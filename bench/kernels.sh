#!/usr/bin/env bash
# probe-builder on two real Debian kernels (bookworm 6.1 amd64 and
# cloud-amd64, sharing their common headers and kbuild), each figure
# next to its floor, measured alternating in the same run (bench/lib.sh);
# run through bench/run.sh kernels:
#   (1) .deb bytes sent by a signed loopback APT mirror (tests/lib/httpd.py
#       logs the bytes of every request) per kernel, against the bytes
#       needed: the tree packages plus the config file;
#   (2) time to first output with the mirror sending each file at
#       PB_BENCH_RATE bytes/s (default 4000000), one transfer at a time
#       (-d 1), against the floor: the first kernel's tree packages and as
#       many bytes of its image as its config has, fetched by curl from the
#       same mirror, then its build alone from local files;
#   (3) the unpack of a kernel's tree packages (bench/unpack_bench) against
#       `dpkg-deb -x` of the same packages, into PB_BENCH_UNPACK_DIR
#       (default /dev/shm);
#   (4) a cold build of one kernel from local packages against the raw
#       steps: `dpkg-deb -x`, the flavour Makefile's include made to point
#       into the tree, then the same two makes probe-builder runs (its log
#       gives the compiler), unsandboxed;
#   (5) a warm rerun (both kernels' outputs there: EXISTING) from local
#       files against `probe-builder --version`: a run that has nothing to
#       do cannot cost less than starting the program, and `true` would
#       only measure fork and exec;
#   (6) the workspace's peak size during (2)'s runs (du -sb every 0.5 s)
#       against -j (PB_BENCH_JOBS, default 1) kernels' worth of unpacked
#       trees (the larger of the two, by dpkg-deb -x).
# Packages are cached in PB_CACHE (/var/tmp/probe-builder-cache, shared
# with the tests), everything else in $BENCH_WORK/kernels.
set -euo pipefail
: "${BENCH_SRC:?run through bench/run.sh}" "${BENCH_BUILD:?}" "${BENCH_WORK:?}"
. "$BENCH_SRC/bench/lib.sh"
export PB_TOP_SRCDIR=$BENCH_SRC PB_PROBE_BUILDER=$BENCH_BUILD/probe-builder \
	PB_BUILD_PLUGINDIR=$BENCH_BUILD/plugins/.libs PB_BUILD_DISTRODIR=$BENCH_SRC/distros
. "$BENCH_SRC/tests/lib/e2e.sh"
. "$BENCH_SRC/tests/lib/httpd.sh"
work=$BENCH_WORK/kernels
rm -rf "$work"
mkdir -p "$work"
BENCH_DIR=$work/runs
mkdir -p "$BENCH_DIR"
jobs=${PB_BENCH_JOBS:-1}
rate=${PB_BENCH_RATE:-4000000}
sampler=
sample_start() { # DIR FILE: du -sb DIR every 0.5 s into FILE
	(
		while :; do
			{ du -sb "$1" 2>/dev/null || true; } | cut -f1
			sleep 0.5
		done
	) >"$2" &
	sampler=$!
}
sample_stop() {
	[ -n "$sampler" ] || return 0
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	sampler=
}
# (3)'s directory: tmpfs by default, where the unpack's own work is
# measured; on a disk the file system's writeback, shared with whatever
# else runs, dominates and varies from run to run
udir=${PB_BENCH_UNPACK_DIR:-/dev/shm}/pb-bench-unpack.$$
trap 'sample_stop; rm -rf "$udir"; pb_httpd_stop M >/dev/null 2>&1 || true' EXIT

abi=$(pb_debian_abi)
k1=$abi-amd64
k2=$abi-cloud-amd64
mapfile -t files < <(pb_debian_fetch "linux-headers-$k1" "linux-headers-$k2" \
	"linux-headers-$abi-common" "linux-kbuild-${abi%%.0-*}" "linux-image-$k1" "linux-image-$k2")
[ ${#files[@]} -eq 6 ]
tree_of() { # KERNEL: its tree packages
	case $1 in
	"$k1") echo "${files[0]} ${files[2]} ${files[3]}" ;;
	"$k2") echo "${files[1]} ${files[2]} ${files[3]}" ;;
	esac
}
img_of() { case $1 in "$k1") echo "${files[4]}" ;; "$k2") echo "${files[5]}" ;; esac }
declare -A cfg
for k in "$k1" "$k2"; do
	# tar stops at the config: dpkg-deb dies of SIGPIPE, the size tells
	cfg[$k]=$({ dpkg-deb --fsys-tarfile "$(img_of "$k")" 2>/dev/null || true; } |
		tar --occurrence -xOf - "./boot/config-$k" | wc -c)
	[ "${cfg[$k]}" -gt 0 ]
done
need=$((cfg[$k1] + cfg[$k2]))
for f in "${files[@]:0:4}"; do need=$((need + $(stat -c %s "$f"))); done
all=$(cat "${files[@]}" | wc -c)

pb_apt_mirror_serve M "$work" "${files[@]}"
pool_url() { # FILE: its URL on the mirror
	local p
	p=$(cd "$work/mirror" && find pool -name "$(basename "$1")" -print -quit)
	[ -n "$p" ] && echo "$M_URL/$p"
}

pbuild() { # WORKSPACE OUT [options and files]
	local ws=$1 od=$2
	shift 2
	"$PB" build -k debian -p newswatch -v 3.1 -s "$PROBE_SRC" -o "$od" -w "$ws" "$@"
}
# each line with the time it came
stamp() {
	local l
	while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done
}
# the first kernel done in a stamped log: "TIME RELEASE"
first_done() {
	awk '{ for (i = 2; i < NF; i++) if ($i == "done]") { r = $(i + 1); sub(/:$/, "", r); print $1, r; exit } }' "$1"
}
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
secs() { printf '%.2f s' "$1"; }
runs() { echo "runs $BENCH_RANGE_A s, floor $BENCH_RANGE_B s"; }

# The measured commands run where errexit does not hold (bench_ab tests
# their status): each checks its own steps.

# ---- (3) unpack: a kernel's tree packages into a new directory
# shellcheck disable=SC2046 # the package lists are words
unpack_floor() {
	mkdir "$udir" || return 1
	for p in $(tree_of "$k1"); do dpkg-deb -x "$p" "$udir" || return 1; done
}
bench_ab unpack "$BENCH_FAST" "'$BENCH_BUILD/bench/unpack_bench' '$udir' $(tree_of "$k1")" unpack_floor \
	"rm -rf '$udir'"
r_unpack=("$BENCH_A" "$BENCH_B" "$BENCH_RATIO" "$(runs)")
# the floor's tree of the last round is still there: the size of a tree
tree1=$(du -sb "$udir" | cut -f1)
members=$(for p in $(tree_of "$k1"); do dpkg-deb --fsys-tarfile "$p" | tar -t; done | wc -l)
rm -rf "$udir"
mkdir "$udir"
for p in $(tree_of "$k2"); do dpkg-deb -x "$p" "$udir"; done
tree2=$(du -sb "$udir" | cut -f1)
rm -rf "$udir"
fstype=$(df --output=fstype "${udir%/*}" | tail -n1)

# ---- (4) a cold build of one kernel from local packages, and the raw steps
cc=
cold_ours() {
	# shellcheck disable=SC2046
	pbuild "$work/c-ws" "$work/c-out" -j 1 $(tree_of "$k1") "$(img_of "$k1")" >"$work/c.txt" 2>&1 ||
		{ cat "$work/c.txt"; return 1; }
	grep -qE " BUILT +BUILT *$" "$work/c.txt" || { cat "$work/c.txt"; return 1; }
	# the compiler it chose, for the raw steps
	cc=$(grep -ho -m1 ' CC=[^ ]*' "$work"/c-ws/logs/debian/*/*.log | head -n1 | cut -d= -f2)
}
cold_raw() {
	local r=$work/raw/root c=$work/raw/copy kdir p
	kdir=$r/usr/src/linux-headers-$k1
	mkdir -p "$r" "$c"
	for p in $(tree_of "$k1"); do dpkg-deb -x "$p" "$r"; done
	# Debian's flavour Makefile includes the common one by its absolute
	# path: into this tree (probe-builder rewrites it too)
	sed -i "s|^include /usr/src/|include $r/usr/src/|" "$kdir/Makefile"
	cp -r "$PROBE_SRC" "$c/kmod"
	cp -r "$PROBE_SRC" "$c/ebpf"
	make -C "$kdir" ${cc:+CC=$cc} PROBE_NAME=newswatch PROBE_VERSION=3.1 M="$c/kmod" \
		KBUILD_BUILD_TIMESTAMP=1970-01-01T00:00:00Z modules \
		KCFLAGS="-ffile-prefix-map=$c/kmod=/usr/src/newswatch-3.1 -ffile-prefix-map=$r/=/"
	make -C "$c/ebpf/bpf" ${cc:+CC=$cc} PROBE_NAME=newswatch PROBE_VERSION=3.1 KERNELDIR="$kdir" \
		CLANG=clang LLC=llc \
		BPF_EXTRA_CFLAGS="-ffile-prefix-map=$c/ebpf=/usr/src/newswatch-3.1 -ffile-prefix-map=$r/=/"
	[ -s "$c/kmod/newswatch.ko" ] && [ -s "$c/ebpf/bpf/probe.o" ]
}
bench_ab cold "$BENCH_SLOW" cold_ours cold_raw "rm -rf '$work/c-ws' '$work/c-out' '$work/raw'"
r_cold=("$BENCH_A" "$BENCH_B" "$BENCH_RATIO" "$(runs)")
rm -rf "$work/c-ws" "$work/c-out" "$work/raw"

# ---- (2) time to first output from a slow mirror, with (1) the bytes
# sent and (6) the workspace's size
: >"$work/bytes"
: >"$work/peaks"
first_k=
ttfo_next=a
ttfo_pre() { # the next side's directories, removed before it runs
	rm -rf "$work/$ttfo_next-ws" "$work/$ttfo_next-out" "$work/dl"
	if [ $ttfo_next = a ]; then ttfo_next=b; else ttfo_next=a; fi
}
ttfo_ours() {
	local t0 first
	pb_httpd_idle M
	: >"$work/httpd/access.log"
	sample_start "$work/a-ws" "$work/a-du"
	t0=$EPOCHREALTIME
	{ pbuild "$work/a-ws" "$work/a-out" -j "$jobs" -d 1 2>&1 >"$work/a.txt"; } | stamp >"$work/a.err" ||
		{ sample_stop; cat "$work/a.txt" "$work/a.err"; return 1; }
	sample_stop
	[ "$(grep -cE ' BUILT +BUILT *$' "$work/a.txt")" -eq 2 ] || { cat "$work/a.txt" "$work/a.err"; return 1; }
	read -r first first_k < <(first_done "$work/a.err") || { cat "$work/a.err"; return 1; }
	awk -v a="$t0" -v b="$first" 'BEGIN { printf "%.6f\n", b - a }' >"$BENCH_FIGURE"
	pb_httpd_idle M
	awk '$2 ~ /\.deb$/ { n += $5 } END { print n + 0 }' "$work/httpd/access.log" >>"$work/bytes"
	sort -n "$work/a-du" | tail -n1 >>"$work/peaks"
}
ttfo_floor() {
	local t0 first k=$first_k f
	mkdir -p "$work/dl"
	sample_start "$work/b-ws" /dev/null
	t0=$EPOCHREALTIME
	for f in $(tree_of "$k"); do
		curl -sf --noproxy '*' -o "$work/dl/$(basename "$f")" "$(pool_url "$f")" || return 1
	done
	curl -sf --noproxy '*' -r "0-$((cfg[$k] - 1))" -o "$work/dl/head.deb" "$(pool_url "$(img_of "$k")")" ||
		return 1
	# shellcheck disable=SC2046
	{ pbuild "$work/b-ws" "$work/b-out" -j 1 $(tree_of "$k") "$(img_of "$k")" 2>&1 >"$work/b.txt"; } |
		stamp >"$work/b.err" || { sample_stop; cat "$work/b.txt" "$work/b.err"; return 1; }
	sample_stop
	grep -qE ' BUILT +BUILT *$' "$work/b.txt" || { cat "$work/b.txt" "$work/b.err"; return 1; }
	read -r first _ < <(first_done "$work/b.err") || { cat "$work/b.err"; return 1; }
	awk -v a="$t0" -v b="$first" 'BEGIN { printf "%.6f\n", b - a }' >"$BENCH_FIGURE"
}
pb_httpd_faults M "[{\"glob\": \"*.deb\", \"fault\": {\"trickle\": $rate}}]"
bench_ab ttfo "$BENCH_SLOW" ttfo_ours ttfo_floor ttfo_pre
pb_httpd_faults M '[]'
r_ttfo=("$BENCH_A" "$BENCH_B" "$BENCH_RATIO" "$(runs)")
sent=$(bench_median <"$work/bytes")
peak=$(bench_median <"$work/peaks")
tmax=$((tree1 > tree2 ? tree1 : tree2))

# ---- (5) a warm rerun: both kernels' outputs are there (the last (2) run's)
warm_ours() {
	pbuild "$work/a-ws" "$work/a-out" -j "$jobs" "${files[@]}" >"$work/w.txt" 2>&1 ||
		{ cat "$work/w.txt"; return 1; }
	[ "$(grep -cE ' EXISTING +EXISTING *$' "$work/w.txt")" -eq 2 ] || { cat "$work/w.txt"; return 1; }
}
bench_ab warm "$BENCH_FAST" warm_ours "'$PB' --version"
r_warm=("$BENCH_A" "$BENCH_B" "$BENCH_RATIO" "$(runs)")

bench_table "Kernels: Debian $k1 and $k2 (their common headers and kbuild shared), -j $jobs"
bench_row "bytes downloaded per kernel" "$(mb $((sent / 2)))" "$(mb $((need / 2)))" "$(bench_ratio "$sent" "$need")" \
	"floor: the tree packages and the config; .deb bytes sent by the loopback mirror in a build of both; the packages whole: $(mb $((all / 2)))"
bench_row "time to first output, mirror at $(mb "$rate")/s" "$(secs "${r_ttfo[0]}")" "$(secs "${r_ttfo[1]}")" "${r_ttfo[2]}" \
	"floor: the first kernel ($first_k)'s tree packages and config-sized head by curl at that rate, then its build alone from local files; ${r_ttfo[3]}"
bench_row "unpack of $k1's tree packages ($members members)" "$(secs "${r_unpack[0]}")" "$(secs "${r_unpack[1]}")" \
	"${r_unpack[2]}" "bench/unpack_bench; floor: dpkg-deb -x; into $fstype; ${r_unpack[3]}"
bench_row "cold build of $k1" "$(secs "${r_cold[0]}")" "$(secs "${r_cold[1]}")" "${r_cold[2]}" \
	"from local packages, makes sandboxed; floor: dpkg-deb -x, make modules and the bpf make by hand, unsandboxed; ${r_cold[3]}"
bench_row "warm rerun, 2 kernels EXISTING" "$(secs "${r_warm[0]}")" "$(secs "${r_warm[1]}")" "${r_warm[2]}" \
	"from local files; floor: probe-builder --version (the program's start); ${r_warm[3]}"
bench_row "peak workspace" "$(mb "$peak")" "$(mb $((jobs * tmax)))" "$(bench_ratio "$peak" $((jobs * tmax)))" \
	"du -sb every 0.5 s during the time-to-first-output runs; floor: -j $jobs × the larger unpacked tree (dpkg-deb -x: $(mb "$tree1"), $(mb "$tree2"))"
