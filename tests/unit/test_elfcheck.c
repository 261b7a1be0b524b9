/* build/elfcheck: the ELF checks (pb_elf_machine, pb_elf_modinfo,
 * pb_elf_has_section, pb_elf_glibc_need, pb_tree_glibc_need) on files made
 * here: text files, objects and programs compiled by the system gcc, ELF
 * files made by hand (corrupt version needs among them), and /bin/true. */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmocka.h>
#include <gnu/libc-version.h>

#include "build/elfcheck.h"
#include "testutil.h"

static char tmp[PBT_TMP_MAX];

static int group_setup(void **state)
{
	(void)state;
	return pbt_mkdtemp(tmp, sizeof(tmp), "elfcheck");
}

static int group_teardown(void **state)
{
	(void)state;
	return pbt_rm_tree(tmp);
}

/* --------------------------------------------------------------- ELF */

static void test_machine_bin_true(void **state)
{
	struct pb_err err = {0};
	struct utsname u;
	int machine = -1;

	(void)state;
	assert_int_equal(pb_elf_machine("/bin/true", &machine, &err), 0);
	assert_int_equal(uname(&u), 0);
	if (strcmp(u.machine, "x86_64") == 0)
		assert_int_equal(machine, EM_X86_64);
	else if (strcmp(u.machine, "aarch64") == 0)
		assert_int_equal(machine, EM_AARCH64);
	else
		assert_true(machine > 0);
	assert_int_equal(pb_elf_has_section("/bin/true", ".text", &err), 1);
	assert_int_equal(pb_elf_has_section("/bin/true", ".modinfo", &err), 0);
}

static void test_machine_not_elf(void **state)
{
	static const unsigned char half_magic[] = {0x7f, 'E', 'L'};
	struct pb_err err = {0};
	char path[PATH_MAX];
	int machine = -1;

	(void)state;
	pbt_write(tmp, "text", "#!/bin/sh\necho not an ELF file\n", 31);
	pbt_path(path, sizeof(path), tmp, "text");
	assert_int_equal(pb_elf_machine(path, &machine, &err), -EINVAL);
	assert_non_null(strstr(err.msg, path));
	assert_int_equal(machine, -1);

	pbt_write(tmp, "short", half_magic, sizeof(half_magic));
	pbt_path(path, sizeof(path), tmp, "short");
	assert_int_equal(pb_elf_machine(path, &machine, &err), -EINVAL);

	pbt_path(path, sizeof(path), tmp, "missing");
	assert_true(pb_elf_machine(path, &machine, &err) < 0);
}

static void test_truncated_elf(void **state)
{
	struct pb_err err = {0};
	char path[PATH_MAX], buf[4096], out[64];
	FILE *f = fopen("/bin/true", "rb");
	size_t n;
	int machine;

	(void)state;
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(n > sizeof(Elf64_Ehdr));
	/* the header only: the section table is past the end */
	pbt_write(tmp, "truncated", buf, sizeof(Elf64_Ehdr));
	pbt_path(path, sizeof(path), tmp, "truncated");
	assert_int_equal(pb_elf_machine(path, &machine, &err), -EINVAL);
	assert_int_equal(
		pb_elf_modinfo(path, "vermagic", out, sizeof(out), &err),
		-EINVAL);
}

/* Compiles src into name.o with the system gcc; 0, or -1 when there is
 * no gcc to do it. */
static int compile(const char *name, const char *src)
{
	char c[PATH_MAX], o[PATH_MAX], cmd[3 * PATH_MAX];
	char cfile[PATH_MAX];

	snprintf(cfile, sizeof(cfile), "%s.c", name);
	pbt_write(tmp, cfile, src, strlen(src));
	pbt_path(c, sizeof(c), tmp, cfile);
	snprintf(cfile, sizeof(cfile), "%s.o", name);
	pbt_path(o, sizeof(o), tmp, cfile);
	if (system("gcc --version >/dev/null 2>&1") != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "gcc -c -O0 -o '%s' '%s'", o, c);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* what modpost puts in a module: NUL-terminated "key=value" strings */
#define MI_DEF                                      \
	"#define MI(id, s) static const char id[] " \
	"__attribute__((section(\".modinfo\"), used, aligned(1))) = s\n"

static const char module_src[] =
	MI_DEF "MI(a, \"license=GPL\");\n"
	       "MI(b, \"srcversion=6E0F8C5A1B2C3D4E5F6A7B8\");\n"
	       "MI(c, \"depends=\");\n"
	       "MI(d, \"name=newswatch\");\n"
	       "MI(e, \"vermagic=6.1.0-56-amd64 SMP preempt mod_unload "
	       "modversions \");\n"
	       "int init_module(void) { return 0; }\n";

static const char no_vermagic_src[] =
	MI_DEF "MI(a, \"license=GPL\");\n"
	       "MI(b, \"vermagicx=not this one\");\n"
	       "MI(c, \"name=newswatch\");\n"
	       "int init_module(void) { return 0; }\n";

static const char no_modinfo_src[] = "int f(void) { return 1; }\n";

static void test_modinfo(void **state)
{
	struct pb_err err = {0};
	char path[PATH_MAX], out[256], small[8];
	int machine;

	(void)state;
	if (compile("mod", module_src) < 0)
		skip();
	pbt_path(path, sizeof(path), tmp, "mod.o");
	assert_int_equal(
		pb_elf_modinfo(path, "vermagic", out, sizeof(out), &err), 0);
	assert_string_equal(
		out, "6.1.0-56-amd64 SMP preempt mod_unload modversions ");
	assert_int_equal(
		pb_elf_modinfo(path, "license", out, sizeof(out), &err), 0);
	assert_string_equal(out, "GPL");
	assert_int_equal(pb_elf_modinfo(path, "name", out, sizeof(out), &err),
			 0);
	assert_string_equal(out, "newswatch");
	/* an empty value is a value */
	assert_int_equal(
		pb_elf_modinfo(path, "depends", out, sizeof(out), &err), 0);
	assert_string_equal(out, "");
	/* a key is a whole key: "version" is not "srcversion" */
	assert_int_equal(
		pb_elf_modinfo(path, "version", out, sizeof(out), &err),
		-ENOENT);
	/* a small buffer gets a cut, terminated value */
	assert_int_equal(
		pb_elf_modinfo(path, "vermagic", small, sizeof(small), &err),
		0);
	assert_string_equal(small, "6.1.0-5");
	assert_int_equal(pb_elf_has_section(path, ".modinfo", &err), 1);
	assert_int_equal(pb_elf_machine(path, &machine, &err), 0);
	assert_true(machine > 0);
}

static void test_no_vermagic(void **state)
{
	struct pb_err err = {0};
	char path[PATH_MAX], out[256];

	(void)state;
	if (compile("novermagic", no_vermagic_src) < 0)
		skip();
	pbt_path(path, sizeof(path), tmp, "novermagic.o");
	assert_int_equal(
		pb_elf_modinfo(path, "vermagic", out, sizeof(out), &err),
		-ENOENT);
	assert_non_null(strstr(err.msg, "vermagic"));
	assert_non_null(strstr(err.msg, path));

	if (compile("nomodinfo", no_modinfo_src) < 0)
		skip();
	pbt_path(path, sizeof(path), tmp, "nomodinfo.o");
	assert_int_equal(
		pb_elf_modinfo(path, "vermagic", out, sizeof(out), &err),
		-ENOENT);
	assert_non_null(strstr(err.msg, ".modinfo"));
	assert_int_equal(pb_elf_has_section(path, ".modinfo", &err), 0);
}

/* ------------------------------------------------- glibc version needs */

/* A hand-made ELF file: its header, .shstrtab, .dynstr, a .gnu.version_r
 * of one Elf64_Verneed (libc.so.6) and its Elf64_Vernaux entries, at an
 * odd offset on purpose, then the section headers. */
#define HM_SHSTR_OFF 64
#define HM_DYNSTR_OFF 128
#define HM_VN_OFF 513
#define HM_SH_OFF 1024
#define HM_MAX_AUX 8
#define HM_SIZE (HM_SH_OFF + 4 * sizeof(Elf64_Shdr))

static const char hm_shstr[] = "\0.shstrtab\0.dynstr\0.gnu.version_r";

static void hm_shdr(unsigned char *buf, int i, Elf64_Word name, Elf64_Word type,
		    size_t off, size_t size, Elf64_Word link)
{
	Elf64_Shdr s = {0};

	s.sh_name = name;
	s.sh_type = type;
	s.sh_offset = off;
	s.sh_size = size;
	s.sh_link = link;
	memcpy(buf + HM_SH_OFF + i * sizeof(s), &s, sizeof(s));
}

/* buf (HM_SIZE bytes) = the ELF file needing the n versions named. */
static void hm_make(unsigned char *buf, const char *const *names, int n)
{
	Elf64_Ehdr eh = {0};
	Elf64_Verneed vn = {0};
	size_t str = 1;
	int i;

	assert_true(n > 0 && n <= HM_MAX_AUX);
	memset(buf, 0, HM_SIZE);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_DYN;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_shoff = HM_SH_OFF;
	eh.e_ehsize = sizeof(eh);
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = 4;
	eh.e_shstrndx = 1;
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + HM_SHSTR_OFF, hm_shstr, sizeof(hm_shstr));
	memcpy(buf + HM_DYNSTR_OFF + str, "libc.so.6", 10);
	vn.vn_version = VER_NEED_CURRENT;
	vn.vn_cnt = (Elf64_Half)n;
	vn.vn_file = (Elf64_Word)str;
	vn.vn_aux = sizeof(vn);
	memcpy(buf + HM_VN_OFF, &vn, sizeof(vn));
	str += 10;
	for (i = 0; i < n; i++) {
		Elf64_Vernaux va = {0};
		size_t l = strlen(names[i]) + 1;

		assert_true(HM_DYNSTR_OFF + str + l < HM_VN_OFF);
		memcpy(buf + HM_DYNSTR_OFF + str, names[i], l);
		va.vna_name = (Elf64_Word)str;
		va.vna_other = (Elf64_Half)(i + 2);
		va.vna_next = i + 1 < n ? sizeof(va) : 0;
		memcpy(buf + HM_VN_OFF + sizeof(vn) + i * sizeof(va), &va,
		       sizeof(va));
		str += l;
	}
	hm_shdr(buf, 1, 1, SHT_STRTAB, HM_SHSTR_OFF, sizeof(hm_shstr), 0);
	hm_shdr(buf, 2, 11, SHT_STRTAB, HM_DYNSTR_OFF, str, 0);
	hm_shdr(buf, 3, 19, SHT_GNU_verneed, HM_VN_OFF,
		sizeof(vn) + (size_t)n * sizeof(Elf64_Vernaux), 2);
}

/* the offset in a hand-made file of field of its Vernaux i */
#define HM_AUX(i, field)                                                   \
	(HM_VN_OFF + sizeof(Elf64_Verneed) + (i) * sizeof(Elf64_Vernaux) + \
	 offsetof(Elf64_Vernaux, field))
#define HM_VN(field) (HM_VN_OFF + offsetof(Elf64_Verneed, field))

static void hm_put32(unsigned char *buf, size_t off, uint32_t val)
{
	memcpy(buf + off, &val, sizeof(val));
}

/* pb_elf_glibc_need on the hand-made file buf, written as name */
static int hm_need(const unsigned char *buf, size_t len, const char *name,
		   int *major, int *minor, struct pb_err *err)
{
	char path[PATH_MAX];

	pbt_write(tmp, name, buf, len);
	pbt_path(path, sizeof(path), tmp, name);
	memset(err, 0, sizeof(*err));
	return pb_elf_glibc_need(path, major, minor, err);
}

static void test_glibc_need_handmade(void **state)
{
	static const char *const mixed[] = {"GLIBC_2.2.5", "GLIBC_2.4",
					    "GLIBC_2.38", "GLIBC_PRIVATE",
					    "GLIBC_2.10.1"};
	static const char *const numeric[] = {"GLIBC_2.4", "GLIBC_2.10"};
	static const char *const relr[] = {"GLIBC_2.3", "GLIBC_ABI_DT_RELR"};
	static const char *const none[] = {
		"GLIBC_PRIVATE", "GLIBCXX_3.4.30", "GLIBC_2.x", "GLIBC_2.",
		"GLIBC_12345.1", "GLIBC_2.3x",	   "GLIBC_",	"GCC_3.0"};
	unsigned char buf[HM_SIZE];
	struct pb_err err;
	int major = -1, minor = -1;

	(void)state;
	hm_make(buf, mixed, 5);
	assert_int_equal(
		hm_need(buf, sizeof(buf), "hm-mixed", &major, &minor, &err), 0);
	assert_int_equal(major, 2);
	assert_int_equal(minor, 38);
	/* 2.10 > 2.4: numbers, not strings */
	hm_make(buf, numeric, 2);
	assert_int_equal(
		hm_need(buf, sizeof(buf), "hm-numeric", &major, &minor, &err),
		0);
	assert_int_equal(minor, 10);
	/* DT_RELR came with glibc 2.36 */
	hm_make(buf, relr, 2);
	assert_int_equal(
		hm_need(buf, sizeof(buf), "hm-relr", &major, &minor, &err), 0);
	assert_int_equal(major, 2);
	assert_int_equal(minor, 36);
	hm_make(buf, none, 8);
	assert_int_equal(
		hm_need(buf, sizeof(buf), "hm-none", &major, &minor, &err), 0);
	assert_int_equal(major, 0);
	assert_int_equal(minor, 0);
}

/* Every corruption gives -EINVAL with the path and 0.0, or an answer
 * from what could be read: never a hang or a read out of bounds (the
 * sanitizer run runs this test too). */
static void test_glibc_need_corrupt(void **state)
{
	static const char *const names[] = {"GLIBC_2.2.5", "GLIBC_2.34",
					    "GLIBC_2.17"};
	unsigned char buf[HM_SIZE];
	struct pb_err err;
	char path[PATH_MAX];
	int major, minor;

	(void)state;
	pbt_path(path, sizeof(path), tmp, "hm-bad");
	/* vn_next -16: back before the entry, were offsets added in 32 bits */
	hm_make(buf, names, 3);
	hm_put32(buf, HM_VN(vn_next), (uint32_t)-16);
	assert_int_equal(
		hm_need(buf, sizeof(buf), "hm-bad", &major, &minor, &err),
		-EINVAL);
	assert_non_null(strstr(err.msg, path));
	assert_int_equal(major, 0);
	assert_int_equal(minor, 0);
	/* vna_next back to the Verneed, with a count that would go on */
	hm_make(buf, names, 3);
	hm_put32(buf, HM_AUX(1, vna_next), (uint32_t)-32);
	assert_int_equal(
		hm_need(buf, sizeof(buf), "hm-bad", &major, &minor, &err),
		-EINVAL);
	/* vn_next onto its own Vernaux entries: no Verneed there */
	hm_make(buf, names, 3);
	hm_put32(buf, HM_VN(vn_next), sizeof(Elf64_Verneed));
	assert_int_equal(
		hm_need(buf, sizeof(buf), "hm-bad", &major, &minor, &err),
		-EINVAL);
	/* vna_next past the end of the section */
	hm_make(buf, names, 3);
	hm_put32(buf, HM_AUX(0, vna_next), 4096);
	assert_int_equal(
		hm_need(buf, sizeof(buf), "hm-bad", &major, &minor, &err),
		-EINVAL);
	assert_non_null(strstr(err.msg, ".gnu.version_r"));
	/* vna_next into the last bytes: no whole entry there */
	hm_make(buf, names, 3);
	hm_put32(buf, HM_AUX(1, vna_next), 24);
	assert_int_equal(
		hm_need(buf, sizeof(buf), "hm-bad", &major, &minor, &err),
		-EINVAL);
	/* a count larger than the chain: the chain's end ends it */
	hm_make(buf, names, 3);
	buf[HM_VN(vn_cnt)] = 0xff;
	buf[HM_VN(vn_cnt) + 1] = 0xff;
	assert_int_equal(
		hm_need(buf, sizeof(buf), "hm-bad", &major, &minor, &err), 0);
	assert_int_equal(minor, 34);
	/* a name past the string table, an aux list past the section */
	hm_make(buf, names, 3);
	hm_put32(buf, HM_AUX(2, vna_name), 0xffffff00u);
	assert_int_equal(
		hm_need(buf, sizeof(buf), "hm-bad", &major, &minor, &err),
		-EINVAL);
	hm_make(buf, names, 3);
	hm_put32(buf, HM_VN(vn_aux), 0xfffffff0u);
	assert_int_equal(
		hm_need(buf, sizeof(buf), "hm-bad", &major, &minor, &err),
		-EINVAL);
	/* the string table link and the section's size out of range */
	hm_make(buf, names, 3);
	hm_shdr(buf, 3, 19, SHT_GNU_verneed, HM_VN_OFF, 64, 99);
	assert_int_equal(
		hm_need(buf, sizeof(buf), "hm-bad", &major, &minor, &err),
		-EINVAL);
	hm_make(buf, names, 3);
	hm_shdr(buf, 3, 19, SHT_GNU_verneed, HM_VN_OFF, (size_t)-1, 2);
	assert_int_equal(
		hm_need(buf, sizeof(buf), "hm-bad", &major, &minor, &err),
		-EINVAL);
	/* a section too small for one entry */
	hm_make(buf, names, 3);
	hm_shdr(buf, 3, 19, SHT_GNU_verneed, HM_VN_OFF, 8, 2);
	assert_int_equal(
		hm_need(buf, sizeof(buf), "hm-bad", &major, &minor, &err),
		-EINVAL);
}

/* Links src into tmp/name with the system gcc and flags; 0, or -1 when
 * that cannot be done here (no gcc, no libc.a for -static). */
static int link_prog(const char *name, const char *flags)
{
	static const char src[] =
		"#include <stdio.h>\n"
		"int main(int argc, char **argv)\n"
		"{ printf(\"%d %s\\n\", argc, argv[0]); return 0; }\n";
	char c[PATH_MAX], o[PATH_MAX], cmd[3 * PATH_MAX];

	if (system("gcc --version >/dev/null 2>&1") != 0)
		return -1;
	pbt_write(tmp, "prog.c", src, strlen(src));
	pbt_path(c, sizeof(c), tmp, "prog.c");
	pbt_path(o, sizeof(o), tmp, name);
	snprintf(cmd, sizeof(cmd), "gcc %s -o '%s' '%s' 2>/dev/null", flags, o,
		 c);
	return system(cmd) == 0 ? 0 : -1;
}

/* the need of a dynamic program of the host: >= 2.2.5 (the oldest
 * version of any port still built), <= the glibc it runs on */
static void assert_host_need(int major, int minor)
{
	int hmajor = 0, hminor = 0;

	assert_int_equal(
		sscanf(gnu_get_libc_version(), "%d.%d", &hmajor, &hminor), 2);
	assert_true(major == 2 && minor >= 2);
	assert_true(major < hmajor || (major == hmajor && minor <= hminor));
}

static void test_glibc_need_programs(void **state)
{
	struct pb_err err = {0};
	char path[PATH_MAX];
	int major = -1, minor = -1;

	(void)state;
	assert_int_equal(pb_elf_glibc_need("/bin/true", &major, &minor, &err),
			 0);
	assert_host_need(major, minor);
	if (link_prog("dyn", "-O2") < 0)
		skip();
	pbt_path(path, sizeof(path), tmp, "dyn");
	assert_int_equal(pb_elf_glibc_need(path, &major, &minor, &err), 0);
	assert_host_need(major, minor);
	/* an object file has no version needs */
	if (compile("plain", no_modinfo_src) == 0) {
		pbt_path(path, sizeof(path), tmp, "plain.o");
		assert_int_equal(pb_elf_glibc_need(path, &major, &minor, &err),
				 0);
		assert_int_equal(major, 0);
		assert_int_equal(minor, 0);
	}
	/* neither has a text file */
	pbt_write(tmp, "script", "#!/bin/sh\n", 10);
	pbt_path(path, sizeof(path), tmp, "script");
	assert_int_equal(pb_elf_glibc_need(path, &major, &minor, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, path));
}

static void test_glibc_need_static(void **state)
{
	struct pb_err err = {0};
	char path[PATH_MAX];
	int major = -1, minor = -1;

	(void)state;
	if (link_prog("static", "-static -Os") < 0)
		skip(); /* no libc.a (libc6-dev) */
	pbt_path(path, sizeof(path), tmp, "static");
	assert_int_equal(pb_elf_glibc_need(path, &major, &minor, &err), 0);
	assert_int_equal(major, 0);
	assert_int_equal(minor, 0);
}

/* copies tmp/from to kdir/rel */
static void copy_to(const char *from, const char *kdir, const char *rel)
{
	char src[PATH_MAX];
	char *data;
	off_t n;

	pbt_path(src, sizeof(src), tmp, from);
	n = pbt_file_size(src);
	data = pbt_read_file(tmp, from);
	pbt_write(kdir, rel, data, (size_t)n);
	free(data);
}

static void test_tree_glibc_need(void **state)
{
	static const char *const newer[] = {"GLIBC_2.2.5", "GLIBC_2.99"};
	static const char *const bad[] = {"GLIBC_2.2.5"};
	unsigned char buf[HM_SIZE];
	struct pb_err err = {0};
	char kdir[PATH_MAX], which[PATH_MAX], dyn[PATH_MAX];
	int major = -1, minor = -1, dmajor, dminor;

	(void)state;
	pbt_path(kdir, sizeof(kdir), tmp, "kdir");
	pbt_mkdirs(tmp, "kdir");
	/* nothing there: 0.0 and "" */
	assert_int_equal(pb_tree_glibc_need(kdir, &major, &minor, which,
					    sizeof(which), &err),
			 0);
	assert_int_equal(major, 0);
	assert_int_equal(minor, 0);
	assert_string_equal(which, "");
	if (link_prog("dyn", "-O2") < 0)
		skip();
	pbt_path(dyn, sizeof(dyn), tmp, "dyn");
	assert_int_equal(pb_elf_glibc_need(dyn, &dmajor, &dminor, &err), 0);
	copy_to("dyn", kdir, "scripts/basic/fixdep");
	pbt_write_file(kdir, "scripts/ld-version.sh", "#!/bin/sh\necho 0\n",
		       0755);
	pbt_write_file(kdir, "scripts/mod/x", "", 0644);
	pbt_mkdirs(kdir, "scripts/dtc/include-prefixes");
	pbt_symlink(kdir, "scripts/kconfig/conf", "no-such-file");
	if (link_prog("static", "-static -Os") == 0)
		copy_to("static", kdir, "scripts/mod/modpost");
	/* deeper than the tool dirs: not looked at */
	hm_make(buf, newer, 2);
	pbt_write(kdir, "scripts/basic/sub/deep", buf, sizeof(buf));
	assert_int_equal(pb_tree_glibc_need(kdir, &major, &minor, which,
					    sizeof(which), &err),
			 0);
	assert_int_equal(major, dmajor);
	assert_int_equal(minor, dminor);
	assert_string_equal(which, "scripts/basic/fixdep");
	/* a newer need wins; of two as new, the smaller path */
	pbt_write(kdir, "tools/objtool/objtool", buf, sizeof(buf));
	pbt_write(kdir, "tools/bpf/resolve_btfids/resolve_btfids", buf,
		  sizeof(buf));
	assert_int_equal(
		pb_tree_glibc_need(kdir, &major, &minor, NULL, 0, &err), 0);
	assert_int_equal(minor, 99);
	assert_int_equal(pb_tree_glibc_need(kdir, &major, &minor, which,
					    sizeof(which), &err),
			 0);
	assert_int_equal(major, 2);
	assert_int_equal(minor, 99);
	assert_string_equal(which, "tools/bpf/resolve_btfids/resolve_btfids");
	/* which too small: refused, not cut */
	assert_int_equal(
		pb_tree_glibc_need(kdir, &major, &minor, which, 8, &err),
		-ENAMETOOLONG);
	/* an ELF tool whose needs cannot be read: an error naming it */
	hm_make(buf, bad, 1);
	hm_put32(buf, HM_VN(vn_aux), 4096);
	pbt_write(kdir, "scripts/genksyms/genksyms", buf, sizeof(buf));
	assert_int_equal(pb_tree_glibc_need(kdir, &major, &minor, which,
					    sizeof(which), &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "scripts/genksyms/genksyms"));
	assert_int_equal(major, 0);
	assert_string_equal(which, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_machine_bin_true),
		cmocka_unit_test(test_machine_not_elf),
		cmocka_unit_test(test_truncated_elf),
		cmocka_unit_test(test_modinfo),
		cmocka_unit_test(test_no_vermagic),
		cmocka_unit_test(test_glibc_need_handmade),
		cmocka_unit_test(test_glibc_need_corrupt),
		cmocka_unit_test(test_glibc_need_programs),
		cmocka_unit_test(test_glibc_need_static),
		cmocka_unit_test(test_tree_glibc_need),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
