/* newswatch's configuration file: "key = value" lines, '#' comments. */
#ifndef NW_CONF_H
#define NW_CONF_H

#include <stddef.h>

#include "probe-builder/error.h"

struct nw_config {
	char *source;	    /* the file read */
	char *spool;	    /* INN's tradspool: /var/spool/news/articles */
	char *process;	    /* who writes articles: innd */
	char *webhook;	    /* where notifications are POSTed */
	char *include;	    /* groups wanted (wildcards, comma-separated) */
	char *exclude;	    /* groups not wanted */
	char *template_;    /* the JSON body, with {placeholders} */
	char *state_dir;    /* the queue, what was sent, the checkpoint */
	char *probe_dir;    /* prebuilt eBPF objects, named by probe-builder */
	char *probe_url;    /* or a base URL holding them */
	char *probe_pubkey; /* the PEM ed25519 key manifest.json.sig there is
			       checked with ("": sha256 only) */
	char *probe_name;
	char *probe_version;
	char *backend;	  /* auto, bpf or fanotify */
	long settle_ms;	  /* a file unchanged this long is complete */
	long timeout_s;	  /* per webhook request */
	long retry_max_s; /* the longest pause between retries */
};

/* Defaults, then the file (NULL: defaults only). Returns 0, or a negative
 * errno with err's message naming the file and line; c is to be freed
 * either way. */
int nw_config_load(const char *path, struct nw_config *c, struct pb_err *err);
/* What must hold before running: a spool directory, an http(s) webhook, a
 * template that renders valid JSON, a known backend: 0, or a negative
 * errno with err filled. */
int nw_config_check(const struct nw_config *c, struct pb_err *err);
void nw_config_print(const struct nw_config *c);
void nw_config_free(struct nw_config *c);

#endif
