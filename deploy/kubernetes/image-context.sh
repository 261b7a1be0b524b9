#!/usr/bin/env bash
# Makes the build context of the builder image (Containerfile beside this
# script) in OUTDIR, from the .deb files dpkg-buildpackage made (DEBDIR), a
# probe's source (PROBEDIR) and extra keyrings (-k FILE, repeatable):
#
#   deploy/kubernetes/image-context.sh [-k KEYRING]... DEBDIR PROBEDIR OUTDIR
#   podman build -t IMAGE OUTDIR
#
# DEBDIR must hold exactly one version of each package the image installs:
# an older build left beside a newer one is refused, not guessed between.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
pkgs=(probe-builder libprobe-builder0 probe-builder-plugin-debian
	probe-builder-plugin-ubuntu probe-builder-plugin-centos)

usage() {
	echo "usage: $0 [-k KEYRING]... DEBDIR PROBEDIR OUTDIR" >&2
	exit 2
}
keyrings=()
while getopts k: o; do
	case $o in
	k) keyrings+=("$OPTARG") ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 3 ] || usage
debdir=$1 probedir=$2 out=$3

fail() {
	echo "image-context: $*" >&2
	exit 1
}
[ -d "$debdir" ] || fail "$debdir: no such directory"
[ -d "$probedir" ] || fail "$probedir: no such directory (the probe's source)"
for k in ${keyrings[@]+"${keyrings[@]}"}; do
	[ -f "$k" ] || fail "keyring $k: no such file"
done
if [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then
	fail "$out is not empty: give a new directory"
fi

debs=()
for p in "${pkgs[@]}"; do
	found=()
	for f in "$debdir/${p}_"*.deb; do
		[ -e "$f" ] && found+=("$f")
	done
	[ ${#found[@]} -gt 0 ] ||
		fail "$debdir has no ${p}_*.deb (build the packages: README, \"Packages\")"
	[ ${#found[@]} -eq 1 ] ||
		fail "$debdir has ${#found[@]} versions of $p (${found[*]##*/}): keep one"
	debs+=("${found[0]}")
done

mkdir -p "$out/debs" "$out/keyrings" "$out/probe"
cp "${debs[@]}" "$out/debs/"
cp "$here/Containerfile" "$out/Containerfile"
install -m 0755 "$top/deploy/pb-shard" "$out/pb-shard"
cp -R "$probedir/." "$out/probe/"
for k in ${keyrings[@]+"${keyrings[@]}"}; do
	cp "$k" "$out/keyrings/"
done
echo "image-context: $out is ready: podman build -t IMAGE $out (or docker build)"
