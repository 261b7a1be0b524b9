#!/usr/bin/env bash
# The main job: build the bundled example probe (probes/newswatch) for the
# newest kernel of this host's distribution, its packages fetched with the
# host's own package manager, then show the outputs.
#
# Debian only for now: the newest linux-headers-<abi>-<arch> in the apt
# lists, its common headers and kbuild (from its Depends), and its
# linux-image for the config, through `apt-get download`. Downloads are
# cached in $PB_CACHE (default /var/tmp/probe-builder-cache/debian).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

. /etc/os-release
if [ "${ID:-}" != debian ]; then
	echo "main-job: this host is ${PRETTY_NAME:-unknown}; the main job knows how to fetch Debian's kernels only" >&2
	exit 1
fi
arch=$(dpkg --print-architecture)
cache=${PB_CACHE:-/var/tmp/probe-builder-cache/debian}
out=${PB_OUTPUT:-$top/output}
ws=${PB_WORKSPACE:-$top/workspace}
mkdir -p "$cache"

# the newest kernel: highest version among linux-headers-<abi>-<arch>, where
# <abi> is 6.1.0-56 or 6.12.111+deb12 (not the linux-headers-6.12-amd64
# metapackages)
best= best_ver=
mapfile -t cands < <(apt-cache pkgnames linux-headers- |
	grep -E "^linux-headers-[0-9]+\.[0-9]+(\.[0-9]+)?(-[0-9][0-9a-z.]*|\+[0-9a-z.]+)-${arch}\$" | sort)
if [ ${#cands[@]} -gt 0 ]; then
	while read -r pkg ver; do
		if [ -z "$best" ] || dpkg --compare-versions "$ver" gt "$best_ver"; then
			best=$pkg best_ver=$ver
		fi
	done < <(apt-cache show --no-all-versions "${cands[@]}" 2>/dev/null |
		awk '/^Package: /{p=$2} /^Version: /{print p, $2}')
fi
if [ -z "$best" ]; then
	echo "main-job: no linux-headers-*-${arch} package in the apt lists; run apt-get update" >&2
	exit 1
fi
release=${best#linux-headers-}
echo "main-job: newest kernel of $PRETTY_NAME: $release ($best_ver)" >&2

# its packages: the headers' own kernel dependencies, and the image
deps=$(apt-cache depends "$best=$best_ver" | sed -n 's/^ *Depends: //p' |
	grep -E '^linux-(headers-.*-common(-rt)?|kbuild-.*)$' | sort -u || true)
image=linux-image-$release
if ! apt-cache show "$image=$best_ver" >/dev/null 2>&1; then
	image=linux-image-$release-unsigned
fi
pkgs=("$best=$best_ver" "$image=$best_ver")
for d in $deps; do pkgs+=("$d=$best_ver"); done
(cd "$cache" && apt-get download -q "${pkgs[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
files=()
for p in "${pkgs[@]}"; do
	name=${p%%=*}
	f=$(ls "$cache/${name}_"*.deb 2>/dev/null | sort -V | tail -n1 || true)
	if [ -z "$f" ]; then
		echo "main-job: apt-get download $p gave no file in $cache" >&2
		exit 1
	fi
	files+=("$f")
done

# setup.sh builds in build/
bld=$top/build
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"/\1/p' "$bld/config.h")
PROBE_BUILDER_PLUGIN_PATH="$bld/plugins/.libs:$top/distros:$top/toolchains" \
	"$bld/probe-builder" build -k debian -p newswatch -v "$version" \
	-s "$top/probes/newswatch" -o "$out" -w "$ws" "${files[@]}"

echo
echo "== outputs in $out"
ls -l "$out"
for f in "$out"/*"$release"-*.ko; do
	[ -e "$f" ] || continue
	echo "$(basename "$f"): vermagic $(modinfo -F vermagic "$f")"
done
for f in "$out"/*"$release"-*.o; do
	[ -e "$f" ] || continue
	echo "$(basename "$f"): $(file -b "$f")"
done
