#!/bin/bash
# tests/pkg/rpm.sh (run by `make check-packages`): builds the RPMs from the
# dist tarball with the spec inside it (rpmbuild -tb), in $TMPDIR, then
# checks that each installed file is in the package tests/pkg/pkglib.sh's
# table gives it, and the packages' dependencies and scriptlets.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/pkglib.sh"

for tool in rpmbuild rpm bsdtar readelf; do
	command -v "$tool" >/dev/null || pkg_fail "$tool not found (scripts/setup.sh installs it)"
done
pkg_workdir rpm

# --nodeps: the build dependencies are Fedora's names, which Debian's rpm
# database does not know; the Debian packages of scripts/setup.sh provide
# them. _tmppath: rpmbuild's scriptlet files go under $TMPDIR, not /var/tmp.
log=$PKG_WORK/rpmbuild.log
start=$(date +%s)
if ! rpmbuild --define "_topdir $PKG_WORK/rpm" --define "_tmppath $PKG_WORK" \
	--nodeps -tb "$PB_DIST_TARBALL" >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	pkg_fail "rpmbuild -tb $(basename "$PB_DIST_TARBALL") failed (the end of its log is above)"
fi
echo "rpmbuild -tb took $(($(date +%s) - start)) s"
# what rpmbuild and its helper scripts complained about, for the reader
# (not a failure: Debian's brp-compress, a /bin/sh script, uses bash's
# read -d and leaves the man pages uncompressed)
grep -E '^(warning: |/usr/lib/rpm/[^ :]+: )' "$log" | sort | uniq -c |
	sed 's/^ */rpmbuild said (times): /' || true

# the debuginfo packages an rpm with redhat-rpm-config adds are not in the
# table
mapfile -t rpms < <(find "$PKG_WORK/rpm/RPMS" -name '*.rpm' \
	! -name '*-debuginfo-*' ! -name '*-debugsource-*' | LC_ALL=C sort)
[ ${#rpms[@]} -gt 0 ] || pkg_fail "rpmbuild made no .rpm under $PKG_WORK/rpm/RPMS"

# the directories the table's LIBDIR, UNITDIR and ZSHDIR stand for.
# _unitdir comes from systemd-rpm-macros, which Debian's rpm lacks: the
# spec then uses %{_prefix}/lib/systemd/system, its value on Fedora, so the
# same fallback is expected here
libdir=$(rpm --eval '%{_libdir}')
unitdir=$(rpm --eval '%{?_unitdir}%{!?_unitdir:%{_prefix}/lib/systemd/system}')
pkg_expected rpm "$libdir" "$unitdir" /usr/share/zsh/site-functions >"$PKG_WORK/expected"

declare -A rpm_of
: >"$PKG_WORK/actual"
for f in "${rpms[@]}"; do
	name=$(rpm -qp --qf '%{NAME}' "$f")
	version=$(rpm -qp --qf '%{VERSION}' "$f")
	[ "$version" = "$PB_VERSION" ] ||
		pkg_fail "$(basename "$f"): version $version, configure.ac's is $PB_VERSION (Version: in probe-builder.spec)"
	rpm_of[$name]=$f
	# files and symbolic links, not directories; no documentation, no
	# build-id links; man pages without the suffix of their compression
	rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$f" >"$PKG_WORK/files"
	awk -v n="$name" '$1 !~ /^d/ && $2 !~ /^\/usr\/share\/(doc|licenses)\// &&
		$2 !~ /^\/usr\/lib\/\.build-id\// {
			p = $2
			if (p ~ /^\/usr\/share\/man\//) sub(/\.(gz|bz2|xz|zst)$/, "", p)
			print n, p
		}' "$PKG_WORK/files" >>"$PKG_WORK/actual"
done
LC_ALL=C sort -o "$PKG_WORK/actual" "$PKG_WORK/actual"

# every package of the table was built, and no other
cut -d' ' -f1 "$PKG_WORK/expected" | uniq >"$PKG_WORK/expected.names"
printf '%s\n' "${!rpm_of[@]}" | LC_ALL=C sort >"$PKG_WORK/actual.names"
if ! diff -u "$PKG_WORK/expected.names" "$PKG_WORK/actual.names" >&2; then
	pkg_fail "the RPMs built are not the packages of tests/pkg/pkglib.sh's table (- expected, + built)"
fi
echo "PASS: ${#rpms[@]} RPMs built: $(tr '\n' ' ' <"$PKG_WORK/actual.names")"

pkg_compare "$PKG_WORK/expected" "$PKG_WORK/actual"
echo "PASS: each file in the package of the split ($(wc -l <"$PKG_WORK/actual") files)"

cli=$(pkg_name rpm cli)
mapfile -t plugins < <(pkg_split_table | awk '$1 ~ /^plugin-/ { print $1 }' | uniq |
	while read -r role; do pkg_name rpm "$role"; done)
[ ${#plugins[@]} -gt 0 ] || pkg_fail "no plugin role in tests/pkg/pkglib.sh's table"

# each plugin requires a core that knows its ABI: probe-builder >= a
# version no newer than this one
for p in "${plugins[@]}"; do
	req=$(rpm -qp --requires "${rpm_of[$p]}" | awk -v c="$cli" '$1 == c && $2 == ">=" { print $3 }')
	[ -n "$req" ] || pkg_fail "$p does not require '$cli >= VERSION' (probe-builder.spec: Requires: probe-builder >= %{pb_plugin_abi_since})"
	[ "$(printf '%s\n' "$req" "$PB_VERSION" | sort -V | tail -n 1)" = "$PB_VERSION" ] ||
		pkg_fail "$p requires $cli >= $req, newer than this version $PB_VERSION"
	echo "PASS: $p requires $cli >= $req"
done

# no RUNPATH or RPATH: the libraries are in the dynamic linker's own
# directories (Fedora's check-rpaths refuses one that says so again)
mkdir "$PKG_WORK/payload"
for f in "${rpms[@]}"; do
	bsdtar -xf "$f" -C "$PKG_WORK/payload" || pkg_fail "bsdtar cannot unpack $(basename "$f")"
done
elves=0
while IFS= read -r -d '' e; do
	[ "$(head -c 4 "$e" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || continue
	elves=$((elves + 1))
	if readelf -d "$e" | grep -E '\((RPATH|RUNPATH)\)' >&2; then
		pkg_fail "${e#"$PKG_WORK/payload"} has the RPATH or RUNPATH above"
	fi
done < <(find "$PKG_WORK/payload" -path "$PKG_WORK/payload/usr/lib/.build-id" -prune -o -type f -print0)
[ "$elves" -gt 0 ] || pkg_fail "no ELF file in the RPMs"
echo "PASS: no RPATH or RUNPATH in the $elves ELF files"

# the CLI recommends every plugin (weak dependencies)
recommends=$(rpm -qp --recommends "${rpm_of[$cli]}" | awk '{ print $1 }')
for p in "${plugins[@]}"; do
	grep -qxF "$p" <<<"$recommends" || pkg_fail "$cli does not recommend $p (Recommends: in probe-builder.spec)"
done
echo "PASS: $cli recommends ${plugins[*]}"

# newswatch: %pre makes its system user; the unit is enabled, stopped and
# restarted by the other scriptlets; the example configuration is
# %config(noreplace)
nw=$(pkg_name rpm newswatch)
rpm -qp --scripts "${rpm_of[$nw]}" >"$PKG_WORK/scripts"
scriptlet() {
	awk -v s="$1 scriptlet" 'index($0, s) == 1 { on = 1; next }
		/^[a-z]+ scriptlet \(using / { on = 0 } on' "$PKG_WORK/scripts"
}
pre=$(scriptlet preinstall)
if ! grep -Eq 'useradd .*newswatch' <<<"$pre"; then
	echo "$nw's %pre: ${pre:-(none)}" >&2
	pkg_fail "$nw has no %pre scriptlet creating the user newswatch (useradd ... newswatch)"
fi
echo "PASS: $nw's %pre creates the user newswatch"
for s in postinstall preuninstall postuninstall; do
	scriptlet "$s" | grep -q 'newswatch\.service' ||
		pkg_fail "$nw's $s scriptlet does not handle newswatch.service"
done
echo "PASS: $nw's %post, %preun and %postun handle newswatch.service"
conf=$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "${rpm_of[$nw]}" |
	awk '$2 == "/etc/newswatch/newswatch.conf.example" { print $1 }')
[[ $conf == *c*n* ]] ||
	pkg_fail "$nw: /etc/newswatch/newswatch.conf.example is not %config(noreplace) (flags '$conf')"
echo "PASS: $nw's example configuration is %config(noreplace)"
