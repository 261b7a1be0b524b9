#!/usr/bin/env bash
# build --module-sign-key/--module-sign-cert: each module is signed by the
# Debian tree's own scripts/sign-file in the sandbox, with the hash its
# config names; modinfo shows the certificate's signer, the hash and the
# key id (the certificate's serial number); the manifest records
# the signer; two cold builds give the same signed bytes (no signing time
# in the signature). A key that is not the certificate's, and one given
# without its certificate, are refused before anything is built.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
pb_skip_if_no_e2e
pb_tmpdir

abi=$(pb_debian_abi)
mapfile -t files < <(pb_debian_fetch "linux-headers-$abi-amd64" "linux-headers-$abi-common" \
	"linux-kbuild-${abi%%.0-*}" "linux-image-$abi-amd64")
rel=$abi-amd64

cat >"$TMP/x509.conf" <<'CNF'
[req]
distinguished_name = dn
prompt = no
x509_extensions = ext
[dn]
CN = probe-builder test signer
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = digitalSignature
subjectKeyIdentifier = hash
CNF
openssl req -new -x509 -newkey rsa:2048 -nodes -days 36500 -config "$TMP/x509.conf" \
	-keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:2048 -out "$TMP/other.pem" 2>/dev/null
# sign-file names the key by the certificate's issuer and serial number
serial=$(openssl x509 -in "$TMP/cert.pem" -noout -serial | sed 's/^serial=//')

build() { # name, options...
	local name=$1
	shift
	"$PB" build -k debian -p newswatch -v 1 -s "$PROBE_SRC" -o "$TMP/out-$name" \
		-w "$TMP/ws-$name" "$@" "${files[@]}" >"$TMP/$name.txt" 2>"$TMP/$name.err"
}

build one --module-sign-key "$TMP/key.pem" --module-sign-cert "$TMP/cert.pem" ||
	{ cat "$TMP/one.txt" "$TMP/one.err"; fail "the signed build failed"; }
ko=$(ls "$TMP/out-one"/newswatch-1-x86_64-"$rel"-*.ko)
[ "$(modinfo -F signer "$ko")" = "probe-builder test signer" ] || fail "signer: $(modinfo -F signer "$ko")"
hashalgo=$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"/\1/p' \
	<(dpkg-deb --fsys-tarfile "${files[3]}" | tar -xOf - "./boot/config-$rel"))
[ "$(modinfo -F sig_hashalgo "$ko")" = "$hashalgo" ] || fail "sig_hashalgo: $(modinfo -F sig_hashalgo "$ko"), config says $hashalgo"
sig_key=$(modinfo -F sig_key "$ko" | tr -d ' :\n')
[ "${sig_key^^}" = "${serial^^}" ] || fail "sig_key $sig_key is not the certificate's serial $serial"
tail -c 28 "$ko" | grep -q "~Module signature appended~" || fail "no signature trailer"
ok "$rel: signed by 'probe-builder test signer' with $hashalgo, key id (serial) $serial"
python3 - "$TMP/out-one/manifest.json" <<'PY'
import json, sys
k = json.load(open(sys.argv[1]))["kernels"][0]
assert k["kmod"]["signer"] == "probe-builder test signer", k["kmod"]
assert k["kmod"]["sig_hash"], k["kmod"]
assert "signer" not in k["ebpf"], k["ebpf"]
print("ok: the manifest records the signer and the hash")
PY

build two --module-sign-key "$TMP/key.pem" --module-sign-cert "$TMP/cert.pem" || fail "second build"
cmp "$ko" "$TMP/out-two/${ko##*/}" || fail "two cold signed builds differ"
ok "two cold signed builds: the same bytes"

set +e
build bad --module-sign-key "$TMP/other.pem" --module-sign-cert "$TMP/cert.pem"
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "is not the key of" "$TMP/bad.err" || { cat "$TMP/bad.err"; fail "mismatched key: exit $rc"; }
[ ! -e "$TMP/out-bad/manifest.json" ] || fail "a mismatched key built something"
set +e
build half --module-sign-key "$TMP/key.pem"
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "go together" "$TMP/half.err" || { cat "$TMP/half.err"; fail "key without cert: exit $rc"; }
ok "refused up front: $(head -n1 "$TMP/bad.err"); $(head -n1 "$TMP/half.err")"
