/* One kernel release being built: what the fixup, kernel_dir and
 * config_file hooks of a plugin are given. It carries its size: members
 * are only ever appended, and a plugin reads one only when rel->sz covers
 * it (offsetof + sizeof of the member), so that a plugin runs under an older
 * core too. */
#ifndef PROBE_BUILDER_RELEASE_H
#define PROBE_BUILDER_RELEASE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pb_release {
	size_t sz;	    /* sizeof(struct pb_release) of the core */
	const char *distro; /* debian, fedora, ... */
	const char *name;   /* the kernel release, as `uname -r` says it */
	const char *arch;   /* x86_64, aarch64 */
	const char *root;   /* absolute path of the unpacked packages */
	const char *const *packages; /* the release's package files */
	size_t n_packages;
};

#ifdef __cplusplus
}
#endif
#endif
