/* The fetcher's insides, shared by the files of core/net/ (fetch.h is the
 * API):
 *   fetch.c     the handle: the queue, the run, the host table, events
 *   transfer.c  one item's attempts: which URL, resume, the answer judged
 *               (retry, next mirror, done), the size and hash checks
 *   curl.c      the libcurl transport: easy handles on the multi handle */
#ifndef PB_FETCHER_H
#define PB_FETCHER_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "net/fetch.h"

enum xfer_state { X_NEW, X_WAITING, X_RUNNING, X_DONE };

/* One item in the fetcher, allocated alone so that the transport's handle
 * can point at it while the queue grows. */
struct xfer {
	struct pb_fetch_item *it;
	enum xfer_state state;
	void *easy; /* CURL *, while it runs on libcurl */
	FILE *part;
	char part_path[PATH_MAX];
	char terr[256];	     /* the transport's words for a failure */
	unsigned char *dead; /* per URL: it must not be tried again */
	size_t cur;	     /* the URL of the transfer running */
	unsigned attempts;   /* transient failures so far */
	double not_before;   /* backoff */
	double started;
	struct pb_fetch_reply reply; /* status of the last answer */
	int64_t resume_from;	     /* bytes already in the .part file */
	int64_t got;		     /* body bytes written by this transfer */
	int too_big;	   /* more bytes than the index says (1) or than
			      the cap on an unsized file (2) */
	char *redir;	   /* where the last answer sent us, or NULL */
	unsigned n_redirs; /* redirects followed for this URL */
	int64_t dl_now;	   /* for the progress events */
	int head_full;	   /* a head item has its bytes: the rest cut */
};

struct host_stat {
	char host[256];
	unsigned failures;
};

struct pb_fetcher {
	struct pb_fetch_opts o;
	void *multi; /* CURLM *, with the libcurl transport */
	struct xfer **x;
	size_t n, cap;
	struct host_stat *hosts;
	size_t n_hosts;
	size_t running;
	/* this run's counts, for the progress and the result */
	size_t files_total, files_done, files_failed;
	int64_t bytes_total, bytes_done;
	double last_draw;
	int drawn;
	int turns; /* driven by pb_fetcher_turn: the caller draws */
};

/* fetch.c */
/* failures seen on the host of url (0 when out of memory) */
unsigned fetcher_host_failures(struct pb_fetcher *f, const char *url);
void fetcher_host_failed(struct pb_fetcher *f, const char *url);
/* before a log line: the front end erases its progress */
void fetcher_undraw(struct pb_fetcher *f);

/* transfer.c: x's next attempt (or its end, when nothing is left to try),
 * and the end of the one that ran */
void fetcher_start(struct pb_fetcher *f, struct xfer *x);
void fetcher_finished(struct pb_fetcher *f, struct xfer *x,
		      enum pb_transport_result tr, long code, const char *loc);
/* the body sink of every transport (struct pb_fetch_reply.body) */
size_t fetcher_body(struct pb_fetch_reply *r, const void *buf, size_t len);
/* the item of x is done: 0, or it failed (its error says why) */
void fetcher_item_ok(struct pb_fetcher *f, struct xfer *x, int cached);
void fetcher_item_fail(struct pb_fetcher *f, struct xfer *x);
/* 0 when the file at path is the item's (size, SHA-256), else why; hc:
 * its SHA-256 may come from there (NULL: it is hashed) */
int fetcher_verify(const struct pb_fetch_item *it, const char *path,
		   struct pb_hashcache *hc, char *why, size_t len);
/* A file fetched, checked and renamed into place: its SHA-256 is
 * remembered (the next run does not hash it to find it right). */
void fetcher_remember(struct pb_fetcher *f, const struct pb_fetch_item *it);

/* curl.c: -1 when the transfer could not start (x->it->error says why) */
int fetcher_curl_init(struct pb_fetcher *f, struct pb_err *err);
int fetcher_curl_start(struct pb_fetcher *f, struct xfer *x, const char *url,
		       int64_t resume_from);
/* Moves the transfers on, each one that ends to fetcher_finished; waits
 * for the network at most wait_ms. 0 or a negative errno (err). */
int fetcher_curl_perform(struct pb_fetcher *f, struct pb_err *err);
int fetcher_curl_wait(struct pb_fetcher *f, long wait_ms, struct pb_err *err);
/* Takes x's easy handle off the multi handle and frees it. */
void fetcher_curl_stop(struct pb_fetcher *f, struct xfer *x);
void fetcher_curl_free(struct pb_fetcher *f);

#endif
