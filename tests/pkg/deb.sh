#!/usr/bin/env bash
# The Debian packages (issue 11): built with dpkg-buildpackage from the dist
# tarball in $TMPDIR, their files split as tests/pkg/pkglib.sh says, lintian
# without errors, then installed in a fresh Debian 12 root made with
# mmdebstrap from this machine's mirrors:
#   - probe-builder and probe-builder-plugin-debian only: `plugins` lists
#     debian and no other distro;
#   - probe-builder-plugin-ubuntu installed: ubuntu appears; purged: gone,
#     with none of its files left;
#   - libprobe-builder-dev: the SDK's test plugin (tests/sdk/mybuilder.c)
#     builds through pkg-config and loads with --plugin-dir;
#   - newswatch: its user exists, its unit passes systemd-analyze verify.
# Needs root (mmdebstrap --mode=root, bwrap into the root).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/pkglib.sh"

[ "$(id -u)" = 0 ] || pkg_fail "needs root (mmdebstrap makes a root, bwrap enters it)"
for t in dpkg-buildpackage dh lintian mmdebstrap bwrap; do
	command -v "$t" >/dev/null || pkg_fail "no $t: run scripts/setup.sh"
done
pkg_workdir deb
chmod 755 "$PKG_WORK" # apt's _apt user reads the .deb files in there
t0=$(date +%s)

# ---- build -------------------------------------------------------------------
tar -xzf "$PB_DIST_TARBALL" -C "$PKG_WORK"
src=$PKG_WORK/probe-builder-$PB_VERSION
[ -x "$src/debian/rules" ] || pkg_fail "$PB_DIST_TARBALL has no executable debian/rules"
if ! (cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
	dpkg-buildpackage -b -uc -us) >"$PKG_WORK/build.log" 2>&1; then
	tail -n 60 "$PKG_WORK/build.log" >&2
	pkg_fail "dpkg-buildpackage failed (log above)"
fi
t_build=$(($(date +%s) - t0))
echo "PASS: dpkg-buildpackage -b built the packages in ${t_build} s"
# the packages in a directory of their own, which the root sees at the
# same path (apt hands dpkg the paths as given)
debs=$PKG_WORK/debs
mkdir "$debs"
mv "$PKG_WORK"/*.deb "$PKG_WORK"/*.changes "$PKG_WORK"/*.buildinfo "$debs/"
deb() { # deb NAME: the path of package NAME's .deb
	local f=("$debs/$1_${PB_VERSION}-"*.deb)
	[ -f "${f[0]}" ] || pkg_fail "no $1 package was built"
	echo "${f[0]}"
}

# ---- the split ----------------------------------------------------------------
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
pkg_expected deb "/usr/lib/$multiarch" /lib/systemd/system \
	/usr/share/zsh/vendor-completions >"$PKG_WORK/expected"
: >"$PKG_WORK/actual"
for role in cli lib dev plugin-debian plugin-ubuntu plugin-centos newswatch; do
	name=$(pkg_name deb "$role")
	# files and symlinks, not directories, not the docs and the lintian
	# overrides every package has
	dpkg-deb --fsys-tarfile "$(deb "$name")" | tar -tvf - |
		awk '$1 !~ /^d/ { p = $6; sub(/^\./, "", p); print p }' |
		grep -vE '^/usr/share/(doc|lintian)/' |
		sed -E 's/\.gz$//' | sed "s|^|$name |"
done | LC_ALL=C sort >"$PKG_WORK/actual"
pkg_compare "$PKG_WORK/expected" "$PKG_WORK/actual"
echo "PASS: the packages hold exactly the files of the split ($(wc -l <"$PKG_WORK/actual") files)"

# dependencies: plugins on a core that speaks their ABI, the core recommends
# them, the -dev on its exact library
for p in debian ubuntu centos; do
	dep=$(dpkg-deb -f "$(deb probe-builder-plugin-$p)" Depends)
	grep -qE '(^|, )probe-builder \(>= [0-9]' <<<"$dep" ||
		pkg_fail "probe-builder-plugin-$p does not depend on probe-builder (>= ...): $dep"
	dpkg-deb -f "$(deb probe-builder)" Recommends | grep -q "probe-builder-plugin-$p" ||
		pkg_fail "probe-builder does not recommend probe-builder-plugin-$p"
done
dpkg-deb -f "$(deb libprobe-builder-dev)" Depends |
	grep -qF "libprobe-builder0 (= $PB_VERSION-" ||
	pkg_fail "libprobe-builder-dev does not depend on its exact libprobe-builder0"
dpkg-deb -f "$(deb probe-builder)" Built-Using | grep -q zlib ||
	pkg_fail "probe-builder's Built-Using does not name what pb-verify-agent links statically"
dpkg-deb -e "$(deb newswatch)" "$PKG_WORK/nw-control"
grep -q "adduser --system" "$PKG_WORK/nw-control/postinst" ||
	pkg_fail "newswatch's postinst makes no system user"
echo "PASS: plugins depend on probe-builder (>= their ABI), which recommends them; -dev on its library; newswatch's postinst adds its user"

# ---- lintian -------------------------------------------------------------------
changes=("$debs"/probe-builder_"$PB_VERSION"-*.changes)
lintian --tag-display-limit 0 "${changes[0]}" >"$PKG_WORK/lintian.txt" 2>&1 || true
if grep -E '^E: ' "$PKG_WORK/lintian.txt"; then
	pkg_fail "lintian reports errors (above)"
fi
echo "PASS: lintian reports no error; its warnings:"
grep -E '^W: ' "$PKG_WORK/lintian.txt" | sed 's/^/    /' || echo "    (none)"

# ---- a fresh Debian 12 root -------------------------------------------------------
# from this machine's apt sources (mmdebstrap pastes a sources file given
# as a mirror), its proxy and date settings; the packages' dependencies
# come from there, the host's archive cache saves the downloads
mirrors=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
	[ -s "$f" ] && grep -qE '^[^#]*(bookworm)' "$f" && mirrors+=("$f")
done
[ ${#mirrors[@]} -gt 0 ] || pkg_fail "no bookworm source in /etc/apt/sources.list{,.d/*}"
aptopts=()
while read -r key val; do
	aptopts+=(--aptopt="$key $val")
done < <(apt-config dump | grep -E '^Acquire::(https?::Proxy|Check-Valid-Until|Check-Date) ' || true)
root=$PKG_WORK/root
sdk=$PKG_WORK/sdk
mkdir -p /var/cache/apt/archives "$sdk"
t1=$(date +%s)
if ! unshare --mount --propagation private --pid --fork --kill-child \
	mmdebstrap --mode=root --variant=apt --format=directory \
	--aptopt='APT::Install-Recommends "false"' "${aptopts[@]}" \
	--dpkgopt=force-unsafe-io --skip=cleanup/apt/lists \
	--include="$(deb probe-builder)" --include="$(deb libprobe-builder0)" \
	--include="$(deb probe-builder-plugin-debian)" \
	--include=systemd,gcc,libc6-dev,pkgconf \
	--setup-hook='mkdir -p "$1/var/cache/apt/archives" && mount --bind /var/cache/apt/archives "$1/var/cache/apt/archives"' \
	--setup-hook="mkdir -p \"\$1$debs\" && mount --bind $debs \"\$1$debs\"" \
	--customize-hook="umount \"\$1$debs\" && umount \"\$1/var/cache/apt/archives\"" \
	bookworm "$root" "${mirrors[@]}" </dev/null >"$PKG_WORK/mmdebstrap.log" 2>&1; then
	tail -n 40 "$PKG_WORK/mmdebstrap.log" >&2
	pkg_fail "mmdebstrap could not make a root with probe-builder and probe-builder-plugin-debian (log above)"
fi
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
echo "PASS: a fresh bookworm root with probe-builder and probe-builder-plugin-debian installed ($(($(date +%s) - t1)) s)"

# in_root CMD...: CMD in the root, the packages at the same path, no
# environment of ours
in_root() {
	bwrap --bind "$root" / --tmpfs /tmp --bind "$debs" "$debs" --bind "$sdk" "$sdk" \
		--bind /var/cache/apt/archives /var/cache/apt/archives \
		--proc /proc --dev /dev --unshare-pid --die-with-parent \
		--clearenv --setenv PATH /usr/sbin:/usr/bin:/sbin:/bin --setenv HOME /root \
		--setenv DEBIAN_FRONTEND noninteractive "$@"
}
distros() { in_root probe-builder plugins | awk 'NR > 1 { print $1 }' | LC_ALL=C sort | tr '\n' ' '; }

got=$(distros)
[ "$got" = "debian " ] || pkg_fail "with only the Debian plugin installed, probe-builder plugins lists: $got"
echo "PASS: probe-builder plugins lists debian only"

in_root apt-get install -y -q "$(deb probe-builder-plugin-ubuntu)" >"$PKG_WORK/apt-ubuntu.log" 2>&1 ||
	{ tail -n 20 "$PKG_WORK/apt-ubuntu.log" >&2; pkg_fail "installing probe-builder-plugin-ubuntu in the root failed"; }
got=$(distros)
[ "$got" = "debian ubuntu " ] || pkg_fail "with the Ubuntu plugin installed, probe-builder plugins lists: $got"
in_root dpkg -L probe-builder-plugin-ubuntu >"$PKG_WORK/ubuntu.files"
in_root dpkg --purge probe-builder-plugin-ubuntu >/dev/null
got=$(distros)
[ "$got" = "debian " ] || pkg_fail "after purging the Ubuntu plugin, probe-builder plugins lists: $got"
left=$(while read -r f; do
	[ -e "$root$f" ] && [ ! -d "$root$f" ] && echo "$f"
done <"$PKG_WORK/ubuntu.files" || true)
[ -z "$left" ] || pkg_fail "purging probe-builder-plugin-ubuntu left: $left"
! ls "$root"/usr/share/probe-builder/toolchains/ubuntu-* >/dev/null 2>&1 ||
	pkg_fail "ubuntu builder environments left after the purge"
echo "PASS: the Ubuntu plugin installed appears, purged is gone with nothing left"

in_root apt-get install -y -q "$(deb libprobe-builder-dev)" >"$PKG_WORK/apt-dev.log" 2>&1 ||
	{ tail -n 20 "$PKG_WORK/apt-dev.log" >&2; pkg_fail "installing libprobe-builder-dev in the root failed"; }
cp "$PB_TOP_SRCDIR/tests/sdk/mybuilder.c" "$sdk/"
in_root sh -ec "cd '$sdk' && gcc -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden -o mybuilder.so mybuilder.c \$(pkg-config --cflags --libs probe-builder)" ||
	pkg_fail "the SDK's test plugin does not build against the installed libprobe-builder-dev"
got=$(in_root probe-builder plugins --plugin-dir "$sdk")
grep -qE "^mydistro +mybuilder +$sdk/mybuilder.so\$" <<<"$got" ||
	pkg_fail "the SDK's test plugin, built with pkg-config, is not loaded: $got"
echo "PASS: the SDK's test plugin builds through pkg-config against libprobe-builder-dev and loads with --plugin-dir"

in_root apt-get install -y -q "$(deb newswatch)" >"$PKG_WORK/apt-nw.log" 2>&1 ||
	{ tail -n 20 "$PKG_WORK/apt-nw.log" >&2; pkg_fail "installing newswatch in the root failed"; }
in_root getent passwd newswatch | grep -q ':/nonexistent:' ||
	pkg_fail "newswatch's postinst made no system user newswatch"
in_root systemd-analyze verify --man=no /lib/systemd/system/newswatch.service >"$PKG_WORK/verify.txt" 2>&1 ||
	{ cat "$PKG_WORK/verify.txt" >&2; pkg_fail "systemd-analyze verify fails on the installed newswatch.service"; }
! grep -i "newswatch" "$PKG_WORK/verify.txt" ||
	{ cat "$PKG_WORK/verify.txt" >&2; pkg_fail "systemd-analyze verify complains about newswatch.service"; }
[ -f "$root/etc/newswatch/newswatch.conf.example" ] || pkg_fail "newswatch installed no example configuration"
echo "PASS: newswatch installs: its user exists, its unit passes systemd-analyze verify"
echo "deb.sh: all passed in $(($(date +%s) - t0)) s (package build ${t_build} s)"
