#!/usr/bin/env bash
# bench/run.sh [index|kernels|all]: `make bench` (BENCH=index|kernels|all).
# Run from a configured build directory (out of tree or not): it first makes
# there what it times (probe-builder, its plugins, bench/index_bench and
# bench/unpack_bench), so a stale binary is never measured. Prints markdown
# tables: each figure ours next to its floor, measured in the same run,
# alternating, medians (bench/lib.sh).
#   index    the index parsers next to the decompressors (bench/index.sh)
#   kernels  two real Debian kernels: bytes, time to first output, unpack,
#            cold build, warm rerun, workspace size (bench/kernels.sh)
# Inputs are cached in PB_BENCH_DIR (default /var/tmp/probe-builder-bench),
# kernel packages in PB_CACHE (default /var/tmp/probe-builder-cache, shared
# with the tests). PB_BENCH_SLOW / PB_BENCH_FAST: rounds (3 / 5).
set -euo pipefail
what=${1:-${BENCH:-all}}
case $what in
index | kernels | all) ;;
*) echo "usage: bench/run.sh [index|kernels|all]" >&2; exit 2 ;;
esac
BENCH_SRC=$(cd "$(dirname "$0")/.." && pwd)
BENCH_BUILD=$PWD
if ! grep -q '^bench:' Makefile 2>/dev/null || [ ! -f config.h ]; then
	echo "bench/run.sh: run it from a configured build directory (make bench)" >&2
	exit 2
fi
${MAKE:-make} -s all bench/index_bench bench/unpack_bench >/dev/null
# what the outer make gave its children is not for the builds timed here
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES GNUMAKEFLAGS
export BENCH_SRC BENCH_BUILD
export BENCH_WORK=${PB_BENCH_DIR:-/var/tmp/probe-builder-bench}
mkdir -p "$BENCH_WORK"

echo "probe-builder $("$BENCH_BUILD/probe-builder" --version | cut -d' ' -f2)," \
	"$(git -C "$BENCH_SRC" describe --always --dirty 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC'):" \
	"$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start;" \
	"medians of ${PB_BENCH_FAST:-5} runs$([ "$what" = index ] || echo " (${PB_BENCH_SLOW:-3} for the kernel builds and the slow mirror)"), ours and floor alternating"
case $what in index | all) bash "$BENCH_SRC/bench/index.sh" ;; esac
case $what in kernels | all) bash "$BENCH_SRC/bench/kernels.sh" ;; esac
echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
