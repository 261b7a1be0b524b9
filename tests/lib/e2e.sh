# Shared by the end-to-end tests (sourced). Automake's test driver: exit 0
# pass, 77 skip, 99 hard error, anything else fail.
set -euo pipefail

: "${PB_TOP_SRCDIR:?run through make check}"
PB=${PB_PROBE_BUILDER:?}
export PROBE_BUILDER_PLUGIN_PATH="$PB_BUILD_PLUGINDIR:$PB_BUILD_DISTRODIR:$PB_TOP_SRCDIR/toolchains"
# builder environments are shared by the tests and kept across runs
export PROBE_BUILDER_TOOLCHAIN_DIR=${PROBE_BUILDER_TOOLCHAIN_DIR:-/var/tmp/probe-builder-cache/toolchains}
PB_CACHE=${PB_CACHE:-/var/tmp/probe-builder-cache}
PROBE_SRC="$PB_TOP_SRCDIR/probes/newswatch"

pb_skip_if_no_e2e() {
	if [ -n "${PB_SKIP_E2E:-}" ]; then
		echo "SKIP: PB_SKIP_E2E is set (the end-to-end tests ran in the main make check)"
		exit 77
	fi
}

pb_tmpdir() {
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/pb-e2e.XXXXXX")
	trap 'rm -rf "$TMP"' EXIT
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit 77
}

ok() {
	echo "ok: $*"
}

# The newest Debian 6.1 ABI (6.1.0-N) whose packages are in the cache or
# can be downloaded: tests need not the network once the cache is filled.
pb_debian_abi() {
	local abi
	for abi in $({
		apt-cache pkgnames linux-headers-6.1.0- 2>/dev/null |
			sed -n 's/^linux-headers-\(6\.1\.0-[0-9]*\)-common$/\1/p'
		ls "$PB_CACHE/debian" 2>/dev/null |
			sed -n 's/^linux-headers-\(6\.1\.0-[0-9]*\)-common_.*/\1/p'
	} | sort -Vru); do
		pb__debian_available "linux-headers-$abi-amd64" "linux-headers-$abi-common" \
			"linux-kbuild-6.1" "linux-image-$abi-amd64" && { echo "$abi"; return 0; }
	done
	echo "no Debian 6.1 kernel with all its packages in the apt lists or in $PB_CACHE/debian" >&2
	return 1
}

# pb_debian_612 N: the N newest Debian 6.12 point releases (6.12.N+deb12),
# oldest first, whose headers, kbuild and signed amd64 image are in the
# cache or can be downloaded
pb_debian_612() {
	local v out=()
	for v in $({
		apt-cache pkgnames linux-headers-6.12. 2>/dev/null |
			sed -n 's/^linux-headers-\(6\.12\.[0-9]*+deb12\)-common$/\1/p'
		ls "$PB_CACHE/debian" 2>/dev/null |
			sed -n 's/^linux-headers-\(6\.12\.[0-9]*+deb12\)-common_.*/\1/p'
	} | sort -Vru); do
		pb__debian_available "linux-headers-$v-amd64" "linux-headers-$v-common" \
			"linux-kbuild-$v" "linux-image-$v-amd64" || continue
		out=("$v" "${out[@]}")
		[ ${#out[@]} -lt "$1" ] || break
	done
	[ ${#out[@]} -eq "$1" ] ||
		{ echo "no $1 Debian 6.12 kernels with all their packages in the apt lists or in $PB_CACHE/debian" >&2; return 1; }
	printf '%s\n' "${out[@]}"
}

# pb__debian_available PACKAGE...: each is in the cache or has a version apt
# can download (a release's signed image can come days after its headers:
# the lists then name the package with no version)
# pb_debian_pair ABI: the packages of two kernels of ABI, amd64 and
# cloud-amd64 (their headers, the common headers, kbuild, their images),
# one path a line, fetched and cached as pb_debian_fetch does
pb_debian_pair() {
	pb_debian_fetch "linux-headers-$1-amd64" "linux-headers-$1-cloud-amd64" \
		"linux-headers-$1-common" "linux-kbuild-${1%%.0-*}" \
		"linux-image-$1-amd64" "linux-image-$1-cloud-amd64"
}

pb__debian_available() {
	local p
	for p; do
		ls "$PB_CACHE/debian/${p}_"*.deb >/dev/null 2>&1 && continue
		apt-cache show --no-all-versions "$p" 2>/dev/null | grep '^Package: ' >/dev/null || return 1
	done
}

# Downloads the named Debian packages into the cache unless there already;
# prints the file names.
pb_debian_fetch() {
	local dir="$PB_CACHE/debian" p f missing=()
	mkdir -p "$dir"
	for p in "$@"; do
		ls "$dir/${p}_"*.deb >/dev/null 2>&1 || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		(cd "$dir" && apt-get download -q "${missing[@]}" >&2 2>/dev/null) ||
			{ echo "apt-get download ${missing[*]} failed" >&2; return 1; }
	fi
	for p in "$@"; do
		f=$(ls "$dir/${p}_"*.deb | sort -V | tail -n1)
		echo "$f"
	done
}

# The host's own Debian mirror: the URI of its sources for its codename
# (read from apt, so both sources.list and deb822 .sources files count).
pb_debian_mirror() {
	local codename uri
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	uri=$(apt-get indextargets --format '$(RELEASE) $(REPO_URI)' 2>/dev/null |
		awk -v c="$codename" '$1 == c { print $2; exit }')
	[ -n "$uri" ] || uri=http://deb.debian.org/debian/
	echo "${uri%/}"
}

# apt options for a private configuration of another suite than the host's:
# its own sources list, lists and cache under $PB_CACHE/apt-SUITE, so the
# host's apt state is neither read nor changed. Fills the array PB_APT_OPTS.
pb__suite_apt_opts() {
	local suite=$1 dir="$PB_CACHE/apt-$1"
	mkdir -p "$dir/state/lists/partial" "$dir/cache/archives/partial"
	if [ ! -s "$dir/sources.list" ]; then
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
			"$(pb_debian_mirror) $suite main" >"$dir/sources.list.tmp"
		mv "$dir/sources.list.tmp" "$dir/sources.list"
	fi
	PB_APT_OPTS=(-o "Dir::Etc::SourceList=$dir/sources.list"
		-o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State=$dir/state" -o "Dir::Cache=$dir/cache")
}

# Refreshes the private lists of SUITE when absent or older than a day (by
# a stamp of ours: apt may give the lists the mirror's times).
pb__suite_update() {
	local stamp="$PB_CACHE/apt-$1/updated"
	pb__suite_apt_opts "$1"
	if [ -z "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
		apt-get -q "${PB_APT_OPTS[@]}" --error-on=any update >&2 ||
			{ echo "apt-get update for $1 failed" >&2; return 1; }
		touch "$stamp"
	fi
}

# The newest ABI of the kernel series MAJOR.MINOR in Debian SUITE
# (5.10.0-35, 6.12.57+deb13: the part between linux-headers- and -common),
# from the private lists, else from the packages already in the cache.
pb_debian_suite_abi() {
	local suite=$1 series=${2//./\\.} abi="" re
	re="s/^linux-headers-\\($series\\(\\.[0-9][0-9]*\\)*[-+][0-9a-z]*\\)-common\\(_.*\\)\\{0,1\\}\$/\\1/p"
	if pb__suite_update "$suite" 2>/dev/null; then
		abi=$(apt-cache "${PB_APT_OPTS[@]}" pkgnames linux-headers- 2>/dev/null |
			sed -n "$re" | sort -V | tail -n1)
	fi
	if [ -z "$abi" ]; then
		abi=$(ls "$PB_CACHE/debian-$suite" 2>/dev/null | sed -n "$re" | sort -V | tail -n1)
	fi
	[ -n "$abi" ] || {
		echo "no Debian $suite $2 kernel in the apt lists or in $PB_CACHE/debian-$suite" >&2
		return 1
	}
	echo "$abi"
}

# The start of the cached file name of PKG or PKG=VERSION (apt-get download
# writes an epoch's colon as %3a).
pb__deb_prefix() {
	case $1 in
	*=*) local v=${1#*=}; echo "${1%%=*}_${v//:/%3a}_" ;;
	*) echo "${1}_" ;;
	esac
}

# pb_debian_fetch for another suite than the host's: downloads the named
# packages (PKG or PKG=VERSION, the latter for the names not carrying the ABI
# such as bullseye's linux-kbuild-5.10) of SUITE into $PB_CACHE/debian-SUITE
# unless there already (then neither the lists nor the network are needed);
# prints the file names.
pb_debian_suite_fetch() {
	local suite=$1 dir="$PB_CACHE/debian-$1" p f missing=()
	shift
	mkdir -p "$dir"
	for p in "$@"; do
		ls "$dir/$(pb__deb_prefix "$p")"*.deb >/dev/null 2>&1 || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		pb__suite_update "$suite" || return 1
		(cd "$dir" && apt-get download -q "${PB_APT_OPTS[@]}" "${missing[@]}" >&2 2>/dev/null) ||
			{ echo "apt-get download ${missing[*]} from $suite failed" >&2; return 1; }
	fi
	for p in "$@"; do
		f=$(ls "$dir/$(pb__deb_prefix "$p")"*.deb | sort -V | tail -n1)
		echo "$f"
	done
}

# md5 of a member of a .deb's data
pb_deb_member_md5() {
	dpkg-deb --fsys-tarfile "$1" | tar -xOf - "./$2" | md5sum | cut -d' ' -f1
}

# pb_crawl_json FILE [--no-series]: crawl --json's listing in FILE, keys
# sorted, without its plan_id, which is checked first: the SHA-256 of
# "DISTRO\n" and the kernels' sorted "release\tarch\tversion" lines (each
# ending in "\n"); --no-series drops the kernels' series too
pb_crawl_json() {
	python3 - "$@" <<'PY'
import hashlib, json, sys
j = json.load(open(sys.argv[1]))
keys = sorted("%s\t%s\t%s" % (k["release"], k["arch"], k.get("version", ""))
              for k in j["kernels"])
want = hashlib.sha256((j["distro"] + "\n" + "".join(k + "\n" for k in keys))
                      .encode()).hexdigest()
got = j.pop("plan_id", None)
if got != want:
    sys.exit("%s: plan_id %s, not %s (the SHA-256 of its distro and kernels)"
             % (sys.argv[1], got, want))
if "--no-series" in sys.argv[2:]:
    for k in j["kernels"]:
        assert isinstance(k.pop("series"), list)
print(json.dumps(j, indent=2, sort_keys=True))
PY
}
