/* OpenPGP signatures of repository metadata, checked with gpgv against
 * keyring files (binary or ASCII-armored). */
#ifndef PB_GPG_H
#define PB_GPG_H

#include <errno.h>
#include <stddef.h>

#include "probe-builder/error.h"

/* Verifies signature over data (a detached signature: Release.gpg,
 * repomd.xml.asc) or, with data NULL, the clearsigned file signature
 * (InRelease), whose signed text then goes to out (and only that text:
 * anything outside the signed part is dropped). workdir holds gpgv's home
 * and dearmored keyrings. The message says which key was missing, or that
 * the signature is bad. The codes are error.h's: PB_ENOKEY when no keyring
 * was given or the key that signed it is in none of them (callers then hint
 * --keyring); PB_EBADSIG for a bad, expired or revoked signature; a keyring
 * that cannot be read, or gpgv that cannot run, their errno. */
int pb_gpg_verify(const char *signature, const char *data,
		  const char *const *keyrings, size_t n_keyrings,
		  const char *workdir, const char *out, struct pb_err *err);

/* The package that installs keyring path on Debian and Ubuntu hosts
 * ("ubuntu-keyring"), or NULL when not known: one table for every distro,
 * for messages. */
const char *pb_keyring_package(const char *path);

#endif
