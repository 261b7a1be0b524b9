/* manifest.json in the output dir: per kernel and probe version, its
 * status, outputs with SHA-256, input packages with SHA-256, compiler and
 * duration. Entries of other kernels or probe versions already in the file
 * are kept, so the file describes the whole output dir. */
#ifndef PB_MANIFEST_H
#define PB_MANIFEST_H

#include <json-c/json.h>

#include "probe-builder/error.h"

/* Reads output_dir/manifest.json (an empty manifest when there is none);
 * a file that is not a manifest is an error: it is never overwritten. */
int pb_manifest_load(const char *output_dir, json_object **manifest,
		     struct pb_err *err);

/* Puts the entries of results (an array) into manifest, replacing the ones
 * with the same probe, probe version, distro and release, and writes it
 * atomically, sorted by that key. */
int pb_manifest_update(const char *output_dir, json_object *manifest,
		       json_object *results, struct pb_err *err);

#endif
