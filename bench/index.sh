#!/usr/bin/env bash
# The crawler's index parsing next to the decompression alone of the same
# file, the floor (nothing reads an index faster than it is decompressed),
# with peak RSS (bench/run.sh index; run through it):
#   (a) this machine's real Debian bookworm main package list as
#       Packages.xz: the parser alone and `probe-builder crawl` from a
#       signed APT mirror on 127.0.0.1, against `xz -dc -T1` (xz is one
#       stream: single-threaded, as the parser's libarchive reads it);
#   (b) a synthetic RPM primary.xml.gz of N packages (PB_BENCH_RPM_N,
#       default 200,000) and of N/2: the parser and the crawl against
#       `bsdcat` (zlib itself, through libarchive: about 2x faster than
#       zcat); the same peak RSS at N/2 shows memory does not grow with the
#       index.
# The notes give each command's CPU time (user + sys, median): the parsers
# decompress in a thread of their own, so their wall time beats the floor
# only when a second core is free.
set -euo pipefail
: "${BENCH_SRC:?run through bench/run.sh}" "${BENCH_BUILD:?}" "${BENCH_WORK:?}"
. "$BENCH_SRC/bench/lib.sh"
. "$BENCH_SRC/tests/lib/httpd.sh"
n=${PB_BENCH_RPM_N:-200000}
work=$BENCH_WORK
BENCH_DIR=$work/index-runs
rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR" "$work/ws"
pb=$BENCH_BUILD/probe-builder
bench=$BENCH_BUILD/bench/index_bench
export PROBE_BUILDER_PLUGIN_PATH=$BENCH_BUILD/plugins/.libs:$BENCH_SRC/distros
trap 'pb_httpd_stop B >/dev/null 2>&1 || true' EXIT

# CMD... under /usr/bin/time: its peak RSS (KiB) and CPU time (user + sys,
# s) appended to $BENCH_DIR/rss.KEY
rss() {
	local key=$1
	shift
	/usr/bin/time -f '%M %U %S' -a -o "$BENCH_DIR/rss.$key" "$@" >/dev/null
}
peak() { # KEY: the largest RSS seen, MiB
	awk '$1 ~ /^[0-9]+$/ && $1 > m { m = $1 } END { printf "%.1f MiB", m / 1024 }' "$BENCH_DIR/rss.$1"
}
cpu() { # KEY: the median CPU time
	awk '$1 ~ /^[0-9]+$/ { print $2 + $3 }' "$BENCH_DIR/rss.$1" | bench_median | xargs printf '%.2f s'
}
# KEY LABEL OURS FLOOR [NOTE] [PRE]: one row, measured alternating
row() {
	bench_ab "$1" "$BENCH_FAST" "rss $1 $3" "rss $1-floor $4" "${6:-}"
	bench_row "$2" "$(printf '%.2f s' "$BENCH_A")" "$(printf '%.2f s' "$BENCH_B")" "$BENCH_RATIO" \
		"runs $BENCH_RANGE_A s, floor $BENCH_RANGE_B s; CPU $(cpu "$1") (floor $(cpu "$1-floor")); peak RSS $(peak "$1") (floor $(peak "$1-floor"))${5:+; $5}"
}

# ---- (a) APT: the real bookworm main list, signed, served on 127.0.0.1
# shellcheck disable=SC2012 # apt's list names are plain
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
"$BENCH_SRC/tests/fixtures/mk-gpg-key.sh" "$work/key" >/dev/null
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
	if [ ! -s "$p" ] || [ "$BENCH_SRC/bench/gen_primary.py" -nt "$p" ]; then
		mkdir -p "$r/repodata"
		python3 "$BENCH_SRC/bench/gen_primary.py" "$1" | gzip -6 >"$p.tmp"
		mv "$p.tmp" "$p"
	fi
	cat >"$r/repodata/repomd.xml" <<EOR
<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo">
  <revision>1</revision>
  <data type="primary">
    <checksum type="sha256">$(sha256sum "$p" | cut -d' ' -f1)</checksum>
    <location href="repodata/primary.xml.gz"/>
    <size>$(stat -c %s "$p")</size>
  </data>
</repomd>
EOR
}
h=$((n / 2))
repo "$n"
repo "$h"
p=$work/rpm-$n/repodata/primary.xml.gz
ph=$work/rpm-$h/repodata/primary.xml.gz

pb_httpd_start B "$work" "$work/httpd"

stanzas=$(xz -dc "$dist/Packages.xz" | grep -c '^Package: ')
bench_table "Index (a): Debian bookworm main Packages.xz, $stanzas packages, $(($(stat -c %s "$dist/Packages.xz") / 1024)) KiB; floor \`xz -dc -T1\`"
row deb-parse "parser alone (bench/index_bench)" \
	"'$bench' deb '$dist/Packages.xz' 'linux-headers-*' 'linux-kbuild-*' 'linux-image-*'" \
	"xz -dc -T1 '$dist/Packages.xz'"
row deb-crawl "probe-builder crawl (127.0.0.1, gpgv, SHA-256)" \
	"'$pb' crawl -q --json -w '$work/ws/apt' --mirror '$B_URL/apt' --suite bookworm --keyring '$work/key/keyring.gpg' debian" \
	"xz -dc -T1 '$dist/Packages.xz'" "" "rm -rf '$work/ws/apt'"

bench_table "Index (b): synthetic primary.xml.gz, $n packages, $(($(stat -c %s "$p") / 1024 / 1024)) MiB; floor \`bsdcat\` (zlib)"
row rpm-parse "parser alone" "'$bench' rpm '$p' 'kernel*'" "bsdcat '$p'"
row rpm-parse-half "parser alone, $h packages" "'$bench' rpm '$ph' 'kernel*'" "bsdcat '$ph'" \
	"against bsdcat of that file"
row rpm-crawl "probe-builder crawl (127.0.0.1, SHA-256)" \
	"'$pb' crawl -q --json -w '$work/ws/rpm' --mirror '$B_URL/rpm-$n' centos" "bsdcat '$p'" "" \
	"rm -rf '$work/ws/rpm'"
row rpm-crawl-half "probe-builder crawl, $h packages" \
	"'$pb' crawl -q --json -w '$work/ws/rpm' --mirror '$B_URL/rpm-$h' centos" "bsdcat '$ph'" \
	"against bsdcat of that file" "rm -rf '$work/ws/rpm'"
