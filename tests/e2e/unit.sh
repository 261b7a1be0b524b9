#!/usr/bin/env bash
# newswatch's systemd unit: generated with this install's paths (no @...@
# left), it passes `systemd-analyze verify` (with ExecStart pointed at the
# binary just built, since nothing is installed here) and
# `systemd-analyze security --offline` rates it 4.0 or better.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
pb_tmpdir
command -v systemd-analyze >/dev/null || skip "no systemd-analyze (Debian: systemd)"
unit=$PB_TOP_BUILDDIR/newswatch/newswatch.service
[ -f "$unit" ] || fail "$unit was not generated"
! grep -n '@[a-z]*@' "$unit" || fail "placeholders left in $unit"
grep -qE '^ExecStart=/[^ ]+/bin/newswatch ' "$unit" || fail "ExecStart: $(grep ExecStart "$unit")"
mkdir -p "$TMP/sys"
sed "s|^ExecStart=[^ ]*|ExecStart=$PB_TOP_BUILDDIR/newswatch/newswatch|" "$unit" >"$TMP/sys/newswatch.service"
systemd-analyze verify --man=no "$TMP/sys/newswatch.service" >"$TMP/verify.txt" 2>&1 ||
	{ cat "$TMP/verify.txt"; fail "systemd-analyze verify"; }
! grep -i "newswatch.service" "$TMP/verify.txt" || { cat "$TMP/verify.txt"; fail "systemd-analyze verify complains"; }
score=$(systemd-analyze security --offline=true "$TMP/sys/newswatch.service" 2>&1 |
	sed -n 's/.*Overall exposure level for newswatch.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || fail "no security score"
awk -v s="$score" 'BEGIN { exit !(s <= 4.0) }' || fail "security exposure $score, above 4.0"
ok "the unit verifies; systemd-analyze security: $score (it was 9.1 UNSAFE)"
