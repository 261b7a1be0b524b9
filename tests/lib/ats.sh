# shellcheck shell=bash
# ats.sh - an Apache Traffic Server (Debian's trafficserver, ATS 9.2) for the
# tests, configured from deploy/trafficserver/ (the configuration users copy:
# the tested configuration is the documented one). Sourced, never run.
#
#   pb_ats_start DIR ORIGIN_URL
#       runs traffic_server directly (no traffic_manager, no system service)
#       with everything under DIR (created): etc/ (the templates with their
#       placeholders filled in), run/, log/ (diags.log, squid.log), cache/
#       (cache.db, PB_ATS_CACHE_SIZE, default 512M) and runroot.yaml, which
#       points ATS at them. It listens on 127.0.0.1 only, on a free port
#       chosen now (never ATS's 8080), in both modes at once: a forward
#       proxy (http_proxy=$PB_ATS_URL) and the reverse map of
#       $PB_ATS_URL/mirror/ to ORIGIN_URL. Returns once it answers and its
#       cache is enabled. If it cannot start, it says why (its logs) and
#       returns 1 when CI=true (there it must work), else 77 (a skip):
#       call it as `pb_ats_start DIR URL || exit $?`.
#       Sets PB_ATS_DIR, PB_ATS_PID, PB_ATS_PORT, PB_ATS_URL
#       (http://127.0.0.1:PORT, the forward proxy), PB_ATS_MIRROR
#       (PB_ATS_URL/mirror/), PB_ATS_LOG (squid.log).
#       ATS stops by itself when this shell is gone; stop it anyway.
#   pb_ats_stop               SIGTERM (SIGKILL after 30 s), waits; DIR stays
#   pb_ats_sync               waits until squid.log holds every request
#                             answered so far (ATS writes its logs every few
#                             seconds): a marker request, waited for
#   pb_ats_hits REGEX         after pb_ats_sync, print how many squid.log
#   pb_ats_misses REGEX       lines for a URL matching REGEX (awk ERE) were
#                             served from the cache (TCP_HIT, TCP_MEM_HIT,
#                             TCP_REFRESH_HIT, TCP_CF_HIT...: *HIT, with a
#                             status below 400) or
#                             fetched from the origin (TCP_MISS,
#                             TCP_REFRESH_MISS...: *MISS*). The URL logged is
#                             the origin's, after the reverse map: a fetch of
#                             $PB_ATS_MIRROR/a/b is logged as ORIGIN_URL/a/b.
#
# Only what a test machine needs differs from deploy/trafficserver, through
# ATS's environment overrides of records.config settings (PROXY_CONFIG_...),
# so that etc/records.config is the template itself: the address (127.0.0.1,
# proxy.local.incoming_ip_to_bind), the user (ATS keeps the one that starts
# it, "#-1", where the template names Debian's trafficserver user), no crash
# log helper (it cannot name the user "#-1"), squid.log written every 2 s
# or so rather than every 10 (proxy.config.log.max_secs_per_buffer and
# periodic_tasks_interval), and one added map line.

PB_ATS_TEMPLATES=${PB_ATS_TEMPLATES:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../deploy/trafficserver" && pwd)}
PB_ATS_SERVER=${PB_ATS_SERVER:-traffic_server}
PB_ATS_PID=
_pb_ats_watch=

# A start that failed: 1 in CI (ATS is installed there by scripts/setup.sh:
# failing to start it is a failure), a skip elsewhere. Prints why.
_pb_ats_cannot() {
	local f
	echo "pb_ats_start: cannot run Apache Traffic Server: $*" >&2
	for f in "${PB_ATS_DIR:-/nonexistent}"/log/diags.log "${PB_ATS_DIR:-/nonexistent}"/stderr; do
		[ -s "$f" ] || continue
		echo "---- $f (last 40 lines)" >&2
		tail -n 40 "$f" >&2
	done
	if [ "${CI:-}" = true ]; then
		return 1
	fi
	echo "SKIP: Apache Traffic Server cannot run here (CI=true makes this a failure)"
	return 77
}

_pb_ats_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# _pb_ats_config PORT ORIGIN_URL: DIR/etc from the templates
_pb_ats_config() {
	local port=$1 origin=$2 d=$PB_ATS_DIR f name
	rm -rf "${d:?}/etc"
	mkdir -p "$d/etc"
	for f in "$PB_ATS_TEMPLATES"/*; do
		name=${f##*/}
		[ "$name" != README.md ] || continue
		sed -e "s|@ATS_PORT@|$port|g" -e "s|@ATS_HOST@|127.0.0.1|g" \
			-e "s|@ATS_CACHE_DIR@|$d/cache|g" \
			-e "s|@ATS_CACHE_SIZE@|${PB_ATS_CACHE_SIZE:-512M}|g" \
			-e "s|@ATS_CLIENTS@|127.0.0.1|g" "$f" >"$d/etc/$name" || return 1
		if grep -q '@ATS_[A-Z_]*@' "$d/etc/$name"; then
			echo "pb_ats_start: $f: a placeholder ats.sh does not know:" \
				"$(grep -o '@ATS_[A-Z_]*@' "$d/etc/$name" | sort -u | tr '\n' ' ')" >&2
			return 1
		fi
	done
	printf '# added by tests/lib/ats.sh: the test origin\nmap http://127.0.0.1:%s/mirror/ %s/\n' \
		"$port" "${origin%/}" >>"$d/etc/remap.config"
	# the package's other files, which hold no rules (comments only)
	for name in parent.config sni.yaml ssl_multicert.config volume.config hosting.config \
		strategies.yaml; do
		[ -e "$d/etc/$name" ] || echo "# no rules, as Debian's" >"$d/etc/$name"
	done
	# the error pages' templates, as the package installs them
	if [ -d /etc/trafficserver/body_factory ]; then
		cp -r /etc/trafficserver/body_factory "$d/etc/"
	fi
}

pb_ats_start() {
	local dir=$1 origin=$2 bin port pid n ready=0
	PB_ATS_DIR=
	bin=$(command -v "$PB_ATS_SERVER") ||
		{ _pb_ats_cannot "$PB_ATS_SERVER is not installed (apt-get install trafficserver)"; return; }
	mkdir -p "$dir"
	PB_ATS_DIR=$(cd "$dir" && pwd)
	mkdir -p "$PB_ATS_DIR/run" "$PB_ATS_DIR/log" "$PB_ATS_DIR/cache"
	# where ATS finds everything: its own directories, Debian's plugins
	cat >"$PB_ATS_DIR/runroot.yaml" <<-EOF
		prefix: /usr
		exec_prefix: /usr
		bindir: /usr/bin
		sbindir: /usr/sbin
		includedir: /usr/include
		libdir: /usr/lib/trafficserver
		libexecdir: /usr/lib/trafficserver/modules
		sysconfdir: $PB_ATS_DIR/etc
		localstatedir: $PB_ATS_DIR
		datadir: $PB_ATS_DIR/cache
		cachedir: $PB_ATS_DIR/cache
		runtimedir: $PB_ATS_DIR/run
		logdir: $PB_ATS_DIR/log
	EOF
	# the port is free when chosen, perhaps not when ATS binds it: another try
	for _ in 1 2 3; do
		port=$(_pb_ats_free_port) || { _pb_ats_cannot "python3 found no free port"; return; }
		_pb_ats_config "$port" "$origin" || { _pb_ats_cannot "no configuration from $PB_ATS_TEMPLATES"; return; }
		rm -f "$PB_ATS_DIR"/log/* "$PB_ATS_DIR"/log/.??* "$PB_ATS_DIR/stderr"
		PROXY_LOCAL_INCOMING_IP_TO_BIND=127.0.0.1 \
			PROXY_CONFIG_ADMIN_USER_ID='#-1' \
			PROXY_CONFIG_CRASH_LOG_HELPER=/bin/true \
			PROXY_CONFIG_LOG_MAX_SECS_PER_BUFFER=1 \
			PROXY_CONFIG_LOG_PERIODIC_TASKS_INTERVAL=1 \
			TS_RUNROOT=$PB_ATS_DIR \
			"$bin" </dev/null >"$PB_ATS_DIR/stdout" 2>"$PB_ATS_DIR/stderr" &
		pid=$!
		PB_ATS_PID=$pid PB_ATS_PORT=$port
		# up to 60 s: it clears a new cache.db before it enables the cache
		for n in $(seq 600); do
			if ! kill -0 "$pid" 2>/dev/null; then
				wait "$pid" 2>/dev/null || true
				PB_ATS_PID=
				break
			fi
			# a port taken meanwhile: ATS runs on without it
			if grep -q "unable to listen on port $port" "$PB_ATS_DIR/log/diags.log" 2>/dev/null; then
				pb_ats_stop
				break
			fi
			if grep -q 'Traffic Server is fully initialized' "$PB_ATS_DIR/log/diags.log" 2>/dev/null &&
				grep -q 'cache enabled' "$PB_ATS_DIR/log/diags.log" &&
				_pb_ats_mark "$port" "http://127.0.0.1:9/.pb-ats-sync/start"; then
				ready=1
				break
			fi
			sleep 0.1
		done
		[ -z "$PB_ATS_PID" ] || break
		grep -q "unable to listen on port $port" "$PB_ATS_DIR/log/diags.log" 2>/dev/null ||
			{ _pb_ats_cannot "traffic_server exited at start"; return; }
	done
	[ -n "$PB_ATS_PID" ] || { _pb_ats_cannot "traffic_server found no free port in 3 tries"; return; }
	if [ "$ready" = 0 ]; then
		pb_ats_stop
		_pb_ats_cannot "traffic_server did not answer on 127.0.0.1:$port within 60 s"
		return
	fi
	PB_ATS_URL=http://127.0.0.1:$port
	# shellcheck disable=SC2034 # the caller's
	PB_ATS_MIRROR=$PB_ATS_URL/mirror/
	PB_ATS_LOG=$PB_ATS_DIR/log/squid.log
	# a test that dies leaves no proxy behind
	(
		while kill -0 $$ 2>/dev/null && kill -0 "$pid" 2>/dev/null; do
			sleep 1
		done
		kill "$pid" 2>/dev/null
	) </dev/null >/dev/null 2>&1 &
	_pb_ats_watch=$!
	return 0
}

pb_ats_stop() {
	local n=0
	if [ -n "$_pb_ats_watch" ]; then
		kill -9 "$_pb_ats_watch" 2>/dev/null || true
		wait "$_pb_ats_watch" 2>/dev/null || true
		_pb_ats_watch=
	fi
	[ -n "$PB_ATS_PID" ] || return 0
	if kill "$PB_ATS_PID" 2>/dev/null; then
		while kill -0 "$PB_ATS_PID" 2>/dev/null && [ $n -lt 300 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		kill -9 "$PB_ATS_PID" 2>/dev/null || true
	fi
	wait "$PB_ATS_PID" 2>/dev/null || true
	PB_ATS_PID=
	return 0
}

# _pb_ats_mark PORT URL: a request that ATS answers alone (only-if-cached:
# a 504 without asking anyone), logged after every request answered before
# it; true when ATS answered
_pb_ats_mark() {
	curl -s -o /dev/null --max-time 10 --proxy "http://127.0.0.1:$1" \
		-H 'Cache-Control: only-if-cached' "$2"
}

pb_ats_sync() {
	local url n
	[ -n "${PB_ATS_URL:-}" ] || { echo "pb_ats_sync: no ATS running" >&2; return 1; }
	# unique without a counter: callers run it in $(...) subshells
	url="http://127.0.0.1:9/.pb-ats-sync/$BASHPID.$(date +%s%N).$RANDOM"
	_pb_ats_mark "$PB_ATS_PORT" "$url" || true
	for n in $(seq 300); do
		grep -qF " $url " "$PB_ATS_LOG" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "pb_ats_sync: the marker request is not in $PB_ATS_LOG after 30 s" >&2
	return 1
}

# _pb_ats_count KIND REGEX: KIND hit or miss
_pb_ats_count() {
	pb_ats_sync || return 1
	# squid format: TIME MS CLIENT RESULT/STATUS BYTES METHOD URL ...
	# shellcheck disable=SC2016 # awk's fields
	awk -v kind="$1" -v re="$2" '
		$7 ~ re && $7 !~ /\/\.pb-ats-sync\// {
			split($4, r, "/")
			# TCP_REFRESH_FAIL_HIT/502: the origin failed, nothing served
			if (kind == "hit" ? r[1] ~ /HIT$/ && r[2] < 400 : r[1] ~ /MISS/) n++
		}
		END { print n + 0 }' "$PB_ATS_LOG"
}

pb_ats_hits() { _pb_ats_count hit "$1"; }
pb_ats_misses() { _pb_ats_count miss "$1"; }
