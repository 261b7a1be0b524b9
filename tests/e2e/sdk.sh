#!/usr/bin/env bash
# The plugin SDK as a plugin author sees it: install probe-builder (DESTDIR),
# build tests/sdk/mybuilder.c out of tree with the flags pkg-config gives,
# load it with --plugin-dir, and check that its batch hook is the one used.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
pb_tmpdir

dest=$TMP/dest
${MAKE:-make} -s -C "$PB_TOP_BUILDDIR" install DESTDIR="$dest" >"$TMP/install.log" 2>&1 ||
	{ tail -n 30 "$TMP/install.log"; fail "make install DESTDIR=$dest"; }
pc=$(find "$dest" -name probe-builder.pc | head -n1)
[ -n "$pc" ] || fail "no probe-builder.pc installed"
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$dest
for h in probe-builder.h plugin.h batch.h error.h; do
	[ -n "$(find "$dest" -path "*/include/probe-builder/$h")" ] || fail "SDK header $h not installed"
done
cflags=$(pkg-config --cflags probe-builder) libs=$(pkg-config --libs probe-builder)
plugindir=$(pkg-config --variable=plugindir probe-builder)
[ -n "$plugindir" ] || fail "pkg-config has no plugindir"
ok "installed SDK: cflags '$cflags', libs '$libs', plugindir $plugindir"

mkdir -p "$TMP/plugins" "$TMP/claim"
cc -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden \
	-o "$TMP/plugins/mybuilder.so" "$PB_TOP_SRCDIR/tests/sdk/mybuilder.c" $cflags $libs ||
	fail "the out-of-tree plugin does not build against the installed SDK"
cc -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden -DCLAIM_DEBIAN \
	-o "$TMP/claim/mybuilder.so" "$PB_TOP_SRCDIR/tests/sdk/mybuilder.c" $cflags $libs
exported=$(nm -D --defined-only "$TMP/plugins/mybuilder.so" | awk '$2 == "T" {print $3}')
[ "$exported" = pb_plugin_entry ] || fail "the plugin exports: $exported"
ok "out-of-tree plugin built, exports only pb_plugin_entry"

bin=$(find "$dest" -path '*/bin/probe-builder' | head -n1)
libdir=$(dirname "$(find "$dest" -name 'libprobe-builder.so*' | head -n1)")
run() { LD_LIBRARY_PATH=$libdir PROBE_BUILDER_PLUGIN_PATH= "$bin" "$@"; }

run plugins --plugin-dir "$TMP/plugins" >"$TMP/plugins.txt" 2>"$TMP/plugins.err" || true
cat "$TMP/plugins.txt"
grep -E "^mydistro +mybuilder +$TMP/plugins/mybuilder.so\$" "$TMP/plugins.txt" >/dev/null ||
	fail "probe-builder plugins does not list the out-of-tree plugin"
ok "probe-builder plugins lists mydistro from $TMP/plugins/mybuilder.so"

# its batch hook decides: the release is named as it says, the other file
# is ignored with its reason, the fake package fails to unpack, by name
touch "$TMP/mykernel-devel-1.0-7.x86_64.rpm" "$TMP/other-1.0-1.x86_64.rpm"
mkdir -p "$TMP/src" && echo 'obj-m += p.o' >"$TMP/src/Kbuild"
set +e
run build --plugin-dir "$TMP/plugins" -k mydistro -p p -v 1 -s "$TMP/src" \
	-o "$TMP/out" -w "$TMP/ws" "$TMP/mykernel-devel-1.0-7.x86_64.rpm" \
	"$TMP/other-1.0-1.x86_64.rpm" >"$TMP/build.txt" 2>"$TMP/build.err"
rc=$?
set -e
cat "$TMP/build.txt" "$TMP/build.err"
[ $rc -eq 1 ] || fail "exit status $rc, expected 1"
grep -q '^1.0-7.x86_64 ' "$TMP/build.txt" || fail "the plugin's release is not in the summary"
grep -q "ignored $TMP/other-1.0-1.x86_64.rpm: not a mykernel package" "$TMP/build.err" ||
	fail "the ignored file and its reason are not reported"
grep -q "mykernel-devel-1.0-7.x86_64.rpm" "$TMP/build.txt" || fail "the failure does not name the package"
ok "build -k mydistro goes through the plugin's batch hook"

# a plugin in --plugin-dir claiming debian wins over the installed one
run plugins --plugin-dir "$TMP/claim" --plugin-dir "$PB_BUILD_PLUGINDIR" >"$TMP/p2.txt" 2>"$TMP/p2.err" || true
grep -E "^debian +mybuilder +$TMP/claim/mybuilder.so\$" "$TMP/p2.txt" >/dev/null ||
	{ cat "$TMP/p2.txt" "$TMP/p2.err"; fail "the first plugin found does not win"; }
grep -q "distro 'debian' is already provided by $TMP/claim/mybuilder.so" "$TMP/p2.err" ||
	{ cat "$TMP/p2.err"; fail "no warning about the duplicate distro"; }
ok "a duplicate distro: the first found wins, with a warning"

# not a plugin, another ABI: one warning each naming the file, then on
echo 'int not_a_plugin;' >"$TMP/x.c"
mkdir -p "$TMP/bad" && cc -shared -fPIC -o "$TMP/bad/junk.so" "$TMP/x.c"
echo "garbage" >"$TMP/bad/broken.so"
run plugins --plugin-dir "$TMP/bad" --plugin-dir "$TMP/plugins" >"$TMP/p3.txt" 2>"$TMP/p3.err" || true
grep -q "$TMP/bad/junk.so: not a probe-builder plugin" "$TMP/p3.err" || { cat "$TMP/p3.err"; fail "no warning for junk.so"; }
grep -q "$TMP/bad/broken.so: cannot load plugin" "$TMP/p3.err" || { cat "$TMP/p3.err"; fail "no warning for broken.so"; }
grep -q '^mydistro ' "$TMP/p3.txt" || fail "the good plugin after bad ones is not loaded"
ok "files that are not plugins are skipped with a warning naming them"
