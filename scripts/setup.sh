#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for probe-builder and builds it in place:
# installs the Debian packages it needs (through sudo when not root), then
# autoreconf, configure (with -Werror, as CI does) and make.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
PKGS=(
	# build
	build-essential autoconf automake libtool libltdl-dev pkg-config
	libcurl4-openssl-dev libarchive-dev libxml2-dev liblzma-dev libssl-dev
	libjson-c-dev libcmocka-dev zlib1g-dev libbpf-dev bpftool
	# what building probes takes: kbuild's tools, clang/llc for eBPF,
	# pahole for kernels that ship BTF (6.12)
	make gcc clang llvm dwarves kmod bc flex bison libelf-dev
	# fetching and making packages in the main job and the tests
	apt-utils dpkg-dev rpm libarchive-tools python3 file xz-utils zstd
	ca-certificates
)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}" >&2
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
		--no-install-recommends "${missing[@]}"
fi

# INN for newswatch's tests: Debian's inn2 needs a repair on hosts without
# a domain name (see the script)
if [ "$(id -u)" -eq 0 ]; then
	tests/newswatch/install-inn2.sh
else
	sudo tests/newswatch/install-inn2.sh
fi

[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure --enable-werror
make -j"$(nproc)"
