# Sourced by bash tests after tests/lib/e2e.sh and tests/lib/httpd.sh:
# pb_four_kernels DIR makes a signed APT mirror of four real Debian kernels
# in DIR/mirror (6.1 amd64 and cloud-amd64 in bookworm with their kbuild in
# bookworm-security; the two newest 6.12 point releases, one in
# bookworm-security, one in bookworm-updates), serves it on 127.0.0.1
# (M_URL; the caller stops it with pb_httpd_stop M) and points a private
# apt configuration at it (PROBE_BUILDER_ETC_APT, exported), so that
# `crawl debian` lists exactly these four. FOUR_RELEASES: their releases.
pb_four_kernels() {
	local dir=$1 abi v612 old new kb61 key=$1/key
	abi=$(pb_debian_abi) || return 1
	v612=$(pb_debian_612 2) || return 1
	old=$(head -n1 <<<"$v612") new=$(tail -n1 <<<"$v612")
	kb61=linux-kbuild-${abi%%.0-*}
	debs() { pb_debian_fetch "$@" | paste -sd,; }
	mkdir -p "$dir"
	"$PB_TOP_SRCDIR/tests/fixtures/mk-gpg-key.sh" "$key" >/dev/null || return 1
	"$PB_TOP_SRCDIR/tests/fixtures/mk-apt-mirror.sh" --key "$key" \
		--suite "bookworm:$(debs "linux-headers-$abi-amd64" "linux-headers-$abi-cloud-amd64" \
			"linux-headers-$abi-common" "linux-image-$abi-amd64" "linux-image-$abi-cloud-amd64")" \
		--suite "bookworm-security:$(debs "$kb61" "linux-headers-$new-amd64" \
			"linux-headers-$new-common" "linux-kbuild-$new" "linux-image-$new-amd64")" \
		--suite "bookworm-updates:$(debs "linux-headers-$old-amd64" "linux-headers-$old-common" \
			"linux-kbuild-$old" "linux-image-$old-amd64")" \
		"$dir/mirror" >/dev/null || return 1
	pb_httpd_start M "$dir/mirror" "$dir/httpd" || return 1
	mkdir -p "$dir/etc-apt/sources.list.d"
	cat >"$dir/etc-apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $M_URL/
Suites: bookworm bookworm-security bookworm-updates
Components: main
Signed-By: $key/keyring.gpg
SRC
	export PROBE_BUILDER_ETC_APT=$dir/etc-apt
	FOUR_RELEASES=("$abi-amd64" "$abi-cloud-amd64" "$new-amd64" "$old-amd64")
}
