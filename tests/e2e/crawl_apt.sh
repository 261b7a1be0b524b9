#!/usr/bin/env bash
# The crawler reads APT mirrors as apt does, and the network as a careful
# client: on mirrors made with apt-ftparchive from real Debian kernel
# packages, served on 127.0.0.1 by httpd.py (faults injected), each check
# looks at what probe-builder said and at the server's log:
#   - "No-Support-for-Architecture-all: Packages", or "all" not among the
#     Release's Architectures: a stale binary-all is never asked for, the
#     crawl works; with "all" listed it is read (and a stale one refused)
#   - an index other than the signed Release says: "does not match the
#     signed Release: stale mirror?", asked once (not retried), then taken
#     from another mirror that has the right one
#   - a Release past its Valid-Until, or dated in the future: refused, or
#     used with --allow-expired-release / --ignore-release-date and a warning
#   - redirects: to the same host followed; to another host (localhost vs
#     127.0.0.1) or to a non-http URL refused, with --allow-redirect-host
#     followed
#   - an endless InRelease and an oversized one stop at the metadata cap,
#     naming the URL, asked once
#   - 404, 403 and 410 are not retried
#   - 16 failed suites are listed whole, each once, without the
#     --allow-partial hint when nothing could be read
#   - a keyring that the distro names but this host lacks is named with
#     the package that has it
#   - gpgv not on PATH: said so, nothing trusted
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
. "$PB_TOP_SRCDIR/tests/lib/httpd.sh"
pb_skip_if_no_e2e
pb_tmpdir
fx=$PB_TOP_SRCDIR/tests/fixtures

abi=$(pb_debian_abi)
rel=$abi-cloud-amd64
mapfile -t files < <(pb_debian_fetch "linux-headers-$rel" "linux-headers-$abi-common" \
	"linux-kbuild-${abi%%.0-*}")
debs=$(printf '%s\n' "${files[@]}" | paste -sd,)
"$fx/mk-gpg-key.sh" "$TMP/key" >/dev/null
mkdir -p "$TMP/etc-apt"
export PROBE_BUILDER_ETC_APT=$TMP/etc-apt

# mirror DIR [mk-apt-mirror options]: a bookworm mirror of the packages
mirror() {
	local dir=$1
	shift
	"$fx/mk-apt-mirror.sh" --key "$TMP/key" --copy --compress gz,xz "$@" \
		--suite "bookworm:$debs" "$dir" >/dev/null
}
mirror "$TMP/mirror"
mirror "$TMP/mirror-B"
pb_httpd_start M "$TMP/mirror" "$TMP/httpd-M"
pb_httpd_start B "$TMP/mirror-B" "$TMP/httpd-B"
trap 'pb_httpd_stop M; pb_httpd_stop B; pb_httpd_stop D; rm -rf "$TMP"' EXIT

# crawl NAME ARGS...: probe-builder crawl debian with its own workspace;
# output in $TMP/NAME.{txt,err}, exit status in $rc
crawl() {
	local name=$1
	shift
	set +e
	"$PB" crawl -w "$TMP/ws-$name" --keyring "$TMP/key/keyring.gpg" --suite bookworm \
		--connect-timeout 3 --low-speed-time 5 "$@" debian >"$TMP/$name.txt" 2>"$TMP/$name.err"
	rc=$?
	set -e
}
expect() { # NAME RC: the crawl NAME exited RC
	[ "$rc" -eq "$2" ] || { cat "$TMP/$1.err"; fail "$1: exit status $rc, expected $2"; }
}
said() { # NAME REGEX: stderr of NAME matches
	grep -qE -- "$2" "$TMP/$1.err" || { cat "$TMP/$1.err"; fail "$1: no message matching: $2"; }
}
asked() { # SERVER PATH: how many GETs of PATH the server saw
	pb_httpd_idle "$1"
	pb_httpd_count "$1" GET "$2"
}
idx=/dists/bookworm/main/binary-amd64/Packages.xz

# --- the crawl works on a healthy mirror (what the checks below change)
: >"$M_LOG"
crawl good --mirror "$M_URL" -r 3
expect good 0
grep -qx "=== $rel ===" "$TMP/good.txt" || fail "good: $rel not listed"
ok "a healthy mirror is crawled"

# --- No-Support-for-Architecture-all with a stale binary-all
mirror "$TMP/mirror" --binary-all
grep -q '^No-Support-for-Architecture-all: Packages$' "$TMP/mirror/dists/bookworm/InRelease" ||
	fail "the fixture did not write No-Support-for-Architecture-all"
[ -s "$TMP/mirror/dists/bookworm/main/binary-all/Packages.xz" ] || fail "the fixture made no binary-all"
for f in "$TMP"/mirror/dists/bookworm/main/binary-all/Packages.*; do
	echo "stale" | xz >"$f" # what a mirror whose binary-all lags behind serves
done
: >"$M_LOG"
crawl noall --mirror "$M_URL" -r 3
expect noall 0
grep -qx "=== $rel ===" "$TMP/noall.txt" || fail "noall: $rel not listed"
grep -q "/linux-headers-$abi-common_" "$TMP/noall.txt" ||
	fail "noall: the arch:all headers (in binary-amd64) are not listed"
pb_httpd_idle M
! grep -q "binary-all" "$M_LOG" || { cat "$M_LOG"; fail "noall: binary-all was requested"; }
ok "No-Support-for-Architecture-all: a stale binary-all is never asked for, the crawl works"

# --- as debian-security: "all" not among the Architectures, no No-Support
# field; apt reads no binary-all, nor do we. And when "all" is listed
# (without the field), binary-all is read: the stale one then fails.
stale_all() {
	local f
	for f in "$TMP"/mirror/dists/bookworm/main/binary-all/Packages.*; do
		echo "stale" | xz >"$f"
	done
}
mirror "$TMP/mirror" --binary-all-unlisted
grep -q '^Architectures: amd64$' "$TMP/mirror/dists/bookworm/InRelease" ||
	fail "unlisted: the fixture listed more than amd64"
stale_all
: >"$M_LOG"
crawl unlisted --mirror "$M_URL" -r 3
expect unlisted 0
grep -q "/linux-headers-$abi-common_" "$TMP/unlisted.txt" ||
	fail "unlisted: the arch:all headers (in binary-amd64) are not listed"
pb_httpd_idle M
! grep -q "binary-all" "$M_LOG" || { cat "$M_LOG"; fail "unlisted: binary-all was requested"; }
mirror "$TMP/mirror" --binary-all-listed
stale_all
: >"$M_LOG"
crawl listed --mirror "$M_URL" -r 3
expect listed 1
said listed "binary-all/Packages.xz: does not match the signed Release: stale mirror\\?"
ok "binary-all is read only when the Release lists 'all' (as apt): unlisted never asked, listed and stale refused"

# --- an index that is not the one the signed Release says
mirror "$TMP/mirror"
echo "not the index" | xz >"$TMP/mirror$idx"
: >"$M_LOG"
crawl stale --mirror "$M_URL" -r 3
expect stale 1
said stale "$M_URL$idx: does not match the signed Release: stale mirror\? \([0-9]+ bytes, the signed Release says [0-9]+\)"
! grep -q "short body" "$TMP/stale.err" || fail "stale: called a short body"
[ "$(asked M "$idx")" -eq 1 ] || { cat "$M_LOG"; fail "stale: the stale index was asked more than once"; }
ok "a stale index: 'does not match the signed Release: stale mirror?', asked once"

: >"$M_LOG"
: >"$B_LOG"
crawl stale2 --mirror "$M_URL" --mirror "$B_URL" -r 3
expect stale2 0
[ "$(asked M "$idx")" -eq 1 ] && [ "$(asked B "$idx")" -eq 1 ] ||
	{ cat "$M_LOG" "$B_LOG"; fail "stale2: expected one request on each mirror"; }
said stale2 "$M_URL$idx: does not match the signed Release: stale mirror\?.*; trying another mirror"
grep -qx "=== $rel ===" "$TMP/stale2.txt" || fail "stale2: $rel not listed"
ok "a stale index on one mirror is taken from the other at once (one request each)"

# --- Valid-Until and Date
mirror "$TMP/mirror" --valid-until "-1 day"
crawl expired --mirror "$M_URL"
expect expired 1
said expired "$M_URL/dists/bookworm: the Release expired on .*Valid-Until.*--allow-expired-release"
[ -z "$(find "$TMP/ws-expired/meta" -name '*' -path '*by-sha256/*' -type f)" ] ||
	fail "expired: indexes were fetched from an expired Release"
crawl expired-ok --mirror "$M_URL" --allow-expired-release
expect expired-ok 0
said expired-ok "warning: .*the Release EXPIRED on .*--allow-expired-release"
grep -qx "=== $rel ===" "$TMP/expired-ok.txt" || fail "expired-ok: $rel not listed"
ok "an expired Release is refused; --allow-expired-release uses it, warning"

mirror "$TMP/mirror" --date "+2 days"
crawl future --mirror "$M_URL"
expect future 1
said future "$M_URL/dists/bookworm: the Release is dated .*in the future.*--allow-future-release"
crawl future-ok --mirror "$M_URL" --ignore-release-date
expect future-ok 0
said future-ok "warning: .*IN THE FUTURE"
crawl future-ok2 --mirror "$M_URL" --allow-future-release
expect future-ok2 0
ok "a Release dated in the future is refused; --allow-future-release or --ignore-release-date uses it, warning"
mirror "$TMP/mirror"

# --- redirects
ir=/dists/bookworm/InRelease
pb_httpd_faults M "[{\"path\": \"$ir\", \"times\": 1, \"redirect\": \"$M_URL/{path}\"}]"
: >"$M_LOG"
crawl redir-same --mirror "$M_URL"
expect redir-same 0
[ "$(asked M "$ir")" -eq 2 ] || { cat "$M_LOG"; fail "redir-same: expected the redirect, then the file"; }
ok "a redirect to the same host is followed"

other=http://localhost:$M_PORT
pb_httpd_faults M "[{\"path\": \"$ir\", \"times\": 1, \"redirect\": \"$other{path}\"}]"
: >"$M_LOG"
crawl redir-other --mirror "$M_URL" -r 3
expect redir-other 1
said redir-other "$M_URL$ir: HTTP 302 to $other$ir: another host than 127.0.0.1:$M_PORT, not followed \(--allow-redirect-host"
[ "$(asked M "$ir")" -eq 1 ] || { cat "$M_LOG"; fail "redir-other: the other host was asked"; }
pb_httpd_faults M "[{\"path\": \"$ir\", \"times\": 1, \"redirect\": \"$other{path}\"}]"
: >"$M_LOG"
crawl redir-allowed --mirror "$M_URL" --allow-redirect-host
expect redir-allowed 0
[ "$(asked M "$ir")" -eq 2 ] || { cat "$M_LOG"; fail "redir-allowed: the redirect was not followed"; }
said redir-allowed "warning: --allow-redirect-host"
ok "a redirect to another host is refused (asked once); --allow-redirect-host follows it"

pb_httpd_faults M "[{\"path\": \"$ir\", \"redirect\": \"file:///etc/passwd\"}]"
crawl redir-file --mirror "$M_URL" --allow-redirect-host
expect redir-file 1
said redir-file "HTTP 302 to file:///etc/passwd: not an http\(s\) URL, not followed"
pb_httpd_faults M "[{\"path\": \"$ir\", \"redirect\": \"$M_URL/{path}\"}]"
: >"$M_LOG"
crawl redir-loop --mirror "$M_URL" -r 3
expect redir-loop 1
said redir-loop "$M_URL$ir: more than 5 redirects"
[ "$(asked M "$ir")" -eq 6 ] || { cat "$M_LOG"; fail "redir-loop: expected 6 requests (5 redirects followed)"; }
ok "a redirect to file:// is refused; a redirect loop stops after 5"
pb_httpd_faults M ''

# --- the cap on metadata: an endless and an oversized InRelease
pb_httpd_faults M "[{\"path\": \"$ir\", \"endless\": true}]"
: >"$M_LOG"
crawl endless --mirror "$M_URL" -r 3
expect endless 1
said endless "$M_URL$ir: more than 67108864 bytes, the cap on a metadata file \(--max-metadata-size"
[ "$(asked M "$ir")" -eq 1 ] || { cat "$M_LOG"; fail "endless: asked more than once"; }
pb_httpd_faults M ''
head -c 2097152 /dev/zero >>"$TMP/mirror$ir"
: >"$M_LOG"
crawl big --mirror "$M_URL" -r 3 --max-metadata-size 1M
expect big 1
said big "$M_URL$ir: more than 1048576 bytes, the cap on a metadata file"
[ "$(asked M "$ir")" -eq 1 ] || { cat "$M_LOG"; fail "big: asked more than once"; }
crawl big-ok --mirror "$M_URL" --max-metadata-size 3M
expect big-ok 0
ok "an endless InRelease stops at the 64 MiB cap, an oversized one at --max-metadata-size, asked once"
mirror "$TMP/mirror"

# --- permanent errors are not retried
for code in 404 403 410; do
	pb_httpd_faults M "[{\"path\": \"$idx\", \"status\": $code}]"
	: >"$M_LOG"
	crawl "e$code" --mirror "$M_URL" -r 3
	expect "e$code" 1
	said "e$code" "$M_URL$idx: HTTP $code"
	[ "$(asked M "$idx")" -eq 1 ] || { cat "$M_LOG"; fail "$code: retried"; }
done
pb_httpd_faults M '[{"path": "/dists/bookworm/main/binary-amd64/Packages.xz", "times": 1, "status": 503}]'
: >"$M_LOG"
crawl e503 --mirror "$M_URL" -r 3
expect e503 0
[ "$(asked M "$idx")" -eq 2 ] || { cat "$M_LOG"; fail "503: not retried once"; }
pb_httpd_faults M ''
ok "404, 403 and 410 are asked once; a 503 is retried"

# --- 16 failed suites, listed whole
pb_httpd_start D "$TMP/etc-apt" "$TMP/httpd-D"
pb_httpd_stop D # nothing listens there now
long=$D_URL/a/rather/long/path/to/a/mirror/that/does/not/answer/at/all/debian
suites=() # and bookworm: 16
for i in $(seq -w 1 15); do suites+=(--suite "bookworm-number-$i"); done
crawl many --mirror "$long" "${suites[@]}" -r 0
expect many 1
said many "debian: no repository could be read; 16 failed:"
! grep -q -- "--allow-partial" "$TMP/many.err" || { cat "$TMP/many.err"; fail "many: --allow-partial hinted with nothing read"; }
for s in bookworm $(seq -f 'bookworm-number-%02g' 1 15); do
	[ "$(grep -c "$long/dists/$s/InRelease" "$TMP/many.err")" -eq 1 ] &&
		grep -q "^  $long/dists/$s: $long/dists/$s/InRelease: .*connect.*(after 1 attempt)\$" "$TMP/many.err" ||
		{ cat "$TMP/many.err"; fail "many: $s is not listed once, whole"; }
done
crawl many-one-good --mirror "$M_URL" --mirror "$long" "${suites[@]}" -r 0
expect many-one-good 1
said many-one-good "the crawl is incomplete: 16 repositories failed \(--allow-partial goes on without them\)"
[ "$(grep -c "^  $long/dists/" "$TMP/many-one-good.err")" -eq 16 ] || { cat "$TMP/many-one-good.err"; fail "many-one-good: not 16 lines"; }
ok "16 failed suites are listed whole, each once; no --allow-partial hint when none could be read"

# --- a keyring the distro names but this host lacks
kr=/usr/share/keyrings/ubuntu-archive-keyring.gpg
if [ -e "$kr" ]; then
	ok "SKIP keyring hint: $kr is installed here"
else
	mkdir -p "$TMP/distros"
	printf 'name = testdeb\nbuilder = debian\ndescription = t\nkeyring = %s\n' "$kr" >"$TMP/distros/testdeb.distro"
	set +e
	"$PB" crawl --plugin-dir "$TMP/distros" -w "$TMP/ws-kr" --mirror "$M_URL" --suite bookworm \
		testdeb >"$TMP/kr.txt" 2>"$TMP/kr.err"
	rc=$?
	set -e
	expect kr 1
	said kr "the testdeb keyring $kr is not on this host: install the package ubuntu-keyring, or pass --keyring FILE"
	ok "a missing distro keyring is named with its package (ubuntu-keyring)"
fi

# --- gpgv not on PATH
mkdir -p "$TMP/bin"
for f in /usr/bin/* /bin/*; do # everything but gpgv
	case ${f##*/} in gpgv*) continue ;; esac
	[ -e "$TMP/bin/${f##*/}" ] || ln -s "$f" "$TMP/bin/${f##*/}"
done
set +e
PATH=$TMP/bin "$PB" crawl -w "$TMP/ws-nogpgv" --keyring "$TMP/key/keyring.gpg" \
	--suite bookworm --mirror "$M_URL" debian >"$TMP/nogpgv.txt" 2>"$TMP/nogpgv.err"
rc=$?
set -e
expect nogpgv 1
said nogpgv "InRelease: cannot check the signature \(install the gpgv package\): cannot run gpgv"
ok "without gpgv: the crawl fails, saying it cannot check the signature"
