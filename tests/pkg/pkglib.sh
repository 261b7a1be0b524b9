# Shared by tests/pkg/deb.sh and tests/pkg/rpm.sh (sourced, bash): where
# the packages are built, and which package holds which installed file: one
# table for both ecosystems, so the Debian packages and the RPMs cannot
# drift apart.
: "${PB_DIST_TARBALL:?run through make check-packages}"
: "${PB_VERSION:?run through make check-packages}"
: "${PB_TOP_SRCDIR:?run through make check-packages}"

pkg_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# pkg_workdir NAME: a fresh directory under $TMPDIR (never in the tree),
# removed on exit unless PB_KEEP_PKG_WORK is set
pkg_workdir() {
	PKG_WORK=$(mktemp -d "${TMPDIR:-/tmp}/pb-pkg-$1.XXXXXX")
	if [ -z "${PB_KEEP_PKG_WORK:-}" ]; then
		trap 'rm -rf "$PKG_WORK"' EXIT
	else
		echo "keeping $PKG_WORK" >&2
	fi
}

# The split, one line per installed file: a role (mapped to each
# ecosystem's package name by pkg_name) and a path, where LIBDIR, UNITDIR
# and ZSHDIR stand for the ecosystem's own directories. Man pages are
# listed without their compression suffix. Documentation under
# /usr/share/doc and /usr/share/licenses is not listed.
pkg_split_table() {
	cat <<'EOF'
cli /usr/bin/probe-builder
cli /usr/libexec/probe-builder/pb-verify-agent
cli /usr/share/man/man1/probe-builder.1
cli /usr/share/man/man7/probe-builder-plugin.7
cli /usr/share/bash-completion/completions/probe-builder
cli ZSHDIR/_probe-builder
lib LIBDIR/libprobe-builder.so.0
lib LIBDIR/libprobe-builder.so.0.0.0
dev LIBDIR/libprobe-builder.so
dev LIBDIR/pkgconfig/probe-builder.pc
dev /usr/include/probe-builder/alloc.h
dev /usr/include/probe-builder/batch.h
dev /usr/include/probe-builder/error.h
dev /usr/include/probe-builder/fixup.h
dev /usr/include/probe-builder/log.h
dev /usr/include/probe-builder/pkgname.h
dev /usr/include/probe-builder/plugin.h
dev /usr/include/probe-builder/probe-builder.h
dev /usr/include/probe-builder/release.h
plugin-debian LIBDIR/probe-builder/debian.so
plugin-debian /usr/share/probe-builder/toolchains/debian-bookworm-gcc-11.toolchain
plugin-debian /usr/share/probe-builder/toolchains/debian-bookworm-gcc-12.toolchain
plugin-debian /usr/share/probe-builder/toolchains/debian-bullseye-gcc-10.toolchain
plugin-debian /usr/share/probe-builder/toolchains/debian-sid-gcc-14.toolchain
plugin-debian /usr/share/probe-builder/toolchains/debian-sid-gcc-15.toolchain
plugin-debian /usr/share/probe-builder/toolchains/debian-trixie-gcc-13.toolchain
plugin-debian /usr/share/probe-builder/toolchains/debian-trixie-gcc-14.toolchain
plugin-ubuntu LIBDIR/probe-builder/ubuntu.so
plugin-ubuntu /usr/share/probe-builder/toolchains/ubuntu-focal-gcc-10.toolchain
plugin-ubuntu /usr/share/probe-builder/toolchains/ubuntu-focal-gcc-9.toolchain
plugin-ubuntu /usr/share/probe-builder/toolchains/ubuntu-jammy-gcc-11.toolchain
plugin-ubuntu /usr/share/probe-builder/toolchains/ubuntu-jammy-gcc-12.toolchain
plugin-ubuntu /usr/share/probe-builder/toolchains/ubuntu-noble-gcc-13.toolchain
plugin-ubuntu /usr/share/probe-builder/toolchains/ubuntu-noble-gcc-14.toolchain
plugin-centos LIBDIR/probe-builder/centos.so
plugin-centos /usr/share/probe-builder/distros/almalinux.distro
plugin-centos /usr/share/probe-builder/distros/amazonlinux.distro
plugin-centos /usr/share/probe-builder/distros/amazonlinux2.distro
plugin-centos /usr/share/probe-builder/distros/amazonlinux2023.distro
plugin-centos /usr/share/probe-builder/distros/centos-stream.distro
plugin-centos /usr/share/probe-builder/distros/fedora.distro
plugin-centos /usr/share/probe-builder/distros/ol.distro
plugin-centos /usr/share/probe-builder/distros/rocky.distro
newswatch /usr/bin/newswatch
newswatch /usr/share/man/man8/newswatch.8
newswatch UNITDIR/newswatch.service
newswatch /etc/newswatch/newswatch.conf.example
EOF
}

# pkg_name deb|rpm ROLE: the package that holds ROLE's files
pkg_name() {
	case $1:$2 in
	deb:cli | rpm:cli) echo probe-builder ;;
	deb:lib) echo libprobe-builder0 ;;
	rpm:lib) echo probe-builder-libs ;;
	deb:dev) echo libprobe-builder-dev ;;
	rpm:dev) echo probe-builder-devel ;;
	*:plugin-*) echo "probe-builder-$2" ;;
	*:newswatch) echo newswatch ;;
	*) pkg_fail "pkg_name: no role $2 for $1" ;;
	esac
}

# pkg_expected deb|rpm LIBDIR UNITDIR ZSHDIR: "package path" lines, sorted
pkg_expected() {
	local eco=$1 libdir=$2 unitdir=$3 zshdir=$4 role path
	pkg_split_table | while read -r role path; do
		path=${path/#LIBDIR/$libdir}
		path=${path/#UNITDIR/$unitdir}
		path=${path/#ZSHDIR/$zshdir}
		echo "$(pkg_name "$eco" "$role") $path"
	done | LC_ALL=C sort
}

# pkg_compare EXPECTED ACTUAL: both "package path" lines (man pages'
# .gz stripped by the caller); fails listing the differences
pkg_compare() {
	if ! diff -u "$1" "$2" >"$PKG_WORK/split.diff"; then
		cat "$PKG_WORK/split.diff" >&2
		pkg_fail "the packages' files differ from the split in tests/pkg/pkglib.sh (- expected, + packaged)"
	fi
}
