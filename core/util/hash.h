/* File digests (OpenSSL EVP), as lowercase hex. */
#ifndef PB_HASH_H
#define PB_HASH_H

#include <stddef.h>

#include "probe-builder/error.h"

#define PB_HEX_MAX 129

/* algo: "md5" or "sha256"; hex gets at least PB_HEX_MAX bytes. */
int pb_hash_file(const char *path, const char *algo, char *hex,
		 struct pb_err *err);
/* The same of len bytes at data (hex: twice the digest's size, plus 1). */
int pb_hash_mem(const void *data, size_t len, const char *algo, char *hex,
		struct pb_err *err);

#endif
