# newswatch's smoke test, run by `probe-builder verify -s` in each kernel's
# VM (busybox sh, the module in, the eBPF object at $PB_BPF): the daemon on
# its eBPF backend watches a spool, a program named innd writes articles
# into it, busybox httpd records the webhook's POSTs; it passes when every
# article arrived exactly once with its group and subject.
# The daemon is not part of the probe's source: put it, its libraries and
# the dynamic loader in verify/bin and verify/lib (tests/e2e/newswatch_vm.sh
# does); without them the test says so and is SKIPPED (exit 77).
set -u
V=$PB_VERIFY
[ -x "$V/bin/newswatch" ] || { echo "no verify/bin/newswatch: nothing to run"; exit 77; }
LD=$(ls "$V"/lib/ld-linux-*.so.* 2>/dev/null | head -n1)
[ -n "$LD" ] || { echo "no dynamic loader in verify/lib"; exit 77; }

rel=$(uname -r)
md5=$(md5sum "/boot/config-$rel" | cut -d' ' -f1)
T=/tmp/nw
mkdir -p $T/probes $T/spool $T/state $T/www/cgi-bin $T/got
# the object under the name newswatch looks for (probe-builder's rule)
cp "$PB_BPF" "$T/probes/newswatch-bpf-smoke-$(uname -m)-$rel-$md5.o"
ip link set lo up

cat >$T/www/cgi-bin/hook <<'CGI'
#!/bin/sh
f=/tmp/nw/got/$(date +%s)-$$
{ cat; echo; } >"$f.tmp" && mv "$f.tmp" "$f.json"
printf 'Status: 200 OK\r\nContent-Type: text/plain\r\n\r\nok\n'
CGI
chmod 755 $T/www/cgi-bin/hook
httpd -p 127.0.0.1:8080 -h $T/www || { echo "busybox httpd did not start"; exit 1; }

cat >$T/newswatch.conf <<CONF
spool = $T/spool
process = innd
webhook = http://127.0.0.1:8080/cgi-bin/hook
state_dir = $T/state
probe_dir = $T/probes
probe_version = smoke
backend = bpf
exclude = control.*
template = {"id": "{message_id}", "group": "{group}", "subject": "{subject}"}
# the eBPF backend sees a creation, not its end: a file unchanged this long
# is complete, when its header block is all there (innd's first article
# below is created, then written a second later)
settle_ms = 200
retry_max = 2
CONF
"$LD" --library-path "$V/lib" "$V/bin/newswatch" --foreground --verbose -c $T/newswatch.conf \
	>"$PB_OUT/newswatch.log" 2>&1 &
nw=$!
# ready once its first start has noted what the spool already holds (an
# article written before that counts as one that was there)
i=0
until grep -q "with the eBPF probe" "$PB_OUT/newswatch.log" &&
	grep -q "first start:" "$PB_OUT/newswatch.log"; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 $nw 2>/dev/null; then
		cat "$PB_OUT/newswatch.log"
		echo "newswatch did not start on its eBPF backend"
		exit 1
	fi
	sleep 0.1
done
grep "with the eBPF probe" "$PB_OUT/newswatch.log"

# innd: a program of that name writing three articles in two groups
cat >$T/innd <<'INND'
#!/bin/sh
art() { # group number id subject [seconds between creating and writing]
	d=/tmp/nw/spool/$(echo "$1" | tr . /)
	mkdir -p "$d"
	if [ -n "${5:-}" ]; then
		: >"$d/$2"
		sleep "$5"
	fi
	printf 'Path: smoke!not-for-mail\nFrom: smoke@example.org\nNewsgroups: %s\nSubject: %s\nMessage-ID: <%s@smoke>\nDate: Wed, 02 Dec 2026 08:00:00 +0000\n\nbody of %s\n' \
		"$1" "$4" "$3" "$3" >"$d/$2"
}
art local.smoke 1 one "first article" 1
art local.smoke 2 two "second article"
art local.other 1 three "in another group"
INND
chmod 755 $T/innd
$T/innd

i=0
while [ "$(ls $T/got/*.json 2>/dev/null | wc -l)" -lt 3 ] && [ $i -lt 300 ]; do
	i=$((i + 1))
	sleep 0.1
done
sleep 1 # a duplicate would come now
kill $nw
cat $T/got/*.json >"$PB_OUT/received.jsonl" 2>/dev/null
cat "$PB_OUT/received.jsonl"
fail=0
for want in '"id": "<one@smoke>", "group": "local.smoke", "subject": "first article"' \
	'"id": "<two@smoke>", "group": "local.smoke", "subject": "second article"' \
	'"id": "<three@smoke>", "group": "local.other", "subject": "in another group"'; do
	n=$(grep -cF "$want" "$PB_OUT/received.jsonl")
	[ "$n" -eq 1 ] || { echo "received $n times: $want"; fail=1; }
done
[ "$(wc -l <"$PB_OUT/received.jsonl")" -eq 3 ] || { echo "not 3 notifications"; fail=1; }
if [ $fail -ne 0 ]; then
	echo "newswatch's log:"
	tail -n 12 "$PB_OUT/newswatch.log"
	exit 1
fi
echo "every article arrived exactly once, with its group and subject"
