/* A set of strings: the message-ids delivered or queued, which may be
 * many (every article ever notified). A zeroed struct is an empty set. */
#ifndef NW_STRSET_H
#define NW_STRSET_H

#include <stddef.h>

#include "probe-builder/error.h"

struct nw_strset {
	char **slot;
	size_t cap, n;
};

/* Adds a copy of v (nothing when it is there): 0, or -ENOMEM (err
 * filled; the set is as it was). */
int nw_strset_add(struct nw_strset *s, const char *v, struct pb_err *err);
int nw_strset_has(const struct nw_strset *s, const char *v);
void nw_strset_free(struct nw_strset *s);

#endif
