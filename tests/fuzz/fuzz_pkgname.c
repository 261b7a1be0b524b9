/* Package file names (core/sdk/pkgname.c): the input up to its first
 * newline is a file name, the rest a second version string for the
 * version comparison. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "probe-builder/pkgname.h"

static void check_fields(const struct pb_pkgname *p)
{
	/* every field NUL-terminated within its array */
	if (strnlen(p->name, sizeof(p->name)) == sizeof(p->name) ||
	    strnlen(p->version, sizeof(p->version)) == sizeof(p->version) ||
	    strnlen(p->release, sizeof(p->release)) == sizeof(p->release) ||
	    strnlen(p->arch, sizeof(p->arch)) == sizeof(p->arch))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = pb_fuzz_str(data, size), *other = strchr(s, '\n');
	struct pb_pkgname p;
	int a, b;

	if (other)
		*other++ = '\0';
	else
		other = s;
	if (pb_pkgname_parse_deb(s, &p) == 0)
		check_fields(&p);
	if (pb_pkgname_parse_rpm(s, &p) == 0) {
		check_fields(&p);
		pb_arch_canonical(p.arch);
	}
	pb_basename(s);
	/* an order: antisymmetric, and reflexive */
	a = pb_deb_version_cmp(s, other);
	b = pb_deb_version_cmp(other, s);
	if ((a < 0 && b <= 0) || (a > 0 && b >= 0) || (a == 0 && b != 0))
		abort();
	if (pb_deb_version_cmp(s, s) != 0)
		abort();
	free(s);
	return 0;
}
