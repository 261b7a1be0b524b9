#!/usr/bin/env bash
# Every C file of the project is formatted as .clang-format says
# (`clang-format --dry-run -Werror`); probes/ is kernel code, left alone by
# probes/.clang-format. Fix with: clang-format -i FILE...
set -u
top=${PB_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cf=${CLANG_FORMAT:-clang-format}
if ! command -v "$cf" >/dev/null; then
	echo "SKIP: no $cf on PATH (Debian: clang-format): the format is not checked"
	exit 77
fi
cd "$top" || exit 1
mapfile -t files < <(find core include plugins newswatch verify tests bench \
	\( -path tests/fuzz/corpus -o -path tests/fuzz/sanitize -o \
	-path tests/fuzz/libfuzzer -o -path 'tests/fuzz/werror-*' \) -prune -o \
	-name '*.[ch]' -print | sort)
[ ${#files[@]} -gt 50 ] || { echo "FAIL: only ${#files[@]} C files found under $top"; exit 1; }
if ! out=$("$cf" --dry-run -Werror "${files[@]}" 2>&1); then
	echo "$out" | grep 'error:' | head -40
	echo "FAIL: $(echo "$out" | grep -c 'error:') lines not formatted as .clang-format says"
	exit 1
fi
echo "PASS: ${#files[@]} C files formatted as .clang-format says"
