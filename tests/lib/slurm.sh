# shellcheck shell=bash
# slurm.sh - a real single-node Slurm cluster on 127.0.0.1 for the tests
# (Debian's slurm-wlm and munge, installed by scripts/setup.sh). Sourced by
# bash tests, never run; root only (slurmd runs jobs as their submitter and
# must be root to do so). One cluster per shell.
#
#   pb_slurm_start DIR
#       start munged, slurmctld and slurmd with everything under DIR
#       (created; made o+x, which munged requires of every directory above
#       its socket): munge/ (the cluster's own key, never /etc/munge), run/
#       (munged's socket, the pid files), log/, state/ (StateSaveLocation),
#       spool/ (SlurmdSpoolDir) and slurm.conf. SlurmctldPort and SlurmdPort
#       are free ports chosen now (never 6817/6818: the network is shared
#       with other runs). Exports SLURM_CONF, so sbatch, squeue, scancel,
#       sinfo and scontrol talk to this cluster, and sets PB_SLURM_DIR,
#       PB_SLURM_NODE, PB_SLURM_PARTITION, PB_SLURM_CTLD_PORT,
#       PB_SLURM_SLURMD_PORT and PB_SLURM_START_SECONDS (how long it took).
#       Returns once sinfo shows the node idle. Status: 0 up; when a daemon
#       cannot start (not installed, not root, exits at once) 77 (skip), or
#       1 when CI=true (CI must fail, not skip); 1 when the node does not
#       become idle in PB_SLURM_TIMEOUT seconds (default 60) or on any other
#       error. On failure the daemons' logs are printed and whatever was
#       started is stopped. The caller registers pb_slurm_stop on EXIT.
#   pb_slurm_stop
#       cancel the cluster's jobs, stop slurmd, slurmctld and munged (TERM,
#       then KILL), then kill any slurmstepd or job process of this cluster
#       still there (see _pb_slurm_strays: never by name alone). Safe to
#       call twice or when nothing was started; returns 0.
#   pb_slurm_free_port [PORT...]
#       print a TCP port below the ephemeral range that no socket of this
#       machine uses (ss -Htan) and that is none of PORT...
#   pb_slurm_logs
#       print the tail of every daemon log (for a test's FAIL message)
#
# Slurm's defaults are kept where a test does not need otherwise; notably
# MinJobAge (300 s): a finished job stays visible to scontrol and to
# dependencies, and so `sbatch --wait` polls after 2 s, then 8 s, then 32 s.

PB_SLURM_DIR=
PB_SLURM_NODE=
PB_SLURM_PARTITION=pb
PB_SLURM_START_SECONDS=
# shellcheck disable=SC2034 # for the tests
PB_SLURM_CTLD_PORT=
# shellcheck disable=SC2034
PB_SLURM_SLURMD_PORT=
_PB_SLURM_PIDS=() # munged, slurmctld, slurmd, in start order

pb_slurm_free_port() {
	local lo p i x used
	# below the ephemeral range: a port the kernel hands to an outgoing
	# connection could be taken between this check and the daemon's bind
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range
	[ "$lo" -gt 12000 ] || lo=32768
	for ((i = 0; i < 200; i++)); do
		p=$((10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000)))
		for x in "$@"; do [ "$x" != "$p" ] || continue 2; done
		used=$(ss -Htan "sport = :$p" 2>/dev/null) || continue
		[ -n "$used" ] || { echo "$p"; return 0; }
	done
	echo "pb_slurm_free_port: no free port found in 200 tries" >&2
	return 1
}

pb_slurm_logs() {
	local f
	[ -n "$PB_SLURM_DIR" ] || return 0
	for f in "$PB_SLURM_DIR"/log/*; do
		[ -s "$f" ] || continue
		echo "--- $f (last 40 lines)"
		tail -n 40 "$f"
	done
}

# _pb_slurm_unavailable MSG: a daemon cannot run here; skip, but not in CI
_pb_slurm_unavailable() {
	echo "pb_slurm_start: $*" >&2
	pb_slurm_logs >&2
	pb_slurm_stop
	if [ "${CI:-}" = true ]; then
		echo "pb_slurm_start: CI=true: a failure, not a skip" >&2
		return 1
	fi
	return 77
}

_pb_slurm_error() {
	echo "pb_slurm_start: $*" >&2
	pb_slurm_logs >&2
	pb_slurm_stop
	return 1
}

_pb_slurm_alive() { kill -0 "$1" 2>/dev/null; }

# _pb_slurm_conf DIR NODE HW CTLD_PORT SLURMD_PORT
_pb_slurm_conf() {
	cat >"$1/slurm.conf.tmp" <<EOF || return 1
# written by tests/lib/slurm.sh: a throwaway one-node cluster
ClusterName=pbtest
SlurmctldHost=$2(127.0.0.1)
SlurmctldPort=$4
SlurmdPort=$5
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$1/run/munge.socket
CredType=cred/munge
StateSaveLocation=$1/state
SlurmdSpoolDir=$1/spool
SlurmctldPidFile=$1/run/slurmctld.pid
SlurmdPidFile=$1/run/slurmd.pid
SlurmctldLogFile=$1/log/slurmctld.log
SlurmdLogFile=$1/log/slurmd.log
# no cgroups needed: processes tracked by parentage, no task binding
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
# jobs share the node by CPU (Slurm 22.05's default select/linear gives
# each job the whole node: an array's tasks would run one at a time)
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
NodeName=$2 NodeAddr=127.0.0.1 $3 State=UNKNOWN
PartitionName=$PB_SLURM_PARTITION Nodes=$2 Default=YES MaxTime=INFINITE State=UP
EOF
	mv -f "$1/slurm.conf.tmp" "$1/slurm.conf"
}

# _pb_slurm_wait_up PID SECONDS CMD...: until CMD succeeds; 2 if the
# daemon PID exited, 1 on timeout
_pb_slurm_wait_up() {
	local pid=$1 n=$(($2 * 10)) i
	shift 2
	for ((i = 0; i < n; i++)); do
		_pb_slurm_alive "$pid" || return 2
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# (timeout: a port taken by something else may accept and never answer)
_pb_slurm_ctld_up() { [[ $(timeout 3 scontrol ping 2>/dev/null) == *'is UP'* ]]; }
_pb_slurm_node_idle() {
	[ "$(timeout 3 sinfo -h -N -n "$PB_SLURM_NODE" -o %T 2>/dev/null)" = idle ]
}

pb_slurm_start() {
	local dir=$1 t0 b hw ctld_port slurmd_port pid rc timeout
	t0=$EPOCHREALTIME
	timeout=${PB_SLURM_TIMEOUT:-60}
	[ -n "$dir" ] || { echo "pb_slurm_start: usage: pb_slurm_start DIR" >&2; return 2; }
	[ ${#_PB_SLURM_PIDS[@]} -eq 0 ] ||
		{ echo "pb_slurm_start: a cluster runs already ($PB_SLURM_DIR)" >&2; return 1; }
	mkdir -p "$dir" || return 1
	PB_SLURM_DIR=$(cd "$dir" && pwd) || return 1
	dir=$PB_SLURM_DIR
	[ "$(id -u)" -eq 0 ] ||
		{ _pb_slurm_unavailable "not root (slurmd runs jobs as their user)"; return; }
	for b in munged mungekey munge unmunge slurmctld slurmd sbatch squeue \
		scancel sinfo scontrol ss; do
		command -v "$b" >/dev/null || {
			_pb_slurm_unavailable "$b is not installed (scripts/setup.sh installs slurm-wlm, munge, iproute2)"
			return
		}
	done
	# unix socket paths (munged's, slurmstepd's in the spool) hold 107 bytes
	[ ${#dir} -le 60 ] ||
		{ _pb_slurm_error "$dir is too long for the unix sockets under it (60 bytes at most)"; return; }
	mkdir -p "$dir/munge" "$dir/run" "$dir/log" "$dir/state" "$dir/spool" || return 1
	chmod 0711 "$dir" && chmod 0700 "$dir/munge" && chmod 0755 "$dir/run" || return 1
	# munged refuses a socket below a directory others cannot search; those
	# above DIR are the caller's to open (chmod o+x), not changed here
	b=$dir
	while b=${b%/*}; [ -n "$b" ]; do
		[ "$(($(stat -c '0%a' "$b") & 1))" = 1 ] || {
			_pb_slurm_error "$b is not searchable by others (munged refuses its socket below it): chmod o+x it or choose another DIR"
			return
		}
	done
	PB_SLURM_NODE=$(hostname -s) || return 1

	# munged: its own key, socket, pid, seed and log
	rm -f "$dir/munge/munge.key"
	mungekey -c -k "$dir/munge/munge.key" 2>"$dir/log/mungekey.log" ||
		{ _pb_slurm_unavailable "mungekey could not make a key: $(cat "$dir/log/mungekey.log")"; return; }
	munged -F --socket "$dir/run/munge.socket" \
		--key-file "$dir/munge/munge.key" --pid-file "$dir/run/munged.pid" \
		--seed-file "$dir/munge/munged.seed" </dev/null >/dev/null \
		2>"$dir/log/munged.log" &
	_PB_SLURM_PIDS+=($!)
	rc=0
	_pb_slurm_wait_up "$!" 10 _pb_slurm_munge_ok "$dir/run/munge.socket" || rc=$?
	case $rc in
	0) ;;
	2) _pb_slurm_unavailable "munged exited at start (see its log below)"; return ;;
	*) _pb_slurm_error "munged gave no credential in 10 s"; return ;;
	esac

	hw=$(slurmd -C 2>"$dir/log/slurmd-C.log" | sed -n '1s/^NodeName=[^ ]* //p')
	case $hw in
	*CPUs=*RealMemory=*) ;;
	*) _pb_slurm_unavailable "slurmd -C reported no CPUs/RealMemory: $(cat "$dir/log/slurmd-C.log")"; return ;;
	esac

	export SLURM_CONF=$dir/slurm.conf
	# a port found free can be taken before the daemon binds it (other
	# clusters start concurrently): then new ports, three times
	for _ in 1 2 3; do
		ctld_port=$(pb_slurm_free_port) || { _pb_slurm_error "no free port"; return; }
		slurmd_port=$(pb_slurm_free_port "$ctld_port") || { _pb_slurm_error "no free port"; return; }
		_pb_slurm_conf "$dir" "$PB_SLURM_NODE" "$hw" "$ctld_port" "$slurmd_port" ||
			{ _pb_slurm_error "cannot write $dir/slurm.conf"; return; }
		rm -rf "${dir:?}"/state/* "${dir:?}"/spool/*
		: >"$dir/log/slurmctld.log"
		: >"$dir/log/slurmd.log"

		slurmctld -D -c -f "$SLURM_CONF" </dev/null \
			>"$dir/log/slurmctld.out" 2>&1 &
		pid=$!
		_PB_SLURM_PIDS+=("$pid")
		rc=0
		_pb_slurm_wait_up "$pid" 30 _pb_slurm_ctld_up || rc=$?
		if [ $rc = 2 ] && grep -qi 'address already in use' "$dir"/log/slurmctld.*; then
			wait "$pid" 2>/dev/null || true
			unset '_PB_SLURM_PIDS[-1]'
			echo "pb_slurm_start: port $ctld_port was taken meanwhile, again" >&2
			continue
		fi
		case $rc in
		0) ;;
		2) _pb_slurm_unavailable "slurmctld exited at start (see its log below)"; return ;;
		*) _pb_slurm_error "slurmctld did not answer scontrol ping in 30 s"; return ;;
		esac

		slurmd -D -N "$PB_SLURM_NODE" -f "$SLURM_CONF" </dev/null \
			>"$dir/log/slurmd.out" 2>&1 &
		pid=$!
		_PB_SLURM_PIDS+=("$pid")
		rc=0
		_pb_slurm_wait_up "$pid" "$timeout" _pb_slurm_node_idle || rc=$?
		if [ $rc = 2 ] && grep -qi 'address already in use' "$dir"/log/slurmd.*; then
			_pb_slurm_kill "${_PB_SLURM_PIDS[2]}"
			_pb_slurm_kill "${_PB_SLURM_PIDS[1]}"
			_PB_SLURM_PIDS=("${_PB_SLURM_PIDS[0]}")
			echo "pb_slurm_start: port $slurmd_port was taken meanwhile, again" >&2
			continue
		fi
		case $rc in
		0) break ;;
		2) _pb_slurm_unavailable "slurmd exited at start (see its log below)"; return ;;
		*)
			_pb_slurm_error "node $PB_SLURM_NODE not idle after ${timeout} s: sinfo says '$(sinfo -h -N -o '%T %E' 2>&1)'"
			return
			;;
		esac
	done
	[ ${#_PB_SLURM_PIDS[@]} -eq 3 ] ||
		{ _pb_slurm_error "no free ports after 3 attempts"; return; }
	# shellcheck disable=SC2034 # for the tests
	PB_SLURM_CTLD_PORT=$ctld_port
	# shellcheck disable=SC2034
	PB_SLURM_SLURMD_PORT=$slurmd_port
	PB_SLURM_START_SECONDS=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	echo "slurm: node $PB_SLURM_NODE idle after ${PB_SLURM_START_SECONDS} s (slurmctld :$ctld_port, slurmd :$slurmd_port, $dir)"
}

_pb_slurm_munge_ok() {
	munge -n -S "$1" 2>/dev/null | unmunge -S "$1" >/dev/null 2>&1
}

# _pb_slurm_kill PID: TERM, up to 10 s, then KILL; reaped (our child)
_pb_slurm_kill() {
	local i
	_pb_slurm_alive "$1" || { wait "$1" 2>/dev/null || true; return 0; }
	kill -TERM "$1" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		_pb_slurm_alive "$1" || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# _pb_slurm_strays: pids of this cluster's slurmstepd processes, their
# descendants (the jobs) and any job process that left them (it has
# SLURM_JOB_ID and this SLURM_CONF in its environment). A slurmstepd writes
# its title over its environment, so it is known by the files under DIR it
# holds open (slurmd's log, its socket in the spool).
_pb_slurm_strays() {
	local d=$PB_SLURM_DIR f p c steps=()
	for f in /proc/[0-9]*/comm; do
		read -r c 2>/dev/null <"$f" || continue
		[ "$c" = slurmstepd ] || continue
		p=${f#/proc/}
		p=${p%/comm}
		[ -z "$(find "/proc/$p/fd" -maxdepth 1 -lname "$d/*" 2>/dev/null)" ] || steps+=("$p")
	done
	{
		if [ ${#steps[@]} -gt 0 ]; then
			# descendants by parent pid (cat: a process may end between the
			# glob and the read; the title in stat may hold spaces)
			cat /proc/[0-9]*/stat 2>/dev/null | awk -v roots="${steps[*]}" '
				{ pid = $1; sub(/.*\) /, ""); parent[pid] = $2 }
				END {
					n = split(roots, r, " ")
					for (i = 1; i <= n; i++) { keep[r[i]] = 1; print r[i] }
					do {
						more = 0
						for (p in parent)
							if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; print p; more = 1 }
					} while (more)
				}' || true
		fi
		# (|| true and !: the caller may run under set -e)
		grep -lzxF "SLURM_CONF=$d/slurm.conf" /proc/[0-9]*/environ 2>/dev/null |
			while read -r f; do
				! grep -qz '^SLURM_JOB_ID=' "$f" 2>/dev/null || { p=${f#/proc/}; echo "${p%/environ}"; }
			done
	} | while read -r p; do
		[ "$p" = $$ ] || echo "$p"
	done | sort -un
}

pb_slurm_stop() {
	local i p strays
	[ -n "$PB_SLURM_DIR" ] || return 0
	# the jobs first, through Slurm, while slurmctld and slurmd are up
	if [ ${#_PB_SLURM_PIDS[@]} -ge 3 ] && _pb_slurm_alive "${_PB_SLURM_PIDS[1]}" &&
		_pb_slurm_alive "${_PB_SLURM_PIDS[2]}"; then
		SLURM_CONF=$PB_SLURM_DIR/slurm.conf scancel --quiet --user=root >/dev/null 2>&1 || true
		for ((i = 0; i < 100; i++)); do
			[ -n "$(SLURM_CONF=$PB_SLURM_DIR/slurm.conf squeue -h -o %i 2>/dev/null)" ] || break
			sleep 0.1
		done
	fi
	for ((i = ${#_PB_SLURM_PIDS[@]} - 1; i >= 0; i--)); do
		_pb_slurm_kill "${_PB_SLURM_PIDS[i]}"
	done
	_PB_SLURM_PIDS=()
	# what outlived them: a slurmstepd and its job when slurmd was killed
	# mid-job, or a job slurmctld could not cancel
	mapfile -t strays < <(_pb_slurm_strays)
	if [ ${#strays[@]} -gt 0 ]; then
		echo "pb_slurm_stop: killing ${#strays[@]} leftover process(es) of the cluster: ${strays[*]}" >&2
		for p in "${strays[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	fi
	if [ "${SLURM_CONF:-}" = "$PB_SLURM_DIR/slurm.conf" ]; then
		unset SLURM_CONF
	fi
	PB_SLURM_DIR=
	return 0
}
