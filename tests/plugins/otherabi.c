/* A plugin built for another ABI version: the loader must refuse it without
 * calling any of its hooks. */
#include <stdio.h>

#include "probe-builder/probe-builder.h"

static int otherabi_batch(struct pb_batch *b, const char *const *paths,
			  size_t n, struct pb_err *err)
{
	(void)b;
	(void)paths;
	(void)n;
	(void)err;
	return 0;
}

static int otherabi_kernel_dir(const struct pb_release *rel, char *buf,
			       size_t len, struct pb_err *err)
{
	(void)rel;
	(void)err;
	snprintf(buf, len, "x");
	return 0;
}

static int otherabi_config_file(const struct pb_release *rel, char *buf,
				size_t len, struct pb_err *err)
{
	(void)rel;
	(void)err;
	snprintf(buf, len, "x");
	return 0;
}

static const char *const otherabi_distros[] = {"otherabidistro", NULL};

static const struct pb_plugin otherabi_plugin = {
	.abi_version = PB_PLUGIN_ABI_VERSION + 1,
	.size = sizeof(struct pb_plugin),
	.name = "otherabibuilder",
	.description = "test plugin of a future ABI",
	.distros = otherabi_distros,
	.batch = otherabi_batch,
	.kernel_dir = otherabi_kernel_dir,
	.config_file = otherabi_config_file,
};

PB_PLUGIN_DEFINE(otherabi_plugin)
