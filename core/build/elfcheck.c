#include "config.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build/elfcheck.h"
#include "util/fs.h"

struct elf_view {
	const char *path;
	unsigned char *data;
	size_t len;
	Elf64_Ehdr eh;
	size_t shoff; /* the section headers: data + shoff, maybe unaligned */
	size_t shnum;
	const char *shstr;
	size_t shstr_len;
};

/* Section header i, copied out: e_shoff comes from the file and need not
 * be a multiple of 8, so the table is never read through an Elf64_Shdr
 * pointer (a misaligned access, undefined behaviour; found by fuzzing). */
static Elf64_Shdr elf_shdr(const struct elf_view *v, size_t i)
{
	Elf64_Shdr s;

	memcpy(&s, v->data + v->shoff + i * sizeof(s), sizeof(s));
	return s;
}

/* Maps the file and checks every offset it will use; only 64-bit
 * little-endian ELF (x86_64, aarch64 modules and eBPF objects). */
static int elf_open(const char *path, struct elf_view *v, struct pb_err *err)
{
	const Elf64_Ehdr *eh = &v->eh;
	Elf64_Shdr strsh;
	size_t len;
	int ret;

	memset(v, 0, sizeof(*v));
	v->path = path;
	ret = pb_read_file(path, (char **)&v->data, &len, err);
	if (ret)
		return ret;
	v->len = len;
	if (len < sizeof(v->eh))
		return pb_err_set(err, -EINVAL, "%s: not an ELF file", path);
	memcpy(&v->eh, v->data, sizeof(v->eh));
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return pb_err_set(err, -EINVAL, "%s: not an ELF file", path);
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return pb_err_set(err, -EINVAL,
				  "%s: not a 64-bit little-endian ELF file",
				  path);
	if (eh->e_shoff == 0 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_shoff > len ||
	    (len - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum ||
	    eh->e_shstrndx >= eh->e_shnum)
		return pb_err_set(err, -EINVAL, "%s: bad ELF section table",
				  path);
	v->shoff = eh->e_shoff;
	v->shnum = eh->e_shnum;
	strsh = elf_shdr(v, eh->e_shstrndx);
	if (strsh.sh_offset > len || strsh.sh_size > len - strsh.sh_offset)
		return pb_err_set(err, -EINVAL, "%s: bad ELF string table",
				  path);
	v->shstr = (const char *)v->data + strsh.sh_offset;
	v->shstr_len = strsh.sh_size;
	return 0;
}

/* 1 and the header in *out when a section has that name, else 0. */
static int elf_section(const struct elf_view *v, const char *name,
		       Elf64_Shdr *out)
{
	size_t i, nl = strlen(name);

	for (i = 0; i < v->shnum; i++) {
		Elf64_Shdr s = elf_shdr(v, i);

		if (s.sh_name >= v->shstr_len || v->shstr_len - s.sh_name <= nl)
			continue;
		if (memcmp(v->shstr + s.sh_name, name, nl + 1) == 0) {
			*out = s;
			return 1;
		}
	}
	return 0;
}

int pb_elf_modinfo(const char *path, const char *key, char *out, size_t len,
		   struct pb_err *err)
{
	struct elf_view v;
	Elf64_Shdr s;
	const char *p, *end;
	size_t kl = strlen(key);
	int ret;

	ret = elf_open(path, &v, err);
	if (ret)
		goto out;
	if (!elf_section(&v, ".modinfo", &s) || s.sh_type == SHT_NOBITS ||
	    s.sh_offset > v.len || s.sh_size > v.len - s.sh_offset) {
		ret = pb_err_set(err, -ENOENT,
				 "%s: no .modinfo section: not a kernel "
				 "module",
				 path);
		goto out;
	}
	p = (const char *)v.data + s.sh_offset;
	end = p + s.sh_size;
	/* NUL-separated "key=value" strings */
	while (p < end) {
		size_t n = strnlen(p, (size_t)(end - p));

		if (n > kl && p[kl] == '=' && memcmp(p, key, kl) == 0) {
			snprintf(out, len, "%.*s", (int)(n - kl - 1),
				 p + kl + 1);
			goto out;
		}
		p += n + 1;
	}
	ret = pb_err_set(err, -ENOENT, "%s: no %s in .modinfo", path, key);
out:
	free(v.data);
	return ret;
}

int pb_elf_machine(const char *path, int *machine, struct pb_err *err)
{
	struct elf_view v;
	int ret = elf_open(path, &v, err);

	if (!ret)
		*machine = v.eh.e_machine;
	free(v.data);
	return ret;
}

int pb_elf_has_section(const char *path, const char *name, struct pb_err *err)
{
	struct elf_view v;
	Elf64_Shdr s;
	int ret = elf_open(path, &v, err);

	if (!ret)
		ret = elf_section(&v, name, &s);
	free(v.data);
	return ret;
}
