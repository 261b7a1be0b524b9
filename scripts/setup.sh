#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for probe-builder and builds it in
# build/: installs the Debian packages it needs (through sudo when not root),
# then autoreconf, configure (with -Werror, as CI does) and make, out of the
# source tree, so that the tree stays unconfigured and another build
# directory can configure it with another prefix.
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
	# fetching and making packages in the main job and the tests:
	# signed APT and RPM fixture repositories (gpg makes and signs with
	# keys, which takes gpg-agent; gpgv checks), the loopback servers and
	# their clients, every compression the index readers are tested with
	apt-utils dpkg-dev rpm createrepo-c libarchive-tools python3 file
	xz-utils zstd bzip2 gzip gpg gpg-agent gpgv curl openssl ca-certificates
	# processes, namespaces, locks and terminals in the tests (ps, ss,
	# setpriv, unshare, flock, script), sandboxes (bwrap) and throwaway
	# Debian roots (mmdebstrap, also what .ci/run makes its root with)
	procps iproute2 util-linux bsdutils bubblewrap mmdebstrap
	# booting kernels (the verify step; .ci/run proves it starts)
	qemu-system-x86
	# the smoke tests of verify run under a static busybox in the VM
	busybox-static
	# the sanitizer and libFuzzer runs in make check: clang 14 takes its
	# fuzzer/ASan/UBSan runtimes from here (only a Recommends of clang)
	libclang-rt-14-dev
	# newswatch's unit checked by systemd-analyze (tests/e2e/unit.sh)
	systemd
	# the man pages rendered by the suite (tests/lint/manpage.sh)
	groff-base
	# the format check of the suite (tests/lint/format.sh)
	clang-format
	# the Debian packages built and checked by make check-packages
	# (tests/pkg/deb.sh; rpmbuild, for tests/pkg/rpm.sh, is in rpm)
	debhelper lintian
	# the Kubernetes files parsed and checked by tests/lint/kubernetes.sh
	python3-yaml
	# the one-node Slurm cluster the scheduler tests start and stop
	# themselves (tests/lib/slurm.sh): slurm-wlm is slurmctld, slurmd and
	# the clients (sbatch, squeue, scancel, sinfo); munge authenticates
	# them. Their services are kept from starting at install (below).
	slurm-wlm munge
	# the caching proxy that the shards of a run share, Apache Traffic
	# Server: deploy/trafficserver, tested by tests/e2e/ats_selftest.sh
	# with its own traffic_server (not the system service: see below)
	trafficserver
)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}" >&2
	# munge, slurmctld, slurmd and trafficserver start their service when
	# installed (invoke-rc.d or deb-systemd-invoke, under systemd or
	# sysvinit; with no init system, as in CI's root, every start is
	# blocked anyway) and enable it at boot: munged would run with
	# /etc/munge's key, traffic_manager on port 8080. The tests run their
	# own daemons on free ports, so for the time of the install a
	# policy-rc.d refuses these (and allows the rest, as no policy-rc.d
	# does), unless the machine has its own. (trafficserver's init script's
	# stop would end every traffic_server of the machine, the tests' too:
	# not used.)
	policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		trap '$SUDO rm -f "$policy"' EXIT
		$SUDO tee "$policy" >/dev/null <<'EOF'
#!/bin/sh
# from probe-builder's scripts/setup.sh, for its apt-get install only
for a; do
	case $a in munge | slurmctld | slurmd | slurmdbd | trafficserver) exit 101 ;; esac
done
exit 0
EOF
		$SUDO chmod 0755 "$policy"
	fi
	$SUDO apt-get update -q
	rc=0
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
		--no-install-recommends "${missing[@]}" || rc=$?
	if [ -n "$policy" ]; then
		$SUDO rm -f "$policy"
		trap - EXIT
	fi
	[ "$rc" = 0 ] || exit "$rc"
	if [[ " ${missing[*]} " == *" trafficserver "* ]]; then
		# not at boot either (the unit and the SysV links), and stopped
		# where systemd runs and a policy-rc.d of the machine let it start
		if [ -d /run/systemd/system ]; then
			$SUDO systemctl disable --now --quiet trafficserver.service
		else
			$SUDO systemctl disable --quiet trafficserver.service
		fi
	fi
fi

# INN for newswatch's tests: Debian's inn2 needs a repair on hosts without
# a domain name (see the script)
if [ "$(id -u)" -eq 0 ]; then
	tests/newswatch/install-inn2.sh
else
	sudo tests/newswatch/install-inn2.sh
fi

[ -x configure ] || autoreconf -fi
# a tree configured in place (by an older setup.sh) refuses build
# directories until it is cleaned
[ ! -f config.status ] || make distclean >/dev/null
mkdir -p build
cd build
[ -f Makefile ] || ../configure --enable-werror
make -j"$(nproc)"
