# shellcheck shell=bash
# bench/lib.sh - the measuring shared by bench/index.sh and bench/kernels.sh
# (sourced), and its self-check: `bash bench/lib.sh --selftest`.
#
# A figure is always ours next to its floor, measured in the same run, the
# two commands alternating (A B A B ...) so that a busy moment of the
# machine hits both alike; medians are quoted, and the ratio ours/floor is
# what matters (absolute times move with the machine's load).
#
#   bench_ab KEY ROUNDS A B [PRE]
#       runs the shell commands A (ours) and B (the floor) alternately,
#       ROUNDS times each, PRE (untimed) before each run. A run's figure is
#       its wall time in seconds, unless it wrote a number into the file
#       named by $BENCH_FIGURE (e.g. a time to first output, a size). The
#       commands run in this shell (eval): they may set variables for each
#       other. Sets BENCH_A and BENCH_B to the medians, BENCH_RATIO to
#       BENCH_A / BENCH_B, BENCH_RANGE_A and BENCH_RANGE_B to the smallest
#       and largest figures ("MIN-MAX", for the notes: how much the
#       machine's load moved them); every run's figure is kept, one a line, in
#       $BENCH_DIR/KEY.a and KEY.b. A command that fails stops it: status
#       1, its output on stderr.
#   bench_median         numbers on stdin, one a line: their median
#   bench_ratio A B      A / B, two decimals ("-" when B is 0)
#   bench_range          numbers on stdin: "MIN-MAX", two decimals
#   bench_table TITLE    a markdown table's title and heading
#   bench_row FIGURE OURS FLOOR RATIO NOTES    one row of it
#
# Rounds: BENCH_SLOW (PB_BENCH_SLOW, default 3) for the figures that take
# seconds a run, BENCH_FAST (PB_BENCH_FAST, default 5) for the others.
# BENCH_DIR (default a temporary directory) holds the runs' figures and
# output.

# shellcheck disable=SC2034 # for the scripts that source this
BENCH_SLOW=${PB_BENCH_SLOW:-3}
# shellcheck disable=SC2034
BENCH_FAST=${PB_BENCH_FAST:-5}

bench_median() {
	sort -g | awk '{ v[NR] = $1 }
		END {
			if (NR == 0) { print "bench_median: no numbers" > "/dev/stderr"; exit 1 }
			if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.15g\n", m
		}'
}

bench_ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f\n", a / b }'
}

# one run of a command: its figure appended to FILE
bench__run() { # FILE COMMAND
	local t0 t1 out=$BENCH_DIR/run.out
	: >"$BENCH_FIGURE"
	t0=$EPOCHREALTIME
	if ! eval "$2" >"$out" 2>&1; then
		cat "$out" >&2
		echo "bench: failed: $2" >&2
		return 1
	fi
	t1=$EPOCHREALTIME
	if [ -s "$BENCH_FIGURE" ]; then
		head -n1 "$BENCH_FIGURE" >>"$1"
	else
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }' >>"$1"
	fi
}

bench_ab() { # KEY ROUNDS A B [PRE]
	local key=$1 rounds=$2 a=$3 b=$4 pre=${5:-} i
	: "${BENCH_DIR:=$(mktemp -d "${TMPDIR:-/tmp}/pb-bench.XXXXXX")}"
	BENCH_FIGURE=$BENCH_DIR/figure
	: >"$BENCH_DIR/$key.a"
	: >"$BENCH_DIR/$key.b"
	for ((i = 0; i < rounds; i++)); do
		[ -z "$pre" ] || eval "$pre" || { echo "bench: failed: $pre" >&2; return 1; }
		bench__run "$BENCH_DIR/$key.a" "$a" || return 1
		[ -z "$pre" ] || eval "$pre" || { echo "bench: failed: $pre" >&2; return 1; }
		bench__run "$BENCH_DIR/$key.b" "$b" || return 1
	done
	BENCH_A=$(bench_median <"$BENCH_DIR/$key.a")
	BENCH_B=$(bench_median <"$BENCH_DIR/$key.b")
	BENCH_RATIO=$(bench_ratio "$BENCH_A" "$BENCH_B")
	BENCH_RANGE_A=$(bench_range <"$BENCH_DIR/$key.a")
	BENCH_RANGE_B=$(bench_range <"$BENCH_DIR/$key.b")
}

# numbers on stdin: "MIN-MAX", two decimals
bench_range() {
	sort -g | awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%.2f-%.2f\n", a, b }'
}

bench_table() {
	printf '\n%s\n\n| figure | ours | floor | ratio | notes |\n|---|---|---|---|---|\n' "$1"
}

bench_row() {
	printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "${4}x" "$5"
}

# ---- the self-check: the median, the alternation, the figures, failures
bench__selftest() {
	local d f k n=0 bad=0
	d=$(mktemp -d "${TMPDIR:-/tmp}/pb-bench-selftest.XXXXXX")
	# shellcheck disable=SC2064 # d is set now
	trap "rm -rf '$d'" EXIT
	BENCH_DIR=$d
	check() { # WHAT GOT WANT
		n=$((n + 1))
		if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1: got '$2', want '$3'"; bad=1; fi
	}
	check "median of an odd count" "$(printf '3\n1\n2\n' | bench_median)" 2
	check "median of an even count" "$(printf '4\n1\n3\n2\n' | bench_median)" 2.5
	check "median of one" "$(echo 7.25 | bench_median)" 7.25
	check "median keeps large integers whole" "$(printf '142466377\n142208563\n142208567\n' | bench_median)" 142208567
	check "median sorts numerically" "$(printf '10\n9\n100\n' | bench_median)" 10
	check "no median of nothing" "$(bench_median </dev/null 2>/dev/null || echo failed)" failed
	check "ratio" "$(bench_ratio 3 2)" 1.50
	check "no ratio to 0" "$(bench_ratio 3 0)" -

	f=$d/order
	: >"$f"
	bench_ab order 3 "echo a >>'$f'" "echo b >>'$f'" "echo p >>'$f'"
	check "A and B alternate, PRE before each" "$(tr -d '\n' <"$f")" papbpapbpapb
	check "a figure per run" "$(wc -l <"$d/order.a") $(wc -l <"$d/order.b")" "3 3"

	# figures written by the commands: the medians, not the last or mean
	# shellcheck disable=SC2034 # the commands are eval'd in here
	k=0
	# shellcheck disable=SC2016
	bench_ab fig 3 'k=$((k + 1)); echo 5 >"$BENCH_FIGURE"' \
		'echo $((k == 2 ? 90 : 2)) >"$BENCH_FIGURE"'
	check "median of A's figures" "$BENCH_A" 5
	check "median of B's figures (one outlier)" "$BENCH_B" 2
	check "ratio of the medians" "$BENCH_RATIO" 2.50
	check "ranges" "$BENCH_RANGE_A $BENCH_RANGE_B" "5.00-5.00 2.00-90.00"
	# shellcheck disable=SC2016
	check "a figure is not left over for the next run" \
		"$(bench_ab left 1 'echo 9 >"$BENCH_FIGURE"' 'sleep 0.05' && awk '{ print ($1 < 1) }' "$d/left.b")" 1

	# wall times, when no figure is written
	bench_ab wall 3 "sleep 0.3" "sleep 0.1"
	check "wall time of A" "$(awk -v a="$BENCH_A" 'BEGIN { print (a >= 0.3 && a < 0.6) }')" 1
	check "wall time of B" "$(awk -v b="$BENCH_B" 'BEGIN { print (b >= 0.1 && b < 0.3) }')" 1
	check "ratio of the wall times" "$(awk -v r="$BENCH_RATIO" 'BEGIN { print (r > 1.5 && r < 4) }')" 1

	# a failing command stops the measure, its output on stderr
	check "a failing A fails" "$(bench_ab fail 3 'echo oops; false' true 2>"$d/err" || echo failed)" failed
	check "its output is shown" "$(grep -cx oops "$d/err")" 1
	check "a failing PRE fails" "$(bench_ab fail 1 true true false 2>/dev/null || echo failed)" failed

	check "table row" "$(bench_row fig 1.0 0.5 2.00 n)" "| fig | 1.0 | 0.5 | 2.00x | n |"
	[ "$bad" = 0 ] || { echo "bench/lib.sh: self-check failed" >&2; return 1; }
	echo "bench/lib.sh: $n checks passed"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case ${1:-} in
	--selftest) bench__selftest ;;
	*) echo "usage: bash bench/lib.sh --selftest (else it is sourced)" >&2; exit 2 ;;
	esac
fi
