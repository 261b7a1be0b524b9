/* A valid test plugin: builder "testbuilder" serving distro "testdistro".
 * Its batch hook puts every file into release "1.0-test" (x86_64), so that
 * a test can tell that the hooks it got are really this plugin's. */
#include <stdio.h>

#include "probe-builder/probe-builder.h"

static int good_batch(struct pb_batch *b, const char *const *paths, size_t n,
		      struct pb_err *err)
{
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = pb_batch_add(b, "1.0-test", "x86_64", paths[i],
				   PB_PKG_TREE, err);
		if (ret)
			return ret;
	}
	return 0;
}

static int good_kernel_dir(const struct pb_release *rel, char *buf, size_t len,
			   struct pb_err *err)
{
	(void)err;
	snprintf(buf, len, "usr/src/test-%s", rel->name);
	return 0;
}

static int good_config_file(const struct pb_release *rel, char *buf, size_t len,
			    struct pb_err *err)
{
	(void)err;
	snprintf(buf, len, "boot/config-%s", rel->name);
	return 0;
}

static const char *const good_distros[] = {"testdistro", NULL};

static const struct pb_plugin good_plugin = {
	.abi_version = PB_PLUGIN_ABI_VERSION,
	.size = sizeof(struct pb_plugin),
	.name = "testbuilder",
	.description = "test plugin",
	.distros = good_distros,
	.batch = good_batch,
	.kernel_dir = good_kernel_dir,
	.config_file = good_config_file,
};

PB_PLUGIN_DEFINE(good_plugin)
