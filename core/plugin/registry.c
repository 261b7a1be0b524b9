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
#include "probe-builder/log.h"
#include "util/fs.h"
#include "util/str.h"

static int add_dir(struct pb_registry *reg, const char *dir, size_t n)
{
	char **grown;
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < reg->n_dirs; i++)
		if (strlen(reg->dirs[i]) == n && !strncmp(reg->dirs[i], dir, n))
			return 0;
	grown = realloc(reg->dirs, (reg->n_dirs + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	reg->dirs = grown;
	reg->dirs[reg->n_dirs] = strndup(dir, n);
	if (!reg->dirs[reg->n_dirs])
		return -ENOMEM;
	reg->n_dirs++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir ending with suffix, sorted, so the order of discovery
 * (and so who wins a duplicate) does not depend on readdir. */
static char **list_dir(const char *dir, const char *suffix, size_t *n)
{
	size_t sl = strlen(suffix), cap = 0;
	struct dirent *de;
	char **names = NULL;
	DIR *d;

	*n = 0;
	d = opendir(dir);
	if (!d)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l <= sl || strcmp(de->d_name + l - sl, suffix) != 0 ||
		    de->d_name[0] == '.')
			continue;
		if (*n == cap) {
			char **g;

			cap = cap ? cap * 2 : 16;
			g = realloc(names, cap * sizeof(*g));
			if (!g)
				break;
			names = g;
		}
		names[*n] = strdup(de->d_name);
		if (names[*n])
			(*n)++;
	}
	closedir(d);
	if (names)
		qsort(names, *n, sizeof(*names), cmp_str);
	return names;
}

static void free_list(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
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
				    const char *source)
{
	struct pb_distro *grown, *d;

	grown = realloc(reg->distros, (reg->n_distros + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	reg->distros = grown;
	d = &reg->distros[reg->n_distros];
	memset(d, 0, sizeof(*d));
	d->name = strdup(name);
	d->source = strdup(source);
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
static void add_plugin_distros(struct pb_registry *reg,
			       const struct pb_plugin *p, const char *path)
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
		d = new_distro(reg, p->distros[i], path);
		if (d)
			d->description =
				strdup(p->description ? p->description : "");
		if (!d || !d->description)
			pb_warn("%s: distro '%s': out of memory", path,
				p->distros[i]);
	}
}

static void load_plugin(struct pb_registry *reg, const char *path)
{
	const struct pb_plugin *p;
	struct pb_builder *grown, *b;
	lt_dlhandle h = open_module(path);

	if (!h)
		return;
	p = descriptor_of(h, path);
	if (!p) {
		lt_dlclose(h);
		return;
	}
	if (find_builder(reg, p->name)) {
		pb_warn("%s: builder '%s' already loaded from %s, skipped",
			path, p->name, find_builder(reg, p->name)->path);
		lt_dlclose(h);
		return;
	}
	grown = realloc(reg->builders, (reg->n_builders + 1) * sizeof(*grown));
	if (!grown) {
		pb_warn("%s: out of memory, skipped", path);
		lt_dlclose(h);
		return;
	}
	reg->builders = grown;
	b = &reg->builders[reg->n_builders];
	b->plugin = p;
	b->path = strdup(path);
	b->handle = h;
	if (!b->path) {
		pb_warn("%s: out of memory, skipped", path);
		lt_dlclose(h);
		return;
	}
	reg->n_builders++;
	add_plugin_distros(reg, p, path);
}

static int kv_add(struct pb_distro *d, const char *k, const char *v)
{
	struct pb_kv *g = realloc(d->keys, (d->n_keys + 1) * sizeof(*g));

	if (!g)
		return -ENOMEM;
	d->keys = g;
	g[d->n_keys].key = strdup(k);
	g[d->n_keys].value = strdup(v);
	if (!g[d->n_keys].key || !g[d->n_keys].value) {
		free(g[d->n_keys].key);
		free(g[d->n_keys].value);
		return -ENOMEM;
	}
	d->n_keys++;
	return 0;
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

/* "key = value" lines, '#' comments; keys it does not know are kept for
 * later stages (mirror lists). */
static void load_data_file(struct pb_registry *reg, const char *path)
{
	struct pb_distro tmp, *d;
	char line[1024];
	unsigned lineno = 0;
	const char *name, *builder;
	FILE *f = fopen(path, "r");

	if (!f) {
		pb_warn("%s: %s, skipped", path, strerror(errno));
		return;
	}
	memset(&tmp, 0, sizeof(tmp));
	while (fgets(line, sizeof(line), f)) {
		char *s = pb_trim(line), *eq;

		lineno++;
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			pb_warn("%s:%u: not a 'key = value' line, skipped "
				"the file",
				path, lineno);
			fclose(f);
			free_distro(&tmp);
			return;
		}
		*eq = '\0';
		if (kv_add(&tmp, pb_trim(s), pb_trim(eq + 1)) < 0) {
			pb_warn("%s: out of memory, skipped", path);
			fclose(f);
			free_distro(&tmp);
			return;
		}
	}
	fclose(f);
	name = pb_distro_get(&tmp, "name");
	builder = pb_distro_get(&tmp, "builder");
	if (!name || !*name || !builder || !*builder) {
		pb_warn("%s: a distro file needs 'name' and 'builder', "
			"skipped",
			path);
		free_distro(&tmp);
		return;
	}
	if ((d = find_distro(reg, name)) != NULL) {
		pb_warn("%s: distro '%s' is already provided by %s; keeping "
			"that one",
			path, name, d->source);
		free_distro(&tmp);
		return;
	}
	if (!find_builder(reg, builder)) {
		pb_warn("%s: distro '%s' uses builder '%s', which no plugin "
			"provides, skipped",
			path, name, builder);
		free_distro(&tmp);
		return;
	}
	d = new_distro(reg, name, path);
	if (!d) {
		pb_warn("%s: out of memory, skipped", path);
		free_distro(&tmp);
		return;
	}
	d->keys = tmp.keys;
	d->n_keys = tmp.n_keys;
	d->description = strdup(pb_distro_get(d, "description")
					? pb_distro_get(d, "description")
					: "");
	d->builder = find_builder(reg, builder);
}

const char *pb_distro_get(const struct pb_distro *d, const char *key)
{
	size_t i;

	for (i = 0; i < d->n_keys; i++)
		if (strcmp(d->keys[i].key, key) == 0)
			return d->keys[i].value;
	return NULL;
}

int pb_registry_load(struct pb_registry *reg,
		     const struct pb_registry_opts *opts, struct pb_err *err)
{
	size_t i, j, n;
	const char *p;
	char **names;

	memset(reg, 0, sizeof(*reg));
	if (!opts || opts->sz < sizeof(*opts))
		return pb_err_set(err, -EINVAL, "registry options too old");
	if (lt_dlinit() != 0)
		return pb_err_set(err, -EIO, "libltdl: %s", lt_dlerror());
	for (i = 0; i < opts->n_plugin_dirs; i++)
		if (add_dir(reg, opts->plugin_dirs[i],
			    strlen(opts->plugin_dirs[i])) < 0)
			goto oom;
	for (p = opts->env_path; p && *p;) {
		size_t l = strcspn(p, ":");

		if (add_dir(reg, p, l) < 0)
			goto oom;
		p += l;
		if (*p == ':')
			p++;
	}
	if (opts->plugin_dir &&
	    add_dir(reg, opts->plugin_dir, strlen(opts->plugin_dir)) < 0)
		goto oom;
	if (opts->distro_dir &&
	    add_dir(reg, opts->distro_dir, strlen(opts->distro_dir)) < 0)
		goto oom;
	/* every plugin first: a data file may name a builder found later */
	for (i = 0; i < reg->n_dirs; i++) {
		names = list_dir(reg->dirs[i], ".so", &n);
		for (j = 0; j < n; j++) {
			char path[PATH_MAX];

			snprintf(path, sizeof(path), "%s/%s", reg->dirs[i],
				 names[j]);
			load_plugin(reg, path);
		}
		free_list(names, n);
	}
	/* distros declared by plugins point at their builder, now that the
	 * builders array will not move any more */
	for (i = 0; i < reg->n_distros; i++)
		for (j = 0; j < reg->n_builders; j++)
			if (strcmp(reg->distros[i].source,
				   reg->builders[j].path) == 0)
				reg->distros[i].builder = &reg->builders[j];
	for (i = 0; i < reg->n_dirs; i++) {
		names = list_dir(reg->dirs[i], ".distro", &n);
		for (j = 0; j < n; j++) {
			char path[PATH_MAX];

			snprintf(path, sizeof(path), "%s/%s", reg->dirs[i],
				 names[j]);
			load_data_file(reg, path);
		}
		free_list(names, n);
	}
	return 0;
oom:
	pb_registry_free(reg);
	return pb_err_set(err, -ENOMEM, "out of memory");
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
