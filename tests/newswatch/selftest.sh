#!/bin/bash
# selftest.sh -- prove the newswatch test harness on this machine:
#   1. inn-setup.sh starts a private innd in a temporary directory;
#   2. post.py posts 20 articles over 4 groups (non-ASCII, folded,
#      cross-posted), all accepted with 240;
#   3. spool-check.py finds each one in the tradspool where expected
#      (group dots -> slashes, numeric names, cross-posts as links, Xref),
#      with the encoded headers as posted and decoding to what was posted;
#   4. webhook.py records POSTs made with curl, answers 503 while the
#      --fail-until file exists (recorded as refused) and 200 again after;
#   5. inn-stop.sh stops innd, and no innd/nnrpd of the instance is left.
# Quiet on success apart from one "selftest: OK" line with the run time.
# KEEP=1 keeps the temporary directory (it is printed).  Needs root (or the
# news user) and inn2 installed; as root, installs inn2 if it is missing.
set -euo pipefail
# in the suite with the end-to-end tests (skipped where they are)
if [ -n "${PB_SKIP_E2E:-}" ]; then
	echo "SKIP: PB_SKIP_E2E is set"
	exit 77
fi
here=$(cd -- "$(dirname -- "$0")" && pwd -P)
me=selftest
PY=${PYTHON:-python3}
start_ns=$(date +%s%N)
unset INN_GROUPS INN_PORT   # the groups and a free port are the selftest's own

fail() {
    echo "$me: FAIL: $*" >&2
    if [ -n "${T:-}" ] && [ -s "$T/inn/log/innd.out" ]; then
        echo "---- tail of $T/inn/log/innd.out ----" >&2
        tail -n 30 "$T/inn/log/innd.out" >&2
    fi
    if [ -n "${T:-}" ] && [ -s "$T/webhook.err" ]; then
        echo "---- $T/webhook.err ----" >&2
        tail -n 20 "$T/webhook.err" >&2
    fi
    exit 1
}

if [ ! -x /usr/lib/news/bin/innd ]; then
    if [ "$(id -u)" = 0 ]; then
        "$here/install-inn2.sh" || fail "could not install inn2"
    else
        fail "inn2 is not installed (run tests/newswatch/install-inn2.sh as root)"
    fi
fi
command -v curl >/dev/null || fail "curl is needed"

T=$(mktemp -d "${TMPDIR:-/tmp}/newswatch-selftest.XXXXXX")
chmod 755 "$T"   # innd runs as news and must reach $T/inn
webhook_pid=
cleanup() {
    local rc=$?
    set +e
    if [ -n "$webhook_pid" ] && kill -0 "$webhook_pid" 2>/dev/null; then
        kill -TERM "$webhook_pid"; wait "$webhook_pid" 2>/dev/null
    fi
    [ -d "$T/inn" ] && "$here/inn-stop.sh" "$T/inn" >&2
    if [ "${KEEP:-}" = 1 ] || [ "$rc" != 0 ]; then
        echo "$me: files kept in $T" >&2
    else
        rm -rf -- "$T"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. INN
t0=$(date +%s%N)
"$here/inn-setup.sh" "$T/inn" > "$T/inn.env" || fail "inn-setup.sh failed"
. "$T/inn.env"
t_setup=$(( ($(date +%s%N) - t0) / 1000000 ))
[ -n "$INN_PORT" ] && [ -n "$INN_PID" ] && [ -d "$INN_SPOOL" ] || fail "inn-setup.sh printed no INN_PORT/INN_PID/INN_SPOOL"
cmp -s "$T/inn.env" "$T/inn/env" || fail "inn-setup.sh output differs from $T/inn/env"
kill -0 "$INN_PID" 2>/dev/null || fail "innd (pid $INN_PID) is not running"
[ "$(ps -o user= -p "$INN_PID")" = news ] || fail "innd does not run as news"
if command -v ss >/dev/null; then
    ss -ltn | awk '{print $4}' | grep -qx "127.0.0.1:$INN_PORT" \
        || fail "innd does not listen on 127.0.0.1:$INN_PORT"
    if ss -ltn | awk '{print $4}' | grep -E ":$INN_PORT\$" | grep -qvx "127.0.0.1:$INN_PORT"; then
        fail "something listens on port $INN_PORT on another address"
    fi
fi

# 2. Post 20 articles.
groups=local.test,local.news.announce,comp.lang.c,fr.comp.os.linux
t0=$(date +%s%N)
"$PY" "$here/post.py" --port "$INN_PORT" --count 20 --groups "$groups" --seed 42 \
    --out "$T/posted.jsonl" -q || fail "post.py failed"
t_post=$(( ($(date +%s%N) - t0) / 1000000 ))
n=$(wc -l < "$T/posted.jsonl")
[ "$n" = 20 ] || fail "post.py recorded $n articles, expected 20"
"$PY" - "$T/posted.jsonl" <<'EOF' || fail "posted articles lack variety"
import json, re, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
groups = {g for r in recs for g in r["newsgroups"]}
assert len(groups) >= 3, groups
assert sum(r["crosspost"] for r in recs) >= 2, "cross-posts"
assert sum(r["non_ascii_subject"] for r in recs) >= 5, "non-ASCII subjects"
assert sum(r["non_ascii_from"] for r in recs) >= 5, "non-ASCII senders"
words = {(m.group(1).upper(), m.group(2).upper()) for r in recs
         for m in re.finditer(r"=\?([^?]+)\?([BQbq])\?", r["subject_raw"] + r["from_raw"])}
assert {"UTF-8", "ISO-8859-1", "ISO-8859-15"} <= {c for c, _ in words}, words
assert {"B", "Q"} <= {e for _, e in words}, words
assert any("Subject" in r["folded"] for r in recs), "folded Subject"
assert len({r["message_id"] for r in recs}) == len(recs), "duplicate Message-IDs"
assert all(r["posted_at"] >= r["sent_at"] for r in recs)
EOF

# 3. The tradspool.
t0=$(date +%s%N)
wf=--wireformat
grep -Eq '^wireformat:[[:space:]]*false' "$T/inn/etc/inn.conf" && wf=--no-wireformat
"$PY" "$here/spool-check.py" --spool "$INN_SPOOL" --posted "$T/posted.jsonl" $wf \
    --map "$T/spool-map.jsonl" || fail "the spool does not match what was posted"
# Spot checks by hand, independent of spool-check.py: nested group paths,
# a hard-linked cross-post, an encoded header as posted.
for d in local/test local/news/announce comp/lang/c fr/comp/os/linux; do
    find "$INN_SPOOL/$d" -maxdepth 1 -type f -regex '.*/[0-9]+' | grep -q . \
        || fail "no numeric article file in $INN_SPOOL/$d"
done
find "$INN_SPOOL" -type f -links 2 | grep -q . || fail "no hard-linked (cross-posted) article in the spool"
grep -rlq --include='[0-9]*' -e '=?ISO-8859-1?' -e '=?iso-8859-1?' "$INN_SPOOL" \
    || fail "no ISO-8859-1 encoded word found in the spool"
grep -rlq -e '=?UTF-8?Q?' "$INN_SPOOL" || fail "no UTF-8 Q encoded word found in the spool"
t_spool=$(( ($(date +%s%N) - t0) / 1000000 ))

# 4. The webhook receiver.
t0=$(date +%s%N)
"$PY" "$here/webhook.py" --port-file "$T/webhook.port" --out "$T/webhook.jsonl" \
    --fail-until "$T/outage" 2>"$T/webhook.err" &
webhook_pid=$!
for _ in $(seq 100); do [ -s "$T/webhook.port" ] && break; sleep 0.05; done
[ -s "$T/webhook.port" ] || fail "webhook.py wrote no port file"
wport=$(cat "$T/webhook.port")
url="http://127.0.0.1:$wport/hook"
post_json() {  # post_json BODY -> HTTP status
    curl -s -o /dev/null -w '%{http_code}' -m 5 -H 'Content-Type: application/json' \
        --data-binary "$1" "$url"
}
[ "$(post_json '{"text": "Café 🎉 one"}')" = 200 ] || fail "webhook: first POST not answered 200"
touch "$T/outage"
[ "$(post_json '{"text": "refused two"}')" = 503 ] || fail "webhook: POST during the outage not answered 503"
[ "$(post_json '{"text": "refused three"}')" = 503 ] || fail "webhook: second POST during the outage not 503"
rm -f "$T/outage"
[ "$(post_json '{"text": "four", "n": 4}')" = 200 ] || fail "webhook: POST after the outage not answered 200"
[ "$(post_json 'not json')" = 400 ] || fail "webhook: non-JSON body not answered 400"
[ "$(curl -s -m 5 "http://127.0.0.1:$wport/health")" = ok ] || fail "webhook: /health"
"$PY" - "$T/webhook.jsonl" <<'EOF' || fail "webhook.py recorded the wrong thing"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(recs) == 5, recs
want = [(200, False, {"text": "Café 🎉 one"}), (503, True, {"text": "refused two"}),
        (503, True, {"text": "refused three"}), (200, False, {"text": "four", "n": 4})]
for r, (status, refused, body) in zip(recs, want):
    assert (r["status"], r["refused"], r["body"], r["path"]) == (status, refused, body, "/hook"), r
    assert isinstance(r["received_at"], float)
assert recs[4]["status"] == 400 and "body" not in recs[4] and recs[4]["body_raw"] == "not json", recs[4]
assert all(a["received_at"] <= b["received_at"] for a, b in zip(recs, recs[1:]))
EOF
kill -TERM "$webhook_pid"
wait "$webhook_pid" 2>/dev/null || fail "webhook.py did not exit cleanly on SIGTERM"
webhook_pid=
t_webhook=$(( ($(date +%s%N) - t0) / 1000000 ))

# 5. Stop INN; nothing may be left.
t0=$(date +%s%N)
"$here/inn-stop.sh" "$T/inn" || fail "inn-stop.sh failed"
t_stop=$(( ($(date +%s%N) - t0) / 1000000 ))
# (zombies waiting for pid 1 to reap them do not count)
left=$(ps -e -o pid=,sid=,stat=,comm= | awk -v s="$INN_PID" '($1 == s || $2 == s) && $3 !~ /^Z/')
[ -z "$left" ] || fail "processes of innd's session left after inn-stop.sh: $left"
if command -v ss >/dev/null && ss -ltn | awk '{print $4}' | grep -qx "127.0.0.1:$INN_PORT"; then
    fail "port $INN_PORT still listening after inn-stop.sh"
fi

total=$(( ($(date +%s%N) - start_ns) / 1000000 ))
printf '%s: OK in %d.%03ds (setup %dms, post 20 %dms, spool %dms, webhook %dms, stop %dms)\n' \
    "$me" $((total / 1000)) $((total % 1000)) "$t_setup" "$t_post" "$t_spool" "$t_webhook" "$t_stop"
