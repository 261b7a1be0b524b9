/* Decompression of index files and of package payloads: .xz, .gz, .zst,
 * .bz2 or plain, told by their content, read as a stream (libarchive's raw
 * format; the reading runs ahead in a thread of its own). */
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
/* The payload of a package, decompressed: a .deb's data.tar member (the
 * first; -EINVAL when it has none), or an .rpm's cpio archive (rpm set). */
int pb_decomp_open_payload(const char *pkg, int rpm, struct pb_decomp **out,
			   struct pb_err *err);
/* The next decompressed bytes where they lie (no copy): *buf stays valid
 * until the next call. Returns their length, 0 at the end, or a negative
 * errno as pb_decomp_read. Not to be mixed with pb_decomp_read. */
long pb_decomp_read_block(struct pb_decomp *d, const void **buf,
			  struct pb_err *err);
void pb_decomp_close(struct pb_decomp *d);

#endif
