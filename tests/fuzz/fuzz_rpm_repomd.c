/* RPM repomd.xml: pb_repomd_parse. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "fuzz_check.h"
#include "repo/index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pb_repomd r;
	struct pb_err err = {0};
	int ret;

	memset(&r, 0, sizeof(r));
	ret = pb_repomd_parse(pb_fuzz_file(data, size), &r, &err);
	pb_fuzz_check_err(ret, &err, "pb_repomd_parse");
	if (!ret) {
		if (!r.primary_href ||
		    (r.primary_sha256[0] && strlen(r.primary_sha256) != 64))
			abort();
		pb_repomd_free(&r);
	}
	return 0;
}
