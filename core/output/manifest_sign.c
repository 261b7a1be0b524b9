#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/manifest_sign.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/sign.h"

int pb_manifest_sign(const char *output_dir, const char *key_path,
		     struct pb_err *err)
{
	char path[PATH_MAX], sig_path[PATH_MAX + 8];
	unsigned char sig[PB_SIG_LEN];
	char *data = NULL, *again = NULL;
	size_t len = 0, len2 = 0;
	int ret, tries;

	ret = pb_path_join(path, sizeof(path), err, output_dir, "manifest.json",
			   NULL);
	if (!ret)
		ret = pb_path_fmt(sig_path, sizeof(sig_path), err, "%s.sig",
				  path);
	if (!ret)
		ret = pb_read_file(path, &data, &len, err);
	/* another run sharing the dir may replace the manifest between our
	 * read and our rename: sign again until what we signed is what is
	 * there (the last writer's signature then matches its manifest) */
	for (tries = 0; !ret && tries < 5; tries++) {
		ret = pb_sign_data(key_path, data, len, sig, err);
		if (!ret)
			ret = pb_write_file_atomic(sig_path, sig, sizeof(sig),
						   err);
		if (!ret)
			ret = pb_read_file(path, &again, &len2, err);
		if (ret)
			break;
		if (len2 == len && !memcmp(again, data, len)) {
			free(again);
			again = NULL;
			goto out;
		}
		free(data);
		data = again;
		len = len2;
		again = NULL;
	}
	if (!ret)
		ret = pb_err_set(err, -EAGAIN,
				 "%s keeps changing (other runs): not signed",
				 path);
out:
	free(data);
	free(again);
	if (ret)
		pb_err_prefix(err, "signing %s", path);
	return ret;
}
