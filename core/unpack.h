/* Unpacking package files (.deb, .rpm) into a release root with libarchive.
 * Nothing is ever written outside the root: members with absolute paths or
 * ".." are refused, and so is writing through a symlink. */
#ifndef PB_UNPACK_H
#define PB_UNPACK_H

#include "probe-builder/batch.h"
#include "probe-builder/error.h"

/* Unpacks pkg into root (an existing directory). With PB_PKG_CONFIG only
 * the kernel config members are taken (boot/config-*,
 * lib/modules/<x>/config), and reading stops once release's own config is
 * out. Any refused member fails the whole package with a message naming
 * the package and the member. */
int pb_unpack(const char *pkg, const char *root, enum pb_pkg_role role,
	      const char *release, struct pb_err *err);

/* Normalizes an archive member name into a path relative to the root:
 * drops "./" and empty parts; -EPERM for an absolute name or one with a
 * ".." part (the message says which). Exposed for the unit tests. */
int pb_member_path(const char *name, char *out, size_t len,
		   struct pb_err *err);

#endif
