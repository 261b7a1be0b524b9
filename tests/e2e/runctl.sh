#!/usr/bin/env bash
# Interrupted, killed and concurrent runs, on the real Debian packages of
# debian.sh (two kernels: amd64 and cloud-amd64 of one ABI):
#   SIGTERM while both build (-j 2): exit 143, "interrupted: 0 built, 2 not
#   started", no process of the run left; SIGTERM after the first of two
#   (-j 1): exit 143, the finished kernel in the manifest; meanwhile a
#   second run on the same workspace fails at once naming the holder; the
#   rerun completes. kill -9 of the parent mid-build: its workers die with
#   it (PR_SET_PDEATHSIG), the rerun works and removes the temp files a
#   crashed run left (this host, dead pid) and empty .part files, and keeps
#   a live process's. Two runs with their own workspaces into one output
#   dir at once: both kernels in the manifest. SIGTERM during downloads
#   (a slow loopback mirror): exit 143 in bounded time, the .part kept, and
#   the rerun resumes it with a Range request.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
. "$PB_TOP_SRCDIR/tests/lib/httpd.sh"
pb_skip_if_no_e2e
pb_tmpdir
fx=$PB_TOP_SRCDIR/tests/fixtures

abi=$(pb_debian_abi)
kb=linux-kbuild-${abi%%.0-*}
mapfile -t files < <(pb_debian_fetch "linux-headers-$abi-amd64" \
	"linux-headers-$abi-cloud-amd64" "linux-headers-$abi-common" "$kb" \
	"linux-image-$abi-amd64" "linux-image-$abi-cloud-amd64")
host=$(hostname)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	pb_httpd_stop M 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

# build WS OUT ARGS...: probe-builder build in the background; its pid in $bpid
build_bg() {
	local ws=$1 out=$2 name=$3
	shift 3
	"$PB" build -k debian -p newswatch -v 1.2.3 -s "${SRC:-$PROBE_SRC}" -o "$out" \
		-w "$ws" "$@" >"$TMP/$name.txt" 2>"$TMP/$name.err" &
	bpid=$!
	PIDS+=("$bpid")
}

# wait_for SECONDS WHAT CMD...: until CMD succeeds, or fail
wait_for() {
	local t=$1 what=$2 i
	shift 2
	for ((i = 0; i < t * 5; i++)); do
		"$@" && return 0
		sleep 0.2
	done
	fail "after ${t}s: $what"
}

# the processes whose command line names the workspace (the parent, its
# workers, their make and compilers)
procs_of() { pgrep -f -- "$1" || true; }
none_of() { [ -z "$(procs_of "$1")" ]; }
# a make under the run is at work
making() { pgrep -f -- "make.*$1" >/dev/null; }

status_of() { # PID: its exit status in $rc (not in a subshell: wait
	rc=0 # needs the shell that started it)
	wait "$1" || rc=$?
}

kernels_in() { # MANIFEST -> "release STATUS" lines
	python3 -c '
import json, sys
for k in json.load(open(sys.argv[1]))["kernels"]:
    print(k["release"], k["status"])' "$1" | sort
}

# Builds take a second or two here: a signal must find one under way. Two
# copies of the probe whose Kbuild sleeps (kbuild reads it with
# KERNELRELEASE set): for every kernel, and for the cloud one only.
slow_src() { # DIR PATTERN
	cp -r "$PROBE_SRC" "$1"
	printf '\n# runctl.sh: a build that lasts\nifneq ($(filter %s,$(KERNELRELEASE)),)\n$(shell sleep 300)\nendif\n' \
		"$2" >>"$1/Kbuild"
}
slow_src "$TMP/slow-all" "%"
slow_src "$TMP/slow-cloud" "%-cloud-amd64"
# a sleep of ours under a run's make: the build is under way
sleeping() { pgrep -f -- "^sleep 300" >/dev/null; }
not() { ! "$@"; }

ws=$TMP/ws1 out=$TMP/out

# --- SIGTERM while both kernels build
SRC=$TMP/slow-all build_bg "$ws" "$out" term1 -j 2 "${files[@]}"
wait_for 120 "no make running under $ws" making "$ws"
wait_for 60 "the builds never reached the Kbuild's sleep" sleeping
sleep 1
t0=$(date +%s)
kill -TERM "$bpid"
status_of "$bpid"
[ "$rc" -eq 143 ] || { cat "$TMP/term1.err"; fail "SIGTERM: exit $rc, expected 143"; }
[ $(($(date +%s) - t0)) -le 15 ] || fail "SIGTERM: took more than 15s to stop"
grep -q "interrupted: 0 built, 2 not started" "$TMP/term1.err" ||
	{ cat "$TMP/term1.err"; fail "SIGTERM: no 'interrupted' message"; }
wait_for 10 "processes left after SIGTERM: $(procs_of "$ws" | xargs -r ps -o pid,args -p)" none_of "$ws"
wait_for 10 "a Kbuild's sleep outlived the run" not sleeping
[ ! -e "$out/manifest.json" ] || [ -z "$(kernels_in "$out/manifest.json")" ] ||
	fail "SIGTERM: a kernel stopped mid-build was recorded: $(kernels_in "$out/manifest.json")"
ok "SIGTERM mid-build (-j 2): exit 143, 'interrupted: 0 built, 2 not started', no process left"

# --- SIGTERM after the first of two kernels (-j 1); a second run on the
# workspace meanwhile fails at once, naming the holder
SRC=$TMP/slow-cloud build_bg "$ws" "$out" term2 -j 1 "${files[@]}"
holder=$bpid
wait_for 30 "the workspace lock names no holder" grep -q "pid $holder host $host" "$ws/.lock"
t0=$(date +%s)
set +e
"$PB" build -k debian -p newswatch -v 1.2.3 -s "$PROBE_SRC" -o "$TMP/out-other" \
	-w "$ws" "${files[@]}" >"$TMP/second.txt" 2>"$TMP/second.err"
rc=$?
set -e
[ "$rc" -eq 1 ] || { cat "$TMP/second.err"; fail "second run on a locked workspace: exit $rc"; }
[ $(($(date +%s) - t0)) -le 5 ] || fail "second run on a locked workspace did not fail at once"
grep -q "the workspace is in use by another run (pid $holder on $host, started " "$TMP/second.err" ||
	{ cat "$TMP/second.err"; fail "second run: the message does not name the holder"; }
grep -q -- "--wait-lock" "$TMP/second.err" || fail "second run: no --wait-lock hint"
ok "a second run on a locked workspace fails at once: $(head -n1 "$TMP/second.err")"

# -j 1: the second kernel starts once the first is finished
wait_for 300 "the second kernel never started" \
	grep -q "$abi-cloud-amd64: building" "$TMP/term2.err"
wait_for 60 "the second kernel's build never reached the Kbuild's sleep" sleeping
kill -TERM "$holder"
status_of "$holder"
[ "$rc" -eq 143 ] || { cat "$TMP/term2.err"; fail "SIGTERM -j 1: exit $rc, expected 143"; }
grep -q "interrupted: 1 built, 1 not started" "$TMP/term2.err" ||
	{ cat "$TMP/term2.err"; fail "SIGTERM -j 1: message"; }
[ "$(kernels_in "$out/manifest.json" | grep -c ' BUILT$')" -eq 1 ] ||
	fail "SIGTERM -j 1: the manifest does not hold the built kernel: $(kernels_in "$out/manifest.json")"
wait_for 10 "processes left after SIGTERM" none_of "$ws"
wait_for 10 "a Kbuild's sleep outlived the run" not sleeping
ok "SIGTERM after one kernel (-j 1): exit 143, 'interrupted: 1 built, 1 not started', it is in the manifest"

# the rerun completes: one EXISTING, one BUILT
"$PB" build -k debian -p newswatch -v 1.2.3 -s "$PROBE_SRC" -o "$out" -w "$ws" \
	-j 2 "${files[@]}" >"$TMP/rerun.txt" 2>"$TMP/rerun.err" ||
	{ cat "$TMP/rerun.txt" "$TMP/rerun.err"; fail "the rerun after SIGTERM failed"; }
[ "$(kernels_in "$out/manifest.json" | awk '$2 == "BUILT" || $2 == "EXISTING"' | wc -l)" -eq 2 ] ||
	fail "rerun: $(kernels_in "$out/manifest.json")"
ok "the rerun after SIGTERM completes: $(grep -c BUILT "$TMP/rerun.txt") BUILT line(s), both kernels in the manifest"

# --- kill -9 of the parent mid-build: the workers die with it
ws2=$TMP/ws2 out2=$TMP/out2
SRC=$TMP/slow-all build_bg "$ws2" "$out2" kill9 -j 2 "${files[@]}"
wait_for 180 "no make running under $ws2" making "$ws2"
wait_for 60 "the builds never reached the Kbuild's sleep" sleeping
kill -9 "$bpid"
status_of "$bpid"
wait_for 15 "workers outlived the parent's kill -9: $(procs_of "$ws2" | xargs -r ps -o pid,args -p)" none_of "$ws2"
wait_for 15 "a Kbuild's sleep outlived the parent's kill -9" not sleeping
ok "kill -9 of the parent: no worker, make or compiler left (PR_SET_PDEATHSIG)"

# what a crash leaves: temp files of a dead pid on this host (removed), of
# a live one or another host (kept), an empty .part (removed)
sleep 60 & live=$!
PIDS+=("$live")
dead=$(sh -c 'echo $$')
mkdir -p "$ws2/cache/00/x"
touch "$out2/.manifest.json.tmp.$host.$dead.0badf00d" \
	"$out2/.manifest.json.tmp.$host.$live.0badf00d" \
	"$out2/.manifest.json.tmp.otherhost.$dead.0badf00d" \
	"$ws2/cache/00/x/pkg.deb.part"
"$PB" build -k debian -p newswatch -v 1.2.3 -s "$PROBE_SRC" -o "$out2" -w "$ws2" \
	-j 2 "${files[@]}" >"$TMP/rerun2.txt" 2>"$TMP/rerun2.err" ||
	{ cat "$TMP/rerun2.txt" "$TMP/rerun2.err"; fail "the rerun after kill -9 failed"; }
[ "$(kernels_in "$out2/manifest.json" | grep -c ' BUILT$')" -eq 2 ] ||
	fail "rerun after kill -9: $(kernels_in "$out2/manifest.json")"
[ ! -e "$out2/.manifest.json.tmp.$host.$dead.0badf00d" ] || fail "a dead pid's temp file was left"
[ ! -e "$ws2/cache/00/x/pkg.deb.part" ] || fail "an empty .part was left"
[ -e "$out2/.manifest.json.tmp.$host.$live.0badf00d" ] || fail "a live process's temp file was removed"
[ -e "$out2/.manifest.json.tmp.otherhost.$dead.0badf00d" ] || fail "another host's temp file was removed"
grep -qE "removed [0-9]+ files? left by an interrupted run" "$TMP/rerun2.err" ||
	{ cat "$TMP/rerun2.err"; fail "no word of the cleanup"; }
ok "the rerun after kill -9 builds both and removes only a dead local pid's temp file and an empty .part"

# --- two runs with their own workspaces into one output dir, at once
out3=$TMP/out3
build_bg "$ws" "$out3" shareA -j 1 -f cloud "${files[@]}"
a=$bpid
build_bg "$ws2" "$out3" shareB -j 1 -f "^${abi//./\\.}-amd64\$" "${files[@]}"
b=$bpid
status_of "$a"
[ "$rc" -eq 0 ] || { cat "$TMP/shareA.err"; fail "shared output dir: run A failed"; }
status_of "$b"
[ "$rc" -eq 0 ] || { cat "$TMP/shareB.err"; fail "shared output dir: run B failed"; }
[ "$(kernels_in "$out3/manifest.json")" = "$(printf '%s BUILT\n' "$abi-amd64" "$abi-cloud-amd64")" ] ||
	fail "shared output dir: $(kernels_in "$out3/manifest.json")"
ok "two runs into one output dir at once: both kernels in its manifest"

# --- SIGTERM during downloads from a slow mirror, then a rerun that resumes
rel=$abi-cloud-amd64
mapfile -t cfiles < <(printf '%s\n' "${files[@]}" | grep -v -- "-$abi-amd64_")
"$fx/mk-gpg-key.sh" "$TMP/key" >/dev/null
"$fx/mk-apt-mirror.sh" --key "$TMP/key" --compress xz \
	--suite "bookworm:$(printf '%s\n' "${cfiles[@]}" | paste -sd,)" "$TMP/mirror" >/dev/null
pb_httpd_start M "$TMP/mirror" "$TMP/httpd-M"
mkdir -p "$TMP/etc-apt"
export PROBE_BUILDER_ETC_APT=$TMP/etc-apt
pb_httpd_faults M '[{"glob": "*.deb", "fault": {"trickle": 200000}}]'
ws4=$TMP/ws4
build_bg "$ws4" "$out" dl --mirror "$M_URL" --keyring "$TMP/key/keyring.gpg" \
	--suite bookworm
wait_for 60 "no .part file grew in $ws4/cache" \
	sh -c '[ -n "$(find "$1/cache" -name "*.part" -size +100k 2>/dev/null)" ]' sh "$ws4"
t0=$(date +%s)
kill -TERM "$bpid"
status_of "$bpid"
[ "$rc" -eq 143 ] || { cat "$TMP/dl.err"; fail "SIGTERM in downloads: exit $rc"; }
[ $(($(date +%s) - t0)) -le 5 ] || fail "SIGTERM in downloads: took more than 5s"
grep -q "interrupted: 0 built" "$TMP/dl.err" || { cat "$TMP/dl.err"; fail "SIGTERM in downloads: message"; }
wait_for 10 "processes left after SIGTERM in downloads" none_of "$ws4"
parts=$(find "$ws4/cache" -name '*.part' -size +0 | wc -l)
[ "$parts" -ge 1 ] || fail "SIGTERM in downloads: no .part kept to resume"
ok "SIGTERM during downloads: exit 143 at once, $parts .part file(s) kept"
pb_httpd_faults M '[]'
"$PB" build -k debian -p newswatch -v 1.2.3 -s "$PROBE_SRC" -o "$out" -w "$ws4" \
	--mirror "$M_URL" --keyring "$TMP/key/keyring.gpg" --suite bookworm \
	>"$TMP/dl2.txt" 2>"$TMP/dl2.err" || { cat "$TMP/dl2.txt" "$TMP/dl2.err"; fail "the rerun after an interrupted download failed"; }
grep -qE "^$rel +EXISTING +EXISTING" "$TMP/dl2.txt" || { cat "$TMP/dl2.txt"; fail "rerun after downloads: $rel"; }
pb_httpd_idle M
awk '$2 ~ /\.deb$/ && $3 != "-"' "$M_LOG" | grep -q . ||
	{ cat "$M_LOG"; fail "the rerun did not resume a .part with a Range request"; }
[ -z "$(find "$ws4/cache" -name '*.part')" ] || fail "a .part is left after the rerun"
ok "the rerun after an interrupted download resumes it (Range) and completes"
