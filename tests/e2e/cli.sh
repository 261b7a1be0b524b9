#!/usr/bin/env bash
# The command line as a user meets it: --help and --version, bad usage (exit
# 2), clear errors naming the file or distro at fault, --ignore-list, and a
# manifest that is not ours is never overwritten. Uses the Debian packages
# of debian.sh (fetched if missing).
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
pb_skip_if_no_e2e
pb_tmpdir

expect_rc() { # rc, command...
	local want=$1 rc
	shift
	set +e
	"$@" >"$TMP/o.txt" 2>"$TMP/e.txt"
	rc=$?
	set -e
	[ $rc -eq "$want" ] || { cat "$TMP/o.txt" "$TMP/e.txt"; fail "'$*': exit $rc, expected $want"; }
}

expect_rc 0 "$PB" --version
grep -qx "probe-builder [0-9.]*" "$TMP/o.txt" || fail "--version: $(cat "$TMP/o.txt")"
expect_rc 0 "$PB" build --help
for opt in --kernel-type --probe-name --probe-version --source-dir --output-dir \
	--workspace --jobs --kernel-filter --ignore-list --nearest-compiler --plugin-dir \
	--quiet --verbose PROBE_BUILDER_PLUGIN_PATH --toolchain --toolchain-dir \
	--toolchain-mirror --sandbox --module-sign-key --module-sign-cert; do
	grep -q -- "$opt" "$TMP/o.txt" || fail "build --help does not mention $opt"
done
expect_rc 0 "$PB" build --help
for st in "3 when every" "130" "143"; do
	grep -q -- "$st" "$TMP/o.txt" || fail "build --help does not give exit status '$st'"
done
grep -q -- "--wait-lock" "$TMP/o.txt" || fail "build --help does not mention --wait-lock"
expect_rc 0 "$PB" --help
grep -q "plugins" "$TMP/o.txt" || fail "--help does not list the plugins command"
grep -q "toolchains" "$TMP/o.txt" || fail "--help does not list the toolchains command"
expect_rc 0 "$PB" toolchains --help
for opt in list make remove --toolchain-dir --toolchain-mirror; do
	grep -q -- "$opt" "$TMP/o.txt" || fail "toolchains --help does not mention $opt"
done
ok "--help and --version"

expect_rc 2 "$PB"
expect_rc 2 "$PB" frobnicate
expect_rc 2 "$PB" build -k debian -p x -v 1
grep -q -- "-k, -p, -v and -s are required" "$TMP/e.txt" || fail "missing options: $(cat "$TMP/e.txt")"
expect_rc 2 "$PB" build -k debian -p x -v 1 -s "$PROBE_SRC" --from-json x.json x.deb
grep -q "PACKAGE files or --from-json, not both" "$TMP/e.txt" || fail "both: $(cat "$TMP/e.txt")"
expect_rc 2 "$PB" build -k debian -p x -v 1 -s "$PROBE_SRC" -j 0 x.deb
expect_rc 2 "$PB" build -k debian -p a/b -v 1 -s "$PROBE_SRC" x.deb
expect_rc 2 "$PB" build -k debian -p x -v 1 -s "$PROBE_SRC" -f '(' x.deb
expect_rc 2 "$PB" build -k debian -p x -v 1 -s "$PROBE_SRC" --sandbox=maybe x.deb
grep -q "sandbox wants on or off" "$TMP/e.txt" || fail "--sandbox=maybe: $(cat "$TMP/e.txt")"
expect_rc 2 "$PB" toolchains
expect_rc 2 "$PB" toolchains make
grep -q "which ones" "$TMP/e.txt" || fail "toolchains make: $(cat "$TMP/e.txt")"
expect_rc 2 "$PB" toolchains list extra
expect_rc 1 "$PB" toolchains --toolchain-dir "$TMP/tc" make no-such-toolchain
grep -q "no definition named 'no-such-toolchain'" "$TMP/e.txt" || fail "toolchains make unknown: $(cat "$TMP/e.txt")"
ok "bad usage exits 2 with a message"

cd "$TMP"
# an unknown distro is bad usage, for build and crawl, and creates nothing
expect_rc 2 "$PB" build -k nosuch -p x -v 1 -s "$PROBE_SRC" -o "$TMP/o-nosuch" "$TMP"
grep -q "unknown distro 'nosuch'" "$TMP/e.txt" || fail "unknown distro: $(cat "$TMP/e.txt")"
[ ! -e "$TMP/o-nosuch" ] || fail "an unknown distro created the output dir"
expect_rc 2 "$PB" crawl -w "$TMP/ws-nosuch" nosuch
grep -q "unknown distro 'nosuch'" "$TMP/e.txt" || fail "crawl unknown distro: $(cat "$TMP/e.txt")"
# an output dir that cannot be written is found before any download: the
# mirror given does not exist, and is never reached
mkdir -p "$TMP/ro"
if [ "$(id -u)" != 0 ]; then
	chmod 555 "$TMP/ro"
	expect_rc 1 "$PB" build -k debian -p x -v 1 -s "$PROBE_SRC" -o "$TMP/ro" \
		-w "$TMP/ws-ro" --mirror http://127.0.0.1:9/
	chmod 755 "$TMP/ro"
elif unshare -m true 2>/dev/null; then
	# root writes into mode 555 directories: a read-only bind mount
	expect_rc 1 unshare -m sh -c 'mount --bind "$1" "$1" &&
		mount -o remount,bind,ro "$1" && shift && exec "$@"' sh "$TMP/ro" \
		"$PB" build -k debian -p x -v 1 -s "$PROBE_SRC" -o "$TMP/ro" \
		-w "$TMP/ws-ro" --mirror http://127.0.0.1:9/
else
	echo "# cannot make a read-only directory here" >"$TMP/e.txt"
fi
if ! grep -q "cannot make" "$TMP/e.txt"; then
	grep -q "the output dir $TMP/ro is not writable: Read-only file system\|the output dir $TMP/ro is not writable: Permission denied" "$TMP/e.txt" ||
		fail "read-only output dir: $(cat "$TMP/e.txt")"
	! grep -q "127.0.0.1:9" "$TMP/e.txt" || fail "the mirror was tried before the output dir was checked"
	ok "an output dir that cannot be written is said before any download"
fi
expect_rc 1 "$PB" build -k debian -p x -v 1 -s "$PROBE_SRC" "$TMP/missing_1_amd64.deb"
grep -q "$TMP/missing_1_amd64.deb: No such file or directory" "$TMP/e.txt" || fail "missing file: $(cat "$TMP/e.txt")"
expect_rc 1 "$PB" build -k debian -p x -v 1 -s "$TMP/nosrc" "$TMP"
grep -q "$TMP/nosrc: not a directory" "$TMP/e.txt" || fail "missing source: $(cat "$TMP/e.txt")"
mkdir -p "$TMP/empty"
expect_rc 1 "$PB" build -k debian -p x -v 1 -s "$TMP/empty" "$TMP"
grep -q "nothing to build" "$TMP/e.txt" || fail "empty source: $(cat "$TMP/e.txt")"
touch "$TMP/readme.txt"
expect_rc 1 "$PB" build -k debian -p x -v 1 -s "$PROBE_SRC" "$TMP/readme.txt"
grep -q "ignored $TMP/readme.txt: not a Debian package file name" "$TMP/e.txt" || fail "junk file: $(cat "$TMP/e.txt")"
grep -q "no debian kernel release among the 1 package files" "$TMP/e.txt" || fail "no kernel: $(cat "$TMP/e.txt")"
# options that cannot work are refused before the output and workspace
# dirs are made (and before the risky-option warnings of a crawl that the
# package files make needless)
expect_rc 1 "$PB" build -k debian -p x -v 1 -s "$PROBE_SRC" -o "$TMP/o-nil" -w "$TMP/w-nil" \
	--ignore-list "$TMP/no-such-list" --allow-redirect-host "$TMP/readme.txt"
grep -q -- "--ignore-list $TMP/no-such-list: No such file or directory" "$TMP/e.txt" ||
	fail "missing ignore list: $(cat "$TMP/e.txt")"
[ ! -e "$TMP/o-nil" ] && [ ! -e "$TMP/w-nil" ] || fail "a refused run made its output or workspace dir"
expect_rc 1 "$PB" build -k debian -p x -v 1 -s "$PROBE_SRC" -o "$TMP/o-nil" -w "$TMP/w-nil" \
	--allow-redirect-host "$TMP/readme.txt"
! grep -q "allow-redirect-host" "$TMP/e.txt" || fail "a build of package files warned about fetching: $(cat "$TMP/e.txt")"
ok "errors name the distro, file or directory at fault"

abi=$(pb_debian_abi)
mapfile -t files < <(pb_debian_fetch "linux-headers-$abi-amd64" \
	"linux-headers-$abi-cloud-amd64" "linux-headers-$abi-common" "linux-kbuild-${abi%%.0-*}" \
	"linux-image-$abi-amd64" "linux-image-$abi-cloud-amd64")

# a kernel without its image package fails up front, naming what is missing
noimg=()
for f in "${files[@]}"; do [[ $f == */linux-image-$abi-cloud-amd64_* ]] || noimg+=("$f"); done
printf '# comment\n  %s-amd64   # the plain flavor\n' "$abi" >"$TMP/ignore"
expect_rc 1 "$PB" build -k debian -p x -v 1 -s "$PROBE_SRC" -o "$TMP/out" -w "$TMP/ws" \
	--ignore-list "$TMP/ignore" "${noimg[@]}"
grep -qE "^$abi-amd64 +SKIPPED +SKIPPED" "$TMP/o.txt" || fail "--ignore-list: $(cat "$TMP/o.txt")"
grep -qF "no linux-image-$abi-cloud-amd64 (= " "$TMP/o.txt" || fail "missing image: $(cat "$TMP/o.txt")"
ok "--ignore-list skips; a kernel without its image package fails naming it"

# a manifest.json that is not ours stays as it is, and nothing is built
mkdir -p "$TMP/out2" && echo '{"mine": true}' >"$TMP/out2/manifest.json"
expect_rc 1 "$PB" build -k debian -p x -v 1 -s "$PROBE_SRC" -o "$TMP/out2" -w "$TMP/ws" "${files[@]}"
grep -q "$TMP/out2/manifest.json: not a probe-builder manifest" "$TMP/e.txt" || fail "foreign manifest: $(cat "$TMP/e.txt")"
[ "$(cat "$TMP/out2/manifest.json")" = '{"mine": true}' ] || fail "the foreign manifest was changed"
[ "$(ls "$TMP/out2")" = manifest.json ] || fail "something was built next to a foreign manifest"
ok "a foreign manifest.json is left alone"

# -q: only the summary and errors
expect_rc 0 "$PB" build -q -k debian -p x -v 1 -s "$PROBE_SRC" -o "$TMP/out3" -w "$TMP/ws" \
	-f "cloud" "${files[@]}"
[ ! -s "$TMP/e.txt" ] || fail "-q printed: $(cat "$TMP/e.txt")"
grep -qE "^$abi-cloud-amd64 +BUILT +BUILT" "$TMP/o.txt" || fail "-q summary: $(cat "$TMP/o.txt")"
ok "-q prints the summary only"

# on a terminal: one progress line redrawn in place, cut to the terminal's
# width (30 columns: the line with the release name is longer), and no log
# lines of the per-kernel workers (their INFO lines flooded the terminal)
rm -rf "$TMP/out4"
TERM=dumb script -qfec "stty cols 30; exec '$PB' build -k debian -p x -v 1 -s '$PROBE_SRC' -o '$TMP/out4' -w '$TMP/ws' -j 2 -f cloud ${files[*]}" \
	/dev/null >"$TMP/tty.txt" 2>&1 || { cat "$TMP/tty.txt"; fail "build on a terminal"; }
python3 - "$TMP/tty.txt" "$abi-cloud-amd64" 30 <<'PY' || { cat -v "$TMP/tty.txt"; fail "the progress line on a terminal"; }
import re, sys
text = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
rel, cols = sys.argv[2], int(sys.argv[3])
# what a terminal shows between two carriage returns, escapes removed
draws = [re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", d) for d in re.split(r"[\r\n]", text)]
prog = [d for d in draws if re.match(r"\d+:\d\d \[\d+/\d+\]", d)]
assert len(prog) >= 2, "the line was not redrawn: %r" % prog
# the last column stays free: a full line wraps on some terminals
wide = [d for d in prog if len(d) > cols - 1]
assert not wide, "wider than %d columns: %r" % (cols - 1, wide)
assert any(len(d) == cols - 1 for d in prog), "never cut to the width: %r" % prog[:3]
for bad in (rel + ": config", rel + ": running", ": wrote ", rel + ": building"):
    assert bad not in text, "a worker's log line on the terminal: %r" % bad
print("ok: %d redraws, none wider than %d columns" % (len(prog), cols))
PY
grep -qE "^$abi-cloud-amd64 +BUILT +BUILT" <(tr -d '\r' <"$TMP/tty.txt") || fail "no summary on a terminal"
ok "on a terminal, progress is one line redrawn"
