#!/usr/bin/env bash
# The downloader against faults injected by tests/lib/httpd.py, on an APT
# mirror of the real Debian packages of one kernel (6.1 cloud-amd64: headers,
# common headers, kbuild, image), signed with a throwaway key. Each check
# asserts what probe-builder did and what the server saw:
#   a 500 once on a .deb is retried; a connection reset mid-file and a
#   truncated body are resumed with Range (206), not restarted; a wrong
#   SHA-256 on the only mirror fails the kernel and leaves nothing in the
#   cache; a 404 on one mirror is fetched from the other; a mirror that is
#   down fails the crawl, or with --allow-partial is listed and left out
#   (exit 3); a server slower than --low-speed-time fails the crawl in
#   bounded time; an InRelease signed by another key and a Packages.xz
#   changed after signing fail the crawl. Last, a check that fails with this
#   probe-builder: the .part of an InRelease cut in an earlier run is resumed
#   into the mirror's new InRelease.
# Every check has an empty workspace (so an empty download cache); the 500
# and the reset checks build the kernel, the later ones find its outputs
# there (EXISTING) and check the cached packages byte for byte instead: a
# package that cannot be downloaded fails the kernel even when its outputs
# exist (the SHA-256 check shows it), so EXISTING means every download
# worked. Small -r, --connect-timeout and --low-speed-time keep it fast.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
. "$PB_TOP_SRCDIR/tests/lib/httpd.sh"
pb_skip_if_no_e2e
pb_tmpdir
fx=$PB_TOP_SRCDIR/tests/fixtures

abi=$(pb_debian_abi)
rel=$abi-cloud-amd64
mapfile -t files < <(pb_debian_fetch "linux-headers-$rel" "linux-headers-$abi-common" \
	"linux-kbuild-${abi%%.0-*}" "linux-image-$rel")
debs=$(printf '%s\n' "${files[@]}" | paste -sd,)

"$fx/mk-gpg-key.sh" "$TMP/key" >/dev/null
"$fx/mk-apt-mirror.sh" --key "$TMP/key" --compress gz,xz --suite "bookworm:$debs" "$TMP/mirror" >/dev/null
pb_httpd_start M "$TMP/mirror" "$TMP/httpd-M"
trap 'pb_httpd_stop M; pb_httpd_stop A; pb_httpd_stop B; pb_httpd_stop O; rm -rf "$TMP"' EXIT

# no host apt sources: the mirrors are the --mirror ones
mkdir -p "$TMP/etc-apt"
export PROBE_BUILDER_ETC_APT=$TMP/etc-apt

pool_path() { # PACKAGE -> its path on the mirror, /pool/...
	local f
	f=$(cd "$TMP/mirror" && find pool -name "${1}_*.deb")
	[ -n "$f" ] || fail "no $1 in the mirror's pool"
	echo "/$f"
}
common=$(pool_path "linux-headers-$abi-common")
kbuild=$(pool_path "linux-kbuild-${abi%%.0-*}")
headers=$(pool_path "linux-headers-$rel")
common_size=$(stat -c %s "$TMP/mirror$common")

# the log lines of server NAME for PATH, in order (after it is idle)
log_of() {
	pb_httpd_idle "$1"
	local log=${1}_LOG
	awk -v p="$2" '$2 == p' "${!log}"
}

# pbrun NAME CMD ARGS...: probe-builder CMD with a workspace of its own,
# $TMP/ws-NAME (an empty download cache), and for build the output dir $OUT;
# stdout/stderr in $TMP/NAME.{txt,err}, the exit status in $rc, the seconds
# taken in $secs
OUT=$TMP/out
pbrun() {
	local name=$1 cmd=$2 t0 t1
	shift 2
	local args=(-w "$TMP/ws-$name" --keyring "$TMP/key/keyring.gpg" --suite bookworm
		--connect-timeout 3 --low-speed-time 5)
	[ "$cmd" = crawl ] || args+=(-k debian -p newswatch -v 1.0 -s "$PROBE_SRC" -o "$OUT")
	t0=$(date +%s.%N)
	set +e
	[ "$cmd" = build ] || set -- "$@" debian
	"$PB" "$cmd" "${args[@]}" "$@" >"$TMP/$name.txt" 2>"$TMP/$name.err"
	rc=$?
	set -e
	t1=$(date +%s.%N)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	echo "$name: probe-builder $cmd exited $rc in ${secs}s"
	[ "$cmd" = crawl ] || cat "$TMP/$name.txt"
}

# built NAME STATUS [EXIT]: the build of NAME exited EXIT (0) with the one
# kernel STATUS (BUILT, or EXISTING when the outputs of an earlier check are
# there: a package that cannot be downloaded fails the kernel even then, see
# the SHA-256 check), and its workspace cache holds the very bytes of each of
# the kernel's packages on the mirror, where the downloader puts them
# (<workspace>/cache/<first 2 hex>/<sha256>/<name>; the image's first bytes
# alone in .../head/<name>: its config is there), and no .part file
built() {
	local f sha c
	[ $rc -eq "${3:-0}" ] || { cat "$TMP/$1.err"; fail "$1: build exit status $rc"; }
	grep -qE "^$rel +$2 +$2" "$TMP/$1.txt" || { cat "$TMP/$1.err"; fail "$1: $rel not $2"; }
	[ "$(ls "$OUT"/newswatch-1.0-x86_64-"$rel"-*.ko | wc -l)" -eq 1 ] || fail "$1: no module"
	for f in "${files[@]}"; do
		sha=$(sha256sum "$f" | cut -d' ' -f1)
		c=$TMP/ws-$1/cache/${sha:0:2}/$sha
		case ${f##*/} in
		linux-image-*) # read only as far as its config: its first bytes
			[ -s "$c/head/${f##*/}" ] && [ ! -e "$c/${f##*/}" ] &&
				cmp -s -n "$(stat -c %s "$c/head/${f##*/}")" "$f" "$c/head/${f##*/}" ||
				fail "$1: the head of ${f##*/} is not in the cache as it is on the mirror"
			;;
		*) cmp -s "$f" "$c/${f##*/}" || fail "$1: ${f##*/} is not in the cache as it is on the mirror" ;;
		esac
	done
	[ -z "$(find "$TMP/ws-$1/cache" -name '*.part')" ] || fail "$1: a .part file is left"
}

# --- a 500 once on a .deb: retried, built
pb_httpd_faults M "[{\"path\": \"$kbuild\", \"times\": 1, \"fault\": {\"status\": 500}}]"
pbrun e500 build --mirror "$M_URL" -r 2
built e500 BUILT
log_of M "$kbuild" >"$TMP/e500.log"
[ "$(awk '{print $4}' "$TMP/e500.log" | paste -sd' ')" = "500 200" ] ||
	{ cat "$TMP/e500.log"; fail "500: expected a 500 then a 200 for $kbuild"; }
grep -q "$kbuild: HTTP 500; retrying" "$TMP/e500.err" || { cat "$TMP/e500.err"; fail "500: no retry message"; }
ok "a 500 on a .deb is retried: 500 then 200, the kernel is built"

# --- a connection reset after N bytes, once: the next request asks for the rest
n=3000000
pb_httpd_faults M "[{\"path\": \"$common\", \"times\": 1, \"fault\": {\"reset_after\": $n}}]"
: >"$M_LOG"
OUT=$TMP/out-reset pbrun reset build --mirror "$M_URL" -r 2
OUT=$TMP/out-reset built reset BUILT
log_of M "$common" >"$TMP/reset.log"
[ "$(wc -l <"$TMP/reset.log")" -eq 2 ] || { cat "$TMP/reset.log"; fail "reset: expected 2 requests"; }
[ "$(pb_httpd_count M GET "$common" range=- status=200 bytes=$n outcome=reset)" -eq 1 ] &&
	[ "$(pb_httpd_count M GET "$common" range=bytes=$n- status=206 bytes=$((common_size - n)) outcome=done)" -eq 1 ] &&
	[ "$(sed -n 2p "$TMP/reset.log" | awk '{print $3}')" = "bytes=$n-" ] ||
	{ cat "$TMP/reset.log"; fail "reset: the second request is not 'Range: bytes=$n-' answered 206"; }
ok "a connection reset after $n bytes: resumed with Range: bytes=$n- (206), the kernel is built"

# --- a body cut short by a clean close, once: retried (resumed), built
pb_httpd_faults M "[{\"path\": \"$common\", \"times\": 1, \"fault\": {\"truncate_after\": $n}}]"
: >"$M_LOG"
pbrun trunc build --mirror "$M_URL" -r 2
built trunc EXISTING
log_of M "$common" >"$TMP/trunc.log"
[ "$(pb_httpd_count M GET "$common" status=200 bytes=$n outcome=truncated)" -eq 1 ] &&
	[ "$(sed -n 2p "$TMP/trunc.log" | awk '{print $3, $4, $5}')" = "bytes=$n- 206 $((common_size - n))" ] &&
	[ "$(wc -l <"$TMP/trunc.log")" -eq 2 ] ||
	{ cat "$TMP/trunc.log"; fail "truncated: expected the cut request, then the rest with a Range"; }
grep -q "short body\|transfer closed with" "$TMP/trunc.err" || { cat "$TMP/trunc.err"; fail "truncated: no retry message"; }
ok "a truncated body is retried (from byte $n): the same bytes as the mirror's"

# --- a wrong SHA-256 on the only mirror: the kernel fails, nothing cached
pb_httpd_faults M "[{\"path\": \"$headers\", \"fault\": {\"corrupt\": true}}]"
: >"$M_LOG"
pbrun corrupt build --mirror "$M_URL" -r 2
[ $rc -eq 1 ] || { cat "$TMP/corrupt.err"; fail "corrupt: exit status $rc, expected 1"; }
grep -qE "^$rel +FAILED +FAILED" "$TMP/corrupt.txt" || fail "corrupt: $rel did not fail"
grep -q "download failed: .*${headers##*/}: SHA-256 [0-9a-f]*, the index says" "$TMP/corrupt.txt" ||
	fail "corrupt: no SHA-256 message naming ${headers##*/}"
sha=$(sha256sum "$TMP/mirror$headers" | cut -d' ' -f1)
ksha=$(sha256sum "$TMP/mirror$kbuild" | cut -d' ' -f1)
[ -f "$TMP/ws-corrupt/cache/${ksha:0:2}/$ksha/${kbuild##*/}" ] || fail "corrupt: the cache is not where expected"
[ -z "$(ls -A "$TMP/ws-corrupt/cache/${sha:0:2}/$sha" 2>/dev/null)" ] ||
	{ ls -la "$TMP/ws-corrupt/cache/${sha:0:2}/$sha"; fail "corrupt: the wrong bytes were left in the cache"; }
[ -z "$(find "$TMP/ws-corrupt/cache" -name "${headers##*/}*")" ] || fail "corrupt: a file or .part is left"
log_of M "$headers" >"$TMP/corrupt.log"
[ -s "$TMP/corrupt.log" ] && awk '$6 != "corrupt" || $3 != "-" || $4 != 200 { bad = 1 } END { exit bad }' "$TMP/corrupt.log" ||
	{ cat "$TMP/corrupt.log"; fail "corrupt: expected whole-file GETs, all corrupted, never resumed"; }
ok "a wrong SHA-256 on the only mirror fails the kernel; nothing of it is cached"
pb_httpd_faults M ''

# --- a 404 on one mirror, the file on another
"$fx/mk-apt-mirror.sh" --key "$TMP/key" --copy --compress gz,xz --suite "bookworm:$debs" "$TMP/mirror-A" >/dev/null
"$fx/mk-apt-mirror.sh" --key "$TMP/key" --copy --compress gz,xz --suite "bookworm:$debs" "$TMP/mirror-B" >/dev/null
pb_httpd_start A "$TMP/mirror-A" "$TMP/httpd-A"
pb_httpd_start B "$TMP/mirror-B" "$TMP/httpd-B"
# a file's URLs are tried in the order of the crawl's listing, which is by
# URL: the mirror without the file must come first for it to be asked
first=A second=B
if [[ "$B_URL" < "$A_URL" ]]; then first=B second=A; fi
u1=${first}_URL u2=${second}_URL
rm "$TMP/mirror-$first$kbuild"
pbrun e404 build --mirror "${!u1}" --mirror "${!u2}" -r 2
built e404 EXISTING
[ "$(log_of $first "$kbuild" | awk '{print $4}' | paste -sd' ')" = 404 ] ||
	{ log_of $first "$kbuild"; fail "404: the first mirror was not asked once for $kbuild"; }
[ "$(log_of $second "$kbuild" | awk '{print $4}' | paste -sd' ')" = 200 ] ||
	{ log_of $second "$kbuild"; fail "404: the second mirror did not serve $kbuild"; }
pb_httpd_idle $second
l2=${second}_LOG
[ "$(awk '$2 ~ /\.deb$/' "${!l2}" | wc -l)" -eq 1 ] || { cat "${!l2}"; fail "404: the other packages should come from the first mirror"; }
grep -q "\"url\": \"${!u2}$kbuild\"" "$OUT/manifest.json" || fail "404: the manifest does not say where $kbuild came from"
ok "a 404 on one mirror: the file comes from the other (404 on one, 200 on the other)"
pb_httpd_stop A
pb_httpd_stop B

# --- a mirror that is down, next to a good one
pb_httpd_start D "$TMP/etc-apt" "$TMP/httpd-D"
pb_httpd_stop D # D_URL is now a port nothing listens on
pbrun down crawl --mirror "$D_URL" --mirror "$M_URL" -r 0
[ $rc -eq 1 ] || { cat "$TMP/down.err"; fail "down: crawl exit status $rc, expected 1"; }
grep -q "the crawl is incomplete: 1 repository failed" "$TMP/down.err" &&
	grep -q "^  $D_URL/dists/bookworm: $D_URL/dists/bookworm/InRelease: " "$TMP/down.err" ||
	{ cat "$TMP/down.err"; fail "down: the message does not name the down mirror"; }
grep -qE "$D_URL/dists/bookworm/InRelease: (Failed to connect|Couldn't connect|Could not connect)" "$TMP/down.err" ||
	{ cat "$TMP/down.err"; fail "down: the message does not say the mirror cannot be reached"; }
! grep -q "$M_URL/dists/bookworm:" "$TMP/down.err" || fail "down: the good mirror is named as failed"
: >"$M_LOG"
pbrun partial build --mirror "$D_URL" --mirror "$M_URL" -r 0 --allow-partial
built partial EXISTING 3
grep -q "warning: --allow-partial: missed $D_URL/dists/bookworm: " "$TMP/partial.err" ||
	{ cat "$TMP/partial.err"; fail "--allow-partial: the down mirror is not listed"; }
grep -q "the crawl was partial (--allow-partial): 1 repository missed" "$TMP/partial.err" ||
	fail "--allow-partial: no closing warning"
pb_httpd_idle M
[ "$(awk '$2 ~ /\.deb$/ && ($4 == 200 || $4 == 206)' "$M_LOG" | wc -l)" -eq 4 ] || { cat "$M_LOG"; fail "--allow-partial: not built from the good mirror"; }
ok "a mirror that is down fails the crawl naming it; --allow-partial lists it, builds from the other, exits 3"

# --- a server slower than the timeout on InRelease
pb_httpd_faults M '[{"path": "/dists/bookworm/InRelease", "fault": {"trickle": 50}}]'
: >"$M_LOG"
pbrun slow crawl --mirror "$M_URL" --low-speed-time 1 -r 1
[ $rc -eq 1 ] || { cat "$TMP/slow.err"; fail "slow: crawl exit status $rc, expected 1"; }
grep -qE "/dists/bookworm/InRelease: Operation too slow\. .* the last 1 seconds \(after 2 attempts\)" "$TMP/slow.err" ||
	{ cat "$TMP/slow.err"; fail "slow: the message does not name InRelease and the timeout"; }
awk -v s="$secs" 'BEGIN { exit !(s < 30) }' || fail "slow: the crawl took ${secs}s"
[ "$(pb_httpd_idle M && pb_httpd_count M GET /dists/bookworm/InRelease fault=trickle=50 outcome=aborted)" -eq 2 ] ||
	{ cat "$M_LOG"; fail "slow: expected two trickled requests given up by the client"; }
ok "a trickling InRelease fails the crawl in ${secs}s (--low-speed-time 1, -r 1), naming InRelease and the timeout"
pb_httpd_faults M ''

# --- an InRelease signed by a key not in the keyrings
"$fx/mk-apt-mirror.sh" --key "$TMP/key" --signer other --suite "bookworm:$debs" "$TMP/mirror-other" >/dev/null
pb_httpd_start O "$TMP/mirror-other" "$TMP/httpd-O"
pbrun other crawl --mirror "$O_URL"
[ $rc -eq 1 ] || { cat "$TMP/other.err"; fail "other key: crawl exit status $rc, expected 1"; }
grep -q "^  $O_URL/dists/bookworm: .*/InRelease: signed by key [0-9A-F]*, which is not in the keyrings given" "$TMP/other.err" ||
	{ cat "$TMP/other.err"; fail "other key: no 'not in the keyrings' message"; }
pb_httpd_idle O
[ "$(awk '$2 ~ /Packages/' "$O_LOG" | wc -l)" -eq 0 ] || fail "other key: an index was fetched past a bad signature"
ok "an InRelease signed by another key fails the crawl (not in the keyrings), nothing else fetched"

# --- a Packages.xz changed on the server after signing
pb_httpd_faults M '[{"path": "/dists/bookworm/main/binary-amd64/Packages.xz", "fault": {"corrupt": true}}]'
: >"$M_LOG"
pbrun badidx crawl --mirror "$M_URL" -r 1
[ $rc -eq 1 ] || { cat "$TMP/badidx.err"; fail "changed Packages.xz: crawl exit status $rc, expected 1"; }
grep -q "$M_URL/dists/bookworm/main/binary-amd64/Packages.xz: does not match the signed Release: stale mirror? (SHA-256 [0-9a-f]\{64\}, the signed Release says [0-9a-f]\{64\})" "$TMP/badidx.err" ||
	{ cat "$TMP/badidx.err"; fail "changed Packages.xz: no SHA-256 mismatch naming it"; }
# wrong bytes from a mirror are not asked for again (-r 1 notwithstanding)
[ "$(pb_httpd_idle M && pb_httpd_count M GET /dists/bookworm/main/binary-amd64/Packages.xz fault=corrupt)" -eq 1 ] ||
	{ cat "$M_LOG"; fail "changed Packages.xz: not served corrupted exactly once"; }
isha=$(sha256sum "$TMP/mirror/dists/bookworm/main/binary-amd64/Packages.xz" | cut -d' ' -f1)
[ -z "$(find "$TMP/ws-badidx/meta" -name "$isha*")" ] || fail "changed Packages.xz: the wrong bytes were kept"
ok "a Packages.xz changed after signing fails the crawl with a SHA-256 mismatch naming it"

# The check below fails with this probe-builder (a bug, reported; the C code
# is left as it is).
# --- an InRelease cut by a reset leaves a .part; the mirror is then updated
# (new InRelease): the next crawl must not glue the old part to the new file
pb_httpd_faults M '[{"path": "/dists/bookworm/InRelease", "times": 1, "fault": {"reset_after": 700}}]'
pbrun stale crawl --mirror "$M_URL" -r 0
[ $rc -eq 1 ] || { cat "$TMP/stale.err"; fail "stale: the cut InRelease did not fail the crawl (-r 0)"; }
pb_httpd_faults M ''
sleep 1 # a new Date in the Release
"$fx/mk-apt-mirror.sh" --key "$TMP/key" --compress gz,xz \
	--suite "bookworm:$(printf '%s\n' "${files[@]}" | grep -v /linux-kbuild- | paste -sd,)" "$TMP/mirror" >/dev/null
: >"$M_LOG"
pbrun stale crawl --mirror "$M_URL" -r 0
pb_httpd_idle M
[ $rc -eq 0 ] || {
	cat "$M_LOG" "$TMP/stale.err"
	fail "stale: after the mirror was updated, the crawl failed (the InRelease.part of the cut transfer was resumed)"
}
ok "a .part of an InRelease cut in an earlier run is not resumed into the updated one"
