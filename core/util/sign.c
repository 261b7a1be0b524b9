#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "util/sign.h"

/* no prompt on the terminal for an encrypted key: refused */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static const char *ossl_reason(void)
{
	static __thread char buf[256];
	unsigned long e = ERR_peek_last_error();

	if (!e)
		return "not a PEM key";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

/* want_private: a private key, else a public one; ed25519 only */
static int load_key(const char *path, int want_private, EVP_PKEY **out,
		    struct pb_err *err)
{
	EVP_PKEY *k;
	BIO *b;

	*out = NULL;
	ERR_clear_error();
	b = BIO_new_file(path, "r");
	if (!b)
		return pb_err_set(err, errno ? -errno : -EIO, "%s: %s", path,
				  errno ? strerror(errno) : ossl_reason());
	k = want_private ? PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL)
			 : PEM_read_bio_PUBKEY(b, NULL, no_passphrase, NULL);
	BIO_free(b);
	if (!k)
		return pb_err_set(err, -EINVAL,
				  "%s: not a PEM %s key (unencrypted): %s",
				  path, want_private ? "private" : "public",
				  ossl_reason());
	if (EVP_PKEY_id(k) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(k);
		return pb_err_set(err, -EINVAL,
				  "%s: not an ed25519 key (make one with "
				  "`openssl genpkey -algorithm ed25519`)",
				  path);
	}
	*out = k;
	return 0;
}

int pb_sign_key_check(const char *key_path, struct pb_err *err)
{
	EVP_PKEY *k;
	int ret = load_key(key_path, 1, &k, err);

	EVP_PKEY_free(k);
	return ret;
}

int pb_sign_pubkey_check(const char *pub_path, struct pb_err *err)
{
	EVP_PKEY *k;
	int ret = load_key(pub_path, 0, &k, err);

	EVP_PKEY_free(k);
	return ret;
}

int pb_sign_data(const char *key_path, const void *data, size_t len,
		 unsigned char sig[PB_SIG_LEN], struct pb_err *err)
{
	size_t sig_len = PB_SIG_LEN;
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY *k;
	int ret = load_key(key_path, 1, &k, err);

	if (ret)
		return ret;
	ctx = EVP_MD_CTX_new();
	if (!ctx) {
		ret = pb_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* ed25519 hashes by itself: no digest, one shot */
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) != 1 ||
	    EVP_DigestSign(ctx, sig, &sig_len, data, len) != 1 ||
	    sig_len != PB_SIG_LEN)
		ret = pb_err_set(err, -EIO, "signing with %s: %s", key_path,
				 ossl_reason());
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	return ret;
}

int pb_sign_verify(const char *pub_path, const void *data, size_t len,
		   const void *sig, size_t sig_len, struct pb_err *err)
{
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY *k;
	int ret = load_key(pub_path, 0, &k, err), r;

	if (ret)
		return ret;
	if (sig_len != PB_SIG_LEN) {
		ret = pb_err_set(err, -EBADMSG,
				 "the signature is %zu bytes, not %d", sig_len,
				 PB_SIG_LEN);
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx) {
		ret = pb_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k) != 1) {
		ret = pb_err_set(err, -EIO, "%s: %s", pub_path, ossl_reason());
		goto out;
	}
	r = EVP_DigestVerify(ctx, sig, sig_len, data, len);
	ERR_clear_error();
	if (r != 1)
		ret = pb_err_set(err, -EBADMSG,
				 "the signature does not verify with the key "
				 "in %s",
				 pub_path);
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	return ret;
}
