/* The agent's legacy loader: eBPF objects from before BTF-defined maps
 * (SEC("maps") with struct bpf_map_def, as Falco's legacy probe has),
 * which libbpf 1.x refuses to open, still judged by the kernel: the maps
 * created from their definitions, the map relocations patched, each
 * program loaded with BPF_PROG_LOAD. Not attached: what the sections name
 * is left to the probe's own loader. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "verify/legacy.h"

struct legacy_def {
	unsigned int type, key_size, value_size, max_entries, map_flags;
};

struct obj {
	Elf *e;
	size_t shstrndx;
	Elf_Scn *maps, *symtab;
	Elf_Data *maps_data, *syms;
	size_t maps_idx, strtab_idx;
	const char *license;
	unsigned int kver;
	int map_fd[64];
	GElf_Addr map_off[64];
	size_t n_maps;
};

static const char *sec_name(struct obj *o, Elf_Scn *s)
{
	GElf_Shdr sh;

	if (!gelf_getshdr(s, &sh))
		return "";
	return elf_strptr(o->e, o->shstrndx, sh.sh_name);
}

static void find_sections(struct obj *o)
{
	Elf_Scn *s = NULL;
	GElf_Shdr sh;

	while ((s = elf_nextscn(o->e, s)) != NULL) {
		const char *n = sec_name(o, s);
		Elf_Data *d;

		if (!gelf_getshdr(s, &sh) || !n)
			continue;
		if (sh.sh_type == SHT_SYMTAB) {
			o->symtab = s;
			o->syms = elf_getdata(s, NULL);
			o->strtab_idx = sh.sh_link;
		} else if (!strcmp(n, "maps")) {
			o->maps = s;
			o->maps_data = elf_getdata(s, NULL);
			o->maps_idx = elf_ndxscn(s);
		} else if (!strcmp(n, "license") &&
			   (d = elf_getdata(s, NULL)) && d->d_size) {
			o->license = d->d_buf;
		} else if (!strcmp(n, "version") &&
			   (d = elf_getdata(s, NULL)) && d->d_size >= 4) {
			memcpy(&o->kver, d->d_buf, 4);
		}
	}
}

/* Each map symbol of the maps section, created from its definition. */
static int create_maps(struct obj *o, pb_legacy_say say)
{
	size_t i, n;
	GElf_Sym sym;

	if (!o->syms || !o->maps_data)
		return -1;
	n = o->syms->d_size / sizeof(Elf64_Sym);
	for (i = 0; i < n && o->n_maps < 64; i++) {
		struct legacy_def def = {0};
		const char *name;
		int fd;

		if (!gelf_getsym(o->syms, (int)i, &sym) ||
		    sym.st_shndx != o->maps_idx ||
		    GELF_ST_TYPE(sym.st_info) == STT_SECTION ||
		    sym.st_value + sizeof(def) > o->maps_data->d_size)
			continue;
		memcpy(&def, (char *)o->maps_data->d_buf + sym.st_value,
		       sizeof(def));
		name = elf_strptr(o->e, o->strtab_idx, sym.st_name);
		fd = bpf_map_create((enum bpf_map_type)def.type, name,
				    def.key_size, def.value_size,
				    def.max_entries, NULL);
		if (fd < 0) {
			say("ebpf REFUSED legacy map %s: %s", name ? name : "?",
			    strerror(errno));
			return -1;
		}
		o->map_fd[o->n_maps] = fd;
		o->map_off[o->n_maps++] = sym.st_value;
	}
	return 0;
}

static enum bpf_prog_type prog_type(const char *sec)
{
	if (!strncmp(sec, "kprobe/", 7) || !strncmp(sec, "kretprobe/", 10))
		return BPF_PROG_TYPE_KPROBE;
	if (!strncmp(sec, "tracepoint/", 11))
		return BPF_PROG_TYPE_TRACEPOINT;
	if (!strncmp(sec, "raw_tracepoint/", 15))
		return BPF_PROG_TYPE_RAW_TRACEPOINT;
	if (!strncmp(sec, "socket", 6))
		return BPF_PROG_TYPE_SOCKET_FILTER;
	return BPF_PROG_TYPE_UNSPEC;
}

/* The map relocations of the program in section idx patched into insns;
 * 0, or -1 when one is of something else (said). */
static int relocate(struct obj *o, size_t idx, struct bpf_insn *insns,
		    size_t n_insns, const char *name, pb_legacy_say say)
{
	Elf_Scn *s = NULL;
	GElf_Shdr sh;

	while ((s = elf_nextscn(o->e, s)) != NULL) {
		Elf_Data *d;
		size_t i, n;

		if (!gelf_getshdr(s, &sh) || sh.sh_type != SHT_REL ||
		    sh.sh_info != idx || !(d = elf_getdata(s, NULL)))
			continue;
		n = d->d_size / sizeof(Elf64_Rel);
		for (i = 0; i < n; i++) {
			GElf_Rel rel;
			GElf_Sym sym;
			size_t at, m;

			if (!gelf_getrel(d, (int)i, &rel) ||
			    !gelf_getsym(o->syms, (int)GELF_R_SYM(rel.r_info),
					 &sym))
				return -1;
			at = rel.r_offset / sizeof(struct bpf_insn);
			for (m = 0; m < o->n_maps; m++)
				if (sym.st_shndx == o->maps_idx &&
				    o->map_off[m] == sym.st_value)
					break;
			if (at >= n_insns || m == o->n_maps) {
				say("prog %s REFUSED the legacy loader patches "
				    "map references only",
				    name);
				return -1;
			}
			insns[at].src_reg = BPF_PSEUDO_MAP_FD;
			insns[at].imm = o->map_fd[m];
		}
	}
	return 0;
}

static const char *prog_name(struct obj *o, size_t idx, const char *sec)
{
	size_t i, n = o->syms ? o->syms->d_size / sizeof(Elf64_Sym) : 0;
	GElf_Sym sym;

	for (i = 0; i < n; i++)
		if (gelf_getsym(o->syms, (int)i, &sym) && sym.st_shndx == idx &&
		    GELF_ST_TYPE(sym.st_info) == STT_FUNC)
			return elf_strptr(o->e, o->strtab_idx, sym.st_name);
	return sec;
}

/* One program section: relocated, loaded, said. */
static void load_one(struct obj *o, Elf_Scn *s, char *log, size_t log_size,
		     pb_legacy_say say, void (*say_log)(void))
{
	LIBBPF_OPTS(bpf_prog_load_opts, po, .kern_version = o->kver,
		    .log_buf = log, .log_size = (unsigned)log_size,
		    .log_level = 1);
	const char *sec = sec_name(o, s), *name;
	size_t idx = elf_ndxscn(s), n;
	Elf_Data *d = elf_getdata(s, NULL);
	struct bpf_insn *insns;
	enum bpf_prog_type t = prog_type(sec);
	int fd;

	if (!d || !d->d_size || t == BPF_PROG_TYPE_UNSPEC)
		return;
	name = prog_name(o, idx, sec);
	n = d->d_size / sizeof(struct bpf_insn);
	insns = malloc(d->d_size);
	if (!insns) {
		say("prog %s REFUSED out of memory", name);
		return;
	}
	memcpy(insns, d->d_buf, d->d_size);
	log[0] = '\0';
	if (relocate(o, idx, insns, n, name, say) == 0) {
		fd = bpf_prog_load(t, name, o->license ? o->license : "", insns,
				   n, &po);
		if (fd < 0) {
			say("prog %s REFUSED %s", name, strerror(errno));
			say_log();
		} else {
			say("prog %s LOADED (legacy loader) %s", name, sec);
			close(fd);
		}
	}
	free(insns);
}

int pb_legacy_verify(const char *path, char *log, size_t log_size,
		     pb_legacy_say say, void (*say_log)(void))
{
	struct obj o;
	Elf_Scn *s = NULL;
	GElf_Shdr sh;
	size_t i, progs = 0;
	int fd;

	memset(&o, 0, sizeof(o));
	if (elf_version(EV_CURRENT) == EV_NONE ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	o.e = elf_begin(fd, ELF_C_READ, NULL);
	if (!o.e || elf_getshdrstrndx(o.e, &o.shstrndx) != 0) {
		close(fd);
		return -1;
	}
	find_sections(&o);
	while ((s = elf_nextscn(o.e, s)) != NULL)
		if (gelf_getshdr(s, &sh) && (sh.sh_flags & SHF_EXECINSTR) &&
		    sh.sh_size && prog_type(sec_name(&o, s)))
			progs++;
	say("ebpf OPENED %zu (legacy map definitions: the agent's own loader)",
	    progs);
	if (create_maps(&o, say) == 0)
		while ((s = elf_nextscn(o.e, s)) != NULL)
			if (gelf_getshdr(s, &sh) &&
			    (sh.sh_flags & SHF_EXECINSTR))
				load_one(&o, s, log, log_size, say, say_log);
	for (i = 0; i < o.n_maps; i++)
		close(o.map_fd[i]);
	elf_end(o.e);
	close(fd);
	return 0;
}
