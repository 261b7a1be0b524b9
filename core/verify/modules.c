#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "archive/filters.h"
#include "archive/unpack.h"
#include "build/elfcheck.h"
#include "probe-builder/alloc.h"
#include "util/fs.h"
#include "util/path.h"
#include "verify/modules.h"

#define MAX_MODS 64

int pb_vmod_name(const char *path, char *out, size_t len)
{
	static const char *const sfx[] = {".ko", ".ko.xz", ".ko.zst", ".ko.gz"};
	const char *b = strrchr(path, '/');
	size_t bl, i, k;

	b = b ? b + 1 : path;
	bl = strlen(b);
	for (i = 0; i < 4; i++) {
		size_t sl = strlen(sfx[i]);

		if (bl > sl && !strcmp(b + bl - sl, sfx[i]) && bl - sl < len) {
			for (k = 0; k < bl - sl; k++)
				out[k] = b[k] == '-' ? '_' : b[k];
			out[k] = '\0';
			return 1;
		}
	}
	return 0;
}

struct mods {
	char name[MAX_MODS][128]; /* known, by name */
	char deps[MAX_MODS][512]; /* their "depends" */
	int found[MAX_MODS];
	size_t n;
	const char *release;
	char raw[MAX_MODS][PATH_MAX]; /* where each was extracted */
};

static long find(const struct mods *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->name[i], name))
			return (long)i;
	return -1;
}

/* modinfo's depends may say crc-itu-t for the module crc_itu_t */
static void dashes(char *name)
{
	for (; *name; name++)
		if (*name == '-')
			*name = '_';
}

/* Adds the names of a comma separated list not known yet. */
static int want(struct mods *m, const char *list, struct pb_err *err)
{
	const char *p = list;

	while (*p) {
		size_t l = strcspn(p, ",");
		char name[128];

		snprintf(name, sizeof(name), "%.*s", (int)l, p);
		dashes(name);
		if (l && find(m, name) < 0) {
			if (m->n == MAX_MODS)
				return pb_err_set(err, -E2BIG,
						  "more than %d modules needed",
						  MAX_MODS);
			snprintf(m->name[m->n++], sizeof(m->name[0]), "%s",
				 name);
		}
		p += l;
		if (*p)
			p++;
	}
	return 0;
}

/* keep(): a module of this release, wanted and not found yet. */
static int keep_mod(const char *rel, void *data)
{
	struct mods *m = data;
	char name[128], pre1[300], pre2[300];
	long i;

	snprintf(pre1, sizeof(pre1), "lib/modules/%s/", m->release);
	snprintf(pre2, sizeof(pre2), "usr/lib/modules/%s/", m->release);
	if (strncmp(rel, pre1, strlen(pre1)) &&
	    strncmp(rel, pre2, strlen(pre2)))
		return 0;
	if (!pb_vmod_name(rel, name, sizeof(name)) || (i = find(m, name)) < 0 ||
	    m->found[i])
		return 0;
	m->found[i] = 1;
	snprintf(m->raw[i], sizeof(m->raw[0]), "%s", rel);
	return 1;
}

/* in (a module, maybe compressed) into out, plain. */
static int decompress(const char *in, const char *out, struct pb_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char buf[65536];
	la_ssize_t r;
	FILE *f = NULL;
	int ret = 0;

	if (!a)
		return pb_err_set(err, -ENOMEM, "out of memory");
	pb_archive_filters(a, 0);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, in, 65536) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK)
		ret = pb_err_set(err, -EINVAL, "%s: %s", in,
				 archive_error_string(a));
	if (!ret && !(f = fopen(out, "wb")))
		ret = pb_err_set(err, -errno, "%s: %s", out, strerror(errno));
	while (!ret && (r = archive_read_data(a, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)r, f) != (size_t)r)
			ret = pb_err_set(err, -EIO, "%s: write error", out);
	if (!ret && r < 0)
		ret = pb_err_set(err, -EIO, "%s: %s", in,
				 archive_error_string(a));
	if (f && fclose(f) != 0 && !ret)
		ret = pb_err_set(err, -EIO, "%s: write error", out);
	archive_read_free(a);
	return ret;
}

/* The modules found by the last pass: plain into mods/, their own
 * dependencies wanted. *more: one was found. */
static int take_found(struct mods *m, int *done, const char *dir, int *more,
		      struct pb_err *err)
{
	char raw[PATH_MAX * 2], out[PATH_MAX * 2];
	size_t i;
	int ret = 0;

	for (i = 0; !ret && i < m->n; i++) {
		if (!m->found[i] || done[i])
			continue;
		done[i] = 1;
		*more = 1;
		ret = pb_path_fmt(raw, sizeof(raw), err, "%s/raw/%s", dir,
				  m->raw[i]);
		if (!ret)
			ret = pb_path_fmt(out, sizeof(out), err,
					  "%s/mods/%s.ko", dir, m->name[i]);
		if (!ret)
			ret = decompress(raw, out, err);
		if (!ret && pb_elf_modinfo(out, "depends", m->deps[i],
					   sizeof(m->deps[i]), NULL) == 0)
			ret = want(m, m->deps[i], err);
	}
	return ret;
}

/* Passes over the package until every module wanted is out. */
static int extract_all_wanted(const char *const *pkgs, size_t n_pkgs,
			      const char *dir, struct mods *m,
			      struct pb_err *err)
{
	char raw[PATH_MAX];
	int done[MAX_MODS] = {0}, more = 1, fd, ret;
	size_t i;

	ret = pb_path_join(raw, sizeof(raw), err, dir, "raw", NULL);
	if (!ret)
		ret = pb_mkdir_p(raw, err);
	if (ret)
		return ret;
	fd = open(raw, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return pb_err_set(err, -errno, "%s: %s", raw, strerror(errno));
	while (!ret && more) {
		more = 0;
		for (i = 0; !ret && i < n_pkgs; i++)
			ret = pb_unpack_members_at(pkgs[i], fd, keep_mod, m,
						   NULL, err);
		if (!ret)
			ret = take_found(m, done, dir, &more, err);
	}
	close(fd);
	for (i = 0; !ret && i < m->n; i++)
		if (!m->found[i])
			ret = pb_err_set(err, -ENOENT,
					 "module %s, which the probe's module "
					 "needs, is not in %s%s",
					 m->name[i], pkgs[0],
					 n_pkgs > 1 ? " nor its other packages"
						    : "");
	return ret;
}

/* Post-order from the names in list: a module after what it needs. */
static int order(const struct mods *m, const char *list, int *placed,
		 size_t *ord, size_t *n_ord, int depth)
{
	const char *p = list;

	if (depth > MAX_MODS)
		return -ELOOP;
	while (*p) {
		size_t l = strcspn(p, ",");
		char name[128];
		long i;

		snprintf(name, sizeof(name), "%.*s", (int)l, p);
		dashes(name);
		i = l ? find(m, name) : -1;
		if (i >= 0 && !placed[i]) {
			placed[i] = 1;
			if (order(m, m->deps[i], placed, ord, n_ord, depth + 1))
				return -ELOOP;
			ord[(*n_ord)++] = (size_t)i;
		}
		p += l;
		if (*p)
			p++;
	}
	return 0;
}

void pb_vmods_free(char **paths, size_t n)
{
	while (n)
		free(paths[--n]);
	free(paths);
}

int pb_vmods_resolve(const char *const *pkgs, size_t n_pkgs,
		     const char *release, const char *ko, const char *dir,
		     char ***paths, size_t *n, struct pb_err *err)
{
	char top[512], mods[PATH_MAX];
	size_t ord[MAX_MODS], n_ord = 0, i;
	int placed[MAX_MODS] = {0}, ret;
	struct mods *m;

	*paths = NULL;
	*n = 0;
	if (pb_elf_modinfo(ko, "depends", top, sizeof(top), NULL) != 0 ||
	    !top[0])
		return 0; /* it needs none */
	m = pb_calloc(1, sizeof(*m), err);
	if (!m)
		return -ENOMEM;
	m->release = release;
	ret = want(m, top, err);
	if (!ret)
		ret = pb_path_join(mods, sizeof(mods), err, dir, "mods", NULL);
	if (!ret)
		ret = pb_mkdir_p(mods, err);
	if (!ret)
		ret = extract_all_wanted(pkgs, n_pkgs, dir, m, err);
	if (!ret && order(m, top, placed, ord, &n_ord, 0))
		ret = pb_err_set(err, -ELOOP,
				 "%s: modules that need each "
				 "other",
				 pkgs[0]);
	if (!ret && !(*paths = pb_calloc(n_ord + 1, sizeof(**paths), err)))
		ret = -ENOMEM;
	for (i = 0; !ret && i < n_ord; i++, (*n)++)
		if (!((*paths)[i] = pb_asprintf(err, "%s/%s.ko", mods,
						m->name[ord[i]])))
			ret = -ENOMEM;
	if (ret) {
		pb_vmods_free(*paths, *n);
		*paths = NULL;
		*n = 0;
	}
	free(m);
	return ret;
}
