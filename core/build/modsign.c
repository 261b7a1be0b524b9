#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "build/modsign.h"

static const char *ssl_why(void)
{
	unsigned long e = ERR_get_error();

	return e ? ERR_reason_error_string(e) : "not one";
}

static X509 *load_cert(const char *path, struct pb_err *err)
{
	FILE *f = fopen(path, "rb");
	X509 *x;

	if (!f) {
		pb_err_set(err, -errno, "%s: %s", path, strerror(errno));
		return NULL;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	if (!x) {
		/* sign-file takes DER as well */
		rewind(f);
		x = d2i_X509_fp(f, NULL);
	}
	fclose(f);
	if (!x)
		pb_err_set(err, -EINVAL,
			   "--module-sign-cert %s: not an X.509 certificate "
			   "(PEM or DER): %s",
			   path, ssl_why());
	return x;
}

static EVP_PKEY *load_key(const char *path, struct pb_err *err)
{
	FILE *f = fopen(path, "rb");
	EVP_PKEY *k;

	if (!f) {
		pb_err_set(err, -errno, "%s: %s", path, strerror(errno));
		return NULL;
	}
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!k)
		pb_err_set(err, -EINVAL,
			   "--module-sign-key %s: not a PEM private key (an "
			   "encrypted one cannot be used unattended): %s",
			   path, ssl_why());
	return k;
}

int pb_modsign_check(const char *key, const char *cert, char *signer,
		     size_t len, struct pb_err *err)
{
	X509 *x = load_cert(cert, err);
	EVP_PKEY *k = x ? load_key(key, err) : NULL;
	int ret = 0;

	if (!x || !k) {
		ret = err->code;
	} else if (X509_check_private_key(x, k) != 1) {
		ret = pb_err_set(err, -EINVAL,
				 "--module-sign-key %s is not the key of "
				 "--module-sign-cert %s",
				 key, cert);
	} else if (X509_NAME_get_text_by_NID(X509_get_subject_name(x),
					     NID_commonName, signer,
					     (int)len) < 0) {
		/* sign-file names the signer by its CN; none: its subject
		 * in one line */
		X509_NAME_oneline(X509_get_subject_name(x), signer, (int)len);
	}
	ERR_clear_error();
	EVP_PKEY_free(k);
	X509_free(x);
	return ret;
}
