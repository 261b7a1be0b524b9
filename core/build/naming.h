/* Output names, compatible with the original probe builder so that the
 * loaders on hosts find them from `uname -r` and the config's MD5:
 *   <probe>-<version>-<arch>-<release>-<md5>.ko
 *   <probe>-bpf-<version>-<arch>-<release>-<md5>.o */
#ifndef PB_NAMING_H
#define PB_NAMING_H

#include <stddef.h>

enum pb_output_kind { PB_OUT_KMOD, PB_OUT_EBPF };

/* Returns 0, or -ENAMETOOLONG / -EINVAL (a part holding '/' or empty). */
int pb_output_name(char *buf, size_t len, enum pb_output_kind kind,
		   const char *probe, const char *version, const char *arch,
		   const char *release, const char *md5);

/* Whether s can be one part of a file name (probe name, version). */
int pb_name_part_ok(const char *s);

#endif
