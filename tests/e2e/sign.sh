#!/usr/bin/env bash
# build --sign-key: manifest.json.sig is the detached ed25519 signature of
# manifest.json that `openssl pkeyutl -verify -rawin` accepts (newswatch's
# probe_pubkey checks the same); a key that cannot sign is refused before
# anything is built. A kernel refused up front (no image package) is enough
# to get a manifest written: nothing is compiled here.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
pb_skip_if_no_e2e
pb_tmpdir
PROBE_SRC=$PB_TOP_SRCDIR/probes/newswatch

openssl genpkey -algorithm ed25519 -out "$TMP/key.pem" 2>/dev/null
openssl pkey -in "$TMP/key.pem" -pubout -out "$TMP/pub.pem" 2>/dev/null
openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:1024 -out "$TMP/rsa.pem" 2>/dev/null

abi=$(pb_debian_abi)
mapfile -t files < <(pb_debian_fetch "linux-headers-$abi-cloud-amd64" \
	"linux-headers-$abi-common" "linux-kbuild-${abi%%.0-*}")

run() { # rc wanted, args...
	local want=$1 rc
	shift
	set +e
	"$PB" build -k debian -p x -v 1 -s "$PROBE_SRC" -w "$TMP/ws" "$@" "${files[@]}" \
		>"$TMP/o.txt" 2>"$TMP/e.txt"
	rc=$?
	set -e
	[ $rc -eq "$want" ] || { cat "$TMP/o.txt" "$TMP/e.txt"; fail "build $*: exit $rc, expected $want"; }
}

# an RSA key, a missing one: refused before anything, naming the file
run 1 -o "$TMP/out-rsa" --sign-key "$TMP/rsa.pem"
grep -q -- "--sign-key $TMP/rsa.pem: not an ed25519 key" "$TMP/e.txt" || fail "RSA key: $(cat "$TMP/e.txt")"
[ ! -e "$TMP/out-rsa/manifest.json" ] || fail "a manifest was written with a key that cannot sign"
run 1 -o "$TMP/out-rsa" --sign-key "$TMP/none.pem"
grep -q -- "--sign-key $TMP/none.pem: No such file or directory" "$TMP/e.txt" || fail "missing key: $(cat "$TMP/e.txt")"
ok "a key that cannot sign (RSA, missing) is refused before building"

run 1 -o "$TMP/out" --sign-key "$TMP/key.pem"
grep -qF "no linux-image-$abi-cloud-amd64 (= " "$TMP/o.txt" || fail "no FAILED kernel: $(cat "$TMP/o.txt")"
[ -s "$TMP/out/manifest.json" ] || fail "no manifest"
[ "$(stat -c %s "$TMP/out/manifest.json.sig")" -eq 64 ] || fail "manifest.json.sig is not a 64-byte ed25519 signature"
openssl pkeyutl -verify -pubin -inkey "$TMP/pub.pem" -rawin -in "$TMP/out/manifest.json" \
	-sigfile "$TMP/out/manifest.json.sig" >/dev/null || fail "openssl does not verify manifest.json.sig"
ok "build --sign-key: manifest.json.sig verifies with openssl pkeyutl -verify -rawin"

# a rerun writes the manifest and signs it again; a changed manifest does not verify
cp "$TMP/out/manifest.json.sig" "$TMP/old.sig"
sleep 1
run 1 -o "$TMP/out" --sign-key "$TMP/key.pem"
openssl pkeyutl -verify -pubin -inkey "$TMP/pub.pem" -rawin -in "$TMP/out/manifest.json" \
	-sigfile "$TMP/out/manifest.json.sig" >/dev/null || fail "the rerun's signature does not verify"
sed -i 's/FAILED/BUILT/' "$TMP/out/manifest.json"
! openssl pkeyutl -verify -pubin -inkey "$TMP/pub.pem" -rawin -in "$TMP/out/manifest.json" \
	-sigfile "$TMP/out/manifest.json.sig" >/dev/null 2>&1 || fail "a changed manifest still verifies"
ok "a rerun signs its manifest again; a changed manifest no longer verifies"
ls "$TMP/out" | grep -q tmp && fail "temporary files left: $(ls "$TMP/out")" || true
