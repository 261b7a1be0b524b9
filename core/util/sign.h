/* Detached ed25519 signatures (OpenSSL): probe-builder signs manifest.json
 * with a PEM private key, newswatch checks it against a pinned PEM public
 * key. Shared by both through libpbsign (no other dependency than
 * libcrypto and pb_err). The signature is the raw 64 bytes, what
 * `openssl pkeyutl -sign -rawin` writes and `-verify -rawin -sigfile`
 * reads. */
#ifndef PB_SIGN_H
#define PB_SIGN_H

#include <stddef.h>

#include "probe-builder/error.h"

#define PB_SIG_LEN 64

/* Whether key_path is a PEM ed25519 private key (not encrypted): 0, or a
 * negative errno with the reason. */
int pb_sign_key_check(const char *key_path, struct pb_err *err);

/* Whether pub_path is a PEM ed25519 public key. */
int pb_sign_pubkey_check(const char *pub_path, struct pb_err *err);

/* The signature of data with the private key in key_path. */
int pb_sign_data(const char *key_path, const void *data, size_t len,
		 unsigned char sig[PB_SIG_LEN], struct pb_err *err);

/* 0 when sig is the signature of data by the public key (PEM
 * SubjectPublicKeyInfo) in pub_path; -EBADMSG when it is not; another
 * negative errno when the key cannot be used. */
int pb_sign_verify(const char *pub_path, const void *data, size_t len,
		   const void *sig, size_t sig_len, struct pb_err *err);

#endif
