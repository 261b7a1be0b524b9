#!/usr/bin/env bash
# newswatch end to end with a real INN (Debian's inn2) on 127.0.0.1: a
# tradspool, several groups, articles posted over NNTP (a third with
# non-ASCII subjects and senders, cross-posts), a webhook receiver on
# 127.0.0.1. This machine refuses kprobes, so newswatch must fall back to
# fanotify, and say so.
#   1. 200 articles: each notified exactly once, with the right groups,
#      subject and sender; the latency from innd's write to the webhook.
#   2. The receiver down for a while, and newswatch restarted in the
#      middle (articles arrive while it is down): still every article
#      exactly once.
#   3. One at a time: the latency of one article.
#   4. newswatch killed (kill -9) during bursts, several times: every
#      article delivered, at most one duplicate per kill, and each
#      duplicate carries the Idempotency-Key of its first delivery.
# Every delivery carries "Idempotency-Key: \"<message-id> <group>\"".
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
pb_skip_if_no_e2e
pb_tmpdir
chmod 755 "$TMP" # innd runs as news: it must reach its tree
H=$PB_TOP_SRCDIR/tests/newswatch
NW=$PB_TOP_BUILDDIR/newswatch/newswatch
[ -x /usr/lib/news/bin/innd ] || fail "inn2 is not installed (scripts/setup.sh installs it)"

nw_pid= wh_pid=
cleanup() {
	[ -z "$nw_pid" ] || kill "$nw_pid" 2>/dev/null || true
	[ -z "$wh_pid" ] || kill "$wh_pid" 2>/dev/null || true
	"$H/inn-stop.sh" "$TMP/inn" >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT

eval "$("$H/inn-setup.sh" "$TMP/inn")"
python3 "$H/webhook.py" --port-file "$TMP/wh.port" --out "$TMP/received.jsonl" \
	--fail-until "$TMP/outage" --slow-while "$TMP/slow" >/dev/null 2>&1 &
wh_pid=$!
for _ in $(seq 100); do [ -s "$TMP/wh.port" ] && break; sleep 0.05; done
[ -s "$TMP/wh.port" ] || fail "the webhook receiver did not start"

cat >"$TMP/newswatch.conf" <<EOF
spool = $INN_SPOOL
process = innd
webhook = http://127.0.0.1:$(cat "$TMP/wh.port")/hook
state_dir = $TMP/state
probe_dir = $TMP/probes
backend = auto
template = {"id": "{message_id}", "group": "{group}", "newsgroups": "{newsgroups}", "subject": "{subject}", "from": "{from}"}
settle_ms = 200
retry_max = 1
EOF
"$NW" --check-config -c "$TMP/newswatch.conf" >"$TMP/check.txt" ||
	fail "--check-config: $(cat "$TMP/check.txt")"

start_nw() { # log file
	"$NW" --foreground -c "$TMP/newswatch.conf" >"$1" 2>&1 &
	nw_pid=$!
	for _ in $(seq 100); do
		grep -q "watching $INN_SPOOL" "$1" && return 0
		kill -0 "$nw_pid" 2>/dev/null || break
		sleep 0.05
	done
	cat "$1"
	fail "newswatch did not start"
}

stop_nw() {
	kill -TERM "$nw_pid"
	wait "$nw_pid" || fail "newswatch exited with $? on SIGTERM"
	nw_pid=
}

# wait until the receiver has accepted N distinct articles (or 90 s)
wait_for() {
	local n=$1 got=0
	for _ in $(seq 900); do
		got=$(python3 -c '
import json, sys
ids = set()
for l in open(sys.argv[1]):
    r = json.loads(l)
    if not r.get("refused"):
        ids.add(r["body"]["id"])
print(len(ids))' "$TMP/received.jsonl" 2>/dev/null || echo 0)
		[ "$got" -ge "$n" ] && break
		sleep 0.1
	done
	[ "$got" -ge "$n" ] || fail "only $got of $n articles notified"
	sleep 1 # anything more, a duplicate, would come now
}

# exactly once each, with the right fields; latency of the first batch
check() { # how many posted, label[, latency over the last N]
	python3 - "$TMP/posted.jsonl" "$TMP/received.jsonl" "$@" <<'PY'
import json, statistics, sys
posted = [json.loads(l) for l in open(sys.argv[1])]
got = [json.loads(l) for l in open(sys.argv[2])]
want, label = int(sys.argv[3]), sys.argv[4]
assert len(posted) == want, (len(posted), want)
ok = [g for g in got if not g.get("refused")]
by_id = {}
for g in ok:
    by_id.setdefault(g["body"]["id"], []).append(g)
dups = {k: len(v) for k, v in by_id.items() if len(v) > 1}
assert not dups, "notified more than once: %s" % dups
missing = [p["message_id"] for p in posted if p["message_id"] not in by_id]
assert not missing, "never notified: %s" % missing[:5]
extra = set(by_id) - {p["message_id"] for p in posted}
assert not extra, "notified but never posted: %s" % list(extra)[:5]
lat = []
for p in posted:
    b = by_id[p["message_id"]][0]["body"]
    groups = [x.strip() for x in b["newsgroups"].split(",")]
    assert groups == p["newsgroups"], (p["message_id"], groups, p["newsgroups"])
    assert b["group"] in p["newsgroups"], (b["group"], p["newsgroups"])
    assert b["subject"] == p["subject"], (b["subject"], p["subject"])
    assert b["from"] == p["from"], (b["from"], p["from"])
    lat.append(by_id[p["message_id"]][0]["received_at"] - p["posted_at"])
nonascii = sum(1 for p in posted if any(ord(c) > 127 for c in p["subject"] + p["from"]))
cross = sum(1 for p in posted if len(p["newsgroups"]) > 1)
print("ok: %s: %d articles (%d non-ASCII, %d cross-posted) notified exactly "
      "once with their groups, subject and sender" % (label, want, nonascii, cross))
if label != "with an outage and a restart":
    lat = sorted(lat[-int(sys.argv[5]):]) if len(sys.argv) > 5 else sorted(lat)
    print("latency innd -> webhook (%s): median %.0f ms, worst %.0f ms (over %d)"
          % (label, statistics.median(lat) * 1000, lat[-1] * 1000, len(lat)))
PY
}

# every delivery carries the key of its article and group (newswatch.8)
check_keys() {
	python3 - "$TMP/received.jsonl" <<'PY'
import json, sys
def key(msgid, group):
    out = []
    for b in (msgid + " " + group).encode():
        c = chr(b)
        if b < 0x20 or b > 0x7e or c == "%":
            out.append("%%%02X" % b)
        else:
            out.append("\\" + c if c in '"\\' else c)
    return '"' + "".join(out) + '"'
n = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("method") != "POST":
        continue
    want = key(r["body"]["id"], r["body"]["group"])
    assert r.get("idempotency_key") == want, (r.get("idempotency_key"), want)
    n += 1
print("ok: all %d POSTs carry Idempotency-Key \"<message-id> <group>\"" % n)
PY
}

# 1. 200 articles, the receiver up
start_nw "$TMP/nw1.log"
grep -q "eBPF unavailable (.*): falling back to fanotify" "$TMP/nw1.log" ||
	{ cat "$TMP/nw1.log"; fail "the log does not say why eBPF is not used"; }
ok "$(grep -o 'eBPF unavailable.*' "$TMP/nw1.log" | cut -c1-160)"
python3 "$H/post.py" -q --port "$INN_PORT" --count 200 --seed 7 --out "$TMP/posted.jsonl" ||
	fail "posting failed"
wait_for 200
check 200 "batch 1"

# 2. an outage of the receiver, and a restart in the middle
touch "$TMP/outage"
python3 "$H/post.py" -q --port "$INN_PORT" --count 60 --start 200 --seed 7 --out "$TMP/posted.jsonl"
sleep 2 # refused, retried, kept in the queue
n_refused=$(grep -c '"refused": true' "$TMP/received.jsonl" || true)
[ "$n_refused" -gt 0 ] || fail "no refused attempt while the receiver was down"
stop_nw
grep -q "stopping ([0-9]* queued, kept for the next start)" "$TMP/nw1.log" ||
	{ tail -5 "$TMP/nw1.log"; fail "no word of what is kept at stop"; }
# while newswatch is down
python3 "$H/post.py" -q --port "$INN_PORT" --count 60 --start 260 --seed 7 --out "$TMP/posted.jsonl"
start_nw "$TMP/nw2.log"
# at least the 60 posted while down (cross-posts count once per group)
n_catch=$(sed -n 's/.*catching up on \([0-9]*\) articles.*/\1/p' "$TMP/nw2.log")
[ "${n_catch:-0}" -ge 60 ] || { cat "$TMP/nw2.log"; fail "no catch-up of the 60 articles posted while down"; }
# stopped by SIGTERM while retrying: nothing was in flight, nothing is
# announced as possibly repeated
! grep -q "was being delivered when newswatch stopped" "$TMP/nw2.log" ||
	{ cat "$TMP/nw2.log"; fail "a clean stop left an article marked in flight"; }
sleep 1
rm -f "$TMP/outage"
wait_for 320
check 320 "with an outage and a restart"
ok "the receiver refused $n_refused attempts during the outage; nothing was lost"

# 3. one at a time (the latency of an article, not of a burst's queue)
python3 "$H/post.py" -q --port "$INN_PORT" --count 20 --start 320 --seed 7 \
	--interval 0.25 --out "$TMP/posted.jsonl"
wait_for 340
check 340 "one every 250 ms" 20
check_keys

# 4. kill -9 during bursts: at most one duplicate per kill
received_ids() {
	python3 -c '
import json, sys
ids = set()
for l in open(sys.argv[1]):
    r = json.loads(l)
    if not r.get("refused"):
        ids.add(r["body"]["id"])
print(len(ids))' "$TMP/received.jsonl"
}
kills=6 n=340
: >"$TMP/kills.txt"
touch "$TMP/slow" # answers 0.2 s late: most kills land with a POST in flight
for k in $(seq $kills); do
	python3 "$H/post.py" -q --port "$INN_PORT" --count 40 --start $n --seed 7 \
		--out "$TMP/posted.jsonl" &
	post_pid=$!
	# the burst is being delivered: kill in the middle of it
	for _ in $(seq 300); do
		[ "$(received_ids)" -ge $((n + 4 + k)) ] && break
		sleep 0.02
	done
	# into the 0.2 s answer of a recorded POST (the receiver has it)
	r0=$(wc -l <"$TMP/received.jsonl")
	for _ in $(seq 100); do
		[ "$(wc -l <"$TMP/received.jsonl")" -gt "$r0" ] && break
		sleep 0.01
	done
	kill -9 "$nw_pid"
	wait "$nw_pid" 2>/dev/null || true
	date +%s.%N >>"$TMP/kills.txt"
	nw_pid=
	wait $post_pid || fail "posting failed"
	n=$((n + 40))
	start_nw "$TMP/nw-kill$k.log"
done
wait_for $n
python3 - "$TMP/posted.jsonl" "$TMP/received.jsonl" "$TMP/kills.txt" $n <<'PY'
import bisect, json, sys
posted = [json.loads(l) for l in open(sys.argv[1])]
got = [json.loads(l) for l in open(sys.argv[2])]
kills = [float(l) for l in open(sys.argv[3])]
assert len(posted) == int(sys.argv[4]), (len(posted), sys.argv[4])
by_id = {}
for g in got:
    if not g.get("refused"):
        by_id.setdefault(g["body"]["id"], []).append(g)
missing = [p["message_id"] for p in posted if p["message_id"] not in by_id]
assert not missing, "never notified: %s" % missing[:5]
per_kill = [0] * len(kills)
dups = 0
for mid, rs in by_id.items():
    if len(rs) == 1:
        continue
    assert len(rs) == 2, "%s delivered %d times" % (mid, len(rs))
    a, b = rs
    assert a["idempotency_key"] == b["idempotency_key"], (mid, a["idempotency_key"], b["idempotency_key"])
    # the kill between the first delivery and the repeat
    i = bisect.bisect_left(kills, a["received_at"])
    assert i < len(kills) and kills[i] < b["received_at"], \
        "%s repeated with no kill in between" % mid
    per_kill[i] += 1
    dups += 1
assert max(per_kill) <= 1, "duplicates per kill: %s" % per_kill
print("ok: %d kill -9 during bursts: every article delivered, %d duplicates "
      "(per kill: %s), each with the Idempotency-Key of its first delivery"
      % (len(kills), dups, per_kill))
PY
rm -f "$TMP/slow"
n_said=$(cat "$TMP"/nw-kill*.log | grep -c "was being delivered when newswatch stopped" || true)
ok "after the kills, newswatch said $n_said times which article it sends again"
check_keys
stop_nw
