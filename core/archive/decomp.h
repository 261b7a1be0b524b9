/* Decompression of index files: .xz, .gz, .zst, .bz2 or plain, told by
 * their content, read as a stream (libarchive's raw format; the reading
 * runs ahead in a thread of its own). */
#ifndef PB_ARCHIVE_DECOMP_H
#define PB_ARCHIVE_DECOMP_H

#include <stddef.h>

#include "probe-builder/error.h"

struct pb_decomp;
int pb_decomp_open(const char *path, struct pb_decomp **out,
		   struct pb_err *err);
/* Up to len bytes; 0 at the end; a negative errno on a broken or
 * truncated stream (the message names the file). */
long pb_decomp_read(struct pb_decomp *d, void *buf, size_t len,
		    struct pb_err *err);
void pb_decomp_close(struct pb_decomp *d);

#endif
