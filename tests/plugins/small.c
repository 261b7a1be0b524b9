/* A plugin whose descriptor says it is smaller than the first version of
 * the ABI (built against a truncated header, say): every field is set, only
 * the size is wrong, and the loader must refuse it. */
#include <stdio.h>

#include "probe-builder/probe-builder.h"

static int small_batch(struct pb_batch *b, const char *const *paths, size_t n,
		       struct pb_err *err)
{
	(void)b;
	(void)paths;
	(void)n;
	(void)err;
	return 0;
}

static int small_kernel_dir(const struct pb_release *rel, char *buf, size_t len,
			    struct pb_err *err)
{
	(void)rel;
	(void)err;
	snprintf(buf, len, "x");
	return 0;
}

static int small_config_file(const struct pb_release *rel, char *buf,
			     size_t len, struct pb_err *err)
{
	(void)rel;
	(void)err;
	snprintf(buf, len, "x");
	return 0;
}

static const char *const small_distros[] = {"smalldistro", NULL};

static const struct pb_plugin small_plugin = {
	.abi_version = PB_PLUGIN_ABI_VERSION,
	/* the config_file hook is "not there" */
	.size = (uint32_t)offsetof(struct pb_plugin, config_file),
	.name = "smallbuilder",
	.description = "test plugin with a short descriptor",
	.distros = small_distros,
	.batch = small_batch,
	.kernel_dir = small_kernel_dir,
	.config_file = small_config_file,
};

PB_PLUGIN_DEFINE(small_plugin)
