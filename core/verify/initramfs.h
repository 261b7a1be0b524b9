/* The VM's initramfs: a newc cpio (what the kernel unpacks into its
 * rootfs), written with libarchive. */
#ifndef PB_VERIFY_INITRAMFS_H
#define PB_VERIFY_INITRAMFS_H

#include <stddef.h>

#include "probe-builder/error.h"

struct pb_cpio_entry {
	const char *name; /* in the archive: "init", "pb/probe.ko" */
	const char *src;  /* a file to copy; NULL: data, or a dir */
	const char *data; /* NULL with src NULL: a directory */
	unsigned mode;	  /* permission bits */
};

/* Writes the entries, in order, to path (atomically). */
int pb_cpio_write(const char *path, const struct pb_cpio_entry *e, size_t n,
		  struct pb_err *err);

#endif
