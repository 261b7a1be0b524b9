/* File digests remembered across runs, so that a warm rerun reads no
 * input that did not change (issue 13). An entry is keyed by the file's
 * real path and the digest's algorithm, and holds what stat(2) said of
 * the file when it was hashed: device, inode, size, mtime and ctime (ns).
 * It is used only while the file still says exactly that; else the file
 * is hashed again and the entry rewritten. ctime is the guard against a
 * file rewritten in place at the same size and given its mtime back
 * (touch -d, tar, rsync -t): nobody can set ctime, so any write, chmod or
 * rename since shows. */
#ifndef PB_UTIL_HASHCACHE_H
#define PB_UTIL_HASHCACHE_H

#include <limits.h>
#include <stddef.h>

#include "probe-builder/error.h"
#include "util/hash.h"

/* A file whose mtime or ctime is less than this many seconds before the
 * time it is hashed is not remembered: a write later within the same
 * clock tick (file systems keep times in ticks: a few ms on Linux, 1 s on
 * ext3, 2 s on FAT) would leave every time as it was, and the entry
 * wrong ("racy git"). A file gets remembered by the first run that finds
 * it older than that; times in the future are never remembered. */
#define PB_HASHCACHE_RACY_S 2

struct pb_hashcache {
	char dir[PATH_MAX]; /* the entries: <workspace>/meta/hashes */
	/* this process's counts: files read to hash them, digests taken
	 * from an entry */
	size_t hashed, hits;
	int warned; /* an entry could not be written: said once */
};

/* hc for the workspace (absolute): nothing is made before the first entry
 * is written. */
int pb_hashcache_init(struct pb_hashcache *hc, const char *workspace,
		      struct pb_err *err);

/* pb_hash_file(), through the cache: the entry's digest when it still
 * holds for the file, else the file hashed (and remembered when it is not
 * racy, and its stat did not change while it was read). hc NULL: plain
 * pb_hash_file(). An entry that cannot be written costs only the next
 * run's time: a warning once, no error. */
int pb_hash_file_cached(struct pb_hashcache *hc, const char *path,
			const char *algo, char *hex, struct pb_err *err);

/* Remembers hex as the digest of path, which this process has just
 * written and checked itself (a download checked and renamed into the
 * workspace's cache): it is remembered even though it is racy, as nobody
 * else writes it. 0 or a negative errno (err says why); hc NULL: 0. */
int pb_hashcache_put(struct pb_hashcache *hc, const char *path,
		     const char *algo, const char *hex, struct pb_err *err);

#endif
