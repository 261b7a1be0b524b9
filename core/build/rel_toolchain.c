#include "config.h"

/* One kernel's toolchain: what its tree asks for, what the host and the
 * builder environments have, an environment made when none is (once, under
 * its lock), and the record of the choice. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build/elfcheck.h"
#include "build/release.h"
#include "build/toolchain.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"
#include "util/path.h"

static void tree_need(struct rel_ctx *c, const struct pb_kcc *k,
		      struct pb_tc_need *n)
{
	struct pb_err ignored = {0};

	memset(n, 0, sizeof(*n));
	n->cc = *k;
	n->pahole = pb_tree_pahole_version(c->kdir);
	/* unreadable tools: the build will say more than this could */
	if (pb_tree_glibc_need(c->kdir, &n->glibc_major, &n->glibc_minor,
			       n->glibc_tool, sizeof(n->glibc_tool),
			       &ignored) < 0)
		n->glibc_major = n->glibc_minor = 0;
	n->release = c->rel.name;
	n->series = (const char *const *)c->res->series;
	n->n_series = c->res->n_series;
}

/* Chooses among what exists now: envs listed afresh each time, since
 * another job may have made one. */
static int choose(struct rel_ctx *c, const struct pb_tc_need *n,
		  const struct pb_tc_host *host, struct pb_tc_choice *ch,
		  struct pb_tcenv **envs, struct pb_err *err)
{
	struct pb_tc_choose_opts o = {.sz = sizeof(o)};
	size_t n_envs = 0;
	int ret = 0;

	*envs = NULL;
	if (c->o->toolchain_dir)
		ret = pb_tcenv_list(c->o->toolchain_dir, envs, &n_envs, err);
	if (ret)
		return ret;
	o.mode = c->o->toolchain;
	o.host = host;
	o.defs = c->o->toolchain_defs;
	o.envs = *envs;
	o.n_envs = n_envs;
	return pb_tc_choose(n, &o, ch, err);
}

/* The name the kernel's banner gives its compiler (noble's
 * x86_64-linux-gnu-gcc-13, jammy's gcc) when the environment has it
 * under that name with the same major: kbuild then finds the banner it
 * expects and says nothing about a different compiler. */
static void the_kernels_name(struct rel_ctx *c, const struct pb_tcenv *env,
			     const struct pb_kcc *k)
{
	char word[64], path[PATH_MAX], real[PATH_MAX], want[PATH_MAX];
	size_t n = strcspn(k->text, " (");

	if (n == 0 || n >= sizeof(word))
		return;
	snprintf(word, sizeof(word), "%.*s", (int)n, k->text);
	if (strchr(word, '/') || word[0] == '.' ||
	    pb_path_join(path, sizeof(path), NULL, env->root, "usr/bin", word,
			 NULL) ||
	    pb_path_join(want, sizeof(want), NULL, env->root, c->cc.path, NULL))
		return;
	/* the same compiler: both resolve to one file in the root (plain
	 * "gcc" of another major does not) */
	if (!realpath(path, real) ||
	    strncmp(real, env->root, strlen(env->root)) != 0)
		return;
	if (!realpath(want, path) || strcmp(real, path) != 0)
		return;
	snprintf(c->cc.path, sizeof(c->cc.path), "/usr/bin/%s", word);
}

/* The environment's compiler, as its package list says. */
static int use_env(struct rel_ctx *c, const struct pb_tcenv *env,
		   const struct pb_kcc *k, struct pb_err *err)
{
	char pkg[32], ver[128];

	c->env = *env;
	snprintf(pkg, sizeof(pkg), "%s-%d", k->family, k->major);
	if (pb_tcenv_package_version(env, pkg, ver, sizeof(ver), err) < 0)
		return err->code;
	memset(&c->cc, 0, sizeof(c->cc));
	snprintf(c->cc.path, sizeof(c->cc.path), "/usr/bin/%s", pkg);
	the_kernels_name(c, env, k);
	snprintf(c->cc.version, sizeof(c->cc.version), "%s %.100s (%.100s)",
		 pkg, ver, env->name);
	c->cc.major = k->major;
	c->cc.exact = 1;
	return 0;
}

/* Makes the definition's environment (or waits for whoever is making
 * it), then chooses again: the environment made is now the choice. */
static int make_env(struct rel_ctx *c, const struct pb_tc_choice *ch,
		    struct pb_err *err)
{
	enum pb_log_level level = pb_log_get_level();
	struct pb_tcenv env;
	int made, ret;

	if (!c->o->toolchain_dir)
		return pb_err_set(err, -ENOENT,
				  "toolchain %s must be made, and there is no "
				  "toolchain dir",
				  ch->def->name);
	/* a minute of silence otherwise: the making and its figures are
	 * said even by a worker that says only its errors */
	if (level < PB_LOG_INFO)
		pb_log_set_level(PB_LOG_INFO);
	pb_info("%s: %s; making it", c->rel.name, ch->why);
	ret = pb_tcenv_make(c->o->toolchain_dir, ch->def,
			    c->o->toolchain_mirror, c->o->etc_apt, &env, &made,
			    err);
	pb_log_set_level(level);
	return ret;
}

static int record(struct rel_ctx *c, const struct pb_kcc *k, const char *match,
		  struct pb_err *err)
{
	struct pb_compiler_rec *r = &c->res->compiler;
	const char *env = c->env.name[0] ? c->env.name : NULL;

	r->exact = c->cc.exact;
	if (env)
		pb_info("%s: kernel built with '%s' (%s); using %s: %s (%s "
			"match, environment %s, packages SHA-256 %s)",
			c->rel.name, k->text, k->source, c->cc.path,
			c->cc.version, match, env, c->env.packages_sha256);
	else
		pb_info("%s: kernel built with '%s' (%s); using %s: %s (%s "
			"match, the host's)",
			c->rel.name, k->text, k->source, c->cc.path,
			c->cc.version, match);
	if (pb_result_str(&r->kernel, k->text, err) ||
	    pb_result_str(&r->path, c->cc.path, err) ||
	    pb_result_str(&r->version, c->cc.version, err) ||
	    pb_result_str(&r->match, match, err) ||
	    (env && (pb_result_str(&r->environment, env, err) ||
		     pb_result_str(&r->env_packages_sha256,
				   c->env.packages_sha256, err))))
		return err->code;
	return 0;
}

int pb_rel_toolchain(struct rel_ctx *c, const struct pb_kcc *k,
		     struct pb_err *err)
{
	struct pb_tc_need n;
	struct pb_tc_host host;
	struct pb_tc_choice ch;
	struct pb_tcenv *envs = NULL;
	int ret;

	memset(&c->env, 0, sizeof(c->env));
	tree_need(c, k, &n);
	pb_tc_host_scan(k, c->o->path_env, &host);
	ret = choose(c, &n, &host, &ch, &envs, err);
	if (!ret && ch.kind == PB_TC_MAKE) {
		ret = make_env(c, &ch, err);
		free(envs);
		envs = NULL;
		if (!ret)
			ret = choose(c, &n, &host, &ch, &envs, err);
		if (!ret && ch.kind != PB_TC_ENV)
			ret = pb_err_set(err, -EIO,
					 "toolchain %s was made but is not "
					 "chosen: %s",
					 ch.def ? ch.def->name : "?", ch.why);
	}
	if (ret && c->o->nearest_compiler &&
	    pb_cc_choose(k, c->o->path_env, 1, &c->cc, err) == 0) {
		free(envs);
		return record(c, k, "nearest", err);
	}
	if (!ret && ch.kind == PB_TC_HOST)
		c->cc = host.cc;
	else if (!ret)
		ret = use_env(c, ch.env, k, err);
	if (!ret)
		ret = record(c, k, ch.match, err);
	free(envs);
	return ret;
}
