/* Downloads: one libcurl multi handle, N transfers at once, retries with
 * backoff, .part files resumed with Range, failover to another mirror that
 * holds the same file, size and SHA-256 checked before a file is renamed
 * into place. */
#ifndef PB_FETCH_H
#define PB_FETCH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "probe-builder/error.h"

/* Where the downloads are, for a front end that draws its own progress. */
struct pb_fetch_progress {
	size_t files_done, files_total, files_failed;
	int64_t bytes_done, bytes_total; /* bytes_total: the known sizes */
};

struct pb_fetch_opts {
	size_t sz;
	unsigned concurrency;	/* transfers at once (-d); 0: 4 */
	unsigned retries;	/* attempts after the first (-r) */
	long connect_timeout_s; /* 0: 15 */
	long low_speed_time_s;	/* abort a transfer slower than */
	long low_speed_limit;	/* low_speed_limit bytes/s for that long */
	double backoff_s;	/* first retry delay, doubled each time */
	int progress;		/* a bar on stderr (a terminal) */
	int quiet;		/* no log line per file */
	/* redirects are followed on http(s) only, at most max_redirects
	 * (0: 5) times, and only to the host of the URL asked unless
	 * allow_redirect_host */
	unsigned max_redirects;
	int allow_redirect_host;
	/* set (to a signal number) to stop: transfers are cut, .part files
	 * kept for the next run, and pb_fetch_all returns -EINTR */
	const volatile sig_atomic_t *stop;
	/* with progress set: called instead of drawing the bar, a few
	 * times a second; the line is erased with "\r\033[K" before a log
	 * line and at the end */
	void (*on_progress)(const struct pb_fetch_progress *p, void *data);
	void *progress_data;
};

#define PB_FETCH_OPTS_INIT                                                     \
	{                                                                      \
		.sz = sizeof(struct pb_fetch_opts), .concurrency = 4,          \
		.retries = 3, .connect_timeout_s = 15, .low_speed_time_s = 30, \
		.low_speed_limit = 1024, .backoff_s = 0.5                      \
	}

struct pb_fetch_item {
	/* in */
	const char *const *urls; /* the same file on several mirrors */
	size_t n_urls;
	const char *dest;   /* the final path; dest.part while it comes */
	int64_t size;	    /* expected size, -1: unknown */
	const char *sha256; /* expected, NULL: unknown */
	int quiet_404;	    /* not being there is an answer: no error line */
	/* with size -1: more bytes than this stop the transfer (an endless
	 * or oversized body); 0: no cap */
	int64_t max_size;
	/* what gave size and sha256 ("the signed Release"): other bytes are
	 * reported as not matching it (a stale mirror), not as a fault of the
	 * transfer; NULL: "the index" */
	const char *signed_by;
	/* out: every item starts unfinished (-EINPROGRESS, "not fetched"),
	 * whatever pb_fetch_all returns */
	int result; /* 0 or a negative errno */
	char error[600];
	size_t url_used; /* index in urls of the mirror that served it */
	long http_code;	 /* of the last answer (404: not there) */
	int cached;	 /* dest was already there and right: no transfer */
};

/* Fetches every item. A dest already there with the expected SHA-256 is
 * kept without a transfer. Returns 0 when every item is in place, -EIO when
 * one is not (each item says why), another negative errno when the
 * downloader itself could not start (then err says why, and every item is
 * still unfinished). A transient failure (a reset, a 5xx, a timeout) is
 * retried with backoff; a permanent one (404, 403, 410, TLS or certificate
 * errors, a bad URL, a redirect refused, bytes that do not match the index)
 * goes to the next mirror of the item at once, never again to the same. */
int pb_fetch_all(struct pb_fetch_item *items, size_t n,
		 const struct pb_fetch_opts *o, struct pb_err *err);

/* The host part of a URL ("127.0.0.1:8080"), for messages and counts. */
void pb_url_host(const char *url, char *out, size_t len);

#endif
