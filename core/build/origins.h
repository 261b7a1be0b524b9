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
	/* the package's SHA-256 as the index gives it, checked by the
	 * download ("": not known): the build records it without hashing
	 * the file again */
	char sha256[65];
	/* a package read only for its config: the file that holds its
	 * first bytes, and how that config was accepted (NULL: the whole
	 * package is at path) */
	char *head;
	char *head_how;
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
/* What o knows of path (added before), or NULL. */
const struct pb_origin *pb_origins_find(const struct pb_origins *o,
					const char *path);
/* path's SHA-256 (64 hex digits); its head and how its config was
 * accepted. path must have been added: -ENOENT otherwise; -ENOMEM. */
int pb_origins_set_sha256(struct pb_origins *o, const char *path,
			  const char *sha256, struct pb_err *err);
int pb_origins_set_head(struct pb_origins *o, const char *path,
			const char *head, const char *how, struct pb_err *err);
/* Frees what o holds, leaving it empty. */
void pb_origins_free(struct pb_origins *o);

#endif
