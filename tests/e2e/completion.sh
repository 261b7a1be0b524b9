#!/usr/bin/env bash
# The bash completion (completions/probe-builder.bash) completes what is
# true today: the commands, each command's options (from its --help),
# distro names from `probe-builder plugins` after -k, modes of --sandbox,
# package files; `complete -p` shows it registered. zsh's is checked for
# syntax when zsh is installed.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
pb_tmpdir

# shellcheck source=../../completions/probe-builder.bash
. "$PB_TOP_SRCDIR/completions/probe-builder.bash"
[ "$(complete -p probe-builder)" = "complete -F _probe_builder probe-builder" ] ||
	fail "complete -p: $(complete -p probe-builder 2>&1)"

complete_words() { # words... (the last is the one being completed)
	COMP_WORDS=("$PB" "$@")
	COMP_CWORD=$#
	COMPREPLY=()
	_probe_builder
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}

got=$(complete_words "")
[ "$got" = "build crawl manifest plugins toolchains verify " ] ||
	[ "$got" = "--help --version build crawl manifest plugins toolchains verify " ] ||
	fail "commands: $got"
got=$(complete_words build -k "")
for d in debian ubuntu centos fedora rocky; do
	[[ " $got" == *" $d "* ]] || fail "build -k <TAB> lacks $d: $got"
done
got=$(complete_words crawl ub)
[ "$got" = "ubuntu " ] || fail "crawl ub<TAB>: $got"
got=$(complete_words verify --vm)
[ "$got" = "--vm-memory --vm-timeout " ] || fail "verify --vm<TAB>: $got"
got=$(complete_words build --sandbox "")
[ "$got" = "off on " ] || fail "--sandbox <TAB>: $got"
got=$(complete_words build --module-sign-)
[ "$got" = "--module-sign-cert --module-sign-key " ] || fail "build --module-sign-<TAB>: $got"
touch "$TMP/k.deb" "$TMP/k.rpm" "$TMP/notes.txt"
got=$(complete_words build -k debian "$TMP/")
[[ $got == *"$TMP/k.deb"* && $got == *"$TMP/k.rpm"* && $got != *notes.txt* ]] ||
	fail "package files: $got"
got=$(complete_words toolchains "")
[ "$got" = "list make remove " ] || fail "toolchains <TAB>: $got"
got=$(complete_words manifest "")
[ "$got" = "merge " ] || fail "manifest <TAB>: $got"
mkdir -p "$TMP/out"
got=$(complete_words manifest merge "$TMP/o")
[ "$got" = "$TMP/out " ] || fail "manifest merge <TAB>: $got"
got=$(complete_words manifest merge --s)
[ "$got" = "--sign-key " ] || fail "manifest merge --s<TAB>: $got"
got=$(complete_words build --sh)
[ "$got" = "--shard " ] || fail "build --sh<TAB>: $got"
ok "bash: commands, options from --help, distros from plugins, modes, package files, manifest merge"

if command -v zsh >/dev/null; then
	zsh -n "$PB_TOP_SRCDIR/completions/_probe-builder" || fail "zsh: syntax"
	ok "zsh: the completion parses"
else
	echo "zsh is not installed: its completion is not checked here"
fi
