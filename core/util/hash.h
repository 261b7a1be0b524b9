/* File digests (OpenSSL EVP), as lowercase hex. */
#ifndef PB_HASH_H
#define PB_HASH_H

#include <stddef.h>

#include "probe-builder/error.h"

#define PB_HEX_MAX 129

/* algo: "md5" or "sha256"; hex gets at least PB_HEX_MAX bytes. */
int pb_hash_file(const char *path, const char *algo, char *hex,
		 struct pb_err *err);
/* The same of what is left to read from fd (name: for messages). */
int pb_hash_fd(int fd, const char *name, const char *algo, char *hex,
	       struct pb_err *err);
/* The length of algo's digests in hex; 0: an unknown algo. */
size_t pb_hash_hex_len(const char *algo);
/* The same of len bytes at data (hex: twice the digest's size, plus 1). */
int pb_hash_mem(const void *data, size_t len, const char *algo, char *hex,
		struct pb_err *err);

#endif
