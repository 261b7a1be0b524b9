/* A set of strings (see strset.h): open addressing, linear probing, FNV-1a,
 * grown to keep it at most half full. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe-builder/alloc.h"
#include "strset.h"

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

int nw_strset_add(struct nw_strset *s, const char *v, struct pb_err *err)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024, k;
		char **slot = pb_calloc(cap, sizeof(*slot), err);

		if (!slot)
			return -ENOMEM;
		for (k = 0; k < s->cap; k++) {
			if (!s->slot[k])
				continue;
			for (i = hash(s->slot[k]) % cap; slot[i];
			     i = (i + 1) % cap)
				;
			slot[i] = s->slot[k];
		}
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
	for (i = hash(v) % s->cap; s->slot[i]; i = (i + 1) % s->cap)
		if (!strcmp(s->slot[i], v))
			return 0;
	s->slot[i] = pb_strdup(v, err);
	if (!s->slot[i])
		return -ENOMEM;
	s->n++;
	return 0;
}

int nw_strset_has(const struct nw_strset *s, const char *v)
{
	size_t i;

	if (!s->cap)
		return 0;
	for (i = hash(v) % s->cap; s->slot[i]; i = (i + 1) % s->cap)
		if (!strcmp(s->slot[i], v))
			return 1;
	return 0;
}

void nw_strset_free(struct nw_strset *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
}
