#!/usr/bin/env bash
# newswatch's eBPF probe (probes/newswatch/bpf), built by probe-builder for
# two real Debian kernels from `apt-get download` (the newest 6.1 ABI and the
# newest 6.12), then checked object by object:
#   - an eBPF ELF with the two kprobe sections, .maps holding nw_config and
#     nw_events (BTF and symbols), license GPL, no global-data sections;
#   - nw_events is a ring buffer (BTF: the map's `type` member is 27; libbpf:
#     bpf_map__type), nw_config an array of one struct newswatch_config;
#   - the "newswatch" build-info section: depth 8, ring buffer, bounded
#     loop, vfs_create's dentry read as argument 3, the kernel's version;
#   - the disassembly reads vfs_create's dentry from pt_regs->dx (offset 96)
#     and security_inode_create's from pt_regs->si (offset 104), and the
#     walk is a real loop (a back edge in the control flow);
# and the build-time settings: NEWSWATCH_DEPTH=4 through probe-builder (in
# its environment) and by a direct make on the unpacked tree, bad values
# refused, NEWSWATCH_OUTPUT=perf NEWSWATCH_WALK=unrolled giving a perf event
# array and a walk without back edges (what kernels before 5.3 require).
# newswatch_event.h must compile alone in a C11 program.
#
# Then, on this machine's kernel: the objects are loaded (the kernel's
# verifier) with libbpf and with bpftool when bpf() and kprobe programs are
# available, else that part is skipped with the reason; where kprobes
# exist, the programs are attached and files created by a process named
# innd must give one event each (one for mknod's vfs_create +
# security_inode_create), none for another process name; without kprobes
# that part is skipped with the reason.
. "$PB_TOP_SRCDIR/tests/lib/e2e.sh"
pb_skip_if_no_e2e
pb_tmpdir

for t in clang:clang llc:llvm llvm-objdump:llvm llvm-objcopy:llvm bpftool:bpftool \
	readelf:binutils file:file python3:python3 gcc:gcc pkg-config:pkg-config; do
	command -v "${t%%:*}" >/dev/null ||
		fail "${t%%:*} is missing (Debian package ${t#*:}; scripts/setup.sh should install it)"
done
pkg-config --exists libbpf || fail "libbpf is missing (Debian package libbpf-dev; scripts/setup.sh should install it)"

skip_part() {
	echo "SKIP (this part only): $*"
}

# ---- the two kernels ---------------------------------------------------------

abi61=$(pb_debian_abi)
# the newest Debian 6.12 release (6.12.N+deb12) with all its packages
v612=$(pb_debian_612 1) || fail "no Debian 6.12 kernel to build for"
rel61=$abi61-amd64 rel612=$v612-amd64
mapfile -t files < <(pb_debian_fetch "linux-headers-$rel61" "linux-headers-$abi61-common" \
	"linux-kbuild-${abi61%%.0-*}" "linux-image-$rel61" \
	"linux-headers-$rel612" "linux-headers-$v612-common" "linux-kbuild-$v612" \
	"linux-image-$rel612")
[ ${#files[@]} -eq 8 ] || fail "fetching the packages of $rel61 and $rel612"
echo "packages: ${files[*]##*/}"

ws=$TMP/ws out=$TMP/out
# the unpacked trees are kept (--keep-trees): the probe is built by hand on
# them below
"$PB" build -k debian -p newswatch -v 1.0.0 -s "$PROBE_SRC" -o "$out" -w "$ws" -j 2 \
	--keep-trees "${files[@]}" >"$TMP/build.txt" 2>"$TMP/build.err" ||
	{ cat "$TMP/build.txt" "$TMP/build.err"; fail "probe-builder build failed"; }
cat "$TMP/build.txt"
for rel in "$rel61" "$rel612"; do
	awk -v r="$rel" '$1 == r && $2 == "BUILT" && $3 == "BUILT" { f = 1 } END { exit !f }' \
		"$TMP/build.txt" || fail "$rel is not BUILT BUILT"
done

obj_of() { # out-dir release -> the eBPF object built for it
	local o
	o=$(ls "$1"/newswatch-bpf-*-x86_64-"$2"-*.o 2>/dev/null)
	[ -n "$o" ] && [ "$(wc -l <<<"$o")" -eq 1 ] || fail "no single eBPF object for $2 in $1: $(ls "$1")"
	echo "$o"
}

# the C side: newswatch_event.h alone in a strict C11 program, and a libbpf
# loader (inspect: open without loading; load; watch: attach and print events)
printf '#include "newswatch_event.h"\nint main(void) { return sizeof(struct newswatch_event) != NEWSWATCH_EVENT_SIZE(NEWSWATCH_DEPTH); }\n' >"$TMP/hdr.c"
gcc -std=c11 -Wpedantic -Wall -Wextra -Werror -I"$PROBE_SRC/bpf" -o "$TMP/hdr" "$TMP/hdr.c" &&
	"$TMP/hdr" || fail "newswatch_event.h does not build alone in a C11 program"
ok "newswatch_event.h builds alone in a C11 program (-Wpedantic -Werror)"

cat >"$TMP/nwload.c" <<'EOF'
/* newswatch_probe.sh's loader: inspect, load, or attach, run, print events. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "newswatch_event.h"

static int print_fn(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	if (lvl == LIBBPF_DEBUG && !getenv("NWLOAD_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static struct bpf_object *open_obj(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);

	if (!obj) {
		printf("open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return obj;
}

static int inspect(const char *path)
{
	struct bpf_object *obj = open_obj(path);
	struct bpf_program *prog;
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj)
		printf("map %s type %d key %u value %u max %u\n", bpf_map__name(map),
		       bpf_map__type(map), bpf_map__key_size(map),
		       bpf_map__value_size(map), bpf_map__max_entries(map));
	bpf_object__for_each_program(prog, obj)
		printf("prog %s section %s type %d\n", bpf_program__name(prog),
		       bpf_program__section_name(prog), bpf_program__type(prog));
	bpf_object__close(obj);
	return 0;
}

static int load(const char *path)
{
	struct bpf_object *obj = open_obj(path);
	int err = bpf_object__load(obj);

	if (err) {
		printf("load failed: %s (errno %d)\n", strerror(-err), -err);
		return 1;
	}
	printf("loaded\n");
	bpf_object__close(obj);
	return 0;
}

static int nevents;

/* reads the components by the event's own depth and name_len: works for
 * objects built with any NEWSWATCH_DEPTH */
static int on_event(void *ctx, void *data, size_t len)
{
	const struct newswatch_event *ev = data;
	static char path[NEWSWATCH_MAX_DEPTH * (NEWSWATCH_NAME_LEN + 1) + 1];
	int i;

	(void)ctx;
	if (len < NEWSWATCH_EVENT_COMP_OFFSET || ev->magic != NEWSWATCH_EVENT_MAGIC ||
	    ev->version != NEWSWATCH_EVENT_VERSION || ev->size > len ||
	    ev->name_len != NEWSWATCH_NAME_LEN || ev->depth > NEWSWATCH_MAX_DEPTH ||
	    ev->ncomps > ev->depth || ev->size != NEWSWATCH_EVENT_SIZE(ev->depth)) {
		printf("bad event (%zu bytes)\n", len);
		return 0;
	}
	path[0] = '\0';
	for (i = ev->ncomps - 1; i >= 0; i--) {
		strcat(path, "/");
		strncat(path, (const char *)ev + NEWSWATCH_EVENT_COMP_OFFSET +
				      (size_t)i * ev->name_len, ev->name_len);
	}
	printf("event comm=%.16s pid=%u tgid=%u hooks=%u flags=%u depth=%u ncomps=%u dev=%u:%u path=%s\n",
	       ev->comm, ev->pid, ev->tgid, ev->hooks, ev->flags, ev->depth,
	       ev->ncomps, ev->dev >> 20, ev->dev & 0xfffff, path);
	fflush(stdout);
	nevents++;
	return 0;
}

static void on_sample(void *ctx, int cpu, void *data, __u32 size)
{
	(void)cpu;
	on_event(ctx, data, size);
}

static void on_lost(void *ctx, int cpu, __u64 n)
{
	(void)ctx;
	printf("lost %llu events on cpu %d\n", (unsigned long long)n, cpu);
}

/* watch OBJ COMM CMD...: load, attach, run CMD, print its events; 77 when
 * neither kprobe attaches */
static int watch(const char *path, const char *comm, char **cmd)
{
	struct bpf_object *obj = open_obj(path);
	struct newswatch_config cfg;
	struct newswatch_stats st;
	struct bpf_link *sec_link, *vfs_link;
	struct ring_buffer *rb = NULL;
	struct perf_buffer *pb = NULL;
	struct bpf_map *events;
	struct timespec end, now;
	int err, sec_err, status;
	__u32 key = 0;
	pid_t child;

	err = bpf_object__load(obj);
	if (err) {
		printf("load failed: %s\n", strerror(-err));
		return 1;
	}
	memset(&cfg, 0, sizeof(cfg));
	sec_link = bpf_program__attach(bpf_object__find_program_by_name(obj, "nw_sec_create"));
	sec_err = errno;
	vfs_link = bpf_program__attach(bpf_object__find_program_by_name(obj, "nw_vfs_create"));
	if (!sec_link && !vfs_link) {
		printf("attach failed: %s\n", strerror(sec_err));
		return 77;
	}
	if (!sec_link)
		cfg.flags |= NEWSWATCH_CFG_VFS_CREATE_EMITS;
	printf("attached: security_inode_create %s, vfs_create %s\n",
	       sec_link ? "yes" : "no", vfs_link ? "yes" : "no");
	strncpy(cfg.comm, comm, sizeof(cfg.comm) - 1);
	if (bpf_map__update_elem(bpf_object__find_map_by_name(obj, "nw_config"),
				 &key, sizeof(key), &cfg, sizeof(cfg), BPF_ANY)) {
		printf("nw_config update failed: %s\n", strerror(errno));
		return 1;
	}
	events = bpf_object__find_map_by_name(obj, "nw_events");
	if (bpf_map__type(events) == BPF_MAP_TYPE_RINGBUF)
		rb = ring_buffer__new(bpf_map__fd(events), on_event, NULL, NULL);
	else
		pb = perf_buffer__new(bpf_map__fd(events), 16, on_sample, on_lost, NULL, NULL);
	if (!rb && !pb) {
		printf("event buffer setup failed: %s\n", strerror(errno));
		return 1;
	}
	fflush(stdout);
	child = fork();
	if (child == 0) {
		execvp(cmd[0], cmd);
		_exit(127);
	}
	waitpid(child, &status, 0);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += 1;
	do {
		if (rb)
			ring_buffer__poll(rb, 100);
		else
			perf_buffer__poll(pb, 100);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec < end.tv_sec ||
		 (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
	memset(&st, 0, sizeof(st));
	bpf_map__lookup_elem(bpf_object__find_map_by_name(obj, "nw_stats"), &key,
			     sizeof(key), &st, sizeof(st), 0);
	printf("done: command status %d, %d events, stats events %llu drops %llu\n",
	       status, nevents, (unsigned long long)st.events,
	       (unsigned long long)st.drops);
	ring_buffer__free(rb);
	perf_buffer__free(pb);
	bpf_link__destroy(sec_link);
	bpf_link__destroy(vfs_link);
	bpf_object__close(obj);
	return 0;
}

int main(int argc, char **argv)
{
	libbpf_set_print(print_fn);
	if (argc == 3 && !strcmp(argv[1], "inspect"))
		return inspect(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "load"))
		return load(argv[2]);
	if (argc >= 5 && !strcmp(argv[1], "watch"))
		return watch(argv[2], argv[3], argv + 4);
	fprintf(stderr, "usage: nwload inspect|load OBJ | watch OBJ COMM CMD...\n");
	return 2;
}
EOF
# shellcheck disable=SC2046
gcc -std=gnu11 -Wall -Wextra -Werror -I"$PROBE_SRC/bpf" $(pkg-config --cflags libbpf) \
	-o "$TMP/nwload" "$TMP/nwload.c" $(pkg-config --libs libbpf) ||
	fail "building the libbpf loader"
NWLOAD=$TMP/nwload

# ---- object checks -----------------------------------------------------------

# check_obj OBJ LABEL DEPTH OUTPUT(ringbuf|perf) WALK(loop|unrolled) VERSION(6.1|6.12)
check_obj() {
	local o=$1 label=$2 depth=$3 output=$4 walk=$5 kver=$6 ft sections
	[ -f "$o" ] || fail "$label: no $o"
	ft=$(file -b "$o")
	[[ $ft == *"ELF 64-bit LSB relocatable, eBPF"* ]] || fail "$label: not an eBPF ELF: $ft"
	sections=$(readelf -W -S "$o")
	for s in kprobe/security_inode_create kprobe/vfs_create .maps license newswatch .BTF; do
		grep -qE "\] $s +PROGBITS" <<<"$sections" || fail "$label: no section $s"
	done
	if grep -qE "\] \.(rodata|data|bss)" <<<"$sections"; then
		fail "$label: has global-data sections (old kernels cannot load them)"
	fi
	[ "$(readelf -p license "$o" | sed -n 's/^ *\[ *0\] *//p')" = GPL ] || fail "$label: license is not GPL"

	# libbpf's view: bpf_object__open, no load
	"$NWLOAD" inspect "$o" >"$TMP/inspect.txt" 2>"$TMP/inspect.err" ||
		{ cat "$TMP/inspect.txt" "$TMP/inspect.err"; fail "$label: libbpf cannot open it"; }
	local want_events
	if [ "$output" = ringbuf ]; then
		want_events="map nw_events type 27 key 0 value 0 max 1048576"
	else
		want_events="map nw_events type 4 key 4 value 4 max 0"
		grep -qx "map nw_scratch type 6 key 4 value $((56 + depth * 128)) max 1" "$TMP/inspect.txt" ||
			{ cat "$TMP/inspect.txt"; fail "$label: no per-CPU scratch map"; }
	fi
	for l in "$want_events" "map nw_config type 2 key 4 value 24 max 1" \
		"map nw_stats type 2 key 4 value 16 max 1" \
		"prog nw_sec_create section kprobe/security_inode_create type 2" \
		"prog nw_vfs_create section kprobe/vfs_create type 2"; do
		grep -qx "$l" "$TMP/inspect.txt" || { cat "$TMP/inspect.txt"; fail "$label: libbpf does not see '$l'"; }
	done

	# the BTF, the symbols, the build info and the code
	bpftool -j btf dump file "$o" >"$TMP/btf.json" || fail "$label: bpftool btf dump"
	llvm-objcopy --dump-section "newswatch=$TMP/info.bin" "$o" || fail "$label: no build info"
	readelf -W -s "$o" >"$TMP/syms.txt"
	llvm-objdump -d --no-show-raw-insn "$o" >"$TMP/dis.txt" || fail "$label: llvm-objdump -d"
	python3 - "$TMP" "$label" "$depth" "$output" "$walk" "$kver" "$sections" <<'PY' || fail "$label: see above"
import json, re, struct, sys
tmp, label, depth, output, walk, kver, sections = sys.argv[1:]
depth = int(depth)

def bad(msg):
    print(f"FAIL: {label}: {msg}", file=sys.stderr)
    sys.exit(1)

# BTF: .maps holds nw_config and nw_events; nw_events' `type` member is
# __uint(type, N): a pointer to an array of N elements
types = {t["id"]: t for t in json.load(open(f"{tmp}/btf.json"))["types"]}
maps = [t for t in types.values() if t["kind"] == "DATASEC" and t["name"] == ".maps"]
if len(maps) != 1:
    bad("no .maps DATASEC in the BTF")
var_names = {types[v["type_id"]]["name"]: types[v["type_id"]] for v in maps[0]["vars"]}
for m in ("nw_config", "nw_events"):
    if m not in var_names:
        bad(f"{m} is not in .maps (BTF has {sorted(var_names)})")

def map_member(name, member):
    st = types[var_names[name]["type_id"]]
    for mb in st["members"]:
        if mb["name"] == member:
            return types[mb["type_id"]]
    bad(f"{name} has no {member}")

def uint_member(name, member):
    p = map_member(name, member)
    if p["kind"] != "PTR" or types[p["type_id"]]["kind"] != "ARRAY":
        bad(f"{name}.{member} is not __uint()")
    return types[p["type_id"]]["nr_elems"]

want = {"ringbuf": 27, "perf": 4}[output]
if uint_member("nw_events", "type") != want:
    bad(f"nw_events type is {uint_member('nw_events', 'type')}, not {want}")
if uint_member("nw_config", "type") != 2 or uint_member("nw_config", "max_entries") != 1:
    bad("nw_config is not an array of one entry")
value = map_member("nw_config", "value")
cfg = types[value["type_id"]]
if cfg.get("name") != "newswatch_config" or cfg["size"] != 24:
    bad(f"nw_config's value is {cfg}")
print(f"ok: {label}: BTF: .maps holds {', '.join(sorted(var_names))}; nw_events type {want} ({output})")

# symbols: nw_config and nw_events defined in the .maps section
secidx = {m.group(2): int(m.group(1)) for m in re.finditer(r"\[\s*(\d+)\] (\S+)", sections)}
for m in ("nw_config", "nw_events"):
    if not re.search(rf"OBJECT +GLOBAL +DEFAULT +{secidx['.maps']} {m}$", open(f"{tmp}/syms.txt").read(), re.M):
        bad(f"no symbol {m} in .maps")

# build info
magic, ver, evsize, d, name_len, flags, vfs_arg, code, _ = struct.unpack(
    "<IHHHHHHII", open(f"{tmp}/info.bin", "rb").read())
want_flags = (1 if output == "ringbuf" else 0) | (2 if walk == "loop" else 0)
got = (magic, ver, evsize, d, name_len, flags, vfs_arg, code >> 16, (code >> 8) & 0xff)
exp = (0x5357454E, 1, 56 + depth * 128, depth, 128, want_flags, 3) + tuple(map(int, kver.split(".")))
if got != exp:
    bad(f"build info {got}, expected {exp}")
print(f"ok: {label}: build info: depth {d}, event {evsize} bytes, {output}, {walk} walk, "
      f"vfs_create dentry = arg {vfs_arg}, LINUX_VERSION_CODE {code >> 16}.{(code >> 8) & 0xff}.{code & 0xff}")

# code: per program, the instructions (index, text)
progs, cur = {}, None
for line in open(f"{tmp}/dis.txt"):
    m = re.match(r"Disassembly of section (\S+):", line)
    if m:
        cur = progs.setdefault(m.group(1), [])
        continue
    m = re.match(r"\s*(\d+):\s+(.*\S)", line)
    if m and cur is not None:
        cur.append((int(m.group(1)), m.group(2)))

def ctx_loads(insns):
    """offsets of the u64 loads from the context (r1, or a copy of it)
    before the first call, which clobbers r1"""
    alias, offs = {"r1"}, set()
    for _, t in insns:
        if t.startswith("call"):
            break
        m = re.match(r"(r\d+) = \*\(u64 \*\)\((r\d+) \+ (\d+)\)$", t)
        if m and m.group(2) in alias:
            offs.add(int(m.group(3)))
        m2 = re.match(r"(r\d+) = (r\d+)$", t)
        dst = re.match(r"[rw](\d+) ", t)   # any write to a register (w: its low half)
        if m2 and m2.group(2) in alias:
            alias.add(m2.group(1))
        elif dst and not m:
            alias.discard("r" + dst.group(1))
        elif m:
            alias.discard(m.group(1))
    return offs

# x86_64 struct pt_regs: di (arg 1) at 112, si (arg 2) at 104, dx (arg 3) at 96
for sec, off, arg in (("kprobe/vfs_create", 96, "3rd (dx)"),
                      ("kprobe/security_inode_create", 104, "2nd (si)")):
    got = ctx_loads(progs.get(sec, []))
    if got != {off}:
        bad(f"{sec} reads pt_regs offsets {sorted(got)}, expected {{{off}}}: the {arg} argument")
print(f"ok: {label}: the code reads vfs_create's dentry from pt_regs+96 (dx, 3rd argument), "
      "security_inode_create's from pt_regs+104 (si, 2nd)")

def back_edges(insns):
    """edges to an instruction on the depth-first path: loops"""
    idx = [i for i, _ in insns]
    text = dict(insns)
    nxt = {a: b for a, b in zip(idx, idx[1:])}
    def succ(i):
        t = text[i]
        if t == "exit":
            return []
        m = re.search(r"goto ([+-]\d+)", t)
        if m:
            tgt = i + 1 + int(m.group(1))
            return [tgt] if t.startswith("goto") else [nxt[i], tgt]
        return [nxt[i]] if i in nxt else []
    color, n, stack = {}, 0, [(idx[0], iter(succ(idx[0])))]
    color[idx[0]] = 1
    while stack:
        node, it = stack[-1]
        for s in it:
            if color.get(s) == 1:
                n += 1
            elif s not in color:
                color[s] = 1
                stack.append((s, iter(succ(s))))
                break
        else:
            color[node] = 2
            stack.pop()
    return n

for sec in ("kprobe/security_inode_create", "kprobe/vfs_create"):
    n = back_edges(progs[sec])
    if walk == "loop" and sec == "kprobe/security_inode_create" and n == 0:
        bad(f"{sec}: no back edge: the walk is not a loop")
    if walk == "unrolled" and n:
        bad(f"{sec}: {n} back edge(s): kernels before 5.3 refuse them")
print(f"ok: {label}: walk is {'a bounded loop (back edge present)' if walk == 'loop' else 'unrolled (no back edge)'}"
      f"; {len(progs['kprobe/security_inode_create'])}/{len(progs['kprobe/vfs_create'])} instructions")
PY
	ok "$label: $ft"
}

o61=$(obj_of "$out" "$rel61") o612=$(obj_of "$out" "$rel612")
check_obj "$o61" "$rel61" 8 ringbuf loop 6.1
check_obj "$o612" "$rel612" 8 ringbuf loop 6.12

# ---- build-time settings -------------------------------------------------------

# NEWSWATCH_DEPTH=4 through probe-builder: its make runs inherit the
# environment (it only scrubs what could steer kbuild elsewhere)
NEWSWATCH_DEPTH=4 "$PB" build -k debian -p newswatch -v 1.0.0 -s "$PROBE_SRC" -o "$TMP/out4" \
	-w "$ws" -f "^$rel61\$" --keep-trees "${files[@]}" >"$TMP/build4.txt" 2>&1 ||
	{ cat "$TMP/build4.txt"; fail "probe-builder build with NEWSWATCH_DEPTH=4 failed"; }
check_obj "$(obj_of "$TMP/out4" "$rel61")" "$rel61 NEWSWATCH_DEPTH=4 (probe-builder)" 4 ringbuf loop 6.1

# and by hand, as the make variable, on the tree probe-builder unpacked
# (roots are named by the kernel's key: <release>_<arch>_<version>)
kdir61=$(echo "$ws/roots/debian/${rel61}_x86_64_"*/usr/src/linux-headers-$rel61)
kdir612=$(echo "$ws/roots/debian/${rel612}_x86_64_"*/usr/src/linux-headers-$rel612)
[ -f "$kdir61/Makefile" ] && [ -f "$kdir612/Makefile" ] || fail "no unpacked kernel dirs under $ws/roots/debian"
cc=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kernels"][0]["compiler"]["path"])' "$out/manifest.json")
manual() { # name kernel-dir make-variables...
	local copy=$TMP/manual/$1 kdir=$2
	shift 2
	rm -rf "$copy" && mkdir -p "$TMP/manual" && cp -r "$PROBE_SRC" "$copy"
	make -C "$copy/bpf" KERNELDIR="$kdir" CLANG=clang LLC=llc CC="$cc" "$@" >"$copy.log" 2>&1
}
manual d4 "$kdir61" NEWSWATCH_DEPTH=4 || { cat "$TMP/manual/d4.log"; fail "make NEWSWATCH_DEPTH=4 failed"; }
check_obj "$TMP/manual/d4/bpf/probe.o" "$rel61 make NEWSWATCH_DEPTH=4" 4 ringbuf loop 6.1
for bad in 0 33 x; do
	if manual bad "$kdir61" NEWSWATCH_DEPTH=$bad; then
		fail "NEWSWATCH_DEPTH=$bad was accepted"
	fi
	grep -q "NEWSWATCH_DEPTH must be a number from 1 to 32, not '$bad'" "$TMP/manual/bad.log" ||
		{ cat "$TMP/manual/bad.log"; fail "NEWSWATCH_DEPTH=$bad: no clear error"; }
done
ok "NEWSWATCH_DEPTH=0, 33 and x are refused with a clear error"
if manual arg2 "$kdir612" NEWSWATCH_VFS_CREATE_ARG=2; then
	fail "NEWSWATCH_VFS_CREATE_ARG=2 was accepted for 6.12, whose vfs_create takes the dentry 3rd"
fi
grep -q "vfs_create takes the dentry 3rd" "$TMP/manual/arg2.log" ||
	{ cat "$TMP/manual/arg2.log"; fail "NEWSWATCH_VFS_CREATE_ARG=2 on 6.12: no clear error"; }
[ ! -e "$TMP/manual/arg2/bpf/probe.o" ] || fail "a failed build left a probe.o"
ok "NEWSWATCH_VFS_CREATE_ARG=2 on $rel612 fails the build (its <linux/fs.h> has the dentry 3rd), leaving no probe.o"
# changing a setting rebuilds the object in place (kbuild's if_changed)
make -C "$TMP/manual/d4/bpf" KERNELDIR="$kdir61" CLANG=clang LLC=llc CC="$cc" NEWSWATCH_DEPTH=5 \
	>"$TMP/manual/d5.log" 2>&1 || { cat "$TMP/manual/d5.log"; fail "make NEWSWATCH_DEPTH=5 failed"; }
llvm-objcopy --dump-section "newswatch=$TMP/d5.bin" "$TMP/manual/d4/bpf/probe.o"
[ "$(od -An -tu2 -j8 -N2 "$TMP/d5.bin" | tr -d ' ')" = 5 ] ||
	fail "make NEWSWATCH_DEPTH=5 after NEWSWATCH_DEPTH=4 in the same copy did not rebuild"
ok "make NEWSWATCH_DEPTH=5 after NEWSWATCH_DEPTH=4 rebuilds probe.o (depth 5 in its build info)"
manual old "$kdir612" NEWSWATCH_OUTPUT=perf NEWSWATCH_WALK=unrolled ||
	{ cat "$TMP/manual/old.log"; fail "make NEWSWATCH_OUTPUT=perf NEWSWATCH_WALK=unrolled failed"; }
check_obj "$TMP/manual/old/bpf/probe.o" "$rel612 perf + unrolled" 8 perf unrolled 6.12

# ---- this machine's kernel: load, attach ----------------------------------------

krel=$(uname -r)
kcfg=
if [ -r /proc/config.gz ]; then
	kcfg=$(zcat /proc/config.gz) kcfg_src=/proc/config.gz
elif [ -r "/boot/config-$krel" ]; then
	kcfg=$(cat "/boot/config-$krel") kcfg_src=/boot/config-$krel
fi
kconf() { sed -n "s/^$1=//p" <<<"$kcfg"; }
kshow() { local v; v=$(kconf "$1"); [ -n "$kcfg" ] && echo "$1=${v:-n}" || echo "$1=?"; }
features=$(bpftool feature probe kernel 2>/dev/null || true)
echo "this machine: kernel $krel; config ${kcfg_src:-not found}:" \
	"$(kshow CONFIG_BPF_SYSCALL) $(kshow CONFIG_KPROBES) $(kshow CONFIG_BPF_EVENTS) $(kshow CONFIG_KPROBE_EVENTS)"

load_skip=
if [ "$(id -u)" -ne 0 ]; then
	load_skip="not root: bpf() needs CAP_BPF/CAP_SYS_ADMIN"
elif ! grep -q "eBPF program_type kprobe is available" <<<"$features"; then
	load_skip="this kernel does not load kprobe programs (bpftool feature probe: $(grep -E 'bpf\(\) syscall|program_type kprobe' <<<"$features" | tr '\n' ' '))"
elif ! grep -q "eBPF map_type ringbuf is available" <<<"$features"; then
	load_skip="this kernel has no BPF ring buffer (before 5.8): the 6.x objects cannot load here"
fi
if [ -n "$load_skip" ]; then
	skip_part "loading into this kernel: $load_skip"
else
	for o in "$o612" "$o61" "$(obj_of "$TMP/out4" "$rel61")" "$TMP/manual/old/bpf/probe.o"; do
		"$NWLOAD" load "$o" >"$TMP/load.txt" 2>&1 ||
			{ cat "$TMP/load.txt"; fail "the kernel's verifier refused $o"; }
	done
	ok "libbpf loads the objects for $rel612 and $rel61 (depth 8 and 4), and the perf + unrolled one, into $krel: the verifier accepts them"
	# bpftool prog loadall pins into a bpffs: mount one in a private mount
	# namespace, the host's mounts stay as they are
	if command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
		unshare -m sh -c 'mount -t bpf bpf "$1" && bpftool prog loadall "$2" "$1/nw" type kprobe && ls "$1/nw"' \
			sh "$(mkdir -p "$TMP/bpffs" && echo "$TMP/bpffs")" "$o612" >"$TMP/bpftool.txt" 2>"$TMP/bpftool.err" ||
			{ cat "$TMP/bpftool.txt" "$TMP/bpftool.err"; fail "bpftool prog loadall $o612 failed"; }
		[ "$(sort "$TMP/bpftool.txt" | tr '\n' ' ')" = "nw_sec_create nw_vfs_create " ] ||
			{ cat "$TMP/bpftool.txt"; fail "bpftool prog loadall pinned: $(cat "$TMP/bpftool.txt")"; }
		ok "bpftool prog loadall $(basename "$o612") type kprobe: nw_sec_create and nw_vfs_create pinned"
	else
		skip_part "bpftool prog loadall: no private mount namespace (unshare -m) for a bpffs"
	fi
fi

# attaching needs kprobes; the object should be the one for this kernel
attach_skip=
if [ -n "$load_skip" ]; then
	attach_skip="cannot load: $load_skip"
elif [ -n "$kcfg" ] && [ "$(kconf CONFIG_KPROBES)" != y ]; then
	attach_skip="CONFIG_KPROBES is not set in $kcfg_src of $krel: no kprobe can be attached"
elif [ ! -e /sys/bus/event_source/devices/kprobe/type ] && [ ! -e /sys/kernel/tracing/kprobe_events ] &&
	[ ! -e /sys/kernel/debug/tracing/kprobe_events ]; then
	attach_skip="no kprobe PMU (/sys/bus/event_source/devices/kprobe) and no kprobe_events in tracefs"
fi
if [ -n "$attach_skip" ]; then
	skip_part "attaching and seeing events: $attach_skip"
	exit 0
fi

exact=1
case "$krel" in
"$rel61") wobj=$o61 ;;
"$rel612") wobj=$o612 ;;
*)
	if [ -f "/lib/modules/$krel/build/Makefile" ] && manual host "/lib/modules/$krel/build"; then
		wobj=$TMP/manual/host/bpf/probe.o
	else
		# another kernel's struct dentry layout: events arrive, their
		# paths cannot be trusted
		wobj=$o612 exact=0
		echo "note: no headers for $krel: watching with the $rel612 object, paths not checked"
	fi
	;;
esac
spool=$TMP/spool/news/comp/lang/c
mkdir -p "$spool" "$TMP/bin"
cp "$(command -v touch)" "$TMP/bin/innd"
cat >"$TMP/creator.py" <<'PY'
import ctypes, os, subprocess, sys
spool, innd = sys.argv[1], sys.argv[2]
libc = ctypes.CDLL(None)
def comm(name):
    libc.prctl(15, name.encode(), 0, 0, 0)   # PR_SET_NAME
comm("innd")
open(f"{spool}/1", "w").close()              # open(O_CREAT): security_inode_create
os.mknod(f"{spool}/2")                        # mknod(S_IFREG): vfs_create, then security_inode_create
comm("notinnd")
open(f"{spool}/3", "w").close()              # another name: filtered out
subprocess.run([innd, f"{spool}/4"], check=True)   # a copy of touch named innd
PY
rc=0
"$NWLOAD" watch "$wobj" innd python3 "$TMP/creator.py" "$spool" "$TMP/bin/innd" \
	>"$TMP/watch.txt" 2>"$TMP/watch.err" || rc=$?
cat "$TMP/watch.txt"
if [ $rc -eq 77 ]; then
	skip_part "attaching: $(grep 'attach failed' "$TMP/watch.txt") ($(grep -m1 libbpf "$TMP/watch.err"))"
	exit 0
fi
[ $rc -eq 0 ] || { cat "$TMP/watch.err"; fail "watching failed"; }
python3 - "$TMP/watch.txt" "$spool" "$exact" <<'PY' || fail "events, see above"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
spool, exact = sys.argv[2], sys.argv[3] == "1"
fallback = "attached: security_inode_create no" in "\n".join(lines)
ev = [dict(re.findall(r"(\w+)=(\S*)", l)) for l in lines if l.startswith("event ")]
done = [l for l in lines if l.startswith("done: ")]
assert done and "command status 0" in done[0], done
# one event per watched creation: 1 (open), 2 (mknod: both hooks, once), 4 (touch)
want = {"2": "2"} if fallback else {"1": "1", "2": "3", "4": "1"}
got = {}
for e in ev:
    assert e["comm"] == "innd", e
    assert int(e["tgid"]) > 0 and int(e["pid"]) > 0, e
    if not exact:
        continue
    name = e["path"].rsplit("/", 1)[-1]
    # relative to the root of the filesystem holding the spool
    assert e["path"].endswith(f"/news/comp/lang/c/{name}"), e
    if e["flags"] == "0":
        assert spool.endswith(e["path"].rsplit("/", 1)[0]), e
    else:   # a deep TMPDIR: only truncation is acceptable
        assert e["flags"] == "1" and e["ncomps"] == e["depth"], e
    assert name not in got, f"two events for {name}: {ev}"
    got[name] = e["hooks"]
if exact:
    assert got == want, (got, want)
else:
    assert len(ev) == len(want), (ev, want)
print(f"ok: {len(ev)} events, one per file created by innd, none for another name"
      + ("; mknod's vfs_create + security_inode_create gave one event with both hooks" if not fallback else ""))
PY
ok "attached to $krel and saw the events"
