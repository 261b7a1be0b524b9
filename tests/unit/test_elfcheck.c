/* build/elfcheck: the ELF checks (pb_elf_machine, pb_elf_modinfo,
 * pb_elf_has_section) on files made here: text files, a relocatable object
 * with a .modinfo section compiled by the system gcc, and /bin/true. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_machine_bin_true),
		cmocka_unit_test(test_machine_not_elf),
		cmocka_unit_test(test_truncated_elf),
		cmocka_unit_test(test_modinfo),
		cmocka_unit_test(test_no_vermagic),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
