/* RPM primary.xml, streamed from a file: pb_rpm_primary_parse. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "fuzz_check.h"
#include "repo/index.h"

static int on_pkg(const struct pb_pkg_rec *rec, void *ctx)
{
	size_t *n = ctx;

	if (!rec->name || !rec->version || !rec->location || !rec->sha256 ||
	    strlen(rec->sha256) != 64 || rec->size < 0)
		abort();
	(*n)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const globs[] = {"kernel-*", NULL};
	const char *path = pb_fuzz_file(data, size);
	struct pb_index_stats st = {0};
	struct pb_err err = {0};
	size_t n = 0;
	int ret;

	ret = pb_rpm_primary_parse(path, globs, on_pkg, &n, &st, &err);
	pb_fuzz_check_err(ret, &err, "pb_rpm_primary_parse");
	return 0;
}
