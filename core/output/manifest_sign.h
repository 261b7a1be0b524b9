/* manifest.json.sig: the detached ed25519 signature of manifest.json
 * (core/util/sign.h), written atomically after the manifest. */
#ifndef PB_MANIFEST_SIGN_H
#define PB_MANIFEST_SIGN_H

#include "probe-builder/error.h"

/* Signs output_dir/manifest.json with the PEM ed25519 private key in
 * key_path into output_dir/manifest.json.sig. */
int pb_manifest_sign(const char *output_dir, const char *key_path,
		     struct pb_err *err);

#endif
