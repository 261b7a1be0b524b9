/* Signing modules for hosts that enforce module signatures (Secure Boot,
 * lockdown): the kernel tree's own scripts/sign-file, run in the sandbox
 * after the build, with the hash the kernel's config names. */
#ifndef PB_MODSIGN_H
#define PB_MODSIGN_H

#include <stddef.h>

#include "probe-builder/error.h"

/* Whether key (PEM private key) and cert (X.509, PEM or DER) can sign
 * modules together: both load, and the key is the certificate's. The
 * certificate's subject CN (what `modinfo -F signer` shows) in signer. */
int pb_modsign_check(const char *key, const char *cert, char *signer,
		     size_t len, struct pb_err *err);

#endif
