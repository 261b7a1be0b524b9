/* The data files found along the plugin search path (*.distro,
 * *.toolchain): "key = value" lines, '#' comments, a key may repeat. */
#ifndef PB_DATAFILE_H
#define PB_DATAFILE_H

#include <stddef.h>

#include "probe-builder/error.h"

struct pb_kv {
	char *key;
	char *value;
};

struct pb_kvfile {
	struct pb_kv *kv; /* in file order */
	size_t n;
};

/* Reads path into f. A file that cannot be read or has a line that is
 * not "key = value" is -EINVAL (-errno) with the file and line named. */
int pb_kvfile_read(const char *path, struct pb_kvfile *f, struct pb_err *err);
int pb_kvfile_add(struct pb_kvfile *f, const char *k, const char *v,
		  struct pb_err *err);
/* The first value of key, or NULL. */
const char *pb_kvfile_get(const struct pb_kvfile *f, const char *key);
void pb_kvfile_free(struct pb_kvfile *f);

/* The names in dir ending with suffix (not hidden), sorted, so that which
 * of two files wins does not depend on readdir. No such dir: none. */
int pb_datafile_list(const char *dir, const char *suffix, char ***names,
		     size_t *n, struct pb_err *err);
void pb_datafile_list_free(char **names, size_t n);

#endif
