/* The ELF checks of the build (core/build/elfcheck.c): a module's .modinfo, an
 * object's machine and sections, a program's glibc version needs. */
#include "config.h"

#include <string.h>

#include "build/elfcheck.h"
#include "fuzz.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = pb_fuzz_file(data, size);
	struct pb_err err = {0};
	char vermagic[256];
	int machine, major, minor, ret;

	ret = pb_elf_modinfo(path, "vermagic", vermagic, sizeof(vermagic),
			     &err);
	pb_fuzz_check_err(ret, &err, "pb_elf_modinfo");
	if (!ret && strnlen(vermagic, sizeof(vermagic)) == sizeof(vermagic))
		abort();
	memset(&err, 0, sizeof(err));
	ret = pb_elf_machine(path, &machine, &err);
	pb_fuzz_check_err(ret, &err, "pb_elf_machine");
	memset(&err, 0, sizeof(err));
	ret = pb_elf_has_section(path, ".BTF", &err);
	pb_fuzz_check_err(ret, &err, "pb_elf_has_section");
	memset(&err, 0, sizeof(err));
	ret = pb_elf_glibc_need(path, &major, &minor, &err);
	pb_fuzz_check_err(ret, &err, "pb_elf_glibc_need");
	/* a version is a parsed number of at most 4 digits, 0.0 on error */
	if (major < 0 || major > 9999 || minor < 0 || minor > 9999 ||
	    (ret && (major || minor)))
		abort();
	return 0;
}
