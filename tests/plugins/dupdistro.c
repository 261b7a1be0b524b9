/* A valid plugin, builder "dupbuilder", that also claims distro "debian"
 * (which the real debian plugin serves) and a distro of its own. */
#include <stdio.h>

#include "probe-builder/probe-builder.h"

static int dup_batch(struct pb_batch *b, const char *const *paths, size_t n,
		     struct pb_err *err)
{
	size_t i;

	(void)err;
	for (i = 0; i < n; i++)
		pb_batch_ignore(b, paths[i], "dupbuilder takes nothing");
	return 0;
}

static int dup_kernel_dir(const struct pb_release *rel, char *buf, size_t len,
			  struct pb_err *err)
{
	(void)err;
	snprintf(buf, len, "usr/src/dup-%s", rel->name);
	return 0;
}

static int dup_config_file(const struct pb_release *rel, char *buf, size_t len,
			   struct pb_err *err)
{
	(void)err;
	snprintf(buf, len, "boot/config-%s", rel->name);
	return 0;
}

static const char *const dup_distros[] = {"debian", "dupextra", NULL};

static const struct pb_plugin dup_plugin = {
	.abi_version = PB_PLUGIN_ABI_VERSION,
	.size = sizeof(struct pb_plugin),
	.name = "dupbuilder",
	.description = "test plugin claiming debian too",
	.distros = dup_distros,
	.batch = dup_batch,
	.kernel_dir = dup_kernel_dir,
	.config_file = dup_config_file,
};

PB_PLUGIN_DEFINE(dup_plugin)
