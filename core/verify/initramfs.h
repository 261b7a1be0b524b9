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

/* A list of entries being made; every string is copied. oom: one could
 * not be added (pb_cpio_list_write says so). */
struct pb_cpio_list {
	struct pb_cpio_entry *e;
	size_t n, cap;
	int oom;
};

void pb_cpio_add(struct pb_cpio_list *l, const char *name, const char *src,
		 const char *data, unsigned mode);
/* Every dir and file below dir, as prefix/<relative path>, with its
 * permission bits; symlinks are followed (-ELOOP on a cycle). */
int pb_cpio_add_tree(struct pb_cpio_list *l, const char *prefix,
		     const char *dir, struct pb_err *err);
int pb_cpio_list_write(const char *path, const struct pb_cpio_list *l,
		       struct pb_err *err);
void pb_cpio_list_free(struct pb_cpio_list *l);

/* Writes the entries, in order, to path (atomically). */
int pb_cpio_write(const char *path, const struct pb_cpio_entry *e, size_t n,
		  struct pb_err *err);

#endif
