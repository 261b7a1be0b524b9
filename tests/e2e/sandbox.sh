#!/usr/bin/env bash
# Every make runs in the sandbox: a probe source whose Kbuild file runs
# $(shell ...) to write outside the workspace, into $HOME, and to reach a
# listener on 127.0.0.1 builds (its module is fine) but writes nothing
# outside and reaches nothing; the same source with --sandbox=off does
# write and connect (so this test can fail). And a host without bubblewrap
# is refused unless --sandbox=off is said.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
pb_skip_if_no_e2e
pb_tmpdir
command -v bwrap >/dev/null || skip "bubblewrap is not installed"

abi=$(pb_debian_abi)
mapfile -t files < <(pb_debian_fetch "linux-headers-$abi-amd64" "linux-headers-$abi-common" \
	"linux-kbuild-${abi%%.0-*}" "linux-image-$abi-amd64")

outside=$TMP/outside home=$TMP/home
mkdir -p "$outside" "$home"
# a listener that counts connections
python3 - "$TMP/port" "$TMP/conns" <<'PY' &
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
n = 0
while True:
    c, _ = s.accept(); n += 1; c.close()
    open(sys.argv[2], "w").write(str(n))
PY
lpid=$!
trap 'kill $lpid 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do [ -s "$TMP/port" ] && break; sleep 0.1; done
port=$(cat "$TMP/port")

src=$TMP/src
mkdir -p "$src"
cat >"$src/hello.c" <<'C'
#include <linux/module.h>
MODULE_LICENSE("GPL");
static int __init hello_init(void) { return 0; }
module_init(hello_init);
C
cat >"$src/Kbuild" <<K
obj-m := \$(PROBE_NAME).o
\$(PROBE_NAME)-y := hello.o
\$(shell touch $outside/pwned-kbuild)
\$(shell touch \$(HOME)/pwned-home; touch $home/pwned-home)
\$(shell bash -c 'echo hi >/dev/tcp/127.0.0.1/$port')
K

run() { # name, extra options...
	local name=$1
	shift
	HOME=$home "$PB" build -k debian -p hostile -v 1 -s "$src" -o "$TMP/out-$name" \
		-w "$TMP/ws-$name" "$@" "${files[@]}" >"$TMP/$name.txt" 2>"$TMP/$name.err" ||
		{ cat "$TMP/$name.txt" "$TMP/$name.err"; fail "$name: the build failed"; }
	grep -E "^$abi-amd64 +BUILT" "$TMP/$name.txt" >/dev/null ||
		{ cat "$TMP/$name.txt"; fail "$name: the module was not BUILT"; }
}

run sandboxed
[ -z "$(ls -A "$outside")" ] || fail "the sandboxed build wrote outside: $(ls "$outside")"
[ -z "$(ls -A "$home")" ] || fail "the sandboxed build wrote into \$HOME: $(ls "$home")"
[ ! -s "$TMP/conns" ] || fail "the sandboxed build reached 127.0.0.1:$port"
ok "sandboxed: the module built; nothing written outside or into \$HOME, no connection"

run unconfined --sandbox=off
[ -e "$outside/pwned-kbuild" ] || fail "--sandbox=off: the Kbuild file could not write outside (the test proves nothing)"
[ -e "$home/pwned-home" ] || fail "--sandbox=off: no write into \$HOME"
[ "$(cat "$TMP/conns" 2>/dev/null)" -ge 1 ] || fail "--sandbox=off: no connection"
ok "--sandbox=off: the same source writes outside and connects (so the check above can fail)"
for f in "$TMP/out-sandboxed"/*.ko "$TMP/out-sandboxed"/*.o; do
	[ -e "$f" ] || continue
	cmp "$f" "$TMP/out-unconfined/${f##*/}" || fail "${f##*/}: the sandbox changed the bytes"
done
ok "the sandboxed and unconfined builds made the same bytes"

# no bubblewrap: refused, saying how to go on
mkdir -p "$TMP/nobwrap"
# everything of the host's but bwrap
for p in /usr/bin/* /usr/sbin/*; do
	[ "${p##*/}" = bwrap ] || ln -sf "$p" "$TMP/nobwrap/"
done
set +e
PATH=$TMP/nobwrap "$PB" build -k debian -p hostile -v 1 -s "$src" -o "$TMP/out-nb" \
	-w "$TMP/ws-nb" "${files[@]}" >"$TMP/nb.txt" 2>"$TMP/nb.err"
rc=$?
set -e
[ "$rc" -eq 1 ] || { cat "$TMP/nb.err"; fail "without bubblewrap: exit $rc, not 1"; }
grep -q -- "--sandbox=off" "$TMP/nb.err" || { cat "$TMP/nb.err"; fail "without bubblewrap: the message does not say --sandbox=off"; }
[ ! -e "$TMP/out-nb/manifest.json" ] || fail "without bubblewrap: something was built"
ok "without bubblewrap: refused ($(head -n1 "$TMP/nb.err"))"
