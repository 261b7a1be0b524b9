#!/usr/bin/env bash
# make check: bench/lib.sh's self-check (median, alternation, figures,
# failures) on fake commands; the benchmark itself is `make bench`.
exec bash "$(dirname "$0")/lib.sh" --selftest
