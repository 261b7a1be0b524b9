#!/usr/bin/env bash
# ats_selftest.sh - the caching proxy of deploy/trafficserver (Apache Traffic
# Server, run by tests/lib/ats.sh from those very files) does what sharded
# runs rely on: an origin on 127.0.0.1 (tests/lib/httpd.py, which logs the
# bytes it sends) serves random files of 20-60 MB, fetched through ATS by
# curl
#   - twice through the forward proxy (http_proxy), twice through the
#     reverse map ($PB_ATS_URL/mirror/): the second fetch is a cache hit in
#     squid.log, the origin sent the file once;
#   - a file fetched through one mode is a hit through the other (the same
#     cache key: shards may mix the modes);
#   - a Range request first (a miss: ATS asks the origin for the whole file,
#     caches it and gives the client its part), then a full GET and a
#     resume (Range: bytes=N-): both hits, the origin sent the file once,
#     without Range;
#   - repository metadata (InRelease, no lifetime from the origin) is
#     revalidated on every request: unchanged, a 304 from the origin and a
#     hit; changed, the new file at once;
#   - with the origin stopped, packages are still served from the cache,
#     metadata is not (no stale copy);
# every body identical to the origin's file (sha256). Prints each fetch's
# time and bytes, and what the origin sent. Ends with "N passed, M failed".
set -euo pipefail
if [ -n "${PB_SKIP_E2E:-}" ]; then
	echo "SKIP: PB_SKIP_E2E is set"
	exit 77
fi
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/httpd.sh
. "$here/../lib/httpd.sh"
# shellcheck source=tests/lib/ats.sh
. "$here/../lib/ats.sh"

for t in curl python3 sha256sum awk dd ss; do
	command -v "$t" >/dev/null || { echo "ats_selftest.sh: error: '$t' is not installed" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/pb-ats-selftest.XXXXXX")
cleanup() {
	pb_ats_stop
	pb_httpd_stop O || true
	rm -rf "$work"
}
trap cleanup EXIT

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
ko() { fail=$((fail + 1)); echo "FAILED: $*"; }
# expect DESCRIPTION WANT GOT
expect() {
	if [ "$2" = "$3" ]; then ok "$1 ($3)"; else ko "$1: expected $2, got $3"; fi
}

# --- the origin ----------------------------------------------------------
root=$work/root
mkdir -p "$root/pool/main/l/linux" "$root/centos/7/os/x86_64/Packages" "$root/dists/x"
P_FWD=/pool/main/l/linux/linux-image-fwd_1.0-1_amd64.deb
P_REV=/pool/main/l/linux/linux-headers-rev_1.0-1_amd64.deb
P_RNG=/centos/7/os/x86_64/Packages/kernel-devel-3.10.0-1.el7.x86_64.rpm
P_META=/dists/x/InRelease
t0=$(date +%s.%N)
head -c 20000000 /dev/urandom >"$root$P_FWD"
head -c 40000000 /dev/urandom >"$root$P_REV"
head -c 60000000 /dev/urandom >"$root$P_RNG"
printf 'Origin: test\nSuite: x\nDate: one\n' >"$root$P_META"
touch -d '2024-01-01 00:00:00' "$root$P_META"
echo "made 20, 40 and 60 MB of random data in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"

pb_httpd_start O "$root" "$work/origin"
# shellcheck disable=SC2154 # set by pb_httpd_start
echo "origin: $O_URL"
pb_ats_start "$work/ats" "$O_URL" || exit $?
echo "Apache Traffic Server $("$PB_ATS_SERVER" -V 2>&1 | sed -n 's/^Traffic Server \([^ ]*\).*/\1/p' | head -n 1):" \
	"forward proxy $PB_ATS_URL, reverse map ${PB_ATS_MIRROR} -> $O_URL/"

# loopback only: the machine's network is shared
listening=$(ss -Htln | awk -v p=":$PB_ATS_PORT" 'substr($4, length($4) - length(p) + 1) == p { print $4 }' | sort -u | tr '\n' ' ')
expect "ATS listens on 127.0.0.1:$PB_ATS_PORT only" "127.0.0.1:$PB_ATS_PORT " "$listening"

sha() { sha256sum <"$1" | cut -d' ' -f1; }
# the bytes SIZE from START of FILE
part() { dd if="$1" bs=1M iflag=skip_bytes,count_bytes skip="$2" count="$3" status=none; }
# what the origin sent for PATH: body bytes, requests, requests without Range
origin_bytes() { awk -v p="$1" '$2 == p { s += $5 } END { print s + 0 }' "$O_LOG"; }
origin_requests() { awk -v p="$1" '$2 == p { n++ } END { print n + 0 }' "$O_LOG"; }
re() { printf '%s$' "$1" | sed 's/[.+]/\\&/g'; } # a path as an awk ERE

client_bytes=0
# fetch LABEL MODE URL OUT [CURL_ARGS...]: MODE forward (http_proxy, as
# probe-builder's libcurl reads it) or direct (the reverse map); sets CODE
fetch() {
	local label=$1 mode=$2 url=$3 out=$4 w rc=0 size secs
	shift 4
	local cmd=(curl -sS -o "$out" -w '%{http_code} %{size_download} %{time_total}'
		--max-time 120 "$@" "$url")
	if [ "$mode" = forward ]; then
		w=$(env -u no_proxy -u NO_PROXY -u all_proxy -u ALL_PROXY -u HTTP_PROXY \
			http_proxy="$PB_ATS_URL" "${cmd[@]}") || rc=$?
	else
		w=$(env -u http_proxy -u HTTP_PROXY "${cmd[@]}" --noproxy '*') || rc=$?
	fi
	read -r CODE size secs <<<"${w:-000 0 0}"
	client_bytes=$((client_bytes + size))
	printf '  %-44s HTTP %s %9d bytes %7.3f s %8.1f MB/s\n' "$label" "$CODE" "$size" "$secs" \
		"$(awk -v b="$size" -v s="$secs" 'BEGIN { print (s > 0 ? b / s / 1e6 : 0) }')"
	[ "$rc" = 0 ] || ko "$label: curl exited with $rc"
}

# --- forward proxy ---------------------------------------------------------
echo "== forward proxy (http_proxy=$PB_ATS_URL): $P_FWD twice"
fetch "forward 1st $(basename "$P_FWD")" forward "$O_URL$P_FWD" "$work/f1"
expect "forward 1st: HTTP status" 200 "$CODE"
fetch "forward 2nd" forward "$O_URL$P_FWD" "$work/f2"
expect "forward 2nd: HTTP status" 200 "$CODE"
want=$(sha "$root$P_FWD")
expect "forward 1st: the origin's content (sha256)" "$want" "$(sha "$work/f1")"
expect "forward 2nd: the origin's content (sha256)" "$want" "$(sha "$work/f2")"
expect "forward: squid.log misses for $P_FWD" 1 "$(pb_ats_misses "$(re "$P_FWD")")"
expect "forward: squid.log hits for $P_FWD" 1 "$(pb_ats_hits "$(re "$P_FWD")")"

# --- reverse proxy -----------------------------------------------------------
echo "== reverse map ($PB_ATS_MIRROR): ${P_REV#/} twice"
fetch "reverse 1st $(basename "$P_REV")" direct "$PB_ATS_MIRROR${P_REV#/}" "$work/r1"
expect "reverse 1st: HTTP status" 200 "$CODE"
fetch "reverse 2nd" direct "$PB_ATS_MIRROR${P_REV#/}" "$work/r2"
expect "reverse 2nd: HTTP status" 200 "$CODE"
want=$(sha "$root$P_REV")
expect "reverse 1st: the origin's content (sha256)" "$want" "$(sha "$work/r1")"
expect "reverse 2nd: the origin's content (sha256)" "$want" "$(sha "$work/r2")"
expect "reverse: squid.log misses for $P_REV" 1 "$(pb_ats_misses "$(re "$P_REV")")"
expect "reverse: squid.log hits for $P_REV" 1 "$(pb_ats_hits "$(re "$P_REV")")"

# --- one cache for both modes --------------------------------------------------
echo "== the forward proxy's file through the reverse map"
fetch "reverse $(basename "$P_FWD")" direct "$PB_ATS_MIRROR${P_FWD#/}" "$work/x1"
expect "cross: HTTP status" 200 "$CODE"
expect "cross: the origin's content (sha256)" "$(sha "$root$P_FWD")" "$(sha "$work/x1")"
expect "cross: squid.log hits for $P_FWD (forward 2nd, reverse)" 2 "$(pb_ats_hits "$(re "$P_FWD")")"

# --- Range -------------------------------------------------------------------
size=$(stat -c %s "$root$P_RNG")
echo "== Range: bytes=10000000-14999999 of ${P_RNG#/} (a miss), the whole file, bytes=55000000-"
fetch "range 1st bytes=10000000-14999999" direct "$PB_ATS_MIRROR${P_RNG#/}" "$work/g1" \
	-H 'Range: bytes=10000000-14999999'
expect "range 1st: HTTP status" 206 "$CODE"
expect "range 1st: the origin's bytes 10000000-14999999 (sha256)" \
	"$(part "$root$P_RNG" 10000000 5000000 | sha256sum | cut -d' ' -f1)" "$(sha "$work/g1")"
# ATS goes on filling its cache with the rest of the file after the client
# is served: done when the origin is idle
pb_httpd_idle O 60
fetch "range 2nd: the whole file" direct "$PB_ATS_MIRROR${P_RNG#/}" "$work/g2"
expect "range 2nd (whole file): HTTP status" 200 "$CODE"
expect "range 2nd (whole file): the origin's content (sha256)" "$(sha "$root$P_RNG")" "$(sha "$work/g2")"
# a resume, as probe-builder's downloader makes it, through the forward proxy
fetch "range 3rd bytes=55000000- (forward)" forward "$O_URL$P_RNG" "$work/g3" -r 55000000-
expect "range 3rd (resume): HTTP status" 206 "$CODE"
expect "range 3rd (resume): the origin's bytes 55000000- (sha256)" \
	"$(part "$root$P_RNG" 55000000 $((size - 55000000)) | sha256sum | cut -d' ' -f1)" "$(sha "$work/g3")"
expect "range: squid.log misses for $P_RNG" 1 "$(pb_ats_misses "$(re "$P_RNG")")"
expect "range: squid.log hits for $P_RNG" 2 "$(pb_ats_hits "$(re "$P_RNG")")"

# --- repository metadata --------------------------------------------------------
echo "== metadata: ${P_META#/} revalidated on every request"
fetch "meta 1st" direct "$PB_ATS_MIRROR${P_META#/}" "$work/m1"
fetch "meta 2nd (unchanged)" direct "$PB_ATS_MIRROR${P_META#/}" "$work/m2"
expect "meta 2nd: the origin's content" "$(sha "$root$P_META")" "$(sha "$work/m2")"
pb_httpd_idle O
expect "meta 2nd: revalidated, the origin answered 304" 1 "$(pb_httpd_count O GET "$P_META" status=304)"
expect "meta: squid.log hits for $P_META (the 2nd, revalidated)" 1 "$(pb_ats_hits "$(re "$P_META")")"
printf 'Origin: test\nSuite: x\nDate: two, a newer one\n' >"$root$P_META.new"
touch -d '2024-01-02 00:00:00' "$root$P_META.new"
mv "$root$P_META.new" "$root$P_META"
fetch "meta 3rd (changed at the origin)" direct "$PB_ATS_MIRROR${P_META#/}" "$work/m3"
expect "meta 3rd: the origin's new content, at once" "$(sha "$root$P_META")" "$(sha "$work/m3")"
expect "meta: squid.log misses for $P_META (the 1st, the 3rd)" 2 "$(pb_ats_misses "$(re "$P_META")")"

# --- what the origin sent ----------------------------------------------------
pb_httpd_idle O 60
echo "== bytes the origin sent (its log), each file once"
origin_total=0
for p in "$P_FWD" "$P_REV" "$P_RNG"; do
	b=$(origin_bytes "$p")
	origin_total=$((origin_total + b))
	printf '  %-70s %9d bytes in %d request(s) (file: %d)\n' "$p" "$b" "$(origin_requests "$p")" \
		"$(stat -c %s "$root$p")"
	expect "origin sent $(basename "$p") once" "$(stat -c %s "$root$p")" "$b"
	expect "origin: one request for $(basename "$p")" 1 "$(origin_requests "$p")"
done
expect "origin: the Range miss was sent on without Range" 1 "$(pb_httpd_count O GET "$P_RNG" range=-)"
echo "== clients received $client_bytes bytes, the origin sent $origin_total bytes of packages"

# --- the origin gone ---------------------------------------------------------
echo "== the origin stopped: packages from the cache, no stale metadata"
pb_httpd_stop O
fetch "package, origin down" direct "$PB_ATS_MIRROR${P_REV#/}" "$work/d1"
expect "origin down: a package is still served (HTTP status)" 200 "$CODE"
expect "origin down: the package's content (sha256)" "$(sha "$root$P_REV")" "$(sha "$work/d1")"
fetch "metadata, origin down" direct "$PB_ATS_MIRROR${P_META#/}" "$work/d2"
case $CODE in
5??) ok "origin down: metadata is not served stale (HTTP $CODE)" ;;
*) ko "origin down: metadata answered HTTP $CODE, not a 5xx: a stale copy served?" ;;
esac
expect "origin down: squid.log hits for $P_META (still the 2nd alone)" 1 "$(pb_ats_hits "$(re "$P_META")")"

pb_ats_sync || true
echo "squid.log:"
sed 's/^/  /' "$PB_ATS_LOG"
if [ "$fail" -gt 0 ]; then
	echo "---- $PB_ATS_DIR/log/diags.log (last 30 lines)"
	tail -n 30 "$PB_ATS_DIR/log/diags.log" || true
	echo "---- $O_LOG"
	cat "$O_LOG" || true
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
