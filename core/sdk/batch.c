#include "config.h"

/* The batch: one sorted table of kernels and their packages, with its
 * accessors, the plugins' side of the SDK (batch_hook.c holds what the
 * batch hooks share on top of it). Past 600 lines because it is one data
 * structure whose fields no other file may see. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe-builder/alloc.h"
#include "probe-builder/batch.h"
#include "probe-builder/pkgname.h"

struct batch_pkg {
	char *path;
	enum pb_pkg_role role;
};

struct batch_release {
	char *name;
	char *arch;
	char *version; /* NULL: added by release name alone */
	char *primary; /* the first package added */
	char **series;
	size_t n_series;
	char *flavor;
	char *failure;
	struct batch_pkg *pkgs;
	size_t n_pkgs;
};

struct batch_ignored {
	char *path;
	char *reason;
};

struct batch_info {
	char *path;
	char *depends;
};

struct pb_batch {
	struct batch_release *rels;
	size_t n_rels;
	struct batch_info *infos; /* sorted by path */
	size_t n_infos;
	struct batch_ignored *ignored;
	size_t n_ignored;
};

struct pb_batch *pb_batch_new(void)
{
	/* no err here (the API predates it): a caller seeing NULL says
	 * out of memory */
	return pb_calloc(1, sizeof(struct pb_batch), NULL);
}

void pb_batch_free(struct pb_batch *b)
{
	size_t i, j;

	if (!b)
		return;
	for (i = 0; i < b->n_rels; i++) {
		for (j = 0; j < b->rels[i].n_pkgs; j++)
			free(b->rels[i].pkgs[j].path);
		free(b->rels[i].pkgs);
		free(b->rels[i].name);
		free(b->rels[i].arch);
		free(b->rels[i].version);
		free(b->rels[i].primary);
		for (j = 0; j < b->rels[i].n_series; j++)
			free(b->rels[i].series[j]);
		free(b->rels[i].series);
		free(b->rels[i].flavor);
		free(b->rels[i].failure);
	}
	free(b->rels);
	for (i = 0; i < b->n_ignored; i++) {
		free(b->ignored[i].path);
		free(b->ignored[i].reason);
	}
	free(b->ignored);
	for (i = 0; i < b->n_infos; i++) {
		free(b->infos[i].path);
		free(b->infos[i].depends);
	}
	free(b->infos);
	free(b);
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* Kernels sort by release, then version, then arch; a kernel added by
 * release alone (version NULL) sorts before the versioned ones. */
static int key_cmp(const struct batch_release *r, const char *name,
		   const char *version, const char *arch)
{
	int c = strcmp(r->name, name);

	if (c)
		return c;
	if (!r->version != !version)
		return r->version ? 1 : -1;
	c = strcmp(or_empty(r->version), or_empty(version));
	if (c)
		return c;
	return strcmp(or_empty(r->arch), or_empty(arch));
}

/* A binary search over n sorted elements: the first one for which cmp
 * (element i against key) is not below 0, and *found when it is 0. */
static size_t
lower_bound(size_t n, int (*cmp)(const struct pb_batch *, size_t, const void *),
	    const struct pb_batch *b, const void *key, int *found)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp(b, mid, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < n && cmp(b, lo, key) == 0;
	return lo;
}

struct rel_key {
	const char *name, *version, *arch;
};

static int rel_cmp(const struct pb_batch *b, size_t i, const void *key)
{
	const struct rel_key *k = key;

	return key_cmp(&b->rels[i], k->name, k->version, k->arch);
}

/* Finds a kernel, or the index where it would be inserted. */
static size_t find_pos(const struct pb_batch *b, const char *name,
		       const char *version, const char *arch, int *found)
{
	const struct rel_key k = {name, version, arch};

	return lower_bound(b->n_rels, rel_cmp, b, &k, found);
}

/* The first kernel named `name`, or the index where it would be. */
static int name_cmp(const struct pb_batch *b, size_t i, const void *name)
{
	return strcmp(b->rels[i].name, name);
}

static size_t first_named(const struct pb_batch *b, const char *name,
			  int *found)
{
	return lower_bound(b->n_rels, name_cmp, b, name, found);
}

static struct batch_release *
insert_release(struct pb_batch *b, size_t pos, const char *name,
	       const char *version, const char *arch, struct pb_err *err)
{
	struct batch_release *grown, *r;

	grown = pb_reallocarray(b->rels, b->n_rels + 1, sizeof(*grown), err);
	if (!grown)
		return NULL;
	b->rels = grown;
	r = &b->rels[pos];
	memmove(r + 1, r, (b->n_rels - pos) * sizeof(*grown));
	memset(r, 0, sizeof(*r));
	r->name = pb_strdup(name, err);
	r->version = version ? pb_strdup(version, err) : NULL;
	r->arch = arch && *arch ? pb_strdup(arch, err) : NULL;
	if (!r->name || (version && !r->version) ||
	    (arch && *arch && !r->arch)) {
		free(r->name);
		free(r->version);
		free(r->arch);
		memmove(r, r + 1, (b->n_rels - pos) * sizeof(*grown));
		return NULL;
	}
	b->n_rels++;
	return r;
}

/* By release name alone (the first API): the kernel of that name that was
 * added without a version, created with no arch when there is none. */
static struct batch_release *get_release(struct pb_batch *b, const char *name,
					 struct pb_err *err)
{
	size_t pos;
	int found;

	pos = first_named(b, name, &found);
	if (found && !b->rels[pos].version)
		return &b->rels[pos];
	return insert_release(b, pos, name, NULL, NULL, err);
}

static int key_ok(const struct pb_batch_key *k)
{
	return k && k->sz >= offsetof(struct pb_batch_key, version) +
				     sizeof(k->version);
}

/* NULL for a bad key too: callers check the key first when they need to
 * tell the two apart */
static struct batch_release *
get_key(struct pb_batch *b, const struct pb_batch_key *k, struct pb_err *err)
{
	size_t pos;
	int found;

	if (!key_ok(k) || !k->release)
		return NULL;
	pos = find_pos(b, k->release, k->version ? k->version : "", k->arch,
		       &found);
	if (found)
		return &b->rels[pos];
	return insert_release(b, pos, k->release, k->version ? k->version : "",
			      k->arch, err);
}

static int bad_release(const char *release)
{
	return !release || !*release || strchr(release, '/') ||
	       strcmp(release, ".") == 0 || strcmp(release, "..") == 0;
}

/* Adds path to r, keeping packages ordered by base name: unpack order must
 * not depend on the order of the command line. */
static int add_pkg(struct batch_release *r, const char *path,
		   enum pb_pkg_role role, struct pb_err *err)
{
	struct batch_pkg *grown;
	size_t pos, j;

	for (j = 0; j < r->n_pkgs; j++)
		if (strcmp(r->pkgs[j].path, path) == 0)
			return 0;
	if (!r->primary) {
		r->primary = pb_strdup(path, err);
		if (!r->primary)
			return -ENOMEM;
	}
	grown = pb_reallocarray(r->pkgs, r->n_pkgs + 1, sizeof(*grown), err);
	if (!grown)
		return -ENOMEM;
	r->pkgs = grown;
	for (pos = r->n_pkgs; pos > 0; pos--) {
		if (strcmp(pb_basename(r->pkgs[pos - 1].path),
			   pb_basename(path)) <= 0)
			break;
	}
	memmove(&r->pkgs[pos + 1], &r->pkgs[pos],
		(r->n_pkgs - pos) * sizeof(*grown));
	r->pkgs[pos].path = pb_strdup(path, err);
	r->pkgs[pos].role = role;
	if (!r->pkgs[pos].path) {
		memmove(&r->pkgs[pos], &r->pkgs[pos + 1],
			(r->n_pkgs - pos) * sizeof(*grown));
		return -ENOMEM;
	}
	r->n_pkgs++;
	return 0;
}

int pb_batch_add_key(struct pb_batch *b, const struct pb_batch_key *k,
		     const char *path, enum pb_pkg_role role,
		     struct pb_err *err)
{
	struct batch_release *r;

	if (!key_ok(k))
		return pb_err_set(err, -EINVAL, "%s: bad batch key", path);
	if (bad_release(k->release))
		return pb_err_set(err, -EINVAL, "%s: bad kernel release '%s'",
				  path, k->release ? k->release : "");
	r = get_key(b, k, err);
	if (!r)
		return -ENOMEM; /* the key was checked above */
	return add_pkg(r, path, role, err);
}

int pb_batch_add(struct pb_batch *b, const char *release, const char *arch,
		 const char *path, enum pb_pkg_role role, struct pb_err *err)
{
	struct batch_release *r;

	if (bad_release(release))
		return pb_err_set(err, -EINVAL, "%s: bad kernel release '%s'",
				  path, release ? release : "");
	r = get_release(b, release, err);
	if (!r)
		return -ENOMEM;
	if (arch && *arch) {
		if (!r->arch) {
			r->arch = pb_strdup(arch, err);
			/* the order holds: one kernel per name is keyless */
			if (!r->arch)
				return -ENOMEM;
		} else if (strcmp(r->arch, arch) != 0) {
			/* one name, two machines: a run builds for one */
			pb_batch_ignore(b, path,
					"architecture %s, but release %s is "
					"%s in this run (build one "
					"architecture per run)",
					arch, release, r->arch);
			return 0;
		}
	}
	return add_pkg(r, path, role, err);
}

__attribute__((format(printf, 2, 0))) static void
vfail(struct batch_release *r, const char *fmt, va_list ap)
{
	char *msg;

	if (!r)
		return;
	msg = pb_vasprintf(NULL, fmt, ap);
	if (!msg)
		return;
	if (r->failure) {
		/* keep every reason: the user fixes them all in one go */
		char *both = pb_asprintf(NULL, "%s; %s", r->failure, msg);

		if (both) {
			free(r->failure);
			r->failure = both;
		}
		free(msg);
		return;
	}
	r->failure = msg;
}

void pb_batch_fail(struct pb_batch *b, const char *release, const char *fmt,
		   ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(get_release(b, release, NULL), fmt, ap);
	va_end(ap);
}

void pb_batch_fail_key(struct pb_batch *b, const struct pb_batch_key *k,
		       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(bad_release(k ? k->release : NULL) ? NULL : get_key(b, k, NULL),
	      fmt, ap);
	va_end(ap);
}

static void set_flavor(struct batch_release *r, const char *flavor)
{
	char *f;

	if (!r || !flavor)
		return;
	f = pb_strdup(flavor, NULL);
	if (!f)
		return;
	free(r->flavor);
	r->flavor = f;
}

void pb_batch_set_flavor(struct pb_batch *b, const char *release,
			 const char *flavor)
{
	set_flavor(get_release(b, release, NULL), flavor);
}

void pb_batch_set_flavor_key(struct pb_batch *b, const struct pb_batch_key *k,
			     const char *flavor)
{
	set_flavor(bad_release(k ? k->release : NULL) ? NULL
						      : get_key(b, k, NULL),
		   flavor);
}

long pb_batch_find_key(const struct pb_batch *b, const struct pb_batch_key *k)
{
	int found;
	size_t pos;

	if (!key_ok(k) || !k->release)
		return -1;
	pos = find_pos(b, k->release, k->version ? k->version : "", k->arch,
		       &found);
	return found ? (long)pos : -1;
}

const char *pb_batch_release_version(const struct pb_batch *b, size_t i)
{
	return i < b->n_rels ? b->rels[i].version : NULL;
}

const char *pb_batch_release_primary(const struct pb_batch *b, size_t i)
{
	return i < b->n_rels ? b->rels[i].primary : NULL;
}

static int info_cmp(const struct pb_batch *b, size_t i, const void *path)
{
	return strcmp(b->infos[i].path, path);
}

static size_t info_pos(const struct pb_batch *b, const char *path, int *found)
{
	return lower_bound(b->n_infos, info_cmp, b, path, found);
}

int pb_batch_set_depends(struct pb_batch *b, const char *path,
			 const char *depends, struct pb_err *err)
{
	struct batch_info *grown;
	char *d = depends ? pb_strdup(depends, err) : NULL;
	size_t pos;
	int found;

	if (depends && !d)
		return -ENOMEM;
	pos = info_pos(b, path, &found);
	if (found) {
		free(b->infos[pos].depends);
		b->infos[pos].depends = d;
		return 0;
	}
	grown = pb_reallocarray(b->infos, b->n_infos + 1, sizeof(*grown), err);
	if (!grown) {
		free(d);
		return -ENOMEM;
	}
	b->infos = grown;
	memmove(&grown[pos + 1], &grown[pos],
		(b->n_infos - pos) * sizeof(*grown));
	grown[pos].path = pb_strdup(path, err);
	grown[pos].depends = d;
	if (!grown[pos].path) {
		free(d);
		memmove(&grown[pos], &grown[pos + 1],
			(b->n_infos - pos) * sizeof(*grown));
		return -ENOMEM;
	}
	b->n_infos++;
	return 0;
}

const char *pb_batch_depends(const struct pb_batch *b, const char *path)
{
	int found;
	size_t pos = info_pos(b, path, &found);

	return found ? b->infos[pos].depends : NULL;
}

static int is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* Relations are split at ',' and alternatives at '|'; each is
 * "name[:arch] [(op version)] [<profile>]". */
int pb_batch_depends_on(const char *depends, const char *name, char *op,
			size_t op_len, char *version, size_t version_len)
{
	const char *s = depends;
	size_t nl = strlen(name);

	if (!s)
		return 0;
	while (*s) {
		const char *w, *e;

		while (*s && (is_sep(*s) || *s == ',' || *s == '|'))
			s++;
		w = s;
		while (*s && !is_sep(*s) && *s != ',' && *s != '|' &&
		       *s != '(' && *s != ':')
			s++;
		e = s;
		if (*s == ':')
			while (*s && !is_sep(*s) && *s != ',' && *s != '|' &&
			       *s != '(')
				s++;
		while (*s && is_sep(*s))
			s++;
		if ((size_t)(e - w) == nl && strncmp(w, name, nl) == 0) {
			const char *o = NULL, *oe = NULL, *v = NULL, *ve = NULL;

			if (*s == '(') {
				o = ++s;
				while (*s == '<' || *s == '>' || *s == '=')
					s++;
				oe = s;
				while (*s && is_sep(*s))
					s++;
				v = s;
				while (*s && *s != ')' && !is_sep(*s))
					s++;
				ve = s;
			}
			if (op && op_len)
				snprintf(op, op_len, "%.*s",
					 o ? (int)(oe - o) : 0, o ? o : "");
			if (version && version_len)
				snprintf(version, version_len, "%.*s",
					 v ? (int)(ve - v) : 0, v ? v : "");
			return 1;
		}
		while (*s && *s != ',' && *s != '|')
			s++;
	}
	return 0;
}

int pb_batch_add_series(struct pb_batch *b, size_t i, const char *series,
			struct pb_err *err)
{
	struct batch_release *r;
	char **grown;
	size_t k, pos;

	if (i >= b->n_rels || !series || !*series)
		return 0;
	r = &b->rels[i];
	for (k = 0; k < r->n_series; k++)
		if (strcmp(r->series[k], series) == 0)
			return 0;
	grown = pb_reallocarray(r->series, r->n_series + 1, sizeof(*grown),
				err);
	if (!grown)
		return -ENOMEM;
	r->series = grown;
	/* sorted: the same suites in any order are one list */
	for (pos = r->n_series; pos > 0; pos--)
		if (strcmp(grown[pos - 1], series) < 0)
			break;
	memmove(&grown[pos + 1], &grown[pos],
		(r->n_series - pos) * sizeof(*grown));
	grown[pos] = pb_strdup(series, err);
	if (!grown[pos]) {
		memmove(&grown[pos], &grown[pos + 1],
			(r->n_series - pos) * sizeof(*grown));
		return -ENOMEM;
	}
	r->n_series++;
	return 0;
}

size_t pb_batch_n_series(const struct pb_batch *b, size_t i)
{
	return i < b->n_rels ? b->rels[i].n_series : 0;
}

const char *pb_batch_series(const struct pb_batch *b, size_t i, size_t k)
{
	return i < b->n_rels && k < b->rels[i].n_series ? b->rels[i].series[k]
							: NULL;
}

const char *pb_batch_release_flavor(const struct pb_batch *b, size_t i)
{
	return i < b->n_rels ? b->rels[i].flavor : NULL;
}

void pb_batch_ignore(struct pb_batch *b, const char *path, const char *fmt, ...)
{
	struct batch_ignored *grown;
	va_list ap;
	char *reason, *p;

	va_start(ap, fmt);
	/* void (the API has no err): a file that cannot be recorded as
	 * ignored is only missing from the list of ignored files */
	reason = pb_vasprintf(NULL, fmt, ap);
	va_end(ap);
	p = pb_strdup(path, NULL);
	grown = pb_reallocarray(b->ignored, b->n_ignored + 1, sizeof(*grown),
				NULL);
	if (!reason || !p || !grown) {
		free(reason);
		free(p);
		if (grown)
			b->ignored = grown;
		return;
	}
	b->ignored = grown;
	b->ignored[b->n_ignored].path = p;
	b->ignored[b->n_ignored].reason = reason;
	b->n_ignored++;
}

size_t pb_batch_n_releases(const struct pb_batch *b)
{
	return b->n_rels;
}

const char *pb_batch_release(const struct pb_batch *b, size_t i)
{
	return i < b->n_rels ? b->rels[i].name : NULL;
}

const char *pb_batch_release_arch(const struct pb_batch *b, size_t i)
{
	return i < b->n_rels ? b->rels[i].arch : NULL;
}

const char *pb_batch_release_failure(const struct pb_batch *b, size_t i)
{
	return i < b->n_rels ? b->rels[i].failure : NULL;
}

size_t pb_batch_n_packages(const struct pb_batch *b, size_t i)
{
	return i < b->n_rels ? b->rels[i].n_pkgs : 0;
}

const char *pb_batch_package(const struct pb_batch *b, size_t i, size_t j,
			     enum pb_pkg_role *role)
{
	if (i >= b->n_rels || j >= b->rels[i].n_pkgs)
		return NULL;
	if (role)
		*role = b->rels[i].pkgs[j].role;
	return b->rels[i].pkgs[j].path;
}

long pb_batch_find(const struct pb_batch *b, const char *release)
{
	int found;
	size_t pos = first_named(b, release, &found);

	return found ? (long)pos : -1;
}

size_t pb_batch_n_ignored(const struct pb_batch *b)
{
	return b->n_ignored;
}

const char *pb_batch_ignored(const struct pb_batch *b, size_t i,
			     const char **reason)
{
	if (i >= b->n_ignored)
		return NULL;
	if (reason)
		*reason = b->ignored[i].reason;
	return b->ignored[i].path;
}
