#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "render.h"
#include "util/sign.h"
#include "util/str.h"

#ifndef NW_PROBE_DIR
#define NW_PROBE_DIR "/usr/local/lib/newswatch/probes"
#endif
#ifndef NW_VERSION
#define NW_VERSION "0.1.0"
#endif

static int set(char **field, const char *value)
{
	char *v = strdup(value);

	if (!v)
		return -ENOMEM;
	free(*field);
	*field = v;
	return 0;
}

static int read_template(const char *path, char **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int c;

	if (!f) {
		snprintf(err, errlen, "template_file %s: %s", path,
			 strerror(errno));
		return -1;
	}
	m = open_memstream(&buf, &len);
	while (m && (c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(f);
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fclose(m);
	free(*out);
	*out = buf;
	return 0;
}

int nw_config_load(const char *path, struct nw_config *c, char *err,
		   size_t errlen)
{
	char line[4096];
	unsigned lineno = 0;
	FILE *f;

	memset(c, 0, sizeof(*c));
	if (set(&c->spool, "/var/spool/news/articles") ||
	    set(&c->process, "innd") || set(&c->include, "*") ||
	    set(&c->exclude, "") || set(&c->template_, NW_DEFAULT_TEMPLATE) ||
	    set(&c->state_dir, "/var/lib/newswatch") ||
	    set(&c->probe_dir, NW_PROBE_DIR) || set(&c->probe_url, "") ||
	    set(&c->probe_pubkey, "") || set(&c->probe_name, "newswatch") ||
	    set(&c->probe_version, NW_VERSION) || set(&c->backend, "auto") ||
	    set(&c->webhook, "")) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->settle_ms = 300;
	c->timeout_s = 10;
	c->retry_max_s = 300;
	if (!path)
		return 0;
	set(&c->source, path);
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = pb_trim(line), *eq, *key, *val;
		char **str = NULL;
		long *num = NULL;

		lineno++;
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: not a 'key = value' line",
				 path, lineno);
			fclose(f);
			return -1;
		}
		*eq = '\0';
		key = pb_trim(s);
		val = pb_trim(eq + 1);
		if (!strcmp(key, "spool"))
			str = &c->spool;
		else if (!strcmp(key, "process"))
			str = &c->process;
		else if (!strcmp(key, "webhook"))
			str = &c->webhook;
		else if (!strcmp(key, "include"))
			str = &c->include;
		else if (!strcmp(key, "exclude"))
			str = &c->exclude;
		else if (!strcmp(key, "template"))
			str = &c->template_;
		else if (!strcmp(key, "state_dir"))
			str = &c->state_dir;
		else if (!strcmp(key, "probe_dir"))
			str = &c->probe_dir;
		else if (!strcmp(key, "probe_url"))
			str = &c->probe_url;
		else if (!strcmp(key, "probe_pubkey"))
			str = &c->probe_pubkey;
		else if (!strcmp(key, "probe_name"))
			str = &c->probe_name;
		else if (!strcmp(key, "probe_version"))
			str = &c->probe_version;
		else if (!strcmp(key, "backend"))
			str = &c->backend;
		else if (!strcmp(key, "settle_ms"))
			num = &c->settle_ms;
		else if (!strcmp(key, "timeout"))
			num = &c->timeout_s;
		else if (!strcmp(key, "retry_max"))
			num = &c->retry_max_s;
		if (!strcmp(key, "template_file")) {
			if (read_template(val, &c->template_, err, errlen) <
			    0) {
				fclose(f);
				return -1;
			}
			continue;
		}
		if (num) {
			char *end;

			*num = strtol(val, &end, 10);
			if (*end || *num <= 0) {
				snprintf(err, errlen,
					 "%s:%u: %s wants a positive number",
					 path, lineno, key);
				fclose(f);
				return -1;
			}
			continue;
		}
		if (!str) {
			snprintf(err, errlen, "%s:%u: unknown key '%s'", path,
				 lineno, key);
			fclose(f);
			return -1;
		}
		if (set(str, val)) {
			snprintf(err, errlen, "out of memory");
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

int nw_config_check(const struct nw_config *c, char *err, size_t errlen)
{
	struct nw_article a = {0};
	char *groups[] = {"local.test", NULL};
	struct nw_item it = {&a, "local.test", "/x/local/test/1", 1};
	struct stat st;
	const char *where = c->source ? c->source : "the configuration";
	char *body;

	if (stat(c->spool, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: spool %s: %s", where, c->spool,
			 stat(c->spool, &st) < 0 ? strerror(errno)
						 : "not a directory");
		return -1;
	}
	if (strncmp(c->webhook, "http://", 7) &&
	    strncmp(c->webhook, "https://", 8)) {
		snprintf(err, errlen, "%s: webhook '%s' is not an http(s) URL",
			 where, c->webhook);
		return -1;
	}
	if (strcmp(c->backend, "auto") && strcmp(c->backend, "bpf") &&
	    strcmp(c->backend, "fanotify")) {
		snprintf(err, errlen,
			 "%s: backend '%s' is not auto, bpf or fanotify", where,
			 c->backend);
		return -1;
	}
	if (c->probe_pubkey[0]) {
		struct pb_err e = {0};

		if (pb_sign_pubkey_check(c->probe_pubkey, &e) < 0) {
			snprintf(err, errlen, "%s: probe_pubkey %s", where,
				 e.msg);
			return -1;
		}
	}
	if (!c->process[0] || strlen(c->process) > 15) {
		snprintf(err, errlen,
			 "%s: process '%s': a process name has 1 to 15 "
			 "characters",
			 where, c->process);
		return -1;
	}
	a.subject = "Test \"quoted\"";
	a.from = "Someone <someone@example.org>";
	a.message_id = "<test@example.org>";
	a.newsgroups = groups;
	a.n_newsgroups = 1;
	body = nw_render(c->template_, &it, err, errlen);
	if (!body)
		return -1;
	free(body);
	return 0;
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
