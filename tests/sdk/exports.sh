#!/bin/bash
# What the built shared objects export, as their version scripts say:
# libprobe-builder only pb_ functions, each in a PROBE_BUILDER_ version node
# (core/sdk/libprobe-builder.map); a distro plugin only its entry,
# pb_plugin_entry, in PROBE_BUILDER_PLUGIN_1 (plugins/plugin.map).
set -u
top=${PB_TOP_BUILDDIR:?run through make check}
fail=0

# defined dynamic symbols, without the version nodes' own (absolute) ones
defined() {
	nm -D --defined-only "$1" | awk '$2 != "A" { print $3 }'
}

lib="$top/.libs/libprobe-builder.so"
[ -e "$lib" ] || { echo "FAIL: $lib not built"; exit 1; }
n=$(defined "$lib" | wc -l)
bad=$(defined "$lib" | grep -Ev '^pb_[a-z0-9_]+@@PROBE_BUILDER_[0-9.]+$')
if [ "$n" -lt 10 ] || [ -n "$bad" ]; then
	echo "FAIL: $lib exports $n symbols; not pb_ in a version node:"
	echo "$bad"
	fail=1
fi

for so in "$top"/plugins/.libs/*.so; do
	[ -e "$so" ] || continue
	got=$(defined "$so")
	if [ "$got" != "pb_plugin_entry@@PROBE_BUILDER_PLUGIN_1" ]; then
		echo "FAIL: $so exports more or other than its entry:"
		echo "$got"
		fail=1
	fi
done
[ "$fail" = 0 ] && echo "PASS: exports as the version scripts say"
exit "$fail"
