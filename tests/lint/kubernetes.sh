#!/usr/bin/env bash
# The Kubernetes deployment (deploy/kubernetes), checked statically: no
# cluster and no container engine here, so nothing is applied or built.
# 1. image-context.sh makes the image's build context from stand-in .deb
#    files, and refuses a DEBDIR that lacks a package or holds two versions;
# 2. kubernetes.py parses every YAML document (PyYAML, duplicate keys
#    refused) and checks what the API requires of each object, that the
#    Jobs run deploy/pb-shard's steps with settings it reads, and that the
#    Containerfile and the context hold what they run;
# 3. kubernetes.py --self-test breaks copies of the files, one way per
#    check, and wants each break caught.
set -euo pipefail
top=${PB_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
python3 -c 'import yaml' 2>/dev/null ||
	{ echo "FAIL: python3 has no yaml module: apt-get install python3-yaml (scripts/setup.sh)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pb-k8s.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

mkctx=$top/deploy/kubernetes/image-context.sh
mkdir "$tmp/debs" "$tmp/probe"
for p in probe-builder libprobe-builder0 probe-builder-plugin-debian \
	probe-builder-plugin-ubuntu probe-builder-plugin-centos; do
	: >"$tmp/debs/${p}_0.1.0-1_amd64.deb"
done
# packages the image does not take: not copied
: >"$tmp/debs/newswatch_0.1.0-1_amd64.deb"
: >"$tmp/debs/libprobe-builder-dev_0.1.0-1_amd64.deb"
echo 'obj-m := x.o' >"$tmp/probe/Kbuild"
: >"$tmp/ring.gpg"

bash "$mkctx" -k "$tmp/ring.gpg" "$tmp/debs" "$tmp/probe" "$tmp/ctx" >/dev/null
[ "$(find "$tmp/ctx/debs" -name '*.deb' | wc -l)" -eq 5 ] ||
	{ ls "$tmp/ctx/debs"; echo "FAIL: image-context.sh: the context wants the 5 packages of the image, no more"; exit 1; }
for f in keyrings/ring.gpg probe/Kbuild; do
	[ -f "$tmp/ctx/$f" ] || { echo "FAIL: image-context.sh: $f is not in the context"; exit 1; }
done

# what image-context.sh must refuse, each with its reason
refused() { # WANT ARGS...: image-context.sh fails, saying WANT
	local want=$1
	shift
	rm -rf "$tmp/ctx2"
	if bash "$mkctx" "$@" >"$tmp/out" 2>&1; then
		echo "FAIL: image-context.sh $*: made a context; wanted a refusal ($want)"
		exit 1
	fi
	grep -q -- "$want" "$tmp/out" ||
		{ cat "$tmp/out"; echo "FAIL: image-context.sh refused without saying '$want'"; exit 1; }
}
: >"$tmp/debs/probe-builder_0.0.9-1_amd64.deb"
refused "2 versions of probe-builder" "$tmp/debs" "$tmp/probe" "$tmp/ctx2"
rm "$tmp/debs/probe-builder_0.0.9-1_amd64.deb"
mv "$tmp/debs/probe-builder-plugin-centos_0.1.0-1_amd64.deb" "$tmp"
refused "no probe-builder-plugin-centos_" "$tmp/debs" "$tmp/probe" "$tmp/ctx2"
mv "$tmp/probe-builder-plugin-centos_0.1.0-1_amd64.deb" "$tmp/debs"
refused "is not empty" "$tmp/debs" "$tmp/probe" "$tmp/ctx"
refused "no such directory (the probe's source)" "$tmp/debs" "$tmp/nothing" "$tmp/ctx2"

python3 "$top/tests/lint/kubernetes.py" --top "$top" --context "$tmp/ctx"
python3 "$top/tests/lint/kubernetes.py" --top "$top" --context "$tmp/ctx" --self-test
echo "PASS: deploy/kubernetes: image context, objects, steps and settings checked statically (nothing applied: no cluster here)"
