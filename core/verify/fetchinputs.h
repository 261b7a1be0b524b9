/* verify: the image packages its kernels boot, fetched from the URLs the
 * manifest records when the workspace's cache lacks them. */
#ifndef PB_VERIFY_FETCHINPUTS_H
#define PB_VERIFY_FETCHINPUTS_H

#include <stddef.h>

#include <json-c/json.h>

#include "net/fetch.h"

/* The config and boot inputs of the manifest entries that are not in the
 * workspace's cache (cache/<sha256>/<file>), fetched there and checked
 * against their SHA-256. One that cannot be had is warned about (its
 * kernel is then SKIPPED by verify, which says why). 0, or a negative
 * errno when fetching could not run (-EINTR: stopped). */
int pb_verify_fetch_inputs(struct pb_fetcher *f, const char *workspace,
			   json_object *const *entries, size_t n,
			   struct pb_err *err);

#endif
