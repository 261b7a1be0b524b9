/* Where each package file of a run came from: its local path -> the URL
 * it was downloaded from, recorded with the kernel's inputs in the
 * manifest. The download stage (pipeline/) fills it, the build of each
 * kernel (root.c) reads it: program state, typed; it is JSON only in the
 * manifest. Here in build/, the layer of its reader, because it is part
 * of what a build is given (pb_build_opts.origins). */
#ifndef PB_BUILD_ORIGINS_H
#define PB_BUILD_ORIGINS_H

#include <stddef.h>

#include "probe-builder/error.h"

struct pb_origin {
	char *path;
	char *url;
};

/* Sorted by path, for a binary search per package of each kernel. A
 * zeroed struct is an empty map. */
struct pb_origins {
	struct pb_origin *v;
	size_t n, cap;
};

/* path -> url, replacing the URL path had: 0, or -ENOMEM with err filled
 * (the map is then as it was). */
int pb_origins_add(struct pb_origins *o, const char *path, const char *url,
		   struct pb_err *err);
/* The URL path came from; NULL when it has none (a local file). */
const char *pb_origins_get(const struct pb_origins *o, const char *path);
/* Frees what o holds, leaving it empty. */
void pb_origins_free(struct pb_origins *o);

#endif
