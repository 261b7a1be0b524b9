/* Distro plugins (shared objects, through libltdl) and distro data files
 * (*.distro), found along the plugin search path. */
#ifndef PB_REGISTRY_H
#define PB_REGISTRY_H

#include <stddef.h>

#include "plugin/datafile.h"
#include "probe-builder/error.h"
#include "probe-builder/plugin.h"

struct pb_builder {
	const struct pb_plugin *plugin;
	char *path;   /* the file it came from */
	void *handle; /* lt_dlhandle */
};

struct pb_distro {
	char *name;
	char *description;
	char *source; /* the plugin or data file that defined it */
	const struct pb_builder *builder;
	struct pb_kv *keys; /* everything a data file said, in order */
	size_t n_keys;
};

struct pb_registry {
	struct pb_builder *builders;
	size_t n_builders;
	struct pb_distro *distros;
	size_t n_distros;
	char **dirs; /* the search path, in order */
	size_t n_dirs;
};

struct pb_registry_opts {
	size_t sz;
	const char *const *plugin_dirs; /* --plugin-dir, searched first */
	size_t n_plugin_dirs;
	const char *env_path;	/* PROBE_BUILDER_PLUGIN_PATH (NULL: none) */
	const char *plugin_dir; /* installed plugins; NULL: none */
	const char *distro_dir; /* installed data files; NULL: none */
};

/* Loads every plugin then every data file along the path. Files that are
 * not plugins, have another ABI or fail to load are skipped with a warning
 * naming them; a distro claimed twice keeps the first. */
int pb_registry_load(struct pb_registry *reg,
		     const struct pb_registry_opts *opts, struct pb_err *err);
const struct pb_distro *pb_registry_find(const struct pb_registry *reg,
					 const char *name);
void pb_registry_free(struct pb_registry *reg);

/* The value of key in a data file distro (first one), or NULL. */
const char *pb_distro_get(const struct pb_distro *d, const char *key);

#endif
