#!/usr/bin/env bash
# The crawler's index parsing, timed next to the decompression alone on the
# same file (the floor: nothing can read the index faster than it can be
# decompressed), with peak RSS:
#   (a) this machine's real Debian bookworm main package list, as
#       Packages.xz: `xz -dc` vs the parser alone vs `probe-builder crawl`
#       fetching it from a signed APT mirror on 127.0.0.1;
#   (b) a synthetic RPM primary.xml.gz of N packages (default 200,000):
#       `zcat` vs the parser vs `probe-builder crawl` of that repository,
#       and the parser on N/2 packages, to show that memory does not grow
#       with the index.
# Each figure is the median of PB_BENCH_RUNS runs (default 5); RSS is the
# largest seen. Run from a built tree: bench/run.sh [N]. Inputs are cached in
# PB_BENCH_DIR (default /var/tmp/probe-builder-bench).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
n=${1:-200000}
runs=${PB_BENCH_RUNS:-5}
work=${PB_BENCH_DIR:-/var/tmp/probe-builder-bench}
mkdir -p "$work"
make -s bench/index_bench probe-builder >/dev/null
export PROBE_BUILDER_PLUGIN_PATH=$top/plugins/.libs:$top/distros
. "$top/tests/lib/httpd.sh"
trap 'pb_httpd_stop B >/dev/null 2>&1 || true' EXIT

# median wall time (s) and peak RSS (MiB) of a command over $runs runs;
# PRE, when set, runs before each (untimed)
measure() {
	local i
	for i in $(seq "$runs"); do
		[ -z "${PRE:-}" ] || eval "$PRE"
		/usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" ||
			{ cat "$work/stderr" >&2; echo "bench: $* failed" >&2; exit 1; }
		tail -n1 "$work/time"
	done | sort -n | awk '{ t[NR] = $1; if ($2 > m) m = $2 }
		END { printf "%.2f %.1f\n", t[int((NR + 1) / 2)], m / 1024 }'
}

row() { # label, "time rss", floor time
	local t=${2% *} r=${2#* }
	printf '| %s | %s s | %s | %s MiB |\n' "$1" "$t" \
		"$(awk -v a="$t" -v b="$3" 'BEGIN { printf "%.2fx", a / b }')" "$r"
}

# ---- (a) APT: the real bookworm main list, signed, served on 127.0.0.1
src=$(ls /var/lib/apt/lists/*_debian_dists_bookworm_main_binary-amd64_Packages* 2>/dev/null | head -n1 || true)
[ -n "$src" ] || { echo "bench: no bookworm main list in /var/lib/apt/lists: run apt-get update" >&2; exit 1; }
apt=$work/apt
dist=$apt/dists/bookworm/main/binary-amd64
if [ ! -s "$dist/Packages.xz" ] || [ "$src" -nt "$dist/Packages.xz" ]; then
	mkdir -p "$dist"
	case $src in
	*.lz4) lz4 -dc "$src" ;;
	*.xz) xz -dc "$src" ;;
	*.gz) zcat "$src" ;;
	*) cat "$src" ;;
	esac >"$dist/Packages"
	xz -6 -T1 -c "$dist/Packages" >"$dist/Packages.xz"
	rm -f "$dist/Packages"
fi
"$top/tests/fixtures/mk-gpg-key.sh" "$work/key" >/dev/null
apt-ftparchive -o APT::FTPArchive::Release::Suite=bookworm \
	-o APT::FTPArchive::Release::Codename=bookworm \
	-o APT::FTPArchive::Release::Architectures=amd64 \
	-o APT::FTPArchive::Release::Components=main \
	release "$apt/dists/bookworm" >"$work/Release"
mv "$work/Release" "$apt/dists/bookworm/Release"
rm -f "$apt/dists/bookworm/InRelease"
gpg --homedir "$work/key/gnupg" --batch --yes --clearsign \
	-o "$apt/dists/bookworm/InRelease" "$apt/dists/bookworm/Release" 2>/dev/null

# ---- (b) RPM: a synthetic primary of N packages, and N/2
repo() { # packages: a repository of that many, made once
	local r=$work/rpm-$1 p
	p=$r/repodata/primary.xml.gz
	if [ ! -s "$p" ] || [ "$top/bench/gen_primary.py" -nt "$p" ]; then
		mkdir -p "$r/repodata"
		python3 "$top/bench/gen_primary.py" "$1" | gzip -6 >"$p"
	fi
	cat >"$r/repodata/repomd.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo">
  <revision>1</revision>
  <data type="primary">
    <checksum type="sha256">$(sha256sum "$p" | cut -d' ' -f1)</checksum>
    <location href="repodata/primary.xml.gz"/>
    <size>$(stat -c %s "$p")</size>
  </data>
</repomd>
EOF
}
repo "$n"
repo $((n / 2))
p=$work/rpm-$n/repodata/primary.xml.gz
half=$work/rpm-$((n / 2))/repodata/primary.xml.gz

pb_httpd_start B "$work" "$work/httpd"
mkdir -p "$work/ws"

xzs=$(stat -c %s "$dist/Packages.xz")
stanzas=$(xz -dc "$dist/Packages.xz" | grep -c '^Package: ')
gzs=$(stat -c %s "$p")

floor_a=$(measure xz -dc "$dist/Packages.xz")
parse_a=$(measure bench/index_bench deb "$dist/Packages.xz" 'linux-headers-*' 'linux-kbuild-*' 'linux-image-*')
PRE="rm -rf '$work/ws/apt'" crawl_a=$(measure ./probe-builder crawl -q --json -w "$work/ws/apt" \
	--mirror "$B_URL/apt" --suite bookworm --keyring "$work/key/keyring.gpg" debian)

floor_b=$(measure zcat "$p")
parse_b=$(measure bench/index_bench rpm "$p" 'kernel*')
parse_h=$(measure bench/index_bench rpm "$half" 'kernel*')
PRE="rm -rf '$work/ws/rpm'" crawl_b=$(measure ./probe-builder crawl -q --json -w "$work/ws/rpm" \
	--mirror "$B_URL/rpm-$n" centos)
PRE="rm -rf '$work/ws/rpm'" crawl_h=$(measure ./probe-builder crawl -q --json -w "$work/ws/rpm" \
	--mirror "$B_URL/rpm-$((n / 2))" centos)

echo "probe-builder $(./probe-builder --version | cut -d' ' -f2), $(nproc) cores, median of $runs runs"
echo
echo "(a) Debian bookworm main Packages.xz: $stanzas packages, $((xzs / 1024)) KiB"
echo
echo "| command | time | vs floor | peak RSS |"
echo "|---|---|---|---|"
row "xz -dc (floor)" "$floor_a" "${floor_a% *}"
row "parser alone" "$parse_a" "${floor_a% *}"
row "probe-builder crawl (127.0.0.1, gpgv, SHA-256)" "$crawl_a" "${floor_a% *}"
echo
echo "(b) synthetic primary.xml.gz: $n packages, $((gzs / 1024 / 1024)) MiB"
echo
echo "| command | time | vs floor | peak RSS |"
echo "|---|---|---|---|"
row "zcat (floor)" "$floor_b" "${floor_b% *}"
row "parser alone" "$parse_b" "${floor_b% *}"
row "parser alone, $((n / 2)) packages" "$parse_h" "${floor_b% *}"
row "probe-builder crawl (127.0.0.1, SHA-256)" "$crawl_b" "${floor_b% *}"
row "probe-builder crawl, $((n / 2)) packages" "$crawl_h" "${floor_b% *}"
