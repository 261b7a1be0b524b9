/* The checkpoint file (see checkpoint.h): small, rewritten whole on each
 * change, so that it is never half written. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "checkpoint.h"
#include "probe-builder/alloc.h"
#include "util/path.h"

struct mark {
	char *group;
	unsigned long number;
};

struct nw_checkpoint {
	char dir[PATH_MAX];
	struct mark *marks;
	size_t n_marks;
	int exists;
};

/* Sets a group's number, higher only; 1 when it changed, or -ENOMEM (err
 * filled) */
static int mark(struct nw_checkpoint *c, const char *group,
		unsigned long number, struct pb_err *err)
{
	struct mark *g;
	size_t i;

	for (i = 0; i < c->n_marks; i++)
		if (!strcmp(c->marks[i].group, group)) {
			if (number <= c->marks[i].number)
				return 0;
			c->marks[i].number = number;
			return 1;
		}
	g = pb_reallocarray(c->marks, c->n_marks + 1, sizeof(*g), err);
	if (!g)
		return -ENOMEM;
	c->marks = g;
	g[c->n_marks].group = pb_strdup(group, err);
	if (!g[c->n_marks].group)
		return -ENOMEM;
	g[c->n_marks++].number = number;
	return 1;
}

static int load(struct nw_checkpoint *c, struct pb_err *err)
{
	char path[PATH_MAX + 16], line[1024], group[512];
	unsigned long n;
	int ret = 0;
	FILE *f;

	if (pb_path_join(path, sizeof(path), err, c->dir, "checkpoint", NULL))
		return err->code;
	f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		return pb_err_set(err, -errno, "%s: %s", path, strerror(errno));
	}
	while (!ret && fgets(line, sizeof(line), f))
		if (sscanf(line, "%511s %lu", group, &n) == 2 &&
		    mark(c, group, n, err) < 0) {
			ret = -ENOMEM;
			pb_err_prefix(err, "%s", path);
		}
	fclose(f);
	c->exists = !ret;
	return ret;
}

int nw_checkpoint_open(const char *dir, struct nw_checkpoint **out,
		       struct pb_err *err)
{
	struct nw_checkpoint *c = pb_calloc(1, sizeof(*c), err);
	int ret;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	if (pb_path_fmt(c->dir, sizeof(c->dir), err, "%s", dir)) {
		nw_checkpoint_close(c);
		return err->code;
	}
	ret = load(c, err);
	if (ret < 0) {
		nw_checkpoint_close(c);
		return ret;
	}
	*out = c;
	return 0;
}

void nw_checkpoint_close(struct nw_checkpoint *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n_marks; i++)
		free(c->marks[i].group);
	free(c->marks);
	free(c);
}

int nw_checkpoint_exists(const struct nw_checkpoint *c)
{
	return c->exists;
}

unsigned long nw_checkpoint_get(const struct nw_checkpoint *c,
				const char *group)
{
	size_t i;

	for (i = 0; i < c->n_marks; i++)
		if (!strcmp(c->marks[i].group, group))
			return c->marks[i].number;
	return 0;
}

int nw_checkpoint_save(struct nw_checkpoint *c, struct pb_err *err)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *m = open_memstream(&text, &len);
	int ret = 0;

	if (!m)
		return pb_err_set(err, -ENOMEM, "out of memory");
	for (i = 0; i < c->n_marks && !ret; i++)
		if (fprintf(m, "%s %lu\n", c->marks[i].group,
			    c->marks[i].number) < 0)
			ret = -ENOMEM;
	if (fclose(m) != 0 || ret) {
		free(text);
		return pb_err_set(err, -ENOMEM, "out of memory");
	}
	ret = nw_write_atomic(c->dir, "checkpoint", text, NULL);
	free(text);
	if (ret)
		return pb_err_set(err, ret, "%s/checkpoint: %s", c->dir,
				  strerror(-ret));
	c->exists = 1;
	return 0;
}

int nw_checkpoint_set(struct nw_checkpoint *c, const char *group,
		      unsigned long number, struct pb_err *err)
{
	int ret = mark(c, group, number, err);

	if (ret < 0)
		return ret;
	return ret && c->exists ? nw_checkpoint_save(c, err) : 0;
}
