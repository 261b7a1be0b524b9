#!/usr/bin/env bash
# tests/lib/slurm.sh, the one-node Slurm cluster the scheduler tests run on
# (issue 12): it starts (munged, slurmctld, slurmd on free ports, the node
# idle) in a temp dir, a job array submitted with `sbatch --array=0-2 --wait`
# runs every task once with its SLURM_ARRAY_TASK_{ID,COUNT,MIN,MAX}; in a
# second array, task 1 is held (sleeps), scancel'ed mid-run: its processes
# are gone, it never finishes, the others do; `sbatch --array=1` reruns
# just that index and it finishes. The cluster then stops: no daemon, no
# listening port left. Then the helper's other paths: munged missing gives
# 77, or 1 under CI=true; a port taken before slurmctld binds it gives new
# ports; a job orphaned by a killed slurmd is killed by pb_slurm_stop.
# Timings printed. Root only; skipped outside CI when a daemon cannot start
# (pb_slurm_start's rule).
set -euo pipefail
. "${PB_TOP_SRCDIR:?run through make check}/tests/lib/e2e.sh"
. "$PB_TOP_SRCDIR/tests/lib/slurm.sh"
pb_skip_if_no_e2e
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pb-slurm.XXXXXX")
trap 'pb_slurm_stop; rm -rf "$TMP"' EXIT
# munged wants every directory above its socket searchable by all
chmod 0711 "$TMP"

sfail() {
	pb_slurm_logs >&2
	fail "$@"
}
t() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(t)" 'BEGIN { printf "%.1f", b - a }'; }

# wait_for SECONDS WHAT CMD...: until CMD succeeds, or fail
wait_for() {
	local s=$1 what=$2 i
	shift 2
	for ((i = 0; i < s * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	sfail "after ${s} s: $what"
}

rc=0
pb_slurm_start "$TMP/c" || rc=$?
case $rc in
0) ;;
77) skip "no Slurm cluster here (pb_slurm_start says why above)" ;;
*) fail "pb_slurm_start: exit $rc" ;;
esac
ok "cluster up in ${PB_SLURM_START_SECONDS} s"
conf=$TMP/c/slurm.conf
[ "${SLURM_CONF:-}" = "$conf" ] || fail "SLURM_CONF is '${SLURM_CONF:-}', not $conf"
for p in "$PB_SLURM_CTLD_PORT" "$PB_SLURM_SLURMD_PORT"; do
	case $p in 6817 | 6818 | '' | *[!0-9]*) fail "$conf: port '$p' (never Slurm's defaults)" ;; esac
	[ -n "$(ss -Htln "sport = :$p")" ] || sfail "nothing listens on port $p ($conf)"
done
scontrol show config >"$TMP/config" 2>&1 || sfail "scontrol show config: $(cat "$TMP/config")"
grep -qx "AuthInfo *= socket=$TMP/c/run/munge.socket" "$TMP/config" ||
	sfail "scontrol show config: AuthInfo is not the cluster's own munged socket: $(grep AuthInfo "$TMP/config")"
grep -qx "SlurmctldPort *= $PB_SLURM_CTLD_PORT" "$TMP/config" ||
	sfail "scontrol show config: SlurmctldPort is not $PB_SLURM_CTLD_PORT"
ok "slurmctld :$PB_SLURM_CTLD_PORT, slurmd :$PB_SLURM_SLURMD_PORT, munged at $TMP/c/run/munge.socket"
daemons=("${_PB_SLURM_PIDS[@]}")

# the batch script: OUTDIR; PB_HOLD_TASK=N makes task N sleep until killed
cat >"$TMP/task.sh" <<'EOF'
#!/bin/bash
set -eu
out=$1
id=$SLURM_ARRAY_TASK_ID
if [ "$id" = "${PB_HOLD_TASK:-}" ]; then
	sleep 300 &
	echo "$$ $!" >"$out/task-$id.held"
	wait
fi
printf '%s\n' "SLURM_ARRAY_JOB_ID=$SLURM_ARRAY_JOB_ID" \
	"SLURM_ARRAY_TASK_ID=$SLURM_ARRAY_TASK_ID" \
	"SLURM_ARRAY_TASK_COUNT=$SLURM_ARRAY_TASK_COUNT" \
	"SLURM_ARRAY_TASK_MIN=$SLURM_ARRAY_TASK_MIN" \
	"SLURM_ARRAY_TASK_MAX=$SLURM_ARRAY_TASK_MAX" >"$out/task-$id.env.tmp"
mv "$out/task-$id.env.tmp" "$out/task-$id.env"
EOF

# check_env DIR ID JOBID COUNT MIN MAX: task ID's file holds these values
check_env() {
	local f=$1/task-$2.env want
	[ -f "$f" ] || sfail "array task $3_$2 wrote no $f ($(ls "$1"; cat "$1"/*.out 2>/dev/null))"
	want=$(printf '%s\n' "SLURM_ARRAY_JOB_ID=$3" "SLURM_ARRAY_TASK_ID=$2" \
		"SLURM_ARRAY_TASK_COUNT=$4" "SLURM_ARRAY_TASK_MIN=$5" "SLURM_ARRAY_TASK_MAX=$6")
	[ "$(cat "$f")" = "$want" ] || sfail "$f: got
$(cat "$f")
expected
$want"
}

state() { # JOBID_TASK -> JobState from scontrol
	scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'
}
# gone PID: not running (a zombie counts: what was orphaned by a killed
# slurmstepd is reaped by pid 1, which may be slow to or never reap it)
gone() {
	local st
	kill -0 "$1" 2>/dev/null || return 0
	st=$(sed -n 's/.*) \([A-Z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 0
	[ -z "$st" ] || [ "$st" = Z ]
}
job_left() { [ -z "$(squeue -h -j "$1" -o %i 2>/dev/null)" ]; }

# --- 1: an array of three, sbatch --wait ------------------------------------
mkdir "$TMP/run1"
t0=$(t)
jid=$(sbatch --parsable --wait --array=0-2 -o "$TMP/run1/%A_%a.out" "$TMP/task.sh" "$TMP/run1") ||
	sfail "sbatch --array=0-2 --wait: exit $?: $(cat "$TMP"/run1/*.out 2>/dev/null)"
jid=${jid%%;*}
t_array=$(secs "$t0")
for i in 0 1 2; do
	check_env "$TMP/run1" "$i" "$jid" 3 0 2
	[ "$(state "${jid}_$i")" = COMPLETED ] || sfail "task ${jid}_$i: state $(state "${jid}_$i"), not COMPLETED"
done
n=$(find "$TMP/run1" -name 'task-*.env' | wc -l)
[ "$n" = 3 ] || sfail "array 0-2 wrote $n env files, not 3"
ok "array $jid (0-2): three tasks ran with COUNT=3 MIN=0 MAX=2 (sbatch --wait: ${t_array} s)"

# --- 2: task 1 held, cancelled mid-run, resubmitted alone -------------------
mkdir "$TMP/run2"
t0=$(t)
jid=$(sbatch --parsable --array=0-2 --export=ALL,PB_HOLD_TASK=1 \
	-o "$TMP/run2/%A_%a.out" "$TMP/task.sh" "$TMP/run2") || sfail "sbatch --array=0-2 (held): exit $?"
jid=${jid%%;*}
wait_for 60 "task ${jid}_1 running and held ($(state "${jid}_1"))" \
	test -s "$TMP/run2/task-1.held"
[ "$(state "${jid}_1")" = RUNNING ] || sfail "task ${jid}_1 held but in state $(state "${jid}_1")"
read -r shpid sleeppid <"$TMP/run2/task-1.held"
kill -0 "$sleeppid" || sfail "task ${jid}_1's sleep (pid $sleeppid) is not running"
t_held=$(secs "$t0")
t1=$(t)
scancel "${jid}_1" || sfail "scancel ${jid}_1: exit $?"
wait_for 30 "task ${jid}_1's shell ($shpid) and sleep ($sleeppid) killed by scancel" \
	eval "gone $shpid && gone $sleeppid"
t_cancel=$(secs "$t1")
# its processes gone, the task may still be COMPLETING a moment (under load)
wait_for 30 "task ${jid}_1 leaving COMPLETING ($(state "${jid}_1"))" \
	eval '[ "$(state "${jid}_1")" != COMPLETING ]'
st=$(state "${jid}_1")
[ "$st" = CANCELLED ] || sfail "task ${jid}_1 after scancel: state '$st', not CANCELLED"
wait_for 120 "array $jid finished (squeue: $(squeue -h -j "$jid" 2>&1))" job_left "$jid"
check_env "$TMP/run2" 0 "$jid" 3 0 2
check_env "$TMP/run2" 2 "$jid" 3 0 2
[ ! -e "$TMP/run2/task-1.env" ] || sfail "cancelled task ${jid}_1 finished: $TMP/run2/task-1.env exists"
[ "$(state "${jid}_1")" = CANCELLED ] || sfail "task ${jid}_1: state $(state "${jid}_1") once the array ended"
t_array2=$(secs "$t0")
ok "array $jid: task 1 cancelled ${t_cancel} s after scancel (held after ${t_held} s), never finished; 0 and 2 completed (${t_array2} s)"

t0=$(t)
jid2=$(env -u PB_HOLD_TASK sbatch --parsable --wait --array=1 -o "$TMP/run2/%A_%a.out" \
	"$TMP/task.sh" "$TMP/run2") || sfail "sbatch --array=1 --wait: exit $?"
jid2=${jid2%%;*}
t_rerun=$(secs "$t0")
[ "$jid2" != "$jid" ] || sfail "the resubmission got the old job id $jid"
check_env "$TMP/run2" 1 "$jid2" 1 1 1
[ "$(state "${jid2}_1")" = COMPLETED ] || sfail "task ${jid2}_1: state $(state "${jid2}_1"), not COMPLETED"
ok "index 1 resubmitted as $jid2 (--array=1): finished with COUNT=1 MIN=1 MAX=1 (${t_rerun} s)"

# --- stop ----------------------------------------------------------------------
t0=$(t)
pb_slurm_stop
t_stop=$(secs "$t0")
for p in "${daemons[@]}"; do
	gone "$p" || fail "daemon pid $p ($(cat "/proc/$p/comm" 2>/dev/null)) still runs after pb_slurm_stop"
done
for p in "$PB_SLURM_CTLD_PORT" "$PB_SLURM_SLURMD_PORT"; do
	[ -z "$(ss -Htln "sport = :$p")" ] || fail "port $p still listened on after pb_slurm_stop"
done
[ -z "${SLURM_CONF:-}" ] || fail "SLURM_CONF still set after pb_slurm_stop"
ok "stopped in ${t_stop} s: munged, slurmctld, slurmd gone, ports closed"

# --- failure paths -------------------------------------------------------------
# a daemon that is not there: skip (77) outside CI, fail (1) under CI=true
for ci in '' true; do
	rc=0
	(PATH=/usr/bin:/bin CI=$ci pb_slurm_start "$TMP/nodaemon") 2>"$TMP/nodaemon.err" || rc=$?
	want=77
	[ "$ci" != true ] || want=1
	[ $rc = $want ] || fail "pb_slurm_start without munged in PATH, CI='$ci': exit $rc, expected $want: $(cat "$TMP/nodaemon.err")"
	grep -q 'munged is not installed' "$TMP/nodaemon.err" ||
		fail "pb_slurm_start without munged: the message does not name munged: $(cat "$TMP/nodaemon.err")"
done
ok "munged missing: exit 77 outside CI, 1 with CI=true, naming munged"

# a port found free but taken before slurmctld binds it: new ports; on that
# cluster, a job orphaned by slurmd's death
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(120)' >"$TMP/busy.port" &
busy_pid=$!
wait_for 10 "a listener for the taken port" test -s "$TMP/busy.port"
busy=$(cat "$TMP/busy.port")
rc=0
(
	trap pb_slurm_stop EXIT
	# the first port handed out is the taken one, then the helper's own
	eval "$(declare -f pb_slurm_free_port | sed '1s/^pb_slurm_free_port/_pb_free_port/')"
	pb_slurm_free_port() {
		if [ ! -e "$TMP/busy.given" ]; then
			: >"$TMP/busy.given"
			echo "$busy"
		else
			_pb_free_port "$@"
		fi
	}
	pb_slurm_start "$TMP/r" || exit $?
	[ "$PB_SLURM_CTLD_PORT" != "$busy" ] || exit 10
	[ "$(sinfo -h -N -o %T)" = idle ] || exit 11
	# and slurmd killed mid-job: pb_slurm_stop still ends the job and its
	# slurmstepd (orphans that Slurm can no longer reach)
	mkdir "$TMP/run3"
	sbatch -Q --array=0 --export=ALL,PB_HOLD_TASK=0 -o /dev/null "$TMP/task.sh" "$TMP/run3" || exit 12
	for ((i = 0; i < 300; i++)); do
		[ ! -s "$TMP/run3/task-0.held" ] || break
		sleep 0.1
	done
	read -r shpid sleeppid <"$TMP/run3/task-0.held" || exit 13
	kill -KILL "${_PB_SLURM_PIDS[2]}"
	wait "${_PB_SLURM_PIDS[2]}" 2>/dev/null || true
	t0=$(t)
	pb_slurm_stop
	echo "stopped in $(secs "$t0") s"
	for ((i = 0; i < 50; i++)); do
		! gone "$shpid" || ! gone "$sleeppid" || break
		sleep 0.1
	done
	gone "$shpid" && gone "$sleeppid" || exit 14
) >"$TMP/retry.out" 2>&1 || rc=$?
kill "$busy_pid" 2>/dev/null || true
wait "$busy_pid" 2>/dev/null || true
[ $rc = 0 ] || fail "pb_slurm_start with port $busy taken, then a job orphaned: exit $rc: $(cat "$TMP/retry.out")"
grep -q "port $busy was taken meanwhile" "$TMP/retry.out" ||
	fail "pb_slurm_start with port $busy taken: no retry: $(cat "$TMP/retry.out")"
ok "port $busy taken under slurmctld: new ports, $(grep -o 'idle after [0-9.]* s' "$TMP/retry.out")"
grep -q 'pb_slurm_stop: killing 3 leftover process(es)' "$TMP/retry.out" ||
	fail "slurmd killed mid-job: pb_slurm_stop did not kill slurmstepd, the script and its sleep: $(cat "$TMP/retry.out")"
ok "slurmd killed mid-job: pb_slurm_stop killed the job's slurmstepd, shell and sleep ($(grep -o 'stopped in [0-9.]* s' "$TMP/retry.out"))"

echo "timings: start ${PB_SLURM_START_SECONDS} s, array 0-2 ${t_array} s, cancel ${t_cancel} s, array with cancel ${t_array2} s, rerun ${t_rerun} s, stop ${t_stop} s"
