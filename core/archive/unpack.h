/* Unpacking package files (.deb, .rpm) into a release root: libarchive
 * reads them (the payload decompressed ahead in a thread of its own), the
 * members are written relative to the root's fd (archive/write_at.h).
 * Nothing is ever written outside the root: members with absolute paths or
 * ".." are refused, and so is writing through a symlink. */
#ifndef PB_UNPACK_H
#define PB_UNPACK_H

#include "probe-builder/batch.h"
#include "probe-builder/error.h"

/* What one release may unpack in all (a decompression bomb stops there):
 * max bytes of file data, used so far (shared by its packages). */
struct pb_unpack_limit {
	unsigned long long max;
	unsigned long long used;
};
#define PB_UNPACK_MAX_DEFAULT (4ULL << 30)

/* Unpacks pkg into the directory rootfd. With PB_PKG_CONFIG only the
 * kernel config members are taken (boot/config-*, lib/modules/<x>/config),
 * and reading stops once release's own config is out. Any refused member,
 * and any failed or short write (a full disk), fails the whole package
 * with a message naming the package, the member and the errno text; so
 * does going over limit (may be NULL: no limit). Modes are the package's
 * without set-id bits, owners are not set, times are the package's (a
 * directory's set once its members are out, as tar does). */
int pb_unpack_at(const char *pkg, int rootfd, enum pb_pkg_role role,
		 const char *release, struct pb_unpack_limit *limit,
		 struct pb_err *err);
/* Only the regular files whose path (relative, "boot/vmlinuz-6.1.0-57-amd64")
 * keep() takes, read to the end of the package: a kernel image and its
 * modules' list, say, out of a package of hundreds of megabytes. */
int pb_unpack_members_at(const char *pkg, int rootfd,
			 int (*keep)(const char *rel, void *data), void *data,
			 struct pb_unpack_limit *limit, struct pb_err *err);

/* The same for the directory root (a path). */
int pb_unpack(const char *pkg, const char *root, enum pb_pkg_role role,
	      const char *release, struct pb_err *err);

/* Normalizes an archive member name into a path relative to the root:
 * drops "./" and empty parts; -EPERM for an absolute name or one with a
 * ".." part (the message says which). Exposed for the unit tests. */
int pb_member_path(const char *name, char *out, size_t len, struct pb_err *err);

#endif
