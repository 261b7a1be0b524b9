#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "probe-builder/alloc.h"
#include "render.h"
#include "util/kvlines.h"
#include "util/sign.h"
#include "util/str.h"

#ifndef NW_PROBE_DIR
#define NW_PROBE_DIR "/usr/local/lib/newswatch/probes"
#endif
#ifndef NW_VERSION
#define NW_VERSION "0.1.0"
#endif

/* *field = a copy of value: 0, or -ENOMEM (err filled) */
static int set(char **field, const char *value, struct pb_err *err)
{
	char *v = pb_strdup(value, err);

	if (!v)
		return -ENOMEM;
	free(*field);
	*field = v;
	return 0;
}

static int read_template(const char *path, char **out, struct pb_err *err)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int c, bad = 0;

	if (!f)
		return pb_err_set(err, -errno, "template_file %s: %s", path,
				  strerror(errno));
	m = open_memstream(&buf, &len);
	while (m && !bad && (c = fgetc(f)) != EOF)
		bad = fputc(c, m) == EOF;
	bad = bad || ferror(f);
	fclose(f);
	if (!m)
		return pb_err_set(err, -ENOMEM, "out of memory");
	if (fclose(m) != 0 || bad) {
		free(buf);
		return pb_err_set(err, -EIO, "template_file %s: cannot read it",
				  path);
	}
	free(*out);
	*out = buf;
	return 0;
}

/* The keys of the file: where each one's value goes */
static const struct key {
	const char *name;
	size_t off; /* in struct nw_config */
	int number; /* a long (positive), else a string */
} keys[] = {
	{"spool", offsetof(struct nw_config, spool), 0},
	{"process", offsetof(struct nw_config, process), 0},
	{"webhook", offsetof(struct nw_config, webhook), 0},
	{"include", offsetof(struct nw_config, include), 0},
	{"exclude", offsetof(struct nw_config, exclude), 0},
	{"template", offsetof(struct nw_config, template_), 0},
	{"state_dir", offsetof(struct nw_config, state_dir), 0},
	{"probe_dir", offsetof(struct nw_config, probe_dir), 0},
	{"probe_url", offsetof(struct nw_config, probe_url), 0},
	{"probe_pubkey", offsetof(struct nw_config, probe_pubkey), 0},
	{"probe_name", offsetof(struct nw_config, probe_name), 0},
	{"probe_version", offsetof(struct nw_config, probe_version), 0},
	{"backend", offsetof(struct nw_config, backend), 0},
	{"settle_ms", offsetof(struct nw_config, settle_ms), 1},
	{"timeout", offsetof(struct nw_config, timeout_s), 1},
	{"retry_max", offsetof(struct nw_config, retry_max_s), 1},
};

static int set_defaults(struct nw_config *c, struct pb_err *err)
{
	memset(c, 0, sizeof(*c));
	c->settle_ms = 300;
	c->timeout_s = 10;
	c->retry_max_s = 300;
	if (set(&c->spool, "/var/spool/news/articles", err) ||
	    set(&c->process, "innd", err) || set(&c->include, "*", err) ||
	    set(&c->exclude, "", err) ||
	    set(&c->template_, NW_DEFAULT_TEMPLATE, err) ||
	    set(&c->state_dir, "/var/lib/newswatch", err) ||
	    set(&c->probe_dir, NW_PROBE_DIR, err) ||
	    set(&c->probe_url, "", err) || set(&c->probe_pubkey, "", err) ||
	    set(&c->probe_name, "newswatch", err) ||
	    set(&c->probe_version, NW_VERSION, err) ||
	    set(&c->backend, "auto", err) || set(&c->webhook, "", err))
		return -ENOMEM;
	return 0;
}

/* One "key = value" (trimmed) of line lineno of path */
static int set_key(struct nw_config *c, const char *key, const char *val,
		   const char *path, unsigned lineno, struct pb_err *err)
{
	char *end, *base = (char *)c;
	size_t i;
	long *num;

	if (!strcmp(key, "template_file"))
		return read_template(val, &c->template_, err);
	for (i = 0; i < PB_ARRAY_SIZE(keys) && strcmp(key, keys[i].name); i++)
		;
	if (i == PB_ARRAY_SIZE(keys))
		return pb_err_set(err, -EINVAL, "%s:%u: unknown key '%s'", path,
				  lineno, key);
	if (!keys[i].number)
		return set((char **)(void *)(base + keys[i].off), val, err);
	num = (long *)(void *)(base + keys[i].off);
	*num = strtol(val, &end, 10);
	if (*end || *num <= 0)
		return pb_err_set(err, -EINVAL,
				  "%s:%u: %s wants a positive number", path,
				  lineno, key);
	return 0;
}

struct load_ctx {
	struct nw_config *c;
	const char *path;
};

static int load_on(const char *k, const char *v, unsigned line, void *data,
		   struct pb_err *err)
{
	struct load_ctx *l = data;

	return set_key(l->c, k, v, l->path, line, err);
}

int nw_config_load(const char *path, struct nw_config *c, struct pb_err *err)
{
	struct load_ctx l = {c, path};
	int ret;

	ret = set_defaults(c, err);
	if (ret < 0 || !path)
		return ret;
	if (set(&c->source, path, err))
		return -ENOMEM;
	return pb_kv_lines(path, load_on, &l, err);
}

/* Whether the template renders valid JSON for a made-up article */
static int check_template(const struct nw_config *c, struct pb_err *err)
{
	struct nw_article a = {0};
	char *groups[] = {"local.test", NULL};
	struct nw_item it = {&a, "local.test", "/x/local/test/1", 1};
	char *body;
	int ret;

	a.subject = "Test \"quoted\"";
	a.from = "Someone <someone@example.org>";
	a.message_id = "<test@example.org>";
	a.newsgroups = groups;
	a.n_newsgroups = 1;
	ret = nw_render(c->template_, &it, &body, err);
	if (!ret)
		free(body);
	return ret;
}

int nw_config_check(const struct nw_config *c, struct pb_err *err)
{
	const char *where = c->source ? c->source : "the configuration";
	struct pb_err e = {0};
	struct stat st;

	if (stat(c->spool, &st) < 0)
		return pb_err_set(err, -errno, "%s: spool %s: %s", where,
				  c->spool, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return pb_err_set(err, -ENOTDIR, "%s: spool %s: %s", where,
				  c->spool, "not a directory");
	if (strncmp(c->webhook, "http://", 7) &&
	    strncmp(c->webhook, "https://", 8))
		return pb_err_set(err, -EINVAL,
				  "%s: webhook '%s' is not an http(s) URL",
				  where, c->webhook);
	if (strcmp(c->backend, "auto") && strcmp(c->backend, "bpf") &&
	    strcmp(c->backend, "fanotify"))
		return pb_err_set(err, -EINVAL,
				  "%s: backend '%s' is not auto, bpf or "
				  "fanotify",
				  where, c->backend);
	if (c->probe_pubkey[0] && pb_sign_pubkey_check(c->probe_pubkey, &e) < 0)
		return pb_err_set(err, e.code, "%s: probe_pubkey %s", where,
				  e.msg);
	if (!c->process[0] || strlen(c->process) > 15)
		return pb_err_set(err, -EINVAL,
				  "%s: process '%s': a process name has 1 to "
				  "15 characters",
				  where, c->process);
	return check_template(c, err);
}

void nw_config_print(const struct nw_config *c)
{
	printf("spool = %s\nprocess = %s\nwebhook = %s\ninclude = %s\n"
	       "exclude = %s\ntemplate = %s\nstate_dir = %s\n"
	       "probe_dir = %s\nprobe_url = %s\nprobe_pubkey = %s\n"
	       "probe_name = %s\n"
	       "probe_version = %s\nbackend = %s\nsettle_ms = %ld\n"
	       "timeout = %ld\nretry_max = %ld\n",
	       c->spool, c->process, c->webhook, c->include, c->exclude,
	       c->template_, c->state_dir, c->probe_dir, c->probe_url,
	       c->probe_pubkey, c->probe_name, c->probe_version, c->backend,
	       c->settle_ms, c->timeout_s, c->retry_max_s);
}

void nw_config_free(struct nw_config *c)
{
	free(c->source);
	free(c->spool);
	free(c->process);
	free(c->webhook);
	free(c->include);
	free(c->exclude);
	free(c->template_);
	free(c->state_dir);
	free(c->probe_dir);
	free(c->probe_url);
	free(c->probe_pubkey);
	free(c->probe_name);
	free(c->probe_version);
	free(c->backend);
	memset(c, 0, sizeof(*c));
}
