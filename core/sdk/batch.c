#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe-builder/batch.h"
#include "probe-builder/pkgname.h"

struct batch_pkg {
	char *path;
	enum pb_pkg_role role;
};

struct batch_release {
	char *name;
	char *arch;
	char *flavor;
	char *failure;
	struct batch_pkg *pkgs;
	size_t n_pkgs;
};

struct batch_ignored {
	char *path;
	char *reason;
};

struct pb_batch {
	struct batch_release *rels;
	size_t n_rels;
	struct batch_ignored *ignored;
	size_t n_ignored;
};

struct pb_batch *pb_batch_new(void)
{
	return calloc(1, sizeof(struct pb_batch));
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
		free(b->rels[i].flavor);
		free(b->rels[i].failure);
	}
	free(b->rels);
	for (i = 0; i < b->n_ignored; i++) {
		free(b->ignored[i].path);
		free(b->ignored[i].reason);
	}
	free(b->ignored);
	free(b);
}

/* Finds a release, or the index where it would be inserted. */
static size_t find_pos(const struct pb_batch *b, const char *name, int *found)
{
	size_t lo = 0, hi = b->n_rels;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(b->rels[mid].name, name);

		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct batch_release *get_release(struct pb_batch *b, const char *name)
{
	struct batch_release *grown;
	size_t pos;
	int found;

	pos = find_pos(b, name, &found);
	if (found)
		return &b->rels[pos];
	grown = realloc(b->rels, (b->n_rels + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	b->rels = grown;
	memmove(&b->rels[pos + 1], &b->rels[pos],
		(b->n_rels - pos) * sizeof(*grown));
	memset(&b->rels[pos], 0, sizeof(*grown));
	b->rels[pos].name = strdup(name);
	if (!b->rels[pos].name) {
		memmove(&b->rels[pos], &b->rels[pos + 1],
			(b->n_rels - pos) * sizeof(*grown));
		return NULL;
	}
	b->n_rels++;
	return &b->rels[pos];
}

int pb_batch_add(struct pb_batch *b, const char *release, const char *arch,
		 const char *path, enum pb_pkg_role role, struct pb_err *err)
{
	struct batch_release *r;
	struct batch_pkg *grown;
	size_t pos, j;

	if (!release || !*release || strchr(release, '/') ||
	    strcmp(release, ".") == 0 || strcmp(release, "..") == 0)
		return pb_err_set(err, -EINVAL, "%s: bad kernel release '%s'",
				  path, release ? release : "");
	r = get_release(b, release);
	if (!r)
		return pb_err_set(err, -ENOMEM, "out of memory");
	if (arch && *arch) {
		if (!r->arch) {
			r->arch = strdup(arch);
			if (!r->arch)
				return pb_err_set(err, -ENOMEM,
						  "out of memory");
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
	for (j = 0; j < r->n_pkgs; j++)
		if (strcmp(r->pkgs[j].path, path) == 0)
			return 0;
	grown = realloc(r->pkgs, (r->n_pkgs + 1) * sizeof(*grown));
	if (!grown)
		return pb_err_set(err, -ENOMEM, "out of memory");
	r->pkgs = grown;
	/* keep packages ordered by base name: unpack order must not depend on
	 * the order of the command line */
	for (pos = r->n_pkgs; pos > 0; pos--) {
		if (strcmp(pb_basename(r->pkgs[pos - 1].path),
			   pb_basename(path)) <= 0)
			break;
	}
	memmove(&r->pkgs[pos + 1], &r->pkgs[pos],
		(r->n_pkgs - pos) * sizeof(*grown));
	r->pkgs[pos].path = strdup(path);
	r->pkgs[pos].role = role;
	if (!r->pkgs[pos].path) {
		memmove(&r->pkgs[pos], &r->pkgs[pos + 1],
			(r->n_pkgs - pos) * sizeof(*grown));
		return pb_err_set(err, -ENOMEM, "out of memory");
	}
	r->n_pkgs++;
	return 0;
}

__attribute__((format(printf, 1, 0))) static char *vformat(const char *fmt,
							     va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

void pb_batch_fail(struct pb_batch *b, const char *release, const char *fmt,
		   ...)
{
	struct batch_release *r = get_release(b, release);
	va_list ap;
	char *msg;

	if (!r)
		return;
	va_start(ap, fmt);
	msg = vformat(fmt, ap);
	va_end(ap);
	if (!msg)
		return;
	if (r->failure) {
		/* keep every reason: the user fixes them all in one go */
		char *both = NULL;

		if (asprintf(&both, "%s; %s", r->failure, msg) >= 0) {
			free(r->failure);
			r->failure = both;
		}
		free(msg);
		return;
	}
	r->failure = msg;
}

void pb_batch_set_flavor(struct pb_batch *b, const char *release,
			 const char *flavor)
{
	struct batch_release *r = get_release(b, release);
	char *f;

	if (!r || !flavor)
		return;
	f = strdup(flavor);
	if (!f)
		return;
	free(r->flavor);
	r->flavor = f;
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
	reason = vformat(fmt, ap);
	va_end(ap);
	p = strdup(path);
	grown = realloc(b->ignored, (b->n_ignored + 1) * sizeof(*grown));
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
	size_t pos = find_pos(b, release, &found);

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
