# bash completion for probe-builder: its commands, each command's options
# (read from its own --help, so they stay true), distro names (from
# `probe-builder plugins`), builder environments (`toolchains list`),
# directories and package files.

_probe_builder_opts() { # command
	"${COMP_WORDS[0]}" "$1" --help 2>/dev/null |
		grep -oE -- '(^|[ ,])--?[a-zA-Z][a-zA-Z-]*' | tr -d ' ,' | sort -u
}

_probe_builder_distros() {
	"${COMP_WORDS[0]}" plugins 2>/dev/null | awk 'NR > 1 { print $1 }'
}

_probe_builder_toolchains() {
	"${COMP_WORDS[0]}" toolchains list 2>/dev/null |
		awk '/^[a-z0-9]/ { print $1 }'
}

_probe_builder() {
	local cur prev cmd i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		build | crawl | verify | toolchains | plugins | manifest)
			cmd=${COMP_WORDS[i]}
			break
			;;
		esac
	done
	if [ -z "$cmd" ]; then
		COMPREPLY=($(compgen -W "build crawl verify toolchains plugins manifest --help --version" -- "$cur"))
		return
	fi
	case $prev in
	-k | --kernel-type)
		COMPREPLY=($(compgen -W "$(_probe_builder_distros)" -- "$cur"))
		return
		;;
	-s | --source-dir | -o | --output-dir | -w | --workspace | --toolchain-dir | --plugin-dir)
		COMPREPLY=($(compgen -d -- "$cur"))
		return
		;;
	--toolchain)
		COMPREPLY=($(compgen -W "auto host $(_probe_builder_toolchains)" -- "$cur"))
		return
		;;
	--sandbox)
		COMPREPLY=($(compgen -W "on off" -- "$cur"))
		return
		;;
	--accel)
		COMPREPLY=($(compgen -W "tcg kvm" -- "$cur"))
		return
		;;
	--shard)
		COMPREPLY=($(compgen -W "auto" -- "$cur"))
		return
		;;
	--ignore-list | --from-json | --keyring | --sign-key | --module-sign-key | --module-sign-cert | --agent | --clang | --llc)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	make | remove)
		if [ "$cmd" = toolchains ]; then
			COMPREPLY=($(compgen -W "$(_probe_builder_toolchains)" -- "$cur"))
			return
		fi
		;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_probe_builder_opts "$cmd")" -- "$cur"))
		return
	fi
	case $cmd in
	crawl) COMPREPLY=($(compgen -W "$(_probe_builder_distros)" -- "$cur")) ;;
	toolchains) COMPREPLY=($(compgen -W "list make remove" -- "$cur")) ;;
	manifest)
		# manifest merge DIR
		if [ "$prev" = manifest ]; then
			COMPREPLY=($(compgen -W "merge" -- "$cur"))
		else
			COMPREPLY=($(compgen -d -- "$cur"))
		fi
		;;
	build)
		# package files, and directories that stand for theirs
		COMPREPLY=($(compgen -f -- "$cur" | grep -E '\.(deb|rpm)$') $(compgen -d -- "$cur"))
		;;
	esac
}
complete -F _probe_builder probe-builder
