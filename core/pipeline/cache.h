/* The workspace's download cache, <workspace>/cache/<sha[:2]>/<sha>/: one
 * entry per package (the package, or its head, and their marks), kept
 * under a size (--cache-max) by evicting whole entries, least recently
 * used first. An entry's directory mtime says when a run last used it:
 * pb_cache_touch. */
#ifndef PB_PIPELINE_CACHE_H
#define PB_PIPELINE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "probe-builder/error.h"

/* The entry of the package with this SHA-256 used now (its mtime set);
 * one not there yet is no error (its download makes it new). */
void pb_cache_touch(const char *workspace, const char *sha256);

struct pb_cache_trim {
	uint64_t before, after; /* bytes of the cache's files */
	uint64_t evicted_bytes;
	size_t evicted;
	uint64_t in_use_bytes; /* of `after`, the entries kept as in use */
};

/* Evicts entries of cache_dir (a cache/ dir) while its files hold more
 * than max bytes, the oldest mtime first, never one named in in_use
 * (SHA-256s, n_in_use of them): then `after` may stay above max. A
 * missing cache_dir is an empty cache. */
int pb_cache_trim(const char *cache_dir, uint64_t max,
		  const char *const *in_use, size_t n_in_use,
		  struct pb_cache_trim *t, struct pb_err *err);

#endif
