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

/* Without the flavor's Depends, how plainly common package p is fl's:
 * linux-aws-headers for the aws flavor (2), the plain linux-headers-<abi>
 * (1); a package of another variant (0) is only taken when it is the sole
 * one of that version. */
static int common_rank(const struct ub_pkg *p, const struct ub_pkg *fl)
{
	const char *variant_end;
	size_t fl_len = strlen(fl->flavor);

	if (strncmp(p->pn.name, "linux-headers-", 14) == 0)
		return 1;
	variant_end = strstr(p->pn.name, "-headers-");
	if (variant_end && (size_t)(variant_end - p->pn.name - 6) == fl_len &&
	    strncmp(p->pn.name + 6, fl->flavor, fl_len) == 0)
		return 2;
	return 0;
}

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
		const char *deps = pb_batch_depends(b, fl->path);
		struct pb_batch_key key = {sizeof(key), NULL, NULL, NULL};
		char rel[256];
		int n_common = 0, n_config = 0, n_cand = 0;
		size_t pick = n;

		if (fl->used < 0 || fl->kind != K_FLAVOR)
			continue;
		snprintf(rel, sizeof(rel), "%s-%s", fl->abi, fl->flavor);
		/* one release name is several kernels: jammy's 5.15.0-139
		 * and focal's HWE one (~20.04.1) are told by their version */
		key.release = rel;
		key.arch = pb_arch_canonical(fl->pn.arch);
		key.version = fl->pn.version;
		fl->used = 1;
		pb_batch_set_flavor_key(b, &key, fl->flavor);
		ret = pb_batch_add_key(b, &key, fl->path, PB_PKG_TREE, err);
		/* the shared tree: the one the flavor's Depends names (aws,
		 * gke and kvm headers share one ABI number), else the one of
		 * the flavor's variant, else the plain linux-headers-<abi> */
		for (j = 0; j < n && !ret; j++) {
			struct ub_pkg *p = &pk[j];

			if (p->used < 0 || p->kind != K_COMMON ||
			    strcmp(p->abi, fl->abi) ||
			    strcmp(p->pn.version, fl->pn.version) ||
			    (strcmp(p->pn.arch, fl->pn.arch) &&
			     strcmp(p->pn.arch, "all")))
				continue;
			n_cand++;
			if (deps) {
				if (pb_batch_depends_on(deps, p->pn.name, NULL,
							0, NULL, 0))
					pick = j;
			} else if (pick == n ||
				   common_rank(p, fl) >
					   common_rank(&pk[pick], fl)) {
				pick = j;
			}
		}
		if (!ret && pick < n &&
		    (deps || n_cand == 1 || common_rank(&pk[pick], fl))) {
			n_common++;
			pk[pick].used = 1;
			ret = pb_batch_add_key(b, &key, pk[pick].path,
					       PB_PKG_TREE, err);
		}
		for (j = 0; j < n && !ret; j++) {
			struct ub_pkg *p = &pk[j];

			if (p->used < 0 || p->kind != K_CONFIG ||
			    strcmp(p->abi, fl->abi) ||
			    strcmp(p->pn.version, fl->pn.version) ||
			    strcmp(p->flavor, fl->flavor) ||
			    (strcmp(p->pn.arch, fl->pn.arch) &&
			     strcmp(p->pn.arch, "all")))
				continue;
			n_config++;
			p->used = 1;
			ret = pb_batch_add_key(b, &key, p->path, PB_PKG_CONFIG,
					       err);
		}
		if (!ret && !n_common)
			pb_batch_fail_key(
				b, &key,
				"no linux-headers-%s or linux-<variant>-"
				"headers-%s (= %s, the _all package shared by "
				"the flavors) among the package files%s",
				fl->abi, fl->abi, fl->pn.version,
				!n_cand ? ""
				: deps	? " that its Depends names"
					: ": several variants share the ABI "
					  "and its Depends is not known");
		if (!ret && !n_config)
			pb_batch_fail_key(b, &key,
					  "no linux-modules-%s or "
					  "linux-image-%s (= %s) among the "
					  "package files: its boot/config-%s "
					  "names the outputs",
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
