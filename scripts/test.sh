#!/usr/bin/env bash
# Runs every test: `make check` (cmocka unit tests and the end-to-end tests
# on real kernel packages), `make check-packages` (the Debian and RPM
# packages), then `make distcheck` (the tarball builds, its
# unit tests pass, it installs and uninstalls cleanly; the end-to-end tests
# and the second builds of tests/fuzz (sanitizers, libFuzzer, the other
# compiler), which are of `make distdir` already, ran above and are skipped
# in there). Run scripts/setup.sh first: it builds in build/.
set -euo pipefail
cd "$(dirname "$0")/../build"
jobs=$(nproc)

show_failures() {
	for log in $(find . -name '*.log' -path '*tests/*' -newer config.status 2>/dev/null); do
		trs=${log%.log}.trs
		if [ -f "$trs" ] && grep -qE '^:test-result: (FAIL|ERROR)' "$trs"; then
			echo "==== $log (last 80 lines)"
			tail -n 80 "$log"
		fi
	done
}

if ! make -j"$jobs" check; then
	show_failures
	exit 1
fi
# the .deb and .rpm packages, built from the tarball in $TMPDIR, checked,
# installed in a fresh Debian 12 root (tests/pkg/)
make check-packages
PB_SKIP_E2E=1 PB_SKIP_SUBBUILDS=1 make -j"$jobs" distcheck
echo "test.sh: all tests passed"
