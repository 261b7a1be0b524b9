#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/datafile.h"
#include "probe-builder/alloc.h"
#include "util/kvlines.h"

int pb_kvfile_add(struct pb_kvfile *f, const char *k, const char *v,
		  struct pb_err *err)
{
	struct pb_kv *g = pb_reallocarray(f->kv, f->n + 1, sizeof(*g), err);

	if (!g)
		return -ENOMEM;
	f->kv = g;
	g[f->n].key = pb_strdup(k, err);
	g[f->n].value = pb_strdup(v, err);
	if (!g[f->n].key || !g[f->n].value) {
		free(g[f->n].key);
		free(g[f->n].value);
		return -ENOMEM;
	}
	f->n++;
	return 0;
}

void pb_kvfile_free(struct pb_kvfile *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->kv[i].key);
		free(f->kv[i].value);
	}
	free(f->kv);
	f->kv = NULL;
	f->n = 0;
}

static int kv_on(const char *k, const char *v, unsigned line, void *data,
		 struct pb_err *err)
{
	(void)line;
	return pb_kvfile_add(data, k, v, err);
}

int pb_kvfile_read(const char *path, struct pb_kvfile *f, struct pb_err *err)
{
	int ret;

	memset(f, 0, sizeof(*f));
	ret = pb_kv_lines(path, kv_on, f, err);
	if (ret)
		pb_kvfile_free(f);
	return ret;
}

const char *pb_kvfile_get(const struct pb_kvfile *f, const char *key)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->kv[i].key, key) == 0)
			return f->kv[i].value;
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void pb_datafile_list_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int list_add(char ***names, size_t *n, size_t *cap, const char *name,
		    struct pb_err *err)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		char **g = pb_reallocarray(*names, nc, sizeof(*g), err);

		if (!g)
			return -ENOMEM;
		*names = g;
		*cap = nc;
	}
	(*names)[*n] = pb_strdup(name, err);
	if (!(*names)[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

int pb_datafile_list(const char *dir, const char *suffix, char ***names,
		     size_t *n, struct pb_err *err)
{
	size_t sl = strlen(suffix), cap = 0;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	*names = NULL;
	*n = 0;
	d = opendir(dir);
	if (!d)
		return 0;
	while (!ret && (de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l <= sl || strcmp(de->d_name + l - sl, suffix) != 0 ||
		    de->d_name[0] == '.')
			continue;
		ret = list_add(names, n, &cap, de->d_name, err);
	}
	closedir(d);
	if (ret) {
		pb_datafile_list_free(*names, *n);
		*names = NULL;
		*n = 0;
	} else if (*names) {
		qsort(*names, *n, sizeof(**names), cmp_str);
	}
	return ret;
}
