# Shared by the end-to-end tests (sourced). Automake's test driver: exit 0
# pass, 77 skip, 99 hard error, anything else fail.
set -euo pipefail

: "${PB_TOP_SRCDIR:?run through make check}"
PB=${PB_PROBE_BUILDER:?}
export PROBE_BUILDER_PLUGIN_PATH="$PB_BUILD_PLUGINDIR:$PB_BUILD_DISTRODIR:$PB_TOP_SRCDIR/toolchains"
# builder environments are shared by the tests and kept across runs
export PROBE_BUILDER_TOOLCHAIN_DIR=${PROBE_BUILDER_TOOLCHAIN_DIR:-/var/tmp/probe-builder-cache/toolchains}
PB_CACHE=${PB_CACHE:-/var/tmp/probe-builder-cache}
PROBE_SRC="$PB_TOP_SRCDIR/probes/newswatch"

pb_skip_if_no_e2e() {
	if [ -n "${PB_SKIP_E2E:-}" ]; then
		echo "SKIP: PB_SKIP_E2E is set (the end-to-end tests ran in the main make check)"
		exit 77
	fi
}

pb_tmpdir() {
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/pb-e2e.XXXXXX")
	trap 'rm -rf "$TMP"' EXIT
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

ok() {
	echo "ok: $*"
}

# The newest Debian 6.1 ABI the apt lists know (6.1.0-N), else the newest
# one already in the cache: tests need not the network once it is filled.
pb_debian_abi() {
	local abi
	abi=$(apt-cache pkgnames linux-headers-6.1.0- 2>/dev/null |
		sed -n 's/^linux-headers-\(6\.1\.0-[0-9]*\)-common$/\1/p' | sort -V | tail -n1)
	if [ -z "$abi" ]; then
		abi=$(ls "$PB_CACHE/debian" 2>/dev/null |
			sed -n 's/^linux-headers-\(6\.1\.0-[0-9]*\)-common_.*/\1/p' | sort -V | tail -n1)
	fi
	[ -n "$abi" ] || { echo "no Debian 6.1 kernel in the apt lists or in $PB_CACHE/debian" >&2; return 1; }
	echo "$abi"
}

# Downloads the named Debian packages into the cache unless there already;
# prints the file names.
pb_debian_fetch() {
	local dir="$PB_CACHE/debian" p f missing=()
	mkdir -p "$dir"
	for p in "$@"; do
		ls "$dir/${p}_"*.deb >/dev/null 2>&1 || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		(cd "$dir" && apt-get download -q "${missing[@]}" >&2 2>/dev/null) ||
			{ echo "apt-get download ${missing[*]} failed" >&2; return 1; }
	fi
	for p in "$@"; do
		f=$(ls "$dir/${p}_"*.deb | sort -V | tail -n1)
		echo "$f"
	done
}

# md5 of a member of a .deb's data
pb_deb_member_md5() {
	dpkg-deb --fsys-tarfile "$1" | tar -xOf - "./$2" | md5sum | cut -d' ' -f1
}
