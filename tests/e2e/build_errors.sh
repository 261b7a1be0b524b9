#!/usr/bin/env bash
# A failed build says why in one line: the first real error of its make
# log (here a compiler's "error:"), not only "make exited with status 2";
# the module's failure does not stop the eBPF object.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
pb_skip_if_no_e2e
pb_tmpdir

abi=$(pb_debian_abi)
kb=linux-kbuild-${abi%%.0-*}
mapfile -t files < <(pb_debian_fetch "linux-headers-$abi-amd64" \
	"linux-headers-$abi-common" "$kb" "linux-image-$abi-amd64")
rel=$abi-amd64

src=$TMP/src
cp -r "$PROBE_SRC" "$src"
printf '\n#error pb-test-marker: this module must not build\n' >>"$src/newswatch_main.c"

rc=0
"$PB" build -k debian -p newswatch -v 1.0 -s "$src" -o "$TMP/out" \
	-w "$TMP/ws" "${files[@]}" >"$TMP/out.txt" 2>"$TMP/err.txt" || rc=$?
cat "$TMP/out.txt" "$TMP/err.txt"
[ "$rc" -eq 1 ] || fail "a failed module should exit 1, got $rc"
grep -q "error: #error pb-test-marker: this module must not build" "$TMP/err.txt" ||
	fail "the error line does not give the compiler's error"
ok "the failure is reported with the compiler's error line"
grep -qE "^$rel +FAILED +BUILT" "$TMP/out.txt" || fail "the eBPF object should still be built"
ok "the eBPF object is built"
