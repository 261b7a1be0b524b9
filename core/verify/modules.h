/* The kernel's own modules that a probe's module needs (its modinfo
 * "depends", and theirs), taken from the kernel's image or modules package
 * and decompressed (.ko.xz, .ko.zst: busybox and the agent read plain
 * .ko files only). Distribution packages ship no modules.dep (depmod makes
 * it at install): the dependencies are read from the modules themselves. */
#ifndef PB_VERIFY_MODULES_H
#define PB_VERIFY_MODULES_H

#include <stddef.h>

#include "probe-builder/error.h"

/* Out of pkgs (the image package, and a modules package where the
 * distro splits them: Ubuntu) into dir/mods/<name>.ko, in the order they
 * must be inserted; paths[i] allocated, freed with pb_vmods_free.
 * -ENOENT (err names the module) when one is in none of them. */
int pb_vmods_resolve(const char *const *pkgs, size_t n_pkgs,
		     const char *release, const char *ko, const char *dir,
		     char ***paths, size_t *n, struct pb_err *err);
void pb_vmods_free(char **paths, size_t n);

/* A module's name as the kernel knows it: its file name without the
 * .ko[.xz|.zst|.gz] suffix, '-' made '_' ("crc-itu-t.ko.xz": "crc_itu_t");
 * 0 when path is no module. */
int pb_vmod_name(const char *path, char *out, size_t len);

#endif
