#!/usr/bin/env bash
# How newswatch finds its eBPF probe for the running kernel: probe-builder's
# naming rule (<probe>-bpf-<version>-<arch>-<release>-<md5 of the kernel
# config>.o) in probe_dir, else under probe_url (fetched into the state
# directory). The object here is not one the kernel can load (this machine
# refuses kprobes anyway): what is checked is that the right file is found
# and tried, that the refusal is said with its reason, that "auto" falls back
# to fanotify and that "bpf" fails.
. "$PB_TOP_SRCDIR/tests/e2e/lib.sh"
. "$PB_TOP_SRCDIR/tests/fixtures/_httpd.sh"
pb_tmpdir
NW=$PB_TOP_BUILDDIR/newswatch/newswatch

rel=$(uname -r) arch=$(uname -m)
if [ -r /proc/config.gz ]; then
	md5=$(zcat /proc/config.gz | md5sum | cut -d' ' -f1)
elif [ -r "/boot/config-$rel" ]; then
	md5=$(md5sum <"/boot/config-$rel" | cut -d' ' -f1)
else
	echo "SKIP: this kernel exposes no config (/proc/config.gz, /boot/config-$rel): no probe name to look for"
	exit 77
fi
name=newswatch-bpf-4.5.6-$arch-$rel-$md5.o
mkdir -p "$TMP/spool" "$TMP/probes" "$TMP/srv/probes"
echo "not an ELF object" >"$TMP/probes/$name"
cp "$TMP/probes/$name" "$TMP/srv/probes/$name"

conf() { # file, probe_dir, probe_url, backend
	cat >"$1" <<EOF
spool = $TMP/spool
webhook = http://127.0.0.1:9/unused
state_dir = $TMP/state-$(basename "$1")
probe_dir = $2
probe_url = $3
probe_version = 4.5.6
backend = $4
EOF
}

run_until_watching() { # conf, log
	"$NW" --foreground -c "$1" >"$2" 2>&1 &
	local pid=$!
	for _ in $(seq 100); do
		grep -q "watching $TMP/spool" "$2" && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
	done
	kill -TERM $pid 2>/dev/null || true
	wait $pid || true
}

conf "$TMP/a.conf" "$TMP/probes" "" auto
run_until_watching "$TMP/a.conf" "$TMP/a.log"
grep -q "eBPF unavailable ($TMP/probes/$name: .*): falling back to fanotify" "$TMP/a.log" ||
	{ cat "$TMP/a.log"; fail "the object named for this kernel was not tried"; }
grep -q "watching $TMP/spool with fanotify" "$TMP/a.log" || fail "no fanotify fallback"
ok "probe_dir: $name tried, refused with its reason, fanotify used"

conf "$TMP/b.conf" "$TMP/probes" "" bpf
set +e
"$NW" --foreground -c "$TMP/b.conf" >"$TMP/b.log" 2>&1
rc=$?
set -e
[ $rc -eq 1 ] && grep -q "error: eBPF: $TMP/probes/$name" "$TMP/b.log" ||
	{ cat "$TMP/b.log"; fail "backend = bpf: exit $rc"; }
ok "backend = bpf without a usable probe: exit 1, naming the object"

pb_httpd_start S "$TMP/srv" "$TMP/httpd"
trap 'pb_httpd_stop S; rm -rf "$TMP"' EXIT
conf "$TMP/c.conf" "$TMP/none" "$S_URL/probes/" auto
run_until_watching "$TMP/c.conf" "$TMP/c.log"
cmp -s "$TMP/state-c.conf/probes/$name" "$TMP/srv/probes/$name" ||
	{ cat "$TMP/c.log"; fail "the probe was not fetched from probe_url"; }
pb_httpd_idle S
[ "$(pb_httpd_count S GET "/probes/$name" status=200)" -eq 1 ] || fail "not fetched once"
grep -q "eBPF unavailable ($TMP/state-c.conf/probes/$name: " "$TMP/c.log" || fail "fetched object not tried"
ok "probe_url: fetched $name into the state directory and tried it"

# no object for this kernel: said, and fanotify
conf "$TMP/d.conf" "$TMP/none" "" auto
run_until_watching "$TMP/d.conf" "$TMP/d.log"
grep -q "eBPF unavailable (no $TMP/none/$name (and no probe_url" "$TMP/d.log" ||
	{ cat "$TMP/d.log"; fail "a missing probe is not said"; }
ok "no probe for this kernel: said, fanotify used"

# --check-config: what is wrong, and where
bad() { # expected message, then config lines
	local want=$1 rc
	shift
	printf '%s\n' "$@" >"$TMP/bad.conf"
	set +e
	"$NW" --check-config -c "$TMP/bad.conf" >/dev/null 2>"$TMP/bad.err"
	rc=$?
	set -e
	[ $rc -eq 1 ] && grep -qF -- "$want" "$TMP/bad.err" ||
		{ cat "$TMP/bad.err"; fail "--check-config: exit $rc, no '$want'"; }
}
bad "webhook 'ftp://x' is not an http(s) URL" "spool = $TMP/spool" "webhook = ftp://x"
bad "the template does not give valid JSON" "spool = $TMP/spool" \
	"webhook = http://127.0.0.1:9/" 'template = {"text": {subject}}'
bad "$TMP/bad.conf:2: unknown key 'webhok'" "spool = $TMP/spool" "webhok = http://x/"
bad "spool $TMP/nothere: No such file or directory" "spool = $TMP/nothere" "webhook = http://x/"
bad "$TMP/bad.conf:1: not a 'key = value' line" "just words"
ok "--check-config names the file, the line and what is wrong"
