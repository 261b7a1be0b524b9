/* Which keyrings check a repository: --keyring, its own Signed-By, or the
 * distro's defaults (those not on this host are named in the hint). */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crawl/crawler.h"
#include "probe-builder/alloc.h"
#include "repo/gpg.h"

/* The keyrings for a repository: --keyring, else its own Signed-By, else
 * the distro's. */
const char *const *crawler_keyrings_for(struct crawler *c, struct pb_repo *r,
					size_t *n)
{
	if (c->o->n_keyrings) {
		*n = c->o->n_keyrings;
		return c->o->keyrings;
	}
	if (pb_strv_len(r->keyrings)) {
		*n = pb_strv_len(r->keyrings);
		return (const char *const *)r->keyrings;
	}
	*n = pb_strv_len(c->keyrings);
	return (const char *const *)c->keyrings;
}

static int strv_add(char ***v, const char *s, struct pb_err *err)
{
	size_t n = pb_strv_len(*v);
	char **g = pb_reallocarray(*v, n + 2, sizeof(*g), err);

	if (!g)
		return -ENOMEM;
	*v = g;
	g[n] = pb_strdup(s, err);
	g[n + 1] = NULL;
	return g[n] ? 0 : -ENOMEM;
}

/* a keyring named but not installed here is remembered, for the message
 * when a signature then cannot be checked */
static int add_keyring(struct crawler *c, const char *path, struct pb_err *err)
{
	if (access(path, R_OK) < 0)
		return strv_add(&c->missing_keyrings, path, err);
	return strv_add(&c->keyrings, path, err);
}

/* The hint for a signature whose key is in none of the keyrings. */
int crawler_missing_key_hint(struct crawler *c, struct repo_state *s,
			     struct pb_err *err)
{
	size_t n = pb_strv_len(c->missing_keyrings);
	const char *pkg = n ? pb_keyring_package(c->missing_keyrings[0]) : NULL;

	if (c->o->n_keyrings || pb_strv_len(s->r->keyrings) || !n)
		return pb_err_prefix(err,
				     "%s (pass --keyring FILE, or --no-verify)",
				     s->where);
	return pb_err_prefix(err,
			     "%s (the %s keyring %s%s is not on this host: "
			     "install %s%s, or pass --keyring FILE)",
			     s->where, c->o->distro->name,
			     c->missing_keyrings[0],
			     n > 1 ? " (and others)" : "",
			     pkg ? "the package " : "the package that has it",
			     pkg ? pkg : "");
}

/* What apt trusts on the host (the plugin's host_apt_keyrings): a plain
 * path when it can be read, every file a pattern finds. */
static int host_apt_keyrings(struct crawler *c, const char *const *patterns,
			     struct pb_err *err)
{
	size_t i, k;
	int ret = 0;

	for (i = 0; patterns[i] && !ret; i++) {
		glob_t g;

		if (!strpbrk(patterns[i], "*?[")) {
			if (access(patterns[i], R_OK) == 0)
				ret = strv_add(&c->keyrings, patterns[i], err);
			continue;
		}
		if (glob(patterns[i], 0, NULL, &g) != 0)
			continue;
		for (k = 0; k < g.gl_pathc && !ret; k++)
			ret = add_keyring(c, g.gl_pathv[k], err);
		globfree(&g);
	}
	return ret;
}

int crawler_default_keyrings(struct crawler *c, struct pb_err *err)
{
	const struct pb_distro *d = c->o->distro;
	size_t i;
	int ret = 0, from_data = 0;

	c->keyrings = pb_calloc(1, sizeof(char *), err);
	if (!c->keyrings)
		return -ENOMEM;
	for (i = 0; i < d->n_keys && !ret; i++)
		if (!strcmp(d->keys[i].key, "keyring")) {
			from_data = 1;
			ret = add_keyring(c, d->keys[i].value, err);
		}
	if (!from_data && PB_PLUGIN_HAS(c->plugin, keyrings))
		for (i = 0; c->plugin->keyrings[i] && !ret; i++)
			ret = add_keyring(c, c->plugin->keyrings[i], err);
	if (c->host_apt && !ret && PB_PLUGIN_HAS(c->plugin, host_apt_keyrings))
		ret = host_apt_keyrings(c, c->plugin->host_apt_keyrings, err);
	return ret;
}
