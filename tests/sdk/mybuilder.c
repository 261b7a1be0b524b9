/* An out-of-tree distro plugin, built by tests/e2e/sdk.sh against the
 * installed SDK (pkg-config probe-builder); the README shows it. Each
 * mykernel-devel-<version>-<release>.<arch>.rpm is one release, with its
 * config in the tree. With -DCLAIM_DEBIAN it also claims "debian", to check
 * that a plugin found first wins. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <probe-builder/probe-builder.h>

static int my_batch(struct pb_batch *b, const char *const *paths, size_t n,
		    struct pb_err *err)
{
	for (size_t i = 0; i < n; i++) {
		struct pb_pkgname pn;
		char rel[sizeof(pn.version) + sizeof(pn.release) +
			 sizeof(pn.arch) + 2];
		int ret;

		if (pb_pkgname_parse_rpm(paths[i], &pn) < 0 ||
		    strcmp(pn.name, "mykernel-devel") != 0) {
			pb_batch_ignore(b, paths[i], "not a mykernel package");
			continue;
		}
		snprintf(rel, sizeof(rel), "%s-%s.%s", pn.version, pn.release,
			 pn.arch);
		ret = pb_batch_add(b, rel, pn.arch, paths[i], PB_PKG_TREE, err);
		if (ret)
			return ret;
	}
	return 0;
}

static int my_kernel_dir(const struct pb_release *rel, char *buf, size_t len,
			 struct pb_err *err)
{
	(void)err;
	snprintf(buf, len, "usr/src/kernels/%s", rel->name);
	return 0;
}

static int my_config_file(const struct pb_release *rel, char *buf, size_t len,
			  struct pb_err *err)
{
	snprintf(buf, len, "usr/src/kernels/%s/.config", rel->name);
	if (pb_root_exists(rel->root, buf))
		return 0;
	return pb_err_set(err, -ENOENT, "no config for %s", rel->name);
}

#ifdef CLAIM_DEBIAN
static const char *const my_distros[] = {"mydistro", "debian", NULL};
#else
static const char *const my_distros[] = {"mydistro", NULL};
#endif

static const struct pb_plugin my_plugin = {
	.abi_version = PB_PLUGIN_ABI_VERSION,
	.size = sizeof(struct pb_plugin),
	.name = "mybuilder",
	.description = "MyDistro kernels",
	.distros = my_distros,
	.batch = my_batch,
	.kernel_dir = my_kernel_dir,
	.config_file = my_config_file,
};

PB_PLUGIN_DEFINE(my_plugin)
