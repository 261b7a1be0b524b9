/* Ubuntu: linux-headers-<abi>-<flavor> (generic, lowlatency, aws...) is one
 * release each. They share the _all package of their ABI, named
 * linux-headers-<abi> or linux-<variant>-headers-<abi> (aws, hwe-5.15...),
 * and take their config from linux-modules-<abi>-<flavor> (or
 * linux-image[-unsigned]-<abi>-<flavor> on older releases). */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe-builder/probe-builder.h"

enum ub_kind { K_FLAVOR, K_COMMON, K_CONFIG };

struct ub_pkg {
	const char *path;
	struct pb_pkgname pn;
	enum ub_kind kind;
	char abi[128];	 /* 5.15.0-91 */
	char flavor[64]; /* generic */
	int used;
};

#define ABI_RE "([0-9]+\\.[0-9]+\\.[0-9]+-[0-9]+)"

static int ubuntu_batch(struct pb_batch *b, const char *const *paths, size_t n,
			struct pb_err *err)
{
	regex_t re_common, re_flavor, re_config;
	struct ub_pkg *pk;
	size_t i, j;
	int ret = 0;

	pk = calloc(n ? n : 1, sizeof(*pk));
	if (!pk)
		return pb_err_set(err, -ENOMEM, "out of memory");
	if (regcomp(&re_common, "^linux-([a-z0-9.-]+-)?headers-" ABI_RE "$",
		    REG_EXTENDED)) {
		free(pk);
		return pb_err_set(err, -EINVAL, "internal regex error");
	}
	if (regcomp(&re_flavor, "^linux-headers-" ABI_RE "-([a-z].*)$",
		    REG_EXTENDED)) {
		regfree(&re_common);
		free(pk);
		return pb_err_set(err, -EINVAL, "internal regex error");
	}
	if (regcomp(&re_config,
		    "^linux-(modules|image|image-unsigned)-" ABI_RE
		    "-([a-z].*)$",
		    REG_EXTENDED)) {
		regfree(&re_common);
		regfree(&re_flavor);
		free(pk);
		return pb_err_set(err, -EINVAL, "internal regex error");
	}
	for (i = 0; i < n; i++) {
		struct ub_pkg *p = &pk[i];
		regmatch_t m[4];

		p->path = paths[i];
		p->used = -1;
		if (pb_pkgname_parse_deb(paths[i], &p->pn) < 0) {
			pb_batch_ignore(b, paths[i],
					"not a Debian package file name "
					"(<name>_<version>_<arch>.deb)");
			continue;
		}
		if (regexec(&re_flavor, p->pn.name, 3, m, 0) == 0) {
			p->kind = K_FLAVOR;
			snprintf(p->abi, sizeof(p->abi), "%.*s",
				 (int)(m[1].rm_eo - m[1].rm_so),
				 p->pn.name + m[1].rm_so);
			snprintf(p->flavor, sizeof(p->flavor), "%s",
				 p->pn.name + m[2].rm_so);
		} else if (regexec(&re_common, p->pn.name, 3, m, 0) == 0) {
			p->kind = K_COMMON;
			snprintf(p->abi, sizeof(p->abi), "%.*s",
				 (int)(m[2].rm_eo - m[2].rm_so),
				 p->pn.name + m[2].rm_so);
		} else if (regexec(&re_config, p->pn.name, 4, m, 0) == 0 &&
			   strncmp(p->pn.name, "linux-modules-extra-", 20)) {
			p->kind = K_CONFIG;
			snprintf(p->abi, sizeof(p->abi), "%.*s",
				 (int)(m[2].rm_eo - m[2].rm_so),
				 p->pn.name + m[2].rm_so);
			snprintf(p->flavor, sizeof(p->flavor), "%s",
				 p->pn.name + m[3].rm_so);
		} else {
			pb_batch_ignore(b, paths[i],
					"not an Ubuntu kernel package that "
					"probes are built from");
			continue;
		}
		p->used = 0;
	}
	for (i = 0; i < n && !ret; i++) {
		struct ub_pkg *fl = &pk[i];
		const char *arch;
		char rel[256];
		int n_common = 0, n_config = 0;

		if (fl->used < 0 || fl->kind != K_FLAVOR)
			continue;
		snprintf(rel, sizeof(rel), "%s-%s", fl->abi, fl->flavor);
		arch = pb_arch_canonical(fl->pn.arch);
		fl->used = 1;
		pb_batch_set_flavor(b, rel, fl->flavor);
		ret = pb_batch_add(b, rel, arch, fl->path, PB_PKG_TREE, err);
		/* every flavor gets its own copy of the shared tree */
		for (j = 0; j < n && !ret; j++) {
			struct ub_pkg *p = &pk[j];

			if (p->used < 0 || strcmp(p->abi, fl->abi) ||
			    strcmp(p->pn.version, fl->pn.version) ||
			    (strcmp(p->pn.arch, fl->pn.arch) &&
			     strcmp(p->pn.arch, "all")))
				continue;
			if (p->kind == K_COMMON) {
				n_common++;
				p->used = 1;
				ret = pb_batch_add(b, rel, arch, p->path,
						   PB_PKG_TREE, err);
			} else if (p->kind == K_CONFIG &&
				   strcmp(p->flavor, fl->flavor) == 0) {
				n_config++;
				p->used = 1;
				ret = pb_batch_add(b, rel, arch, p->path,
						   PB_PKG_CONFIG, err);
			}
		}
		if (!ret && !n_common)
			pb_batch_fail(b, rel,
				      "no linux-headers-%s (= %s, "
				      "the _all package shared by the "
				      "flavors) among the package files",
				      fl->abi, fl->pn.version);
		if (!ret && !n_config)
			pb_batch_fail(b, rel,
				      "no linux-modules-%s or "
				      "linux-image-%s (= %s) among the package "
				      "files: its boot/config-%s names the "
				      "outputs",
				      rel, rel, fl->pn.version, rel);
	}
	for (i = 0; i < n && !ret; i++)
		if (pk[i].used == 0)
			pb_batch_ignore(b, pk[i].path,
					"no linux-headers-<abi>-<flavor> "
					"package of the same kernel among the "
					"files");
	regfree(&re_common);
	regfree(&re_flavor);
	regfree(&re_config);
	free(pk);
	return ret;
}

static int ubuntu_kernel_dir(const struct pb_release *rel, char *buf,
			     size_t len, struct pb_err *err)
{
	(void)err;
	snprintf(buf, len, "usr/src/linux-headers-%s", rel->name);
	return 0;
}

static int ubuntu_config_file(const struct pb_release *rel, char *buf,
			      size_t len, struct pb_err *err)
{
	snprintf(buf, len, "boot/config-%s", rel->name);
	if (pb_root_exists(rel->root, buf))
		return 0;
	return pb_err_set(err, -ENOENT,
			  "no boot/config-%s in the packages of %s (it comes "
			  "with linux-modules-%s or linux-image-%s)",
			  rel->name, rel->name, rel->name, rel->name);
}

static const char *const ubuntu_distros[] = {"ubuntu", NULL};
static const char *const ubuntu_globs[] = {
	"linux-headers-*", "linux-*-headers-*", "linux-modules-*",
	"linux-image-*", NULL};
#define UBUNTU_SUITES(s) s "," s "-updates," s "-security"
#define UBUNTU_ALL                                    \
	UBUNTU_SUITES("bionic")                       \
	"," UBUNTU_SUITES("focal") "," UBUNTU_SUITES( \
		"jammy") "," UBUNTU_SUITES("noble")
static const char *const ubuntu_mirrors[] = {
	"apt http://archive.ubuntu.com/ubuntu/ suites=" UBUNTU_ALL
	" components=main archs=x86_64,i686",
	"apt http://security.ubuntu.com/ubuntu/ "
	"suites=bionic-security,focal-security,jammy-security,noble-security "
	"components=main archs=x86_64,i686",
	/* arm64 and the other ports live on another host */
	"apt http://ports.ubuntu.com/ubuntu-ports/ suites=" UBUNTU_ALL
	" components=main archs=aarch64,armv7l,ppc64le,s390x",
	NULL};
static const char *const ubuntu_keyrings[] = {
	"/usr/share/keyrings/ubuntu-archive-keyring.gpg", NULL};

static const struct pb_plugin ubuntu_plugin = {
	.abi_version = PB_PLUGIN_ABI_VERSION,
	.size = sizeof(struct pb_plugin),
	.name = "ubuntu",
	.description = "Ubuntu kernels (linux-headers-<abi>[-<flavor>], "
		       "linux-modules)",
	.distros = ubuntu_distros,
	.batch = ubuntu_batch,
	.kernel_dir = ubuntu_kernel_dir,
	.config_file = ubuntu_config_file,
	.repo_kind = "apt",
	.index_globs = ubuntu_globs,
	.mirrors = ubuntu_mirrors,
	.keyrings = ubuntu_keyrings,
};

PB_PLUGIN_DEFINE(ubuntu_plugin)
