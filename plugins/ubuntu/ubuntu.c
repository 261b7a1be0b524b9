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

struct ub_regexes {
	regex_t common, flavor, config;
};

static int compile_regexes(struct ub_regexes *re, struct pb_err *err)
{
	if (regcomp(&re->common, "^linux-([a-z0-9.-]+-)?headers-" ABI_RE "$",
		    REG_EXTENDED))
		return pb_err_set(err, -EINVAL, "internal regex error");
	if (regcomp(&re->flavor, "^linux-headers-" ABI_RE "-([a-z].*)$",
		    REG_EXTENDED)) {
		regfree(&re->common);
		return pb_err_set(err, -EINVAL, "internal regex error");
	}
	if (regcomp(&re->config,
		    "^linux-(modules|image|image-unsigned)-" ABI_RE
		    "-([a-z].*)$",
		    REG_EXTENDED)) {
		regfree(&re->common);
		regfree(&re->flavor);
		return pb_err_set(err, -EINVAL, "internal regex error");
	}
	return 0;
}

/* The match m of s into dst; the end of s when end. -ENAMETOOLONG when
 * it would be cut (a cut ABI or flavor names, and groups by, another
 * kernel). */
static int span(char *dst, size_t len, const char *s, const regmatch_t *m,
		int end)
{
	int n = end ? snprintf(dst, len, "%s", s + m->rm_so)
		    : snprintf(dst, len, "%.*s", (int)(m->rm_eo - m->rm_so),
			       s + m->rm_so);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* What package p is by its name: 0; -1 when none of ours; -ENAMETOOLONG
 * when one of ours with an ABI or flavor too long for its fields. */
static int classify(const struct ub_regexes *re, struct ub_pkg *p)
{
	const char *name = p->pn.name;
	regmatch_t m[4];

	if (regexec(&re->flavor, name, 3, m, 0) == 0) {
		p->kind = K_FLAVOR;
		if (span(p->abi, sizeof(p->abi), name, &m[1], 0) ||
		    span(p->flavor, sizeof(p->flavor), name, &m[2], 1))
			return -ENAMETOOLONG;
	} else if (regexec(&re->common, name, 3, m, 0) == 0) {
		p->kind = K_COMMON;
		if (span(p->abi, sizeof(p->abi), name, &m[2], 0))
			return -ENAMETOOLONG;
	} else if (regexec(&re->config, name, 4, m, 0) == 0 &&
		   strncmp(name, "linux-modules-extra-", 20)) {
		p->kind = K_CONFIG;
		if (span(p->abi, sizeof(p->abi), name, &m[2], 0) ||
		    span(p->flavor, sizeof(p->flavor), name, &m[3], 1))
			return -ENAMETOOLONG;
	} else {
		return -1;
	}
	return 0;
}

/* Each file as a package of ours, or ignored (used -1) with the reason. */
static int classify_all(struct pb_batch *b, const char *const *paths, size_t n,
			struct ub_pkg *pk, struct pb_err *err)
{
	struct ub_regexes re;
	size_t i;
	int cls, ret = compile_regexes(&re, err);

	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		struct ub_pkg *p = &pk[i];

		p->path = paths[i];
		p->used = -1;
		if (pb_pkgname_parse_deb(paths[i], &p->pn) < 0) {
			pb_batch_ignore(b, paths[i],
					"not a Debian package file name "
					"(<name>_<version>_<arch>.deb)");
			continue;
		}
		cls = classify(&re, p);
		if (cls == -ENAMETOOLONG)
			pb_batch_ignore(b, paths[i],
					"an Ubuntu kernel package whose ABI or "
					"flavor is too long for this plugin");
		else if (cls < 0)
			pb_batch_ignore(b, paths[i],
					"not an Ubuntu kernel package that "
					"probes are built from");
		else
			p->used = 0;
	}
	regfree(&re.common);
	regfree(&re.flavor);
	regfree(&re.config);
	return 0;
}

/* Whether p, of kind `kind`, is of fl's kernel: its ABI, version and arch
 * (or all). */
static int same_kernel(const struct ub_pkg *p, enum ub_kind kind,
		       const struct ub_pkg *fl)
{
	return p->used >= 0 && p->kind == kind && !strcmp(p->abi, fl->abi) &&
	       !strcmp(p->pn.version, fl->pn.version) &&
	       (!strcmp(p->pn.arch, fl->pn.arch) || !strcmp(p->pn.arch, "all"));
}

/* The shared tree of flavor fl: the one the flavor's Depends names (aws,
 * gke and kvm headers share one ABI number), else the one of the flavor's
 * variant, else the plain linux-headers-<abi>; n when none will do.
 * *n_cand gets how many there were. */
static size_t pick_common(const struct ub_pkg *pk, size_t n,
			  const struct ub_pkg *fl, const char *deps,
			  int *n_cand)
{
	size_t j, pick = n;

	*n_cand = 0;
	for (j = 0; j < n; j++) {
		const struct ub_pkg *p = &pk[j];

		if (!same_kernel(p, K_COMMON, fl))
			continue;
		(*n_cand)++;
		if (deps) {
			if (pb_batch_depends_on(deps, p->pn.name, NULL, 0, NULL,
						0))
				pick = j;
		} else if (pick == n ||
			   common_rank(p, fl) > common_rank(&pk[pick], fl)) {
			pick = j;
		}
	}
	if (pick < n && (deps || *n_cand == 1 || common_rank(&pk[pick], fl)))
		return pick;
	return n;
}

/* The kernel of flavor package fl: its tree, the shared one, the packages
 * its config comes from, and the image packages verify boots. */
static int batch_flavor(struct pb_batch *b, struct ub_pkg *pk, size_t n,
			struct ub_pkg *fl, struct pb_err *err)
{
	const char *deps = pb_batch_depends(b, fl->path);
	struct pb_batch_key key = {sizeof(key), NULL, NULL, NULL};
	char rel[256];
	int n_config = 0, n_cand = 0, has_modules = 0, ret;
	size_t j, common;

	snprintf(rel, sizeof(rel), "%s-%s", fl->abi, fl->flavor);
	/* one release name is several kernels: jammy's 5.15.0-139 and
	 * focal's HWE one (~20.04.1) are told by their version */
	key.release = rel;
	key.arch = pb_arch_canonical(fl->pn.arch);
	key.version = fl->pn.version;
	fl->used = 1;
	pb_batch_set_flavor_key(b, &key, fl->flavor);
	ret = pb_batch_add_key(b, &key, fl->path, PB_PKG_TREE, err);
	common = pick_common(pk, n, fl, deps, &n_cand);
	if (!ret && common < n) {
		pk[common].used = 1;
		ret = pb_batch_add_key(b, &key, pk[common].path, PB_PKG_TREE,
				       err);
	}
	/* with a linux-modules package, which holds the config, the image
	 * packages (signed and unsigned) hold only what verify boots */
	for (j = 0; j < n; j++)
		if (same_kernel(&pk[j], K_CONFIG, fl) &&
		    !strcmp(pk[j].flavor, fl->flavor) &&
		    !strncmp(pk[j].pn.name, "linux-modules-", 14))
			has_modules = 1;
	for (j = 0; j < n && !ret; j++) {
		int boot;

		if (!same_kernel(&pk[j], K_CONFIG, fl) ||
		    strcmp(pk[j].flavor, fl->flavor))
			continue;
		boot = has_modules &&
		       strncmp(pk[j].pn.name, "linux-modules-", 14) != 0;
		n_config += !boot;
		pk[j].used = 1;
		ret = pb_batch_add_key(b, &key, pk[j].path,
				       boot ? PB_PKG_BOOT : PB_PKG_CONFIG, err);
	}
	if (!ret && common == n)
		pb_batch_fail_key(
			b, &key,
			"no linux-headers-%s or linux-<variant>-headers-%s (= "
			"%s, the _all package shared by the flavors) among the "
			"package files%s",
			fl->abi, fl->abi, fl->pn.version,
			!n_cand ? ""
			: deps	? " that its Depends names"
				: ": several variants share the ABI and its "
				  "Depends is not known");
	if (!ret && !n_config)
		pb_batch_fail_key(b, &key,
				  "no linux-modules-%s or linux-image-%s (= "
				  "%s) among the package files: its "
				  "boot/config-%s names the outputs",
				  rel, rel, fl->pn.version, rel);
	return ret;
}

static int ubuntu_batch(struct pb_batch *b, const char *const *paths, size_t n,
			struct pb_err *err)
{
	struct ub_pkg *pk;
	size_t i;
	int ret;

	pk = pb_calloc(n, sizeof(*pk), err);
	if (!pk)
		return -ENOMEM;
	ret = classify_all(b, paths, n, pk, err);
	for (i = 0; i < n && !ret; i++)
		if (pk[i].used >= 0 && pk[i].kind == K_FLAVOR)
			ret = batch_flavor(b, pk, n, &pk[i], err);
	if (!ret)
		ret = pb_batch_ignore_rest(b, paths, n,
					   "no linux-headers-<abi>-<flavor> "
					   "package of the same kernel among "
					   "the files",
					   err);
	free(pk);
	return ret;
}

static int ubuntu_kernel_dir(const struct pb_release *rel, char *buf,
			     size_t len, struct pb_err *err)
{
	if ((size_t)snprintf(buf, len, "usr/src/linux-headers-%s", rel->name) >=
	    len)
		return pb_err_set(err, -ENAMETOOLONG,
				  "%s: the path of its kernel dir is too long",
				  rel->name);
	return 0;
}

static int ubuntu_config_file(const struct pb_release *rel, char *buf,
			      size_t len, struct pb_err *err)
{
	if ((size_t)snprintf(buf, len, "boot/config-%s", rel->name) >= len)
		return pb_err_set(err, -ENAMETOOLONG,
				  "%s: the path of its config is too long",
				  rel->name);
	if (pb_root_exists(rel->root, buf))
		return 0;
	return pb_err_set(err, -ENOENT,
			  "no boot/config-%s in the packages of %s (it comes "
			  "with linux-modules-%s or linux-image-%s)",
			  rel->name, rel->name, rel->name, rel->name);
}

/* linux-image-unsigned-* (or the signed linux-image-*) holds the bzImage
 * QEMU boots; linux-modules-* holds none. */
static int ubuntu_boot_image(const struct pb_release *rel, const char *package,
			     char *buf, size_t len, struct pb_err *err)
{
	if (strncmp(package, "linux-image-", 12) != 0)
		return pb_err_set(err, -ENOENT, "%s: not an image package",
				  package);
	if ((size_t)snprintf(buf, len, "boot/vmlinuz-%s", rel->name) >= len)
		return pb_err_set(err, -ENAMETOOLONG, "%s: name too long",
				  rel->name);
	return 0;
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
	.boot_image = ubuntu_boot_image,
	.repo_kind = "apt",
	.index_globs = ubuntu_globs,
	.mirrors = ubuntu_mirrors,
	.keyrings = ubuntu_keyrings,
};

PB_PLUGIN_DEFINE(ubuntu_plugin)
