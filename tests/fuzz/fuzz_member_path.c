/* The member path check of unpacking (core/archive/unpack.c pb_member_path):
 * what it accepts never leaves the root. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "archive/unpack.h"
#include "fuzz.h"
#include "fuzz_check.h"

static void check(const char *name, size_t len)
{
	char out[4096];
	struct pb_err err = {0};
	const char *p;
	int ret;

	if (len > sizeof(out))
		len = sizeof(out);
	ret = pb_member_path(name, out, len, &err);
	pb_fuzz_check_err(ret, &err, "pb_member_path");
	if (ret)
		return;
	if (strnlen(out, len) == len || out[0] == '/')
		abort();
	for (p = out; *p;) {
		size_t n = strcspn(p, "/");

		/* no empty, "." or ".." part is left */
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			abort();
		p += n;
		if (*p == '/')
			p++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = pb_fuzz_str(data, size);

	check(s, 4096);
	/* and a small buffer: the length check */
	check(s, size % 64 + 1);
	free(s);
	return 0;
}
