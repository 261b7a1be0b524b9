/* CentOS and the distros built like it (Fedora, Amazon Linux, Oracle Linux,
 * Alma, Rocky...): <P>-devel-<version>-<release>.<arch>.rpm carries the
 * tree usr/src/kernels/<kernel release>, where P is kernel, kernel-uek
 * (Oracle), kernel-rt or kernelX.Y (Amazon Linux 2023); <P> or <P>-core
 * of the same version carries the config. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe-builder/probe-builder.h"

enum rpm_kind { K_DEVEL, K_CONFIG };

struct rpm_pkg {
	const char *path;
	struct pb_pkgname pn;
	enum rpm_kind kind;
	char flavor[64]; /* the P above */
	char rel[256];	 /* version-release.arch, as uname -r says it */
	int used;
};

static int flavor_ok(const char *p, size_t n)
{
	static const char *const names[] = {"kernel", "kernel-uek", "kernel-rt",
					    "kernel-uek-rt"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && strncmp(p, names[i], n) == 0)
			return 1;
	/* Amazon Linux 2023: kernel6.1, kernel6.12 */
	if (n > 6 && strncmp(p, "kernel", 6) == 0) {
		size_t k;

		for (k = 6; k < n; k++)
			if (!(p[k] == '.' || (p[k] >= '0' && p[k] <= '9')))
				return 0;
		return 1;
	}
	return 0;
}

/* The first n bytes of name as p's flavor; -ENAMETOOLONG when they do
 * not fit (a cut flavor would pair packages of another one). */
static int set_flavor(struct rpm_pkg *p, const char *name, size_t n)
{
	if (n >= sizeof(p->flavor))
		return -ENAMETOOLONG;
	memcpy(p->flavor, name, n);
	p->flavor[n] = '\0';
	return 0;
}

/* What package p is by its name, and its kernel release: 0; -1 when none
 * of ours; -ENAMETOOLONG when one of ours with a flavor or release too
 * long for its fields (a cut release would name another kernel). */
static int classify(struct rpm_pkg *p)
{
	const char *name = p->pn.name;
	size_t n = strlen(name), fl;
	int r;

	if (n > 6 && strcmp(name + n - 6, "-devel") == 0 &&
	    flavor_ok(name, n - 6)) {
		p->kind = K_DEVEL;
		fl = n - 6;
	} else if (n > 5 && strcmp(name + n - 5, "-core") == 0 &&
		   flavor_ok(name, n - 5)) {
		p->kind = K_CONFIG;
		fl = n - 5;
	} else if (flavor_ok(name, n)) {
		p->kind = K_CONFIG;
		fl = n;
	} else {
		return -1;
	}
	r = snprintf(p->rel, sizeof(p->rel), "%s-%s.%s", p->pn.version,
		     p->pn.release, p->pn.arch);
	if (r < 0 || (size_t)r >= sizeof(p->rel))
		return -ENAMETOOLONG;
	return set_flavor(p, name, fl);
}

static int centos_batch(struct pb_batch *b, const char *const *paths, size_t n,
			struct pb_err *err)
{
	struct rpm_pkg *pk;
	size_t i, j;
	int cls, ret = 0;

	pk = pb_calloc(n, sizeof(*pk), err);
	if (!pk)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct rpm_pkg *p = &pk[i];

		p->path = paths[i];
		p->used = -1;
		if (pb_pkgname_parse_rpm(paths[i], &p->pn) < 0) {
			pb_batch_ignore(b, paths[i],
					"not an RPM file name "
					"(<name>-<version>-<release>.<arch>."
					"rpm)");
			continue;
		}
		if (strcmp(p->pn.name, "kernel-headers") == 0) {
			pb_batch_ignore(b, paths[i],
					"kernel-headers holds the headers for "
					"user space, not a kernel build tree "
					"(that is kernel-devel)");
			continue;
		}
		cls = classify(p);
		if (cls == -ENAMETOOLONG)
			pb_batch_ignore(b, paths[i],
					"a kernel package whose flavor or "
					"release is too long for this plugin");
		else if (cls < 0)
			pb_batch_ignore(b, paths[i],
					"not a kernel package that probes are "
					"built from");
		else
			p->used = 0;
	}
	for (i = 0; i < n && !ret; i++) {
		struct rpm_pkg *dev = &pk[i];
		struct pb_batch_key key = {sizeof(key), NULL, NULL, NULL};
		char ver[300];

		if (dev->used < 0 || dev->kind != K_DEVEL)
			continue;
		dev->used = 1;
		snprintf(ver, sizeof(ver), "%s-%s", dev->pn.version,
			 dev->pn.release);
		key.release = dev->rel;
		key.arch = dev->pn.arch;
		key.version = ver;
		pb_batch_set_flavor_key(b, &key, dev->flavor);
		ret = pb_batch_add_key(b, &key, dev->path, PB_PKG_TREE, err);
		for (j = 0; j < n && !ret; j++) {
			struct rpm_pkg *p = &pk[j];

			if (p->used < 0 || p->kind != K_CONFIG ||
			    strcmp(p->flavor, dev->flavor) ||
			    strcmp(p->rel, dev->rel))
				continue;
			p->used = 1;
			ret = pb_batch_add_key(b, &key, p->path, PB_PKG_CONFIG,
					       err);
		}
	}
	for (i = 0; i < n && !ret; i++)
		if (pk[i].used == 0)
			pb_batch_ignore(b, pk[i].path,
					"no %s-devel-%s among the files",
					pk[i].flavor, pk[i].rel);
	free(pk);
	return ret;
}

static int centos_kernel_dir(const struct pb_release *rel, char *buf,
			     size_t len, struct pb_err *err)
{
	if ((size_t)snprintf(buf, len, "usr/src/kernels/%s", rel->name) >= len)
		return pb_err_set(err, -ENAMETOOLONG,
				  "%s: the path of its kernel dir is too long",
				  rel->name);
	return 0;
}

/* buf = pre<release name>post, then whether it is in rel's root: 1 or 0;
 * -ENAMETOOLONG when it does not fit in buf. */
static int config_at(const struct pb_release *rel, char *buf, size_t len,
		     const char *pre, const char *post, struct pb_err *err)
{
	int n = snprintf(buf, len, "%s%s%s", pre, rel->name, post);

	if (n < 0 || (size_t)n >= len)
		return pb_err_set(err, -ENAMETOOLONG,
				  "%s: the path of its config is too long",
				  rel->name);
	return pb_root_exists(rel->root, buf);
}

static int centos_config_file(const struct pb_release *rel, char *buf,
			      size_t len, struct pb_err *err)
{
	int ret = config_at(rel, buf, len, "boot/config-", "", err);

	if (!ret)
		ret = config_at(rel, buf, len, "lib/modules/", "/config", err);
	/* kernel.spec installs the very .config it built with into the
	 * devel tree and into /boot, so without kernel-core the tree's copy
	 * names the outputs the same way */
	if (!ret) {
		ret = config_at(rel, buf, len, "usr/src/kernels/", "/.config",
				err);
		if (ret > 0)
			pb_info("%s: no kernel or kernel-core package given, "
				"the config comes from kernel-devel's .config",
				rel->name);
	}
	if (ret)
		return ret < 0 ? ret : 0;
	return pb_err_set(err, -ENOENT,
			  "no boot/config-%s, lib/modules/%s/config or "
			  "usr/src/kernels/%s/.config in the packages",
			  rel->name, rel->name, rel->name);
}

static const char *const centos_distros[] = {"centos", NULL};
static const char *const centos_globs[] = {"kernel*", NULL};
static const char *const centos_mirrors[] = {
	"rpm https://vault.centos.org/ "
	"versions=7.0.1406,7.1.1503,7.2.1511,7.3.1611,7.4.1708,7.5.1804,"
	"7.6.1810,7.7.1908,7.8.2003,7.9.2009 "
	"paths=$version/os/$arch/,$version/updates/$arch/",
	"rpm https://vault.centos.org/ "
	"versions=8.0.1905,8.1.1911,8.2.2004,8.3.2011,8.4.2105,8.5.2111 "
	"paths=$version/BaseOS/$arch/os/",
	/* the current tree of the last release */
	"rpm http://mirror.centos.org/centos/ versions=7 "
	"paths=$version/os/$arch/,$version/updates/$arch/",
	NULL};
/* repomd.xml is seldom signed on these mirrors; when it is (.asc), these
 * are the keys (Debian's distribution-gpg-keys package has them) */
static const char *const centos_keyrings[] = {
	"/usr/share/distribution-gpg-keys/centos/RPM-GPG-KEY-CentOS-7",
	"/usr/share/distribution-gpg-keys/centos/RPM-GPG-KEY-CentOS-Official",
	NULL};

/* EL8 and later: kernel-core holds lib/modules/<release>/vmlinuz; EL7's
 * kernel, and UEK's, hold boot/vmlinuz-<release>. */
static int centos_boot_image(const struct pb_release *rel, const char *package,
			     char *buf, size_t len, struct pb_err *err)
{
	size_t n;

	if (!strncmp(package, "kernel-core-", 12) ||
	    !strncmp(package, "kernel-uek-core-", 16))
		n = (size_t)snprintf(buf, len, "lib/modules/%s/vmlinuz",
				     rel->name);
	else if ((!strncmp(package, "kernel-", 7) &&
		  isdigit((unsigned char)package[7])) ||
		 (!strncmp(package, "kernel-uek-", 11) &&
		  isdigit((unsigned char)package[11])))
		n = (size_t)snprintf(buf, len, "boot/vmlinuz-%s", rel->name);
	else
		return pb_err_set(err, -ENOENT, "%s: holds no kernel image",
				  package);
	if (n >= len)
		return pb_err_set(err, -ENAMETOOLONG, "%s: name too long",
				  rel->name);
	return 0;
}

static const struct pb_plugin centos_plugin = {
	.abi_version = PB_PLUGIN_ABI_VERSION,
	.size = sizeof(struct pb_plugin),
	.name = "centos",
	.description = "CentOS-style kernels (kernel-devel, kernel-core; "
		       "kernel-uek on Oracle Linux)",
	.distros = centos_distros,
	.batch = centos_batch,
	.kernel_dir = centos_kernel_dir,
	.config_file = centos_config_file,
	.boot_image = centos_boot_image,
	.repo_kind = "rpm",
	.index_globs = centos_globs,
	.mirrors = centos_mirrors,
	.keyrings = centos_keyrings,
};

PB_PLUGIN_DEFINE(centos_plugin)
