#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <gnu/libc-version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build/toolchain.h"
#include "util/proc.h"

void pb_tc_host_scan(const struct pb_kcc *k, const char *path_env,
		     struct pb_tc_host *out)
{
	const char *argv[] = {"pahole", "--version", NULL};
	struct pb_err ignored;
	char ver[64];
	int ma, mi;

	memset(out, 0, sizeof(*out));
	out->have_cc = pb_cc_choose(k, path_env, 0, &out->cc, &ignored) == 0;
	if (pb_run_capture(argv, ver, sizeof(ver), NULL) == 0 &&
	    sscanf(ver, "v%d.%d", &ma, &mi) == 2)
		out->pahole = ma * 100 + mi;
	sscanf(gnu_get_libc_version(), "%d.%d", &out->glibc_major,
	       &out->glibc_minor);
}

static int glibc_ok(int have_ma, int have_mi, const struct pb_tc_need *n)
{
	/* unknown on either side: let the build say */
	if (!n->glibc_major || !have_ma)
		return 1;
	return have_ma > n->glibc_major ||
	       (have_ma == n->glibc_major && have_mi >= n->glibc_minor);
}

/* The kernel's own userspace: its release matches the definition's globs
 * (8), one of its series is the definition's (4). */
static int own_score(const struct pb_tc_def *d, const struct pb_tc_need *n)
{
	char globs[512], *g, *save = NULL;
	int score = 0;
	size_t i;

	if (!d)
		return 0;
	snprintf(globs, sizeof(globs), "%s", d->releases);
	for (g = strtok_r(globs, " ", &save); g && n->release;
	     g = strtok_r(NULL, " ", &save))
		if (fnmatch(g, n->release, 0) == 0) {
			score += 8;
			break;
		}
	for (i = 0; i < n->n_series && d->series[0]; i++) {
		size_t l = strlen(d->series);

		if (!strncmp(n->series[i], d->series, l) &&
		    (n->series[i][l] == '\0' || n->series[i][l] == '-')) {
			score += 4;
			break;
		}
	}
	return score;
}

struct cand {
	const struct pb_tcenv *env;
	const struct pb_tc_def *def;
	int score, minor_match;
};

/* Scores env (made) or def (to make) for the need; 0 when it does not
 * provide the compiler, -1 when it cannot run the tree's tools. */
static int score_one(const struct pb_tcenv *env, const struct pb_tc_def *def,
		     const struct pb_tc_need *n, struct cand *c)
{
	const struct pb_tc_provide *p;
	int gma, gmi;

	p = env ? pb_tcenv_provides(env, n->cc.family, n->cc.major)
		: pb_tc_def_provides(def, n->cc.family, n->cc.major);
	if (!p)
		return 0;
	gma = env ? env->glibc_major : def->glibc_major;
	gmi = env ? env->glibc_minor : def->glibc_minor;
	if (!glibc_ok(gma, gmi, n))
		return -1;
	c->env = env;
	c->def = def;
	c->minor_match = p->minor >= 0 && p->minor == n->cc.minor;
	c->score = 1 + own_score(def, n) + 2 * c->minor_match +
		   (env && n->pahole && env->pahole == n->pahole);
	return 1;
}

static void take_best(struct cand *best, const struct cand *c)
{
	/* a made one wins a tie: nothing to make */
	if (!best->score || c->score > best->score ||
	    (c->score == best->score && c->env && !best->env))
		*best = *c;
}

static void note(char *buf, size_t len, const char *name, const char *why)
{
	size_t l = strlen(buf);

	if (l + strlen(name) + strlen(why) + 8 < len)
		snprintf(buf + l, len - l, "%s%s%s", l ? ", " : "", name, why);
}

/* The best made environment or definition; tried names what was refused
 * and why. */
static struct cand best_of(const struct pb_tc_need *n,
			   const struct pb_tc_choose_opts *o, char *tried,
			   size_t tlen)
{
	struct cand best = {0}, c;
	char why[64];
	size_t i;

	snprintf(why, sizeof(why), " (glibc older than %d.%d)", n->glibc_major,
		 n->glibc_minor);
	for (i = 0; i < o->n_envs; i++) {
		const struct pb_tc_def *d =
			o->defs ? pb_tc_defs_find(o->defs, o->envs[i].name)
				: NULL;
		int r = score_one(&o->envs[i], d, n, &c);

		if (r > 0)
			take_best(&best, &c);
		else if (r < 0)
			note(tried, tlen, o->envs[i].name, why);
	}
	for (i = 0; o->defs && i < o->defs->n; i++) {
		const struct pb_tc_def *d = &o->defs->defs[i];
		int r = score_one(NULL, d, n, &c);

		if (r > 0)
			take_best(&best, &c);
		else if (r < 0)
			note(tried, tlen, d->name, why);
	}
	return best;
}

static int host_fits(const struct pb_tc_need *n, const struct pb_tc_host *h)
{
	return h && h->have_cc && (!n->pahole || h->pahole == n->pahole) &&
	       glibc_ok(h->glibc_major, h->glibc_minor, n);
}

static void set_host(const struct pb_tc_need *n, const struct pb_tc_host *h,
		     struct pb_tc_choice *out, const char *why)
{
	struct pb_kcc have;

	out->kind = PB_TC_HOST;
	snprintf(out->match, sizeof(out->match), "%s",
		 !h->cc.exact ? "nearest"
		 : pb_kcc_parse_text(h->cc.version, &have) == 0 &&
				 have.minor == n->cc.minor
			 ? "major.minor"
			 : "major");
	snprintf(out->why, sizeof(out->why), "%s", why);
}

static void set_cand(const struct cand *c, const struct pb_tc_need *n,
		     struct pb_tc_choice *out)
{
	out->kind = c->env ? PB_TC_ENV : PB_TC_MAKE;
	out->env = c->env;
	out->def = c->def;
	snprintf(out->match, sizeof(out->match), "%s",
		 c->minor_match ? "major.minor" : "major");
	snprintf(out->why, sizeof(out->why), "%s %.200s provides %s-%d%s",
		 c->env ? "environment" : "definition",
		 c->env ? c->env->name : c->def->name, n->cc.family,
		 n->cc.major,
		 own_score(c->def, n) ? ", for this kernel's own release" : "");
}

/* What failed, named: the compiler and what was tried. */
static int none(const struct pb_tc_need *n, const struct pb_tc_choose_opts *o,
		const char *tried, struct pb_err *err)
{
	int host_only = o->mode && !strcmp(o->mode, "host");
	char defs[512] = "";
	size_t i;

	for (i = 0; o->defs && i < o->defs->n; i++)
		if (pb_tc_def_provides(&o->defs->defs[i], n->cc.family,
				       n->cc.major))
			note(defs, sizeof(defs), o->defs->defs[i].name, "");
	return pb_err_set(
		err, -ENOENT,
		"the kernel was built with %s (%s): %s-%d is not on this host "
		"and %s (definitions providing it: %s%s%s; see probe-builder "
		"toolchains list)",
		n->cc.text, n->cc.source[0] ? n->cc.source : "its banner",
		n->cc.family, n->cc.major,
		host_only ? "--toolchain=host allows no builder environment"
			  : "no builder environment can be had for it",
		defs[0] ? defs : "none", tried[0] ? "; refused: " : "", tried);
}

static int choose_named(const struct pb_tc_need *n,
			const struct pb_tc_choose_opts *o,
			struct pb_tc_choice *out, struct pb_err *err)
{
	const struct pb_tc_def *d =
		o->defs ? pb_tc_defs_find(o->defs, o->mode) : NULL;
	struct cand c = {0};
	int r = 0, made = 0;
	size_t i;

	for (i = 0; i < o->n_envs && !made; i++)
		if (strcmp(o->envs[i].name, o->mode) == 0) {
			made = 1;
			r = score_one(&o->envs[i], d, n, &c);
		}
	if (!r && d)
		r = score_one(NULL, d, n, &c);
	if (r > 0) {
		set_cand(&c, n, out);
		return 0;
	}
	if (!d && !made)
		return pb_err_set(err, -ENOENT,
				  "--toolchain=%s: no such toolchain (see "
				  "probe-builder toolchains list)",
				  o->mode);
	return pb_err_set(err, -ENOENT,
			  "--toolchain=%s: %s; the kernel was built with %s",
			  o->mode,
			  r < 0 ? "its glibc cannot run the tree's tools"
				: "it does not provide that compiler",
			  n->cc.text);
}

int pb_tc_choose(const struct pb_tc_need *n, const struct pb_tc_choose_opts *o,
		 struct pb_tc_choice *out, struct pb_err *err)
{
	char tried[512] = "";
	struct cand best;

	memset(out, 0, sizeof(*out));
	if (!o || o->sz < sizeof(*o))
		return pb_err_set(err, -EINVAL, "toolchain options too old");
	if (o->mode && strcmp(o->mode, "host") == 0) {
		if (o->host && o->host->have_cc) {
			set_host(n, o->host, out, "--toolchain=host");
			return 0;
		}
		return none(n, o, "", err);
	}
	if (o->mode && strcmp(o->mode, "auto") != 0)
		return choose_named(n, o, out, err);
	if (host_fits(n, o->host)) {
		set_host(n, o->host, out, "the host has it");
		return 0;
	}
	if (o->host && o->host->have_cc)
		note(tried, sizeof(tried), "the host's",
		     o->host->pahole != n->pahole && n->pahole
			     ? " (another pahole)"
			     : " (glibc older than the tree's tools need)");
	best = best_of(n, o, tried, sizeof(tried));
	if (best.score) {
		set_cand(&best, n, out);
		return 0;
	}
	return none(n, o, tried, err);
}
