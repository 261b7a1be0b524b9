/* The compressions libarchive may undo for us. Not "all": libarchive runs
 * external programs (lrzip, lzop, grzip) for some formats when it has no
 * library for them, and what it reads comes from the network. */
#ifndef PB_ARCHIVE_FILTERS_H
#define PB_ARCHIVE_FILTERS_H

#include <archive.h>

/* gzip, xz, lzma, zstd, bzip2, lz4; and the RPM lead and header when rpm
 * is set. Returns ARCHIVE_OK or the first failure. */
int pb_archive_filters(struct archive *a, int rpm);

#endif
