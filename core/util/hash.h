/* File digests (OpenSSL EVP), as lowercase hex. */
#ifndef PB_HASH_H
#define PB_HASH_H

#include "probe-builder/error.h"

#define PB_HEX_MAX 129

/* algo: "md5" or "sha256"; hex gets at least PB_HEX_MAX bytes. */
int pb_hash_file(const char *path, const char *algo, char *hex,
		 struct pb_err *err);

#endif
