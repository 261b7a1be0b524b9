/* One item's attempts: which URL next, what a .part file already holds,
 * how an answer is judged (done, retried after a pause, or the next
 * mirror), and the size and hash checks before a file goes into place.
 * Nothing here knows the transport. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/fetcher.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"
#include "probe-builder/pkgname.h"
#include "util/clock.h"
#include "util/hashcache.h"
#include "util/http.h"
#include "util/str.h"

/* a host that failed this often is tried after the others */
#define HOST_FAILURES_DEMOTE 2

static int part_size(const char *path, int64_t *size)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	*size = (int64_t)st.st_size;
	return 0;
}

int fetcher_verify(const struct pb_fetch_item *it, const char *path,
		   struct pb_hashcache *hc, char *why, size_t len)
{
	char hex[PB_HEX_MAX];
	struct pb_err err = {0};
	int64_t size = 0;

	if (part_size(path, &size) < 0) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return -EIO;
	}
	if (it->size >= 0 && size != it->size) {
		if (it->signed_by)
			snprintf(why, len,
				 "does not match %s: stale mirror? (size "
				 "%lld, %s says %lld)",
				 it->signed_by, (long long)size, it->signed_by,
				 (long long)it->size);
		else
			snprintf(why, len, "size %lld, the index says %lld",
				 (long long)size, (long long)it->size);
		return -EBADMSG;
	}
	if (!it->sha256)
		return 0;
	if (pb_hash_file_cached(hc, path, "sha256", hex, &err) < 0) {
		snprintf(why, len, "%s", err.msg);
		return -EIO;
	}
	if (strcasecmp(hex, it->sha256) != 0) {
		if (it->signed_by)
			snprintf(why, len,
				 "does not match %s: stale mirror? (SHA-256 "
				 "%s, %s says %s)",
				 it->signed_by, hex, it->signed_by, it->sha256);
		else
			snprintf(why, len, "SHA-256 %s, the index says %s", hex,
				 it->sha256);
		return -EBADMSG;
	}
	return 0;
}

void fetcher_remember(struct pb_fetcher *f, const struct pb_fetch_item *it)
{
	struct pb_err err = {0};

	/* the .part was hashed, not dest: the same inode, renamed by us
	 * just now, which nobody else writes */
	if (f->o.hash_cache && it->sha256 && !it->head &&
	    pb_hashcache_put(f->o.hash_cache, it->dest, "sha256", it->sha256,
			     &err) < 0)
		pb_debug("hash cache: %s", err.msg);
}

void fetcher_item_fail(struct pb_fetcher *f, struct xfer *x)
{
	int64_t have;

	/* an empty .part (a 404) is nothing to resume: not left behind for
	 * the next run to call a leftover */
	if (x->part_path[0] && part_size(x->part_path, &have) == 0 && have == 0)
		unlink(x->part_path);
	x->state = X_DONE;
	x->it->result = -EIO;
	f->files_done++;
	f->files_failed++;
	/* the caller says it, once, where it matters (a failed repository,
	 * a kernel whose package is missing) */
	if (!(x->it->quiet_404 && x->it->http_code == 404))
		pb_debug("given up: %s", x->it->error);
	if (x->it->on_done)
		x->it->on_done(x->it, x->it->data);
}

void fetcher_item_ok(struct pb_fetcher *f, struct xfer *x, int cached)
{
	x->state = X_DONE;
	x->it->result = 0;
	x->it->error[0] = '\0';
	x->it->cached = cached;
	x->it->url_used = x->cur;
	f->files_done++;
	if (x->it->size > 0)
		f->bytes_done += x->it->size;
	if (!cached && !f->o.quiet && !f->o.progress) {
		char host[256];

		pb_url_host(x->it->urls[x->cur], host, sizeof(host));
		pb_info("fetched %s from %s (%lld bytes, %.1fs)",
			pb_basename(x->it->urls[x->cur]), host,
			(long long)(x->resume_from + x->got),
			pb_now_s() - x->started);
	}
	if (x->it->on_done)
		x->it->on_done(x->it, x->it->data);
}

/* The URL to try next: alive, on the host with the fewest failures, in
 * the order given on a tie. -1 when every URL is dead. */
static long pick_url(struct pb_fetcher *f, struct xfer *x)
{
	long best = -1;
	unsigned best_fail = 0;
	size_t i;

	for (i = 0; i < x->it->n_urls; i++) {
		unsigned fl;

		if (x->dead[i])
			continue;
		fl = fetcher_host_failures(f, x->it->urls[i]);
		fl = fl >= HOST_FAILURES_DEMOTE ? HOST_FAILURES_DEMOTE : 0;
		if (best < 0 || fl < best_fail) {
			best = (long)i;
			best_fail = fl;
		}
	}
	return best;
}

/* What the .part file of an interrupted run gives: the bytes to resume
 * from, or -1 when it was the whole file and the item is done. */
static int64_t resume_point(struct pb_fetcher *f, struct xfer *x)
{
	int64_t have = 0;
	char why[300];

	if (part_size(x->part_path, &have) < 0)
		have = 0;
	if (have > 0 && !x->it->sha256) {
		/* without a hash to check the joined bytes against, the start
		 * of another version of the file must not be resumed */
		unlink(x->part_path);
		have = 0;
	}
	if (x->it->size < 0 || have < x->it->size)
		return have;
	/* a whole file from an interrupted run: check it as is */
	if (have == x->it->size &&
	    fetcher_verify(x->it, x->part_path, NULL, why, sizeof(why)) == 0 &&
	    rename(x->part_path, x->it->dest) == 0) {
		fetcher_remember(f, x->it);
		x->resume_from = have;
		fetcher_item_ok(f, x, 0);
		return -1;
	}
	unlink(x->part_path);
	return 0;
}

/* Asks the transport of the options, which answers at once. */
static void ask_seam(struct pb_fetcher *f, struct xfer *x, const char *url)
{
	struct pb_fetch_request rq = {.url = url,
				      .resume_from = x->resume_from,
				      .range_end = x->it->head ? x->it->size - 1
							       : 0};
	enum pb_transport_result tr;

	tr = f->o.transport(&rq, &x->reply, x->terr, sizeof(x->terr),
			    f->o.transport_data);
	fetcher_finished(f, x, tr, x->reply.status, x->reply.location);
}

void fetcher_start(struct pb_fetcher *f, struct xfer *x)
{
	long pick = pick_url(f, x);
	const char *url;
	int64_t have;

	if (pick < 0) {
		fetcher_item_fail(f, x);
		return;
	}
	x->cur = (size_t)pick;
	url = x->redir ? x->redir : x->it->urls[x->cur];
	x->got = 0;
	x->reply.status = 0;
	x->reply.location = NULL;
	x->too_big = 0;
	x->head_full = 0;
	x->dl_now = 0;
	x->terr[0] = '\0';
	x->started = pb_now_s();
	have = resume_point(f, x);
	if (have < 0)
		return;
	x->resume_from = have;
	x->part = fopen(x->part_path, "ab");
	if (!x->part) {
		pb_msgf(x->it->error, sizeof(x->it->error), "%s: %s",
			x->part_path, strerror(errno));
		fetcher_item_fail(f, x);
		return;
	}
	x->state = X_RUNNING;
	f->running++;
	if (f->o.transport) {
		ask_seam(f, x, url);
	} else if (fetcher_curl_start(f, x, url, have) < 0) {
		f->running--;
		fclose(x->part);
		x->part = NULL;
		fetcher_item_fail(f, x);
	}
}

size_t fetcher_body(struct pb_fetch_reply *r, const void *buf, size_t len)
{
	struct xfer *x = r->priv;

	if (r->status != 200 && r->status != 206)
		return len; /* an error page: not the file */
	if (r->status == 200 && x->resume_from > 0 && x->got == 0) {
		/* the server ignored the Range: start over */
		if (fflush(x->part) != 0 || ftruncate(fileno(x->part), 0) < 0 ||
		    fseeko(x->part, 0, SEEK_SET) < 0)
			return 0;
		x->resume_from = 0;
	}
	if (x->it->head &&
	    x->resume_from + x->got + (int64_t)len >= x->it->size) {
		/* the head is in: the rest of the file is not wanted */
		size_t want = (size_t)(x->it->size - x->resume_from - x->got);

		if (fwrite(buf, 1, want, x->part) != want)
			return 0;
		x->got += (int64_t)want;
		x->head_full = 1;
		return want == len ? len : 0;
	}
	if (x->it->size >= 0 &&
	    x->resume_from + x->got + (int64_t)len > x->it->size) {
		x->too_big = 1;
		return 0;
	}
	if (x->it->size < 0 && x->it->max_size > 0 &&
	    x->resume_from + x->got + (int64_t)len > x->it->max_size) {
		x->too_big = 2;
		return 0;
	}
	if (fwrite(buf, 1, len, x->part) != len)
		return 0;
	x->got += (int64_t)len;
	return len;
}

static void forget_redirect(struct xfer *x)
{
	free(x->redir);
	x->redir = NULL;
	x->n_redirs = 0;
}

/* A failure worth another try, after a pause that doubles each time. */
static void transient(struct pb_fetcher *f, struct xfer *x, const char *why)
{
	const char *url = x->it->urls[x->cur];
	double delay;

	fetcher_host_failed(f, url);
	forget_redirect(x); /* a retry asks the mirror again */
	x->attempts++;
	snprintf(x->it->error, sizeof(x->it->error),
		 "%s: %s (after %u attempt%s)", url, why, x->attempts,
		 x->attempts == 1 ? "" : "s");
	if (x->attempts > f->o.retries) {
		fetcher_item_fail(f, x);
		return;
	}
	delay = f->o.backoff_s;
	for (unsigned k = 1; k < x->attempts && delay < 30.0; k++)
		delay *= 2;
	x->not_before = pb_now_s() + delay;
	x->state = X_WAITING;
	fetcher_undraw(f);
	pb_warn("%s: %s; retrying in %.1fs (attempt %u of %u)", url, why, delay,
		x->attempts + 1, f->o.retries + 1);
}

/* This mirror cannot serve this file (404, wrong bytes): the next one. */
static void dead_url(struct pb_fetcher *f, struct xfer *x, const char *why)
{
	const char *url = x->it->urls[x->cur];

	/* a file a mirror does not have says nothing of the host */
	if (x->it->http_code != 404)
		fetcher_host_failed(f, url);
	forget_redirect(x);
	x->dead[x->cur] = 1;
	snprintf(x->it->error, sizeof(x->it->error), "%s: %s", url, why);
	if (pick_url(f, x) < 0) {
		fetcher_item_fail(f, x);
		return;
	}
	x->not_before = 0;
	x->state = X_WAITING;
	fetcher_undraw(f);
	pb_warn("%s: %s; trying another mirror", url, why);
}

/* A 3xx to loc: followed when it stays on http(s) and on the host asked
 * (unless allowed), a bounded number of times; else this URL is dead. */
static void redirected(struct pb_fetcher *f, struct xfer *x, long code,
		       const char *loc)
{
	unsigned max = f->o.max_redirects ? f->o.max_redirects : 5;
	const char *url = x->it->urls[x->cur];
	char why[600], h1[256], h2[256];
	char *copy;

	if (!loc || !*loc) {
		snprintf(why, sizeof(why), "HTTP %ld without a Location", code);
		dead_url(f, x, why);
		return;
	}
	if (strncasecmp(loc, "http://", 7) && strncasecmp(loc, "https://", 8)) {
		snprintf(why, sizeof(why),
			 "HTTP %ld to %.300s: not an http(s) URL, not followed",
			 code, loc);
		dead_url(f, x, why);
		return;
	}
	if (x->n_redirs >= max) {
		snprintf(why, sizeof(why),
			 "more than %u redirects (the last to %.300s)", max,
			 loc);
		dead_url(f, x, why);
		return;
	}
	pb_url_host(url, h1, sizeof(h1));
	pb_url_host(loc, h2, sizeof(h2));
	if (strcasecmp(h1, h2) && !f->o.allow_redirect_host) {
		pb_msgf(why, sizeof(why),
			"HTTP %ld to %.300s: another host than %s, not "
			"followed (--allow-redirect-host follows it)",
			code, loc, h1);
		dead_url(f, x, why);
		return;
	}
	copy = pb_strdup(loc, NULL); /* said in the item's error */
	if (!copy) {
		snprintf(x->it->error, sizeof(x->it->error),
			 "%s: out of memory", url);
		fetcher_item_fail(f, x);
		return;
	}
	free(x->redir);
	x->redir = copy;
	x->n_redirs++;
	x->not_before = 0;
	x->state = X_WAITING;
}

/* A transfer stopped by fetcher_body because of its size: why, in why. */
static void too_big_why(const struct xfer *x, char *why, size_t len)
{
	if (x->too_big == 2)
		snprintf(why, len,
			 "more than %lld bytes, the cap on a metadata file "
			 "(--max-metadata-size changes it)",
			 (long long)x->it->max_size);
	else if (x->it->signed_by)
		snprintf(why, len,
			 "does not match %s: stale mirror? (more than the %lld "
			 "bytes it says)",
			 x->it->signed_by, (long long)x->it->size);
	else
		snprintf(why, len, "more bytes than the index says");
}

/* A whole answer of 200 or 206: the file, if its bytes are right. */
static void got_body(struct pb_fetcher *f, struct xfer *x)
{
	int64_t have = x->resume_from + x->got;
	char why[600];

	if (x->it->size >= 0 && have < x->it->size) {
		/* the transport saw the whole answer (a cut one is an error):
		 * the mirror has another file than the index says */
		unlink(x->part_path);
		if (x->it->signed_by)
			snprintf(why, sizeof(why),
				 "does not match %s: stale mirror? (%lld "
				 "bytes, %s says %lld)",
				 x->it->signed_by, (long long)have,
				 x->it->signed_by, (long long)x->it->size);
		else
			snprintf(why, sizeof(why),
				 "short body: %lld of %lld bytes",
				 (long long)have, (long long)x->it->size);
		dead_url(f, x, why);
		return;
	}
	if (fetcher_verify(x->it, x->part_path, NULL, why, sizeof(why)) < 0) {
		/* wrong bytes: never kept, never resumed */
		unlink(x->part_path);
		dead_url(f, x, why);
		return;
	}
	if (rename(x->part_path, x->it->dest) < 0) {
		pb_msgf(x->it->error, sizeof(x->it->error),
			"cannot rename %s to %s: %s", x->part_path, x->it->dest,
			strerror(errno));
		fetcher_item_fail(f, x);
		return;
	}
	fetcher_remember(f, x->it);
	fetcher_item_ok(f, x, 0);
}

void fetcher_finished(struct pb_fetcher *f, struct xfer *x,
		      enum pb_transport_result tr, long code, const char *loc)
{
	char why[600];

	x->it->http_code = code;
	f->running--;
	if (fclose(x->part) != 0 && tr == PB_TRANSPORT_OK) {
		pb_msgf(x->terr, sizeof(x->terr), "%s: %s", x->part_path,
			strerror(errno));
		tr = PB_TRANSPORT_TRANSIENT;
	}
	x->part = NULL;
	if (x->head_full && !x->too_big && (code == 200 || code == 206)) {
		/* cut on purpose, not a failed transfer */
		got_body(f, x);
		return;
	}
	if (x->too_big) {
		unlink(x->part_path);
		too_big_why(x, why, sizeof(why));
		dead_url(f, x, why);
		return;
	}
	if (tr != PB_TRANSPORT_OK) {
		snprintf(why, sizeof(why), "%s",
			 x->terr[0] ? x->terr : "the transfer failed");
		if (tr == PB_TRANSPORT_PERMANENT)
			dead_url(f, x, why);
		else
			transient(f, x, why);
		return;
	}
	if (code == 416) {
		/* what we have does not fit what it has: start over */
		unlink(x->part_path);
		transient(f, x, "HTTP 416 on resume");
		return;
	}
	snprintf(why, sizeof(why), "HTTP %ld", code);
	switch (pb_http_classify(code)) {
	case PB_HTTP_REDIRECT:
		redirected(f, x, code, loc);
		return;
	case PB_HTTP_RETRY:
		transient(f, x, why);
		return;
	case PB_HTTP_OK:
		/* 204 and the like hold no file */
		if (code != 200 && code != 206)
			dead_url(f, x, why);
		else
			got_body(f, x);
		return;
	case PB_HTTP_REFUSED:
		dead_url(f, x, why);
		return;
	}
}
