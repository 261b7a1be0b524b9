#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/datafile.h"
#include "plugin/toolchain_defs.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"
#include "util/path.h"

int pb_tc_provide_parse(const char *word, struct pb_tc_provide *out)
{
	const char *dash = strrchr(word, '-');
	char *end;
	long ma, mi = -1;

	memset(out, 0, sizeof(*out));
	if (!dash || dash == word ||
	    (size_t)(dash - word) >= sizeof(out->family))
		return -EINVAL;
	/* strtol would take " 14" and "+14" (major and minor) */
	if (!isdigit((unsigned char)dash[1]))
		return -EINVAL;
	ma = strtol(dash + 1, &end, 10);
	if (ma <= 0 || ma > 1000)
		return -EINVAL;
	if (*end == '.') {
		const char *m = end + 1;

		if (!isdigit((unsigned char)*m))
			return -EINVAL;
		mi = strtol(m, &end, 10);
		if (mi > 1000)
			return -EINVAL;
	}
	if (*end)
		return -EINVAL;
	memcpy(out->family, word, (size_t)(dash - word));
	if (strcmp(out->family, "gcc") != 0 &&
	    strcmp(out->family, "clang") != 0)
		return -EINVAL;
	out->major = (int)ma;
	out->minor = (int)mi;
	return 0;
}

void pb_tc_def_free(struct pb_tc_def *d)
{
	free(d->name);
	free(d->source);
	free(d->description);
	free(d->maker);
	free(d->suite);
	free(d->mirror);
	free(d->host_suites);
	free(d->updates);
	free(d->components);
	free(d->keyring);
	free(d->variant);
	free(d->packages);
	free(d->distro);
	free(d->series);
	free(d->releases);
	free(d->provides);
	memset(d, 0, sizeof(*d));
}

/* The value of key (dflt when absent) copied into *dst; a required key
 * that is absent is an error naming it. */
static int take(const struct pb_kvfile *kv, const char *key, const char *dflt,
		int required, char **dst, const char *path, struct pb_err *err)
{
	const char *v = pb_kvfile_get(kv, key);

	if ((!v || !*v) && required)
		return pb_err_set(err, -EINVAL, "%s: no '%s'", path, key);
	if (!v || !*v)
		v = dflt;
	if (!v)
		return 0;
	*dst = pb_strdup(v, err);
	return *dst ? 0 : -ENOMEM;
}

static int parse_provides(struct pb_tc_def *d, const char *list,
			  struct pb_err *err)
{
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, " \t,");
		char word[64];
		struct pb_tc_provide pr, *g;

		if (n == 0) {
			p++;
			continue;
		}
		snprintf(word, sizeof(word), "%.*s", (int)n, p);
		if (n >= sizeof(word) || pb_tc_provide_parse(word, &pr) < 0)
			return pb_err_set(err, -EINVAL,
					  "%s: provides: '%.*s' is not "
					  "gcc-N[.M] or clang-N[.M]",
					  d->source, (int)n, p);
		g = pb_reallocarray(d->provides, d->n_provides + 1, sizeof(*g),
				    err);
		if (!g)
			return -ENOMEM;
		d->provides = g;
		g[d->n_provides++] = pr;
		p += n;
	}
	if (!d->n_provides)
		return pb_err_set(err, -EINVAL,
				  "%s: 'provides' names no compiler",
				  d->source);
	return 0;
}

static int parse_glibc(struct pb_tc_def *d, const char *v, struct pb_err *err)
{
	if (!v)
		return 0;
	if (sscanf(v, "%d.%d", &d->glibc_major, &d->glibc_minor) != 2 ||
	    d->glibc_major <= 0)
		return pb_err_set(err, -EINVAL, "%s: glibc: '%s' is not N.M",
				  d->source, v);
	return 0;
}

static int fill_def(struct pb_tc_def *d, const struct pb_kvfile *kv,
		    const char *path, struct pb_err *err)
{
	int ret;

	ret = take(kv, "name", NULL, 1, &d->name, path, err);
	if (!ret)
		ret = take(kv, "maker", NULL, 1, &d->maker, path, err);
	if (!ret && strcmp(d->maker, "mmdebstrap") != 0)
		ret = pb_err_set(err, -EINVAL,
				 "%s: maker '%s' is not one this build knows "
				 "(mmdebstrap)",
				 path, d->maker);
	if (!ret)
		ret = take(kv, "suite", NULL, 1, &d->suite, path, err);
	if (!ret)
		ret = take(kv, "mirror", NULL, 1, &d->mirror, path, err);
	if (!ret)
		ret = take(kv, "packages", NULL, 1, &d->packages, path, err);
	if (!ret)
		ret = take(kv, "host_suites", d->suite, 0, &d->host_suites,
			   path, err);
	if (!ret)
		ret = take(kv, "updates", "", 0, &d->updates, path, err);
	if (!ret)
		ret = take(kv, "components", "main", 0, &d->components, path,
			   err);
	if (!ret)
		ret = take(kv, "keyring", NULL, 0, &d->keyring, path, err);
	if (!ret)
		ret = take(kv, "variant", "apt", 0, &d->variant, path, err);
	if (!ret)
		ret = take(kv, "description", "", 0, &d->description, path,
			   err);
	if (!ret)
		ret = take(kv, "distro", "", 0, &d->distro, path, err);
	if (!ret)
		ret = take(kv, "series", "", 0, &d->series, path, err);
	if (!ret)
		ret = take(kv, "releases", "", 0, &d->releases, path, err);
	if (!ret)
		ret = parse_glibc(d, pb_kvfile_get(kv, "glibc"), err);
	if (!ret && !pb_kvfile_get(kv, "provides"))
		ret = pb_err_set(err, -EINVAL, "%s: no 'provides'", path);
	if (!ret)
		ret = parse_provides(d, pb_kvfile_get(kv, "provides"), err);
	return ret;
}

int pb_tc_def_read(const char *path, struct pb_tc_def *d, struct pb_err *err)
{
	struct pb_kvfile kv;
	int ret;

	memset(d, 0, sizeof(*d));
	ret = pb_kvfile_read(path, &kv, err);
	if (ret)
		return ret;
	d->source = pb_strdup(path, err);
	ret = d->source ? fill_def(d, &kv, path, err) : -ENOMEM;
	pb_kvfile_free(&kv);
	if (ret)
		pb_tc_def_free(d);
	return ret;
}

const struct pb_tc_def *pb_tc_defs_find(const struct pb_tc_defs *s,
					const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->defs[i].name, name) == 0)
			return &s->defs[i];
	return NULL;
}

static int load_one(struct pb_tc_defs *s, const char *path, struct pb_err *err)
{
	struct pb_tc_def d, *g;
	struct pb_err why = {0};
	const struct pb_tc_def *old;
	int ret;

	ret = pb_tc_def_read(path, &d, &why);
	if (ret == -ENOMEM)
		return pb_err_set(err, ret, "%s", why.msg);
	if (ret) {
		pb_warn("%s; skipped", why.msg);
		return 0;
	}
	if ((old = pb_tc_defs_find(s, d.name)) != NULL) {
		pb_warn("%s: toolchain '%s' is already defined by %s; keeping "
			"that one",
			path, d.name, old->source);
		pb_tc_def_free(&d);
		return 0;
	}
	g = pb_reallocarray(s->defs, s->n + 1, sizeof(*g), err);
	if (!g) {
		pb_tc_def_free(&d);
		return -ENOMEM;
	}
	s->defs = g;
	g[s->n++] = d;
	return 0;
}

int pb_tc_defs_load(struct pb_tc_defs *s, const char *const *dirs,
		    size_t n_dirs, struct pb_err *err)
{
	char path[PATH_MAX], **names;
	struct pb_err why;
	size_t i, j, n;
	int ret = 0;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < n_dirs && !ret; i++) {
		ret = pb_datafile_list(dirs[i], ".toolchain", &names, &n, err);
		for (j = 0; j < n && !ret; j++) {
			if (pb_path_join(path, sizeof(path), &why, dirs[i],
					 names[j], NULL) < 0)
				pb_warn("%s, skipped", why.msg);
			else
				ret = load_one(s, path, err);
		}
		pb_datafile_list_free(names, n);
	}
	if (ret)
		pb_tc_defs_free(s);
	return ret;
}

void pb_tc_defs_free(struct pb_tc_defs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		pb_tc_def_free(&s->defs[i]);
	free(s->defs);
	memset(s, 0, sizeof(*s));
}

const struct pb_tc_provide *pb_tc_def_provides(const struct pb_tc_def *d,
					       const char *family, int major)
{
	size_t i;

	for (i = 0; i < d->n_provides; i++)
		if (strcmp(d->provides[i].family, family) == 0 &&
		    d->provides[i].major == major)
			return &d->provides[i];
	return NULL;
}
