/* A plugin built against a newer SDK: its descriptor is larger than the
 * core's, with members the core does not know. Built twice: as newer.so
 * those members are zero (not used: the core may load it) and as
 * newerset.so (NEWER_SET) one is set, which the core would silently
 * ignore, so it must refuse the plugin. */
#include <stdio.h>

#include "probe-builder/probe-builder.h"

static int newer_batch(struct pb_batch *b, const char *const *paths, size_t n,
		       struct pb_err *err)
{
	(void)b;
	(void)paths;
	(void)n;
	(void)err;
	return 0;
}

static int newer_path(const struct pb_release *rel, char *buf, size_t len,
		      struct pb_err *err)
{
	(void)rel;
	(void)err;
	snprintf(buf, len, "x");
	return 0;
}

#ifdef NEWER_SET
#define NEWER_NAME "newersetbuilder"
#define NEWER_DISTRO "newersetdistro"
#define NEWER_HOOK newer_batch
#else
#define NEWER_NAME "newerbuilder"
#define NEWER_DISTRO "newerdistro"
#define NEWER_HOOK NULL
#endif

static const char *const newer_distros[] = {NEWER_DISTRO, NULL};

/* the descriptor of a later ABI: this core's, then hooks added since */
static const struct {
	struct pb_plugin known;
	int (*future_hook)(struct pb_batch *, const char *const *, size_t,
			   struct pb_err *);
	const char *future_data;
} newer_plugin = {
	.known =
		{
			.abi_version = PB_PLUGIN_ABI_VERSION,
			.size = sizeof(newer_plugin),
			.name = NEWER_NAME,
			.description = "built against a newer SDK",
			.distros = newer_distros,
			.batch = newer_batch,
			.kernel_dir = newer_path,
			.config_file = newer_path,
		},
	.future_hook = NEWER_HOOK,
	.future_data = NULL,
};

PB_PLUGIN_DEFINE(newer_plugin.known)
