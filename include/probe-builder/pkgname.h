/* Package file names, split into their parts without opening the file
 * (the batch stage only looks at names, like the original probe builder). */
#ifndef PROBE_BUILDER_PKGNAME_H
#define PROBE_BUILDER_PKGNAME_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Frozen: plugins allocate it, so its layout never changes within
 * PB_PLUGIN_ABI_VERSION. */
struct pb_pkgname {
	char name[256];	   /* linux-headers-6.1.0-56-amd64, kernel-devel */
	char version[128]; /* deb: 6.1.192-2 (epoch decoded); rpm: 4.18.0 */
	char release[128]; /* rpm only: 513.5.1.el8_9; empty for deb */
	char arch[32];	   /* amd64, all, x86_64, noarch */
};

/* "<name>_<version>_<arch>.deb", %3a in the version decoded to ':'.
 * Returns 0, or -EINVAL when the base name is not of that shape. */
int pb_pkgname_parse_deb(const char *path, struct pb_pkgname *out);

/* "<name>-<version>-<release>.<arch>.rpm"; the name may hold dashes. */
int pb_pkgname_parse_rpm(const char *path, struct pb_pkgname *out);

/* The architecture as `uname -m` says it (amd64 -> x86_64, arm64 ->
 * aarch64); a name it does not know is returned as is. */
const char *pb_arch_canonical(const char *pkg_arch);
/* The other way: the Debian architecture of a machine (x86_64 -> amd64,
 * aarch64 -> arm64); a name it does not know is returned as is. */
const char *pb_arch_deb(const char *machine);

/* Pointer to the base name inside path. */
const char *pb_basename(const char *path);

/* Compares Debian version strings as dpkg does (<0, 0, >0). */
int pb_deb_version_cmp(const char *a, const char *b);

#ifdef __cplusplus
}
#endif
#endif
