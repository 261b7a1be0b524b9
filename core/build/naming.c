#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "build/naming.h"

int pb_name_part_ok(const char *s)
{
	return s && *s && !strchr(s, '/') && strcmp(s, ".") != 0 &&
	       strcmp(s, "..") != 0 && strspn(s, " \t\n") != strlen(s);
}

int pb_output_name(char *buf, size_t len, enum pb_output_kind kind,
		   const char *probe, const char *version, const char *arch,
		   const char *release, const char *md5)
{
	int n;

	if (!pb_name_part_ok(probe) || !pb_name_part_ok(version) ||
	    !pb_name_part_ok(arch) || !pb_name_part_ok(release) ||
	    !pb_name_part_ok(md5))
		return -EINVAL;
	if (kind == PB_OUT_KMOD)
		n = snprintf(buf, len, "%s-%s-%s-%s-%s.ko", probe, version,
			     arch, release, md5);
	else
		n = snprintf(buf, len, "%s-bpf-%s-%s-%s-%s.o", probe, version,
			     arch, release, md5);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
