#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ltdl.h>

#include "plugin/registry.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/str.h"

static int add_dir(struct pb_registry *reg, const char *dir, size_t n,
		   struct pb_err *err)
{
	char **grown;
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < reg->n_dirs; i++)
		if (strlen(reg->dirs[i]) == n && !strncmp(reg->dirs[i], dir, n))
			return 0;
	grown = pb_reallocarray(reg->dirs, reg->n_dirs + 1, sizeof(*grown),
				err);
	if (!grown)
		return -ENOMEM;
	reg->dirs = grown;
	reg->dirs[reg->n_dirs] = pb_strndup(dir, n, err);
	if (!reg->dirs[reg->n_dirs])
		return -ENOMEM;
	reg->n_dirs++;
	return 0;
}

static struct pb_distro *find_distro(const struct pb_registry *reg,
				     const char *name)
{
	size_t i;

	for (i = 0; i < reg->n_distros; i++)
		if (strcmp(reg->distros[i].name, name) == 0)
			return &reg->distros[i];
	return NULL;
}

static struct pb_distro *new_distro(struct pb_registry *reg, const char *name,
				    const char *source, struct pb_err *err)
{
	struct pb_distro *grown, *d;

	grown = pb_reallocarray(reg->distros, reg->n_distros + 1,
				sizeof(*grown), err);
	if (!grown)
		return NULL;
	reg->distros = grown;
	d = &reg->distros[reg->n_distros];
	memset(d, 0, sizeof(*d));
	d->name = pb_strdup(name, err);
	d->source = pb_strdup(source, err);
	if (!d->name || !d->source) {
		free(d->name);
		free(d->source);
		return NULL;
	}
	reg->n_distros++;
	return d;
}

static const struct pb_builder *find_builder(const struct pb_registry *reg,
					     const char *name)
{
	size_t i;

	for (i = 0; i < reg->n_builders; i++)
		if (strcmp(reg->builders[i].plugin->name, name) == 0)
			return &reg->builders[i];
	return NULL;
}

/* The module at path, or NULL (said why). */
static lt_dlhandle open_module(const char *path)
{
	lt_dlhandle h = lt_dlopen(path);
	const char *why;
	void *d;

	if (h)
		return h;
	/* libltdl says "file not found" for a file that is there but not a
	 * shared object; the dynamic loader says what is wrong */
	why = lt_dlerror();
	d = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
	if (d)
		dlclose(d);
	else
		why = dlerror();
	pb_warn("%s: cannot load plugin, skipped: %s", path, why);
	return NULL;
}

/* A descriptor larger than this core's (from a newer SDK) is taken only
 * when all that this core does not know of it is zero, as libbpf checks
 * its opts: a member set there would be silently ignored. Beyond this, a
 * size is not a size. */
#define PB_PLUGIN_SIZE_MAX 4096u

static int unknown_tail_is_zero(const struct pb_plugin *p)
{
	const unsigned char *bytes = (const unsigned char *)p;
	size_t i;

	for (i = sizeof(*p); i < p->size; i++)
		if (bytes[i])
			return 0;
	return 1;
}

/* Why the descriptor p cannot be used, or NULL. */
static const char *descriptor_fault(const struct pb_plugin *p, char *buf,
				    size_t len)
{
	if (p->abi_version != PB_PLUGIN_ABI_VERSION) {
		snprintf(buf, len,
			 "plugin ABI %u, this probe-builder speaks ABI %u, "
			 "skipped (rebuild the plugin against this SDK)",
			 p->abi_version, PB_PLUGIN_ABI_VERSION);
		return buf;
	}
	if (p->size < PB_PLUGIN_SIZE_V1 || !p->name || !p->name[0] ||
	    !p->batch || !p->kernel_dir || !p->config_file) {
		snprintf(buf, len,
			 "incomplete plugin descriptor (size %u, a name and "
			 "the batch, kernel_dir and config_file hooks are "
			 "required), skipped",
			 p->size);
		return buf;
	}
	if (p->size > PB_PLUGIN_SIZE_MAX ||
	    (p->size > sizeof(*p) && !unknown_tail_is_zero(p))) {
		snprintf(buf, len,
			 "plugin descriptor of size %u sets members this "
			 "probe-builder does not know (it knows %zu bytes), "
			 "skipped (update probe-builder)",
			 p->size, sizeof(*p));
		return buf;
	}
	return NULL;
}

/* The descriptor module h gives, or NULL (said why). */
static const struct pb_plugin *descriptor_of(lt_dlhandle h, const char *path)
{
	pb_plugin_entry_fn entry;
	const struct pb_plugin *p;
	char why[256];

	entry = (pb_plugin_entry_fn)(uintptr_t)lt_dlsym(h,
							PB_PLUGIN_ENTRY_SYMBOL);
	if (!entry) {
		pb_warn("%s: not a probe-builder plugin (no %s symbol), "
			"skipped",
			path, PB_PLUGIN_ENTRY_SYMBOL);
		return NULL;
	}
	p = entry();
	if (!p) {
		pb_warn("%s: %s() returned no descriptor, skipped", path,
			PB_PLUGIN_ENTRY_SYMBOL);
		return NULL;
	}
	if (descriptor_fault(p, why, sizeof(why))) {
		pb_warn("%s: %s", path, why);
		return NULL;
	}
	return p;
}

/* The distros plugin p (from path) serves by itself. */
static int add_plugin_distros(struct pb_registry *reg,
			      const struct pb_plugin *p, const char *path,
			      struct pb_err *err)
{
	size_t i;

	for (i = 0; p->distros && p->distros[i]; i++) {
		struct pb_distro *d = find_distro(reg, p->distros[i]);

		if (d) {
			pb_warn("%s: distro '%s' is already provided by %s; "
				"keeping that one",
				path, p->distros[i], d->source);
			continue;
		}
		d = new_distro(reg, p->distros[i], path, err);
		if (!d)
			return -ENOMEM;
		/* in the registry already: freed with it */
		d->description =
			pb_strdup(p->description ? p->description : "", err);
		if (!d->description)
			return -ENOMEM;
	}
	return 0;
}

/* The plugin at path, or a warning saying why it is skipped; an error
 * (-ENOMEM) only when the registry cannot go on. */
static int load_plugin(struct pb_registry *reg, const char *path,
		       struct pb_err *err)
{
	const struct pb_plugin *p;
	struct pb_builder *grown, *b;
	lt_dlhandle h = open_module(path);

	if (!h)
		return 0;
	p = descriptor_of(h, path);
	if (!p) {
		lt_dlclose(h);
		return 0;
	}
	if (find_builder(reg, p->name)) {
		pb_warn("%s: builder '%s' already loaded from %s, skipped",
			path, p->name, find_builder(reg, p->name)->path);
		lt_dlclose(h);
		return 0;
	}
	grown = pb_reallocarray(reg->builders, reg->n_builders + 1,
				sizeof(*grown), err);
	if (!grown) {
		lt_dlclose(h);
		return -ENOMEM;
	}
	reg->builders = grown;
	b = &reg->builders[reg->n_builders];
	b->plugin = p;
	b->path = pb_strdup(path, err);
	b->handle = h;
	if (!b->path) {
		lt_dlclose(h);
		return -ENOMEM;
	}
	reg->n_builders++;
	return add_plugin_distros(reg, p, path, err);
}

static void free_distro(struct pb_distro *d)
{
	size_t i;

	for (i = 0; i < d->n_keys; i++) {
		free(d->keys[i].key);
		free(d->keys[i].value);
	}
	free(d->keys);
	free(d->name);
	free(d->description);
	free(d->source);
}

/* A distro data file: its keys are kept for later stages (mirror lists).
 * A file that is not one is skipped with a warning; an error (-ENOMEM)
 * only when the registry cannot go on. */
static int load_data_file(struct pb_registry *reg, const char *path,
			  struct pb_err *err)
{
	struct pb_kvfile kv;
	struct pb_err why = {0};
	struct pb_distro *d;
	const char *name, *builder;
	int ret;

	ret = pb_kvfile_read(path, &kv, &why);
	if (ret == -ENOMEM)
		return pb_err_set(err, ret, "%s", why.msg);
	if (ret) {
		pb_warn("%s, skipped the file", why.msg);
		return 0;
	}
	name = pb_kvfile_get(&kv, "name");
	builder = pb_kvfile_get(&kv, "builder");
	if (!name || !*name || !builder || !*builder) {
		pb_warn("%s: a distro file needs 'name' and 'builder', "
			"skipped",
			path);
	} else if ((d = find_distro(reg, name)) != NULL) {
		pb_warn("%s: distro '%s' is already provided by %s; keeping "
			"that one",
			path, name, d->source);
	} else if (!find_builder(reg, builder)) {
		pb_warn("%s: distro '%s' uses builder '%s', which no plugin "
			"provides, skipped",
			path, name, builder);
	} else {
		d = new_distro(reg, name, path, err);
		if (!d) {
			pb_kvfile_free(&kv);
			return -ENOMEM;
		}
		/* in the registry now: freed with it, whatever follows */
		d->keys = kv.kv;
		d->n_keys = kv.n;
		d->builder = find_builder(reg, builder);
		d->description =
			pb_strdup(pb_distro_get(d, "description")
					  ? pb_distro_get(d, "description")
					  : "",
				  err);
		return d->description ? 0 : -ENOMEM;
	}
	pb_kvfile_free(&kv);
	return 0;
}

const char *pb_distro_get(const struct pb_distro *d, const char *key)
{
	size_t i;

	for (i = 0; i < d->n_keys; i++)
		if (strcmp(d->keys[i].key, key) == 0)
			return d->keys[i].value;
	return NULL;
}

/* Every file ending with suffix along the search path, through load. A
 * path too long to open is skipped with a warning, as a file that does
 * not load is. */
static int load_all(struct pb_registry *reg, const char *suffix,
		    int (*load)(struct pb_registry *, const char *,
				struct pb_err *),
		    struct pb_err *err)
{
	char path[PATH_MAX], **names;
	struct pb_err why;
	size_t i, j, n;
	int ret = 0;

	for (i = 0; i < reg->n_dirs && !ret; i++) {
		ret = pb_datafile_list(reg->dirs[i], suffix, &names, &n, err);
		for (j = 0; j < n && !ret; j++) {
			if (pb_path_fmt(path, sizeof(path), &why, "%s/%s",
					reg->dirs[i], names[j]) < 0)
				pb_warn("%s, skipped", why.msg);
			else
				ret = load(reg, path, err);
		}
		pb_datafile_list_free(names, n);
	}
	return ret;
}

/* The search path: --plugin-dir, the environment's, the installed dirs. */
static int add_dirs(struct pb_registry *reg,
		    const struct pb_registry_opts *opts, struct pb_err *err)
{
	const char *p;
	size_t i;
	int ret = 0;

	for (i = 0; i < opts->n_plugin_dirs && !ret; i++)
		ret = add_dir(reg, opts->plugin_dirs[i],
			      strlen(opts->plugin_dirs[i]), err);
	for (p = opts->env_path; p && *p && !ret;) {
		size_t l = strcspn(p, ":");

		ret = add_dir(reg, p, l, err);
		p += l;
		if (*p == ':')
			p++;
	}
	if (!ret && opts->plugin_dir)
		ret = add_dir(reg, opts->plugin_dir, strlen(opts->plugin_dir),
			      err);
	if (!ret && opts->distro_dir)
		ret = add_dir(reg, opts->distro_dir, strlen(opts->distro_dir),
			      err);
	return ret;
}

int pb_registry_load(struct pb_registry *reg,
		     const struct pb_registry_opts *opts, struct pb_err *err)
{
	size_t i, j;
	int ret;

	memset(reg, 0, sizeof(*reg));
	if (!opts || opts->sz < sizeof(*opts))
		return pb_err_set(err, -EINVAL, "registry options too old");
	if (lt_dlinit() != 0)
		return pb_err_set(err, -EIO, "libltdl: %s", lt_dlerror());
	ret = add_dirs(reg, opts, err);
	/* every plugin first: a data file may name a builder found later */
	if (!ret)
		ret = load_all(reg, ".so", load_plugin, err);
	/* distros declared by plugins point at their builder, now that the
	 * builders array will not move any more */
	for (i = 0; i < reg->n_distros && !ret; i++)
		for (j = 0; j < reg->n_builders; j++)
			if (strcmp(reg->distros[i].source,
				   reg->builders[j].path) == 0)
				reg->distros[i].builder = &reg->builders[j];
	if (!ret)
		ret = load_all(reg, ".distro", load_data_file, err);
	if (ret)
		pb_registry_free(reg);
	return ret;
}

const struct pb_distro *pb_registry_find(const struct pb_registry *reg,
					 const char *name)
{
	return find_distro(reg, name);
}

void pb_registry_free(struct pb_registry *reg)
{
	size_t i;

	for (i = 0; i < reg->n_distros; i++)
		free_distro(&reg->distros[i]);
	free(reg->distros);
	for (i = 0; i < reg->n_builders; i++) {
		lt_dlclose((lt_dlhandle)reg->builders[i].handle);
		free(reg->builders[i].path);
	}
	free(reg->builders);
	for (i = 0; i < reg->n_dirs; i++)
		free(reg->dirs[i]);
	free(reg->dirs);
	memset(reg, 0, sizeof(*reg));
	lt_dlexit();
}
