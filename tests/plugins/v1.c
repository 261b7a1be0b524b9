/* A plugin built against the first version of the ABI: its size stops at
 * config_file. What lies after (here a repo_kind the core must not read) is
 * not its own, so the core must not use it: this builder cannot crawl. */
#include <stdio.h>

#include "probe-builder/probe-builder.h"

static int v1_batch(struct pb_batch *b, const char *const *paths, size_t n,
		    struct pb_err *err)
{
	(void)b;
	(void)paths;
	(void)n;
	(void)err;
	return 0;
}

static int v1_path(const struct pb_release *rel, char *buf, size_t len,
		   struct pb_err *err)
{
	(void)rel;
	(void)err;
	snprintf(buf, len, "x");
	return 0;
}

static const char *const v1_distros[] = {"v1distro", NULL};

static const struct pb_plugin v1_plugin = {
	.abi_version = PB_PLUGIN_ABI_VERSION,
	.size = PB_PLUGIN_SIZE_V1,
	.name = "v1builder",
	.description = "built against ABI 1 as first published",
	.distros = v1_distros,
	.batch = v1_batch,
	.kernel_dir = v1_path,
	.config_file = v1_path,
	.repo_kind = "apt",
};

PB_PLUGIN_DEFINE(v1_plugin)
