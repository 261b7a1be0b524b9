#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util/hash.h"

int pb_hash_fd(int fd, const char *name, const char *algo, char *hex,
	       struct pb_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
	const EVP_MD *type = EVP_get_digestbyname(algo);
	EVP_MD_CTX *ctx = NULL;
	unsigned int mdlen = 0, i;
	int ret = 0;
	ssize_t n;

	if (!type)
		return pb_err_set(err, -EINVAL, "unknown digest %s", algo);
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, type, NULL)) {
		ret = pb_err_set(err, -ENOMEM, "%s: cannot start %s", name,
				 algo);
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = pb_err_set(err, -errno, "%s: %s", name,
					 strerror(errno));
			goto out;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	}
	if (!EVP_DigestFinal_ex(ctx, md, &mdlen)) {
		ret = pb_err_set(err, -EIO, "%s: %s failed", name, algo);
		goto out;
	}
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * mdlen] = '\0';
out:
	EVP_MD_CTX_free(ctx);
	return ret;
}

int pb_hash_file(const char *path, const char *algo, char *hex,
		 struct pb_err *err)
{
	int fd, ret;

	if (!EVP_get_digestbyname(algo))
		return pb_err_set(err, -EINVAL, "unknown digest %s", algo);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pb_err_set(err, -errno, "%s: %s", path, strerror(errno));
	ret = pb_hash_fd(fd, path, algo, hex, err);
	close(fd);
	return ret;
}

size_t pb_hash_hex_len(const char *algo)
{
	const EVP_MD *type = EVP_get_digestbyname(algo);
	int n = type ? EVP_MD_size(type) : 0;

	return n > 0 ? 2 * (size_t)n : 0;
}

int pb_hash_mem(const void *data, size_t len, const char *algo, char *hex,
		struct pb_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	const EVP_MD *type = EVP_get_digestbyname(algo);
	unsigned int mdlen = 0, i;

	if (!type)
		return pb_err_set(err, -EINVAL, "unknown digest %s", algo);
	if (!EVP_Digest(data, len, md, &mdlen, type, NULL))
		return pb_err_set(err, -EIO, "%s failed", algo);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * mdlen] = '\0';
	return 0;
}
