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

/* Puts the entries of results (an array) into manifest and writes it
 * atomically, sorted by their key: probe, probe version, distro, release,
 * arch and package version. An entry of the same key already there is
 * merged, not replaced: an output this run found EXISTING (the same file,
 * the same SHA-256) or SKIPPED keeps the record of the run that built it
 * (sha256, compiler, vermagic, inputs, log) and gains "last_seen"; a run
 * that built nothing keeps the kernel's inputs and compiler. now is the
 * run's time (ISO 8601, UTC). */
int pb_manifest_update(const char *output_dir, json_object *manifest,
		       json_object *results, const char *now,
		       struct pb_err *err);

/* Writes manifest (as loaded, changed) to output_dir/manifest.json,
 * atomically. */
int pb_manifest_write(const char *output_dir, json_object *manifest,
		      struct pb_err *err);

/* The same three with the manifest's own path (a shard's fragment,
 * output/manifest.d/I-of-N.json). */
int pb_manifest_load_file(const char *path, json_object **manifest,
			  struct pb_err *err);
int pb_manifest_update_file(const char *path, json_object *manifest,
			    json_object *results, const char *now,
			    struct pb_err *err);
int pb_manifest_write_file(const char *path, json_object *manifest,
			   struct pb_err *err);

/* The entry of manifest with the key of entry (probe, probe_version,
 * distro, release, arch, version), or NULL. */
json_object *pb_manifest_find(json_object *manifest, json_object *entry);

/* The status of an entry from its outputs': FAILED if one failed, else
 * BUILT if one was built, else EXISTING, else SKIPPED. */
const char *pb_entry_status(json_object *entry);

/* qsort's order of entries (json_object * elements): by their key. */
int pb_manifest_entry_cmp(const void *a, const void *b);

#define PB_MANIFEST_FORMAT 2

#endif
