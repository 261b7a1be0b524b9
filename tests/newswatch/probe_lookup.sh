#!/usr/bin/env bash
# How newswatch finds its eBPF probe for the running kernel: probe-builder's
# naming rule (<probe>-bpf-<version>-<arch>-<release>-<md5 of the kernel
# config>.o) in probe_dir, else under probe_url (fetched into the state
# directory). The object here is not one the kernel can load (this machine
# refuses kprobes anyway): what is checked is that the right file is found
# and tried, that the refusal is said with its reason, that "auto" falls back
# to fanotify and that "bpf" fails. An object fetched from probe_url is used
# only when its sha256 is the one in the manifest.json beside it, and, with
# a pinned probe_pubkey, when manifest.json.sig verifies with that key.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
. "$PB_TOP_SRCDIR/tests/lib/httpd.sh"
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

# what probe-builder publishes beside the objects: manifest.json (the
# object's sha256) and, signed, manifest.json.sig
sha=$(sha256sum <"$TMP/srv/probes/$name" | cut -d' ' -f1)
manifest() { # dir, sha256: today's shape (outputs by file name in an array)
	cat >"$1/manifest.json" <<EOF
{"format": 1, "kernels": [
  {"probe": "newswatch", "release": "other", "ebpf": {"status": "BUILT", "file": "newswatch-bpf-4.5.6-$arch-other-0.o", "sha256": "$(printf '0%.0s' $(seq 64))"}},
  {"probe": "newswatch", "release": "$rel", "ebpf": {"status": "BUILT", "file": "$name", "sha256": "$2"}}]}
EOF
}
openssl genpkey -algorithm ed25519 -out "$TMP/key.pem" 2>/dev/null
openssl pkey -in "$TMP/key.pem" -pubout -out "$TMP/pub.pem" 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$TMP/other.pem" 2>/dev/null
sign() { # manifest dir, key
	openssl pkeyutl -sign -inkey "$2" -rawin -in "$1/manifest.json" -out "$1/manifest.json.sig"
}
publish() { # dir, sha256
	mkdir -p "$1"
	cp "$TMP/probes/$name" "$1/$name"
	manifest "$1" "$2"
}
publish "$TMP/srv/good" "$sha"
sign "$TMP/srv/good" "$TMP/key.pem"
publish "$TMP/srv/badsha" "$(echo x | sha256sum | cut -d' ' -f1)"
sign "$TMP/srv/badsha" "$TMP/key.pem"
publish "$TMP/srv/otherkey" "$sha"
sign "$TMP/srv/otherkey" "$TMP/other.pem"
publish "$TMP/srv/changed" "$sha"
sign "$TMP/srv/changed" "$TMP/key.pem"
sed -i 's/"BUILT"/"EXISTING"/' "$TMP/srv/changed/manifest.json"
# the shape with paths relative to the output dir, entries keyed
mkdir -p "$TMP/srv/keyed"
cp "$TMP/probes/$name" "$TMP/srv/keyed/$name"
cat >"$TMP/srv/keyed/manifest.json" <<EOF
{"format": 2, "kernels": {"debian/bookworm/$rel/$arch": {"outputs": {"ebpf": {"status": "BUILT", "path": "./$name", "sha256": "$sha"}}}}}
EOF
sign "$TMP/srv/keyed" "$TMP/key.pem"

pb_httpd_start S "$TMP/srv" "$TMP/httpd"
trap 'pb_httpd_stop S; rm -rf "$TMP"' EXIT
conf "$TMP/c.conf" "$TMP/none" "$S_URL/probes/" auto
run_until_watching "$TMP/c.conf" "$TMP/c.log"
grep -q "eBPF unavailable ($S_URL/probes/manifest.json: HTTP 404" "$TMP/c.log" ||
	{ cat "$TMP/c.log"; fail "an object with no manifest beside it was not refused"; }
[ ! -e "$TMP/state-c.conf/probes/$name" ] || fail "an unverified object was kept"
ok "probe_url without manifest.json: refused, nothing kept"

# no key pinned: the sha256 is checked, and the log says what that is worth
conf "$TMP/g.conf" "$TMP/none" "$S_URL/good/" auto
run_until_watching "$TMP/g.conf" "$TMP/g.log"
cmp -s "$TMP/state-g.conf/probes/$name" "$TMP/srv/good/$name" ||
	{ cat "$TMP/g.log"; fail "the probe was not fetched from probe_url"; }
grep -q "no probe_pubkey: .*catches corruption only" "$TMP/g.log" ||
	{ cat "$TMP/g.log"; fail "no word that an unpinned manifest only catches corruption"; }
grep -q "$name: sha256 as in $S_URL/good/manifest.json" "$TMP/g.log" || fail "sha256 check not said"
grep -q "eBPF unavailable ($TMP/state-g.conf/probes/$name: " "$TMP/g.log" || fail "fetched object not tried"
pb_httpd_idle S
[ "$(pb_httpd_count S GET "/good/$name" status=200)" -eq 1 ] || fail "not fetched once"
ok "probe_url: fetched $name, sha256 as in the manifest, tried; the log says it catches corruption only"

key_conf() { # file, url
	conf "$1" "$TMP/none" "$2" auto
	echo "probe_pubkey = $TMP/pub.pem" >>"$1"
}
key_conf "$TMP/k.conf" "$S_URL/good/"
run_until_watching "$TMP/k.conf" "$TMP/k.log"
grep -q "$name: sha256 as in $S_URL/good/manifest.json, whose signature verifies" "$TMP/k.log" ||
	{ cat "$TMP/k.log"; fail "a good signed manifest was not accepted"; }
grep -q "eBPF unavailable ($TMP/state-k.conf/probes/$name: " "$TMP/k.log" || fail "verified object not tried"
ok "probe_pubkey: a manifest signed with the pinned key verifies; the object is tried"

refused() { # label, url dir, expected reason
	key_conf "$TMP/$2.conf" "$S_URL/$2/"
	run_until_watching "$TMP/$2.conf" "$TMP/$2.log"
	grep -q "eBPF unavailable (probe from $S_URL/$2/ refused: .*$3" "$TMP/$2.log" ||
		{ cat "$TMP/$2.log"; fail "$1: not refused with '$3'"; }
	[ ! -e "$TMP/state-$2.conf/probes/$name" ] || fail "$1: the object was kept"
	! ls "$TMP/state-$2.conf/probes/" | grep -q part || fail "$1: .part files left"
	grep -q "watching $TMP/spool with fanotify" "$TMP/$2.log" || fail "$1: no fanotify fallback"
	ok "$1: refused ($3), nothing kept, fanotify used"
}
refused "object whose sha256 is not the manifest's" badsha "its sha256 $sha is not the one"
refused "manifest signed with another key" otherkey "signature does not verify with the key in $TMP/pub.pem"
refused "manifest changed after signing" changed "signature does not verify"

key_conf "$TMP/keyed.conf" "$S_URL/keyed/"
run_until_watching "$TMP/keyed.conf" "$TMP/keyed.log"
grep -q "$name: sha256 as in $S_URL/keyed/manifest.json, whose signature verifies" "$TMP/keyed.log" ||
	{ cat "$TMP/keyed.log"; fail "a manifest with relative paths, keyed entries, was not understood"; }
ok "a manifest keyed by kernel with paths relative to the output dir: the entry found by file name"

# the cached object is checked again at each start: pinning a key later
# refuses a cache the signature does not cover
echo "probe_pubkey = $TMP/pub.pem" >>"$TMP/g.conf"
rm -f "$TMP/srv/good/manifest.json.sig"
run_until_watching "$TMP/g.conf" "$TMP/g2.log"
grep -q "eBPF unavailable ($S_URL/good/manifest.json.sig: HTTP 404" "$TMP/g2.log" ||
	{ cat "$TMP/g2.log"; fail "a cached object was used without its signature once a key was pinned"; }
ok "a key pinned later: the cached object is verified again (no signature: refused)"

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
bad "probe_pubkey $TMP/key.pem: not a PEM public key" "spool = $TMP/spool" \
	"webhook = http://127.0.0.1:9/" "probe_pubkey = $TMP/key.pem"
ok "--check-config names the file, the line and what is wrong"
