/* The eBPF probe probe-builder built for the running kernel: its name by
 * probe-builder's rule (<probe>-bpf-<version>-<arch>-<release>-<md5 of the
 * config>.o), found in probe_dir, else fetched from probe_url and checked
 * against the manifest.json published beside it. */
#ifndef NW_PROBE_H
#define NW_PROBE_H

#include <errno.h>
#include <stddef.h>

#include "probe-builder/error.h"

#include "conf.h"

/* The object's file name for the running kernel, from uname and the MD5
 * of /proc/config.gz (or /boot/config-<release>). */
int nw_bpf_object_name(const struct nw_config *c, char *out, size_t len,
		       struct pb_err *err);

/* Whether object (named name on the server) is the one manifest gives the
 * sha256 of, and, when pubkey is set, whether sig is manifest's ed25519
 * signature by it: 0, or a negative errno with the reason. */
int nw_probe_verify(const char *object, const char *name, const char *manifest,
		    const char *sig, const char *pubkey, struct pb_err *err);

/* The path of the object for this kernel, in probe_dir or fetched (and
 * verified) into the state directory: 0, or a negative errno with the
 * reason. */
int nw_probe_find(const struct nw_config *c, char *path, size_t len,
		  struct pb_err *err);

/* errno as a negative code, never 0 (libbpf may leave errno unset) */
static inline int nw_neg_errno(void)
{
	return errno ? -errno : -EIO;
}

#endif
