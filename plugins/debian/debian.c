/* Debian: a kernel release is linux-headers-<abi>-<flavor>, which needs
 * linux-headers-<abi>-common (-common-rt for rt flavors) of the same
 * version, a linux-kbuild package, and linux-image-<abi>-<flavor> for the
 * config that hosts see in /boot. */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe-builder/probe-builder.h"

enum deb_kind { K_FLAVOR, K_COMMON, K_IMAGE, K_KBUILD };

struct deb_pkg {
	const char *path;
	struct pb_pkgname pn;
	enum deb_kind kind;
	char abi[128];	 /* 6.1.0-56; for kbuild the name's suffix: 6.1 */
	char flavor[64]; /* amd64, cloud-amd64; "rt" for common-rt */
	int unsigned_;	 /* linux-image-...-unsigned: the same config */
	int used;
};

/* <abi> is a version (6.1.0, 6.12.111) and an ABI part: -56,
 * -0.deb11.21 (backports), +deb12 (without it, linux-headers-6.12-amd64 is
 * a metapackage); what follows the next dash is the
 * flavor. */
#define ABI_RE "([0-9]+\\.[0-9]+(\\.[0-9]+)?(-[0-9][0-9a-z.]*|\\+[0-9a-z.]+))"

/* abi and flavor of p from name's matches m; -ENAMETOOLONG when either
 * would be cut (a cut one would name, and group by, another kernel). */
static int abi_flavor(struct deb_pkg *p, const char *name, const regmatch_t *m)
{
	int a = snprintf(p->abi, sizeof(p->abi), "%.*s",
			 (int)(m[1].rm_eo - m[1].rm_so), name + m[1].rm_so);
	int f = snprintf(p->flavor, sizeof(p->flavor), "%s", name + m[4].rm_so);

	return (size_t)a >= sizeof(p->abi) || (size_t)f >= sizeof(p->flavor)
		       ? -ENAMETOOLONG
		       : 0;
}

/* What package p is by its name: 0; -1 when none of ours; -ENAMETOOLONG
 * when one of ours with an ABI or flavor too long for its fields. */
static int classify(regex_t *re_hdr, regex_t *re_img, const char *name,
		    struct deb_pkg *p)
{
	regmatch_t m[6];

	if (strncmp(name, "linux-kbuild-", 13) == 0) {
		p->kind = K_KBUILD;
		if ((size_t)snprintf(p->abi, sizeof(p->abi), "%s", name + 13) >=
		    sizeof(p->abi))
			return -ENAMETOOLONG;
		return 0;
	}
	if (regexec(re_hdr, name, 6, m, 0) == 0) {
		if (abi_flavor(p, name, m) < 0)
			return -ENAMETOOLONG;
		if (strcmp(p->flavor, "common") == 0) {
			p->kind = K_COMMON;
			p->flavor[0] = '\0';
		} else if (strcmp(p->flavor, "common-rt") == 0) {
			p->kind = K_COMMON;
			strcpy(p->flavor, "rt");
		} else {
			p->kind = K_FLAVOR;
		}
		return 0;
	}
	if (regexec(re_img, name, 6, m, 0) == 0) {
		size_t fl;

		if (abi_flavor(p, name, m) < 0)
			return -ENAMETOOLONG;
		fl = strlen(p->flavor);
		if (fl > 4 && strcmp(p->flavor + fl - 4, "-dbg") == 0)
			return -1;
		if (fl > 9 && strcmp(p->flavor + fl - 9, "-unsigned") == 0) {
			p->flavor[fl - 9] = '\0';
			p->unsigned_ = 1;
		}
		p->kind = K_IMAGE;
		return 0;
	}
	return -1;
}

/* "6.1.0-56" -> "6.1": linux-kbuild-6.1 serves every 6.1 ABI. out is as
 * large as an abi, so never cut. */
static void major_minor(const char *abi, char *out, size_t len)
{
	const char *dot = strchr(abi, '.');
	size_t n = dot ? strcspn(dot + 1, ".-+") + (size_t)(dot + 1 - abi)
		       : strlen(abi);

	snprintf(out, len, "%.*s", (int)n, abi);
}

static int add(struct pb_batch *b, const struct pb_batch_key *k,
	       struct deb_pkg *p, enum pb_pkg_role role, struct pb_err *err)
{
	p->used = 1;
	return pb_batch_add_key(b, k, p->path, role, err);
}

/* Whether version v satisfies "op req" of a Depends relation. */
static int satisfies(const char *v, const char *op, const char *req)
{
	int c;

	if (!req[0])
		return 1;
	c = pb_deb_version_cmp(v, req);
	if (!strcmp(op, ">=") || !strcmp(op, ">"))
		return !strcmp(op, ">=") ? c >= 0 : c > 0;
	if (!strcmp(op, ">>"))
		return c > 0;
	if (!strcmp(op, "<=") || !strcmp(op, "<"))
		return !strcmp(op, "<=") ? c <= 0 : c < 0;
	if (!strcmp(op, "<<"))
		return c < 0;
	return c == 0;
}

/* The Debian release a version was built for, by its tag: "deb11" of
 * 6.1.158-1~deb11u1, "bpo12" of 6.12.9-1~bpo12+1; "" for the release's
 * own (6.1.176-1). */
static void release_tag(const char *v, char *out, size_t len)
{
	const char *p = v;

	out[0] = '\0';
	while ((p = strpbrk(p, "~+")) != NULL) {
		p++;
		if (!strncmp(p, "deb", 3) || !strncmp(p, "bpo", 3)) {
			size_t n = 3 + strspn(p + 3, "0123456789");

			if (n > 3 && n < len)
				snprintf(out, len, "%.*s", (int)n, p);
			return;
		}
	}
}

static int same_release(const struct deb_pkg *a, const struct deb_pkg *fl)
{
	char ta[16], tf[16];

	release_tag(a->pn.version, ta, sizeof(ta));
	release_tag(fl->pn.version, tf, sizeof(tf));
	return strcmp(ta, tf) == 0;
}

/* Whether p may build fl: what fl's Depends allows (deps known), else at
 * least fl's version. */
static int kbuild_allowed(const struct deb_pkg *p, const struct deb_pkg *fl,
			  const char *deps)
{
	/* larger than any version of a package file name: a version that
	 * fills req may have been cut, and is taken as none satisfied */
	char op[8], req[256];

	if (!deps)
		return pb_deb_version_cmp(p->pn.version, fl->pn.version) >= 0;
	return pb_batch_depends_on(deps, p->pn.name, op, sizeof(op), req,
				   sizeof(req)) &&
	       strlen(op) + 1 < sizeof(op) && strlen(req) + 1 < sizeof(req) &&
	       satisfies(p->pn.version, op, req);
}

/* The linux-kbuild for flavor fl, between the one chosen so far and p:
 * the one of fl's own version; else one built for fl's Debian release
 * (a crawl of several suites sees bookworm's 6.1 kbuild beside
 * bullseye-security's, whose tools need another glibc); then, when fl's
 * Depends is known, the oldest that it allows (the nearest to what it
 * was built with); else the newest at least as new as fl. */
static struct deb_pkg *pick_kbuild(struct deb_pkg *cur, struct deb_pkg *p,
				   const struct deb_pkg *fl, const char *deps)
{
	int c;

	if (cur && strcmp(cur->pn.version, fl->pn.version) == 0)
		return cur;
	if (strcmp(p->pn.version, fl->pn.version) == 0)
		return p;
	if (!kbuild_allowed(p, fl, deps))
		return cur;
	if (!cur)
		return p;
	if (same_release(p, fl) != same_release(cur, fl))
		return same_release(p, fl) ? p : cur;
	c = pb_deb_version_cmp(p->pn.version, cur->pn.version);
	return (deps ? c < 0 : c > 0) ? p : cur;
}

/* Each file as a package of ours, or ignored (used -1) with the reason. */
static int classify_all(struct pb_batch *b, const char *const *paths, size_t n,
			struct deb_pkg *pk, struct pb_err *err)
{
	regex_t re_hdr, re_img;
	size_t i;
	int cls;

	if (regcomp(&re_hdr, "^linux-headers-" ABI_RE "-(.+)$", REG_EXTENDED))
		return pb_err_set(err, -EINVAL, "internal regex error");
	if (regcomp(&re_img, "^linux-image-" ABI_RE "-(.+)$", REG_EXTENDED)) {
		regfree(&re_hdr);
		return pb_err_set(err, -EINVAL, "internal regex error");
	}
	for (i = 0; i < n; i++) {
		pk[i].path = paths[i];
		pk[i].used = -1; /* not a kernel package of ours */
		if (pb_pkgname_parse_deb(paths[i], &pk[i].pn) < 0) {
			pb_batch_ignore(b, paths[i],
					"not a Debian package file name "
					"(<name>_<version>_<arch>.deb)");
			continue;
		}
		cls = classify(&re_hdr, &re_img, pk[i].pn.name, &pk[i]);
		if (cls == -ENAMETOOLONG) {
			pb_batch_ignore(b, paths[i],
					"a Debian kernel package whose ABI or "
					"flavor is too long for this plugin");
			continue;
		}
		if (cls < 0) {
			pb_batch_ignore(b, paths[i],
					"not a Debian kernel package that "
					"probes are built from");
			continue;
		}
		pk[i].used = 0;
	}
	regfree(&re_hdr);
	regfree(&re_img);
	return 0;
}

/* A newer version of flavor package fl's release among pk, or NULL: two
 * versions of one release, the newer wins, whatever has been taken. */
static const struct deb_pkg *newer_flavor(const struct deb_pkg *pk, size_t n,
					  const struct deb_pkg *fl)
{
	size_t j;

	for (j = 0; j < n; j++)
		if (&pk[j] != fl && pk[j].used >= 0 && pk[j].kind == K_FLAVOR &&
		    strcmp(pk[j].abi, fl->abi) == 0 &&
		    strcmp(pk[j].flavor, fl->flavor) == 0 &&
		    pb_deb_version_cmp(pk[j].pn.version, fl->pn.version) > 0)
			return &pk[j];
	return NULL;
}

/* What a flavor's kernel is made of, besides the flavor package. */
struct deb_parts {
	struct deb_pkg *common, *kbuild, *image;
	const char *deps; /* the flavor's Depends, NULL: not known */
	char mm[128];	  /* its major.minor, for linux-kbuild-<mm> */
	int rt;
};

static void find_parts(struct deb_pkg *pk, size_t n, const struct deb_pkg *fl,
		       struct deb_parts *pt)
{
	size_t j;

	pt->rt = strncmp(fl->flavor, "rt-", 3) == 0;
	major_minor(fl->abi, pt->mm, sizeof(pt->mm));
	for (j = 0; j < n; j++) {
		struct deb_pkg *p = &pk[j];

		if (p->used < 0 || (strcmp(p->pn.arch, fl->pn.arch) &&
				    strcmp(p->pn.arch, "all")))
			continue;
		if (p->kind == K_COMMON && strcmp(p->abi, fl->abi) == 0 &&
		    !strcmp(p->flavor, pt->rt ? "rt" : "") &&
		    !strcmp(p->pn.version, fl->pn.version))
			pt->common = p;
		else if (p->kind == K_IMAGE && strcmp(p->abi, fl->abi) == 0 &&
			 strcmp(p->flavor, fl->flavor) == 0 &&
			 strcmp(p->pn.version, fl->pn.version) == 0 &&
			 (!pt->image || pt->image->unsigned_))
			/* the signed image is what hosts install; the
			 * -unsigned one carries the same config */
			pt->image = p;
		else if (p->kind == K_KBUILD && (strcmp(p->abi, fl->abi) == 0 ||
						 strcmp(p->abi, pt->mm) == 0))
			pt->kbuild = pick_kbuild(pt->kbuild, p, fl, pt->deps);
	}
}

/* Why the kernel of key k lacks a part, for the summary. */
static void fail_missing(struct pb_batch *b, const struct pb_batch_key *k,
			 const struct deb_pkg *fl, const struct deb_parts *pt)
{
	if (!pt->common)
		pb_batch_fail_key(b, k,
				  "no linux-headers-%s-common%s (= %s) among "
				  "the package files",
				  fl->abi, pt->rt ? "-rt" : "", fl->pn.version);
	if (!pt->kbuild) {
		char kop[8] = "", kver[128] = "", kname[160];

		snprintf(kname, sizeof(kname), "linux-kbuild-%s", pt->mm);
		if (pt->deps &&
		    !pb_batch_depends_on(pt->deps, kname, kop, sizeof(kop),
					 kver, sizeof(kver))) {
			snprintf(kname, sizeof(kname), "linux-kbuild-%s",
				 fl->abi);
			pb_batch_depends_on(pt->deps, kname, kop, sizeof(kop),
					    kver, sizeof(kver));
		}
		pb_batch_fail_key(
			b, k, "no %s (= %s)%s%s%s%s among the package files",
			kname, fl->pn.version,
			kver[0] ? " or what its Depends allows (" : "", kop,
			kver[0] ? " " : "", kver[0] ? kver : "");
	}
	if (!pt->image)
		pb_batch_fail_key(b, k,
				  "no linux-image-%s (= %s) among the package "
				  "files: its boot/config-%s is what names the "
				  "outputs (the header tree's .config differs "
				  "from it)",
				  k->release, fl->pn.version, k->release);
}

/* The kernel of flavor package fl, with the parts found for it. */
static int batch_flavor(struct pb_batch *b, struct deb_pkg *pk, size_t n,
			struct deb_pkg *fl, struct pb_err *err)
{
	struct pb_batch_key key = {sizeof(key), NULL, NULL, NULL};
	struct deb_parts pt = {0};
	const struct deb_pkg *newer = newer_flavor(pk, n, fl);
	char rel[256];
	int ret;

	if (newer) {
		pb_batch_ignore(b, fl->path, "a newer %s is given",
				newer->pn.name);
		fl->used = 1;
		return 0;
	}
	snprintf(rel, sizeof(rel), "%s-%s", fl->abi, fl->flavor);
	key.release = rel;
	key.arch = pb_arch_canonical(fl->pn.arch);
	key.version = fl->pn.version;
	pt.deps = pb_batch_depends(b, fl->path);
	find_parts(pk, n, fl, &pt);
	if (pt.kbuild && strcmp(pt.kbuild->pn.version, fl->pn.version))
		pb_warn("%s: no %s %s: taking %s %s%s", rel, pt.kbuild->pn.name,
			fl->pn.version, pt.kbuild->pn.name,
			pt.kbuild->pn.version,
			pt.deps ? ", which its Depends allows"
				: " (its Depends is not known: the newest)");
	pb_batch_set_flavor_key(b, &key, fl->flavor);
	ret = add(b, &key, fl, PB_PKG_TREE, err);
	if (!ret && pt.common)
		ret = add(b, &key, pt.common, PB_PKG_TREE, err);
	if (!ret && pt.kbuild)
		ret = add(b, &key, pt.kbuild, PB_PKG_TREE, err);
	if (!ret && pt.image)
		ret = add(b, &key, pt.image, PB_PKG_CONFIG, err);
	if (!ret)
		fail_missing(b, &key, fl, &pt);
	return ret;
}

static int debian_batch(struct pb_batch *b, const char *const *paths, size_t n,
			struct pb_err *err)
{
	struct deb_pkg *pk;
	size_t i;
	int ret;

	pk = pb_calloc(n, sizeof(*pk), err);
	if (!pk)
		return -ENOMEM;
	ret = classify_all(b, paths, n, pk, err);
	for (i = 0; i < n && !ret; i++)
		if (pk[i].used == 0 && pk[i].kind == K_FLAVOR)
			ret = batch_flavor(b, pk, n, &pk[i], err);
	if (!ret)
		ret = pb_batch_ignore_rest(b, paths, n,
					   "no linux-headers package of the "
					   "same kernel among the files",
					   err);
	free(pk);
	return ret;
}

static int debian_fixup(const struct pb_release *rel, struct pb_err *err)
{
	char mk[512];
	int ret;

	/* the flavor's Makefile says `include /usr/src/linux-headers-<abi>-
	 * common/Makefile`; older ones run make -C /usr/src/... */
	if ((size_t)snprintf(mk, sizeof(mk),
			     "usr/src/linux-headers-%s/Makefile",
			     rel->name) >= sizeof(mk))
		return pb_err_set(err, -ENAMETOOLONG,
				  "%s: the path of its Makefile is too long",
				  rel->name);
	ret = pb_fixup_rewrite_prefix(rel->root, mk, "/usr/src/", NULL, err);
	if (ret == -ENOENT)
		return pb_err_set(err, ret, "%s: no %s in the packages",
				  rel->name, mk);
	return ret;
}

static int debian_kernel_dir(const struct pb_release *rel, char *buf,
			     size_t len, struct pb_err *err)
{
	if ((size_t)snprintf(buf, len, "usr/src/linux-headers-%s", rel->name) >=
	    len)
		return pb_err_set(err, -ENAMETOOLONG,
				  "%s: the path of its kernel dir is too long",
				  rel->name);
	return 0;
}

static int debian_config_file(const struct pb_release *rel, char *buf,
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
			  "with linux-image-%s)",
			  rel->name, rel->name, rel->name);
}

/* boot/config-<release> of the image package is the headers' .config
 * without these build-only lines (checked on 6.1 and 6.12) */
static const char *const debian_config_rule_drop[] = {
	"CONFIG_BUILD_SALT", "CONFIG_MODULE_SIG_ALL", "CONFIG_MODULE_SIG_KEY",
	"CONFIG_SYSTEM_TRUSTED_KEYS", NULL};

/* The image package holds the bzImage QEMU boots. */
static int debian_boot_image(const struct pb_release *rel, const char *package,
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

static const char *const debian_distros[] = {"debian", NULL};
static const char *const debian_globs[] = {"linux-headers-*", "linux-kbuild-*",
					   "linux-image-*", NULL};
static const char *const debian_keyrings[] = {
	"/usr/share/keyrings/debian-archive-keyring.gpg", NULL};

/* suite code names; a pocket (-updates, -security, -backports, /updates)
 * may follow */
static const char *const debian_suites[] = {
	"buster",   "bullseye",	    "bookworm",	    "trixie",	 "forky",
	"duke",	    "sid",	    "stable",	    "oldstable", "testing",
	"unstable", "experimental", "oldoldstable", NULL};
/* what apt itself trusts */
static const char *const debian_host_keyrings[] = {
	"/etc/apt/trusted.gpg", "/etc/apt/trusted.gpg.d/*", NULL};

static const struct pb_plugin debian_plugin = {
	.abi_version = PB_PLUGIN_ABI_VERSION,
	.size = sizeof(struct pb_plugin),
	.name = "debian",
	.description = "Debian kernels (linux-headers, -common, linux-kbuild, "
		       "linux-image)",
	.distros = debian_distros,
	.batch = debian_batch,
	.fixup = debian_fixup,
	.kernel_dir = debian_kernel_dir,
	.config_file = debian_config_file,
	.boot_image = debian_boot_image,
	.config_rule_drop = debian_config_rule_drop,
	.repo_kind = "apt",
	.index_globs = debian_globs,
	.keyrings = debian_keyrings,
	/* the mirrors this host already uses */
	.flags = PB_PLUGIN_F_HOST_APT_SOURCES,
	.host_apt_suites = debian_suites,
	.host_apt_keyrings = debian_host_keyrings,
};

PB_PLUGIN_DEFINE(debian_plugin)
