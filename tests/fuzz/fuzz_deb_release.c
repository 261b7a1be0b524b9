/* APT Release / InRelease (the signed text): pb_deb_release_parse. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "fuzz_check.h"
#include "repo/index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pb_deb_release r;
	struct pb_err err = {0};
	int ret = pb_deb_release_parse((const char *)data, size, &r, &err);

	pb_fuzz_check_err(ret, &err, "pb_deb_release_parse");
	if (!ret) {
		size_t i;

		/* every entry must be findable and its hash a full one */
		for (i = 0; i < r.n_entries; i++) {
			if (pb_deb_release_find(&r, r.entries[i].path) == NULL)
				abort();
			if (strlen(r.entries[i].sha256) != 64)
				abort();
		}
		pb_deb_release_find(&r, "main/binary-amd64/Packages.xz");
		pb_deb_release_free(&r);
	}
	return 0;
}
