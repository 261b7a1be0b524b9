/* A plan's identity: the kernels it lists, as keys "release\tarch\tversion"
 * (a manifest entry's key without probe and distro), sorted bytewise; its
 * id the SHA-256 of "distro\n" and those lines, each ending in "\n". The
 * shards of one plan agree on it; crawl --json writes it. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crawl/crawl.h"
#include "probe-builder/alloc.h"
#include "util/hash.h"
#include "util/str.h"

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

char *pb_crawl_kernel_key(const struct pb_crawl_kernel *k, struct pb_err *err)
{
	return pb_asprintf(err, "%s\t%s\t%s", or_empty(k->release),
			   or_empty(k->arch), or_empty(k->version));
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void pb_crawl_keys_free(char **keys, size_t n)
{
	size_t i;

	for (i = 0; keys && i < n; i++)
		free(keys[i]);
	free(keys);
}

int pb_crawl_plan_keys(const struct pb_crawl *c, char ***keys,
		       struct pb_err *err)
{
	char **k = pb_calloc(c->n_kernels + 1, sizeof(*k), err);
	size_t i;

	*keys = NULL;
	if (!k)
		return -ENOMEM;
	for (i = 0; i < c->n_kernels; i++)
		if (!(k[i] = pb_crawl_kernel_key(&c->kernels[i], err))) {
			pb_crawl_keys_free(k, i);
			return -ENOMEM;
		}
	qsort(k, c->n_kernels, sizeof(*k), key_cmp);
	*keys = k;
	return 0;
}

int pb_crawl_plan_id_of(const char *distro, char *const *keys, size_t n,
			char hex[PB_PLAN_ID_LEN + 1], struct pb_err *err)
{
	size_t len = strlen(distro) + 1, i, o;
	char *text;
	int ret;

	for (i = 0; i < n; i++)
		len += strlen(keys[i]) + 1;
	text = pb_malloc(len + 1, 1, err);
	if (!text)
		return -ENOMEM;
	o = (size_t)snprintf(text, len + 1, "%s\n", distro);
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(text + o, len + 1 - o, "%s\n", keys[i]);
	ret = pb_hash_mem(text, o, "sha256", hex, err);
	free(text);
	return ret;
}

int pb_crawl_plan_id(const struct pb_crawl *c, char hex[PB_PLAN_ID_LEN + 1],
		     struct pb_err *err)
{
	char **keys;
	int ret = pb_crawl_plan_keys(c, &keys, err);

	if (ret)
		return ret;
	ret = pb_crawl_plan_id_of(or_empty(c->distro), keys, c->n_kernels, hex,
				  err);
	pb_crawl_keys_free(keys, c->n_kernels);
	return ret;
}
