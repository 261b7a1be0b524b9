#include "config.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/elfcheck.h"
#include "util/fs.h"
#include "util/path.h"

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

/* ------------------------------------------------- glibc version needs */

/* A decimal number of at most 4 digits at *p (before end), moved past. */
static int parse_num(const char **p, const char *end, int *out)
{
	int n = 0, digits = 0;

	while (*p < end && **p >= '0' && **p <= '9' && digits < 4) {
		n = n * 10 + (**p - '0');
		(*p)++;
		digits++;
	}
	*out = n;
	return digits > 0 && (*p == end || **p < '0' || **p > '9') ? 0 : -1;
}

/* 1 and the version when name (n bytes) is "GLIBC_X.Y[.Z]", else 0
 * (GLIBC_PRIVATE and the like say nothing of the version). */
static int glibc_version(const char *name, size_t n, int *major, int *minor)
{
	static const char relr[] = "GLIBC_ABI_DT_RELR";
	const char *p, *end = name + n;
	int patch;

	if (n < 6 || memcmp(name, "GLIBC_", 6) != 0)
		return 0;
	/* what ld -z pack-relative-relocs adds: the DT_RELR support that
	 * came with glibc 2.36, maybe the only hint of it */
	if (n == sizeof(relr) - 1 && memcmp(name, relr, n) == 0) {
		*major = 2;
		*minor = 36;
		return 1;
	}
	p = name + 6;
	if (parse_num(&p, end, major) || p == end || *p++ != '.' ||
	    parse_num(&p, end, minor))
		return 0;
	if (p < end && (*p++ != '.' || parse_num(&p, end, &patch)))
		return 0;
	return p == end;
}

static int version_newer(int major, int minor, int than_major, int than_minor)
{
	return major > than_major ||
	       (major == than_major && minor > than_minor);
}

static int verneed_bad(const struct elf_view *v, const char *what,
		       struct pb_err *err)
{
	return pb_err_set(err, -EINVAL, "%s: bad .gnu.version_r: %s", v->path,
			  what);
}

/* The Elf64_Verneed entries of sec (size bytes) and their Elf64_Vernaux
 * entries, names in str (strsz bytes). Every entry is copied out (sec may
 * be at any offset of the file), every offset checked, and the walk stops
 * after as many steps as entries could fit: a loop cannot hang it. */
static int verneed_walk(const struct elf_view *v, const unsigned char *sec,
			size_t size, const char *str, size_t strsz, int *major,
			int *minor, struct pb_err *err)
{
	size_t budget = size / sizeof(Elf64_Vernaux) + 1, off = 0;

	for (;;) {
		Elf64_Verneed vn;
		size_t aoff, j;

		if (size < sizeof(vn) || off > size - sizeof(vn))
			return verneed_bad(v, "entry past the end", err);
		if (budget-- == 0)
			return verneed_bad(v, "entries loop", err);
		memcpy(&vn, sec + off, sizeof(vn));
		if (vn.vn_version != VER_NEED_CURRENT)
			return verneed_bad(v, "unknown revision", err);
		if (vn.vn_aux > size - off)
			return verneed_bad(v, "entry past the end", err);
		aoff = off + vn.vn_aux;
		for (j = 0; j < vn.vn_cnt; j++) {
			Elf64_Vernaux va;
			int ma, mi;

			if (aoff > size - sizeof(va))
				return verneed_bad(v, "entry past the end",
						   err);
			if (budget-- == 0)
				return verneed_bad(v, "entries loop", err);
			memcpy(&va, sec + aoff, sizeof(va));
			if (va.vna_name >= strsz)
				return verneed_bad(v, "name past the end", err);
			if (glibc_version(str + va.vna_name,
					  strnlen(str + va.vna_name,
						  strsz - va.vna_name),
					  &ma, &mi) &&
			    version_newer(ma, mi, *major, *minor)) {
				*major = ma;
				*minor = mi;
			}
			if (va.vna_next == 0)
				break;
			if (va.vna_next > size - aoff)
				return verneed_bad(v, "entry past the end",
						   err);
			aoff += va.vna_next;
		}
		if (vn.vn_next == 0)
			return 0;
		if (vn.vn_next > size - off)
			return verneed_bad(v, "entry past the end", err);
		off += vn.vn_next;
	}
}

/* 1 and the header of the first section of that type, else 0. */
static int elf_section_type(const struct elf_view *v, Elf64_Word type,
			    Elf64_Shdr *out)
{
	size_t i;

	for (i = 0; i < v->shnum; i++) {
		*out = elf_shdr(v, i);
		if (out->sh_type == type)
			return 1;
	}
	return 0;
}

static int in_file(const struct elf_view *v, const Elf64_Shdr *s)
{
	return s->sh_offset <= v->len && s->sh_size <= v->len - s->sh_offset;
}

int pb_elf_glibc_need(const char *path, int *major, int *minor,
		      struct pb_err *err)
{
	struct elf_view v;
	Elf64_Shdr vs, ss;
	int ret;

	*major = 0;
	*minor = 0;
	ret = elf_open(path, &v, err);
	if (ret || !elf_section_type(&v, SHT_GNU_verneed, &vs))
		goto out;
	if (!in_file(&v, &vs) || vs.sh_link >= v.shnum) {
		ret = verneed_bad(&v, "section past the end", err);
		goto out;
	}
	ss = elf_shdr(&v, vs.sh_link);
	if (!in_file(&v, &ss)) {
		ret = verneed_bad(&v, "string table past the end", err);
		goto out;
	}
	ret = verneed_walk(&v, v.data + vs.sh_offset, vs.sh_size,
			   (const char *)v.data + ss.sh_offset, ss.sh_size,
			   major, minor, err);
	if (ret) {
		*major = 0;
		*minor = 0;
	}
out:
	free(v.data);
	return ret;
}

/* Where kbuild puts the host programs it runs (Debian's linux-kbuild and
 * Fedora's kernel-devel ship them prebuilt); the gcc plugins are loaded
 * into the builder's gcc, so their needs count too. */
static const char *const tool_dirs[] = {
	"scripts",
	"scripts/basic",
	"scripts/mod",
	"scripts/kconfig",
	"scripts/genksyms",
	"scripts/dtc",
	"scripts/gcc-plugins",
	"tools/objtool",
	"tools/bpf/resolve_btfids",
};

struct glibc_best {
	int major, minor;
	char rel[PATH_MAX];
};

/* 1 when path starts with the ELF magic, 0 when not (a script, a short
 * file), or a negative errno when it cannot be read. */
static int is_elf(const char *path, struct pb_err *err)
{
	unsigned char magic[SELFMAG];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return pb_err_set(err, -errno, "%s: %s", path, strerror(errno));
	do {
		n = read(fd, magic, sizeof(magic));
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		int e = errno;

		close(fd);
		return pb_err_set(err, -e, "%s: %s", path, strerror(e));
	}
	close(fd);
	return n == (ssize_t)sizeof(magic) &&
	       memcmp(magic, ELFMAG, SELFMAG) == 0;
}

/* Counts the file name of kdir/rel into best when it is an ELF file that
 * needs a newer glibc (or as new, with a smaller path: readdir's order
 * must not decide which tool is named). */
static int scan_file(const char *kdir, const char *rel, const char *name,
		     struct glibc_best *best, struct pb_err *err)
{
	char path[PATH_MAX], frel[PATH_MAX];
	struct stat st;
	int ret, major, minor;

	ret = pb_path_join(frel, sizeof(frel), err, rel, name, NULL);
	if (!ret)
		ret = pb_path_join(path, sizeof(path), err, kdir, frel, NULL);
	if (ret)
		return ret;
	/* stat, not lstat: Debian's headers reach scripts/ by symlinks */
	if (stat(path, &st) != 0) {
		if (errno == ENOENT) /* a dangling symlink: no tool */
			return 0;
		return pb_err_set(err, -errno, "%s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return 0;
	ret = is_elf(path, err);
	if (ret <= 0)
		return ret;
	ret = pb_elf_glibc_need(path, &major, &minor, err);
	if (ret)
		return ret;
	if ((major || minor) &&
	    (version_newer(major, minor, best->major, best->minor) ||
	     (major == best->major && minor == best->minor &&
	      strcmp(frel, best->rel) < 0))) {
		best->major = major;
		best->minor = minor;
		memcpy(best->rel, frel, strlen(frel) + 1);
	}
	return 0;
}

static int scan_dir(const char *kdir, const char *rel, struct glibc_best *best,
		    struct pb_err *err)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int ret;

	ret = pb_path_join(dir, sizeof(dir), err, kdir, rel, NULL);
	if (ret)
		return ret;
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return pb_err_set(err, -errno, "%s: %s", dir, strerror(errno));
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				ret = pb_err_set(err, -errno, "%s: %s", dir,
						 strerror(errno));
			break;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		ret = scan_file(kdir, rel, de->d_name, best, err);
		if (ret)
			break;
	}
	closedir(d);
	return ret;
}

int pb_tree_glibc_need(const char *kdir, int *major, int *minor, char *which,
		       size_t which_len, struct pb_err *err)
{
	struct glibc_best best = {0};
	size_t i;
	int ret = 0;

	*major = 0;
	*minor = 0;
	if (which && which_len)
		which[0] = '\0';
	for (i = 0; i < sizeof(tool_dirs) / sizeof(tool_dirs[0]) && !ret; i++)
		ret = scan_dir(kdir, tool_dirs[i], &best, err);
	if (!ret && which && best.rel[0])
		ret = pb_path_fmt(which, which_len, err, "%s", best.rel);
	if (!ret) {
		*major = best.major;
		*minor = best.minor;
	}
	return ret;
}
