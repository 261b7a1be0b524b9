#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "net/fetch.h"
#include "probe-builder/log.h"
#include "probe-builder/pkgname.h"
#include "util/clock.h"
#include "util/hash.h"

/* a host that failed this often is tried after the others */
#define HOST_FAILURES_DEMOTE 2

enum xfer_state { X_WAITING, X_RUNNING, X_DONE };

struct host_stat {
	char host[256];
	unsigned failures;
};

struct xfer {
	struct pb_fetch_item *it;
	enum xfer_state state;
	CURL *easy;
	FILE *part;
	char part_path[PATH_MAX];
	char curl_err[CURL_ERROR_SIZE];
	unsigned char *dead; /* per URL: it must not be tried again */
	size_t cur;	     /* the URL of the transfer running */
	unsigned attempts;   /* transient failures so far */
	double not_before;   /* backoff */
	double started;
	long status;	     /* of the last response's status line */
	int64_t resume_from; /* bytes already in the .part file */
	int64_t got;	     /* body bytes written by this transfer */
	int too_big;	     /* more bytes than the index says (1) or than
				the cap on an unsized file (2) */
	char *redir;	     /* where the last answer sent us, or NULL */
	unsigned n_redirs;   /* redirects followed for this URL */
	curl_off_t dl_now;   /* for the progress bar */
};

struct fetcher {
	const struct pb_fetch_opts *o;
	CURLM *multi;
	struct xfer *x;
	size_t n;
	struct host_stat *hosts;
	size_t n_hosts;
	size_t n_done, n_failed, running;
	int64_t bytes_total, bytes_done;
	double last_draw;
	int drawn;
};

void pb_url_host(const char *url, char *out, size_t len)
{
	const char *p = strstr(url, "://");
	size_t n;

	p = p ? p + 3 : url;
	n = strcspn(p, "/?#");
	snprintf(out, len, "%.*s", (int)n, p);
}

static struct host_stat *host_of(struct fetcher *f, const char *url)
{
	struct host_stat *g;
	char host[256];
	size_t i;

	pb_url_host(url, host, sizeof(host));
	for (i = 0; i < f->n_hosts; i++)
		if (strcmp(f->hosts[i].host, host) == 0)
			return &f->hosts[i];
	g = realloc(f->hosts, (f->n_hosts + 1) * sizeof(*g));
	if (!g)
		return NULL;
	f->hosts = g;
	memset(&g[f->n_hosts], 0, sizeof(*g));
	snprintf(g[f->n_hosts].host, sizeof(g->host), "%s", host);
	return &g[f->n_hosts++];
}

static unsigned host_failures(struct fetcher *f, const char *url)
{
	struct host_stat *h = host_of(f, url);

	return h ? h->failures : 0;
}

/* ---------------------------------------------------------- progress */

static void fmt_bytes(char *buf, size_t len, double b)
{
	if (b >= 1024.0 * 1024 * 1024)
		snprintf(buf, len, "%.1f GiB", b / (1024.0 * 1024 * 1024));
	else if (b >= 1024.0 * 1024)
		snprintf(buf, len, "%.1f MiB", b / (1024.0 * 1024));
	else
		snprintf(buf, len, "%.0f KiB", b / 1024.0);
}

static void draw(struct fetcher *f, int force)
{
	double t = pb_now_s(), now_bytes = (double)f->bytes_done;
	char done[32], total[32];
	size_t i;

	if (!f->o->progress || (!force && t - f->last_draw < 0.1))
		return;
	f->last_draw = t;
	for (i = 0; i < f->n; i++)
		if (f->x[i].state == X_RUNNING)
			now_bytes += (double)f->x[i].dl_now;
	if (f->o->on_progress) {
		struct pb_fetch_progress p = {
			.files_done = f->n_done,
			.files_total = f->n,
			.files_failed = f->n_failed,
			.bytes_done = (int64_t)now_bytes,
			.bytes_total = f->bytes_total,
		};

		f->o->on_progress(&p, f->o->progress_data);
		f->drawn = 1; /* undraw() erases the front end's line */
		return;
	}
	fmt_bytes(done, sizeof(done), now_bytes);
	fmt_bytes(total, sizeof(total), (double)f->bytes_total);
	fprintf(stderr, "\r\033[Kdownloading: %zu/%zu files, %s of %s%s%s",
		f->n_done, f->n, done, total, f->n_failed ? ", failed: " : "",
		f->n_failed ? "yes" : "");
	fflush(stderr);
	f->drawn = 1;
}

/* Log lines must not land in the middle of the bar. */
static void undraw(struct fetcher *f)
{
	if (f->drawn) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
		f->drawn = 0;
	}
}

/* ---------------------------------------------------------- callbacks */

static size_t on_header(char *buf, size_t size, size_t n, void *data)
{
	struct xfer *x = data;
	size_t len = size * n;
	long code;

	/* every response of a redirect chain starts with its status line */
	if (len > 9 && strncmp(buf, "HTTP/", 5) == 0 &&
	    sscanf(buf, "HTTP/%*s %ld", &code) == 1)
		x->status = code;
	return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *data)
{
	struct xfer *x = data;
	size_t len = size * n;

	if (x->status != 200 && x->status != 206)
		return len; /* an error page: not the file */
	if (x->status == 200 && x->resume_from > 0 && x->got == 0) {
		/* the server ignored the Range: start over */
		if (fflush(x->part) != 0 || ftruncate(fileno(x->part), 0) < 0 ||
		    fseeko(x->part, 0, SEEK_SET) < 0)
			return 0;
		x->resume_from = 0;
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

static int on_progress(void *data, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = data;

	(void)dltotal;
	(void)ultotal;
	(void)ulnow;
	x->dl_now = dlnow;
	return 0;
}

/* ---------------------------------------------------------- transfers */

static int part_size(const char *path, int64_t *size)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	*size = (int64_t)st.st_size;
	return 0;
}

/* Checks a complete file against the item; 0 when it is the one. */
static int verify(const struct pb_fetch_item *it, const char *path, char *why,
		  size_t len)
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
	if (pb_hash_file(path, "sha256", hex, &err) < 0) {
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

static void item_fail(struct fetcher *f, struct xfer *x)
{
	x->state = X_DONE;
	x->it->result = -EIO;
	f->n_done++;
	f->n_failed++;
	/* the caller says it, once, where it matters (a failed repository,
	 * a kernel whose package is missing) */
	if (!(x->it->quiet_404 && x->it->http_code == 404))
		pb_debug("given up: %s", x->it->error);
}

static void item_ok(struct fetcher *f, struct xfer *x, int cached)
{
	x->state = X_DONE;
	x->it->result = 0;
	x->it->error[0] = '\0';
	x->it->cached = cached;
	x->it->url_used = x->cur;
	f->n_done++;
	if (x->it->size > 0)
		f->bytes_done += x->it->size;
	if (!cached && !f->o->quiet && !f->o->progress) {
		char host[256];

		pb_url_host(x->it->urls[x->cur], host, sizeof(host));
		pb_info("fetched %s from %s (%lld bytes, %.1fs)",
			pb_basename(x->it->urls[x->cur]), host,
			(long long)(x->resume_from + x->got),
			pb_now_s() - x->started);
	}
}

/* The URL to try next: alive, on the host with the fewest failures, in
 * the order given on a tie. -1 when every URL is dead. */
static long pick_url(struct fetcher *f, struct xfer *x)
{
	long best = -1;
	unsigned best_fail = 0;
	size_t i;

	for (i = 0; i < x->it->n_urls; i++) {
		unsigned fl;

		if (x->dead[i])
			continue;
		fl = host_failures(f, x->it->urls[i]);
		if (fl >= HOST_FAILURES_DEMOTE)
			fl = HOST_FAILURES_DEMOTE;
		else
			fl = 0;
		if (best < 0 || fl < best_fail) {
			best = (long)i;
			best_fail = fl;
		}
	}
	return best;
}

static const char *proxy_for(const char *url)
{
	/* libcurl reads http_proxy but not HTTP_PROXY (httpoxy); the seed's
	 * caching-proxy workflow sets the capital one */
	const char *lower = getenv("http_proxy"), *upper = getenv("HTTP_PROXY");

	if (strncmp(url, "http://", 7) == 0 && (!lower || !*lower) && upper &&
	    *upper)
		return upper;
	return NULL;
}

static int start(struct fetcher *f, struct xfer *x)
{
	const char *url;
	long pick = pick_url(f, x);
	int64_t have = 0;
	CURL *e;

	if (pick < 0) {
		item_fail(f, x);
		return 0;
	}
	x->cur = (size_t)pick;
	url = x->redir ? x->redir : x->it->urls[x->cur];
	x->got = 0;
	x->status = 0;
	x->too_big = 0;
	x->dl_now = 0;
	x->curl_err[0] = '\0';
	x->started = pb_now_s();
	if (part_size(x->part_path, &have) < 0)
		have = 0;
	if (have > 0 && !x->it->sha256) {
		/* without a hash to check the joined bytes against, the start
		 * of another version of the file must not be resumed */
		unlink(x->part_path);
		have = 0;
	}
	if (x->it->size >= 0 && have >= x->it->size) {
		/* a whole file from an interrupted run: check it as is */
		char why[300];

		if (have == x->it->size &&
		    verify(x->it, x->part_path, why, sizeof(why)) == 0 &&
		    rename(x->part_path, x->it->dest) == 0) {
			x->resume_from = have;
			item_ok(f, x, 0);
			return 0;
		}
		unlink(x->part_path);
		have = 0;
	}
	x->resume_from = have;
	x->part = fopen(x->part_path, "ab");
	if (!x->part) {
		snprintf(x->it->error, sizeof(x->it->error), "%s: %s",
			 x->part_path, strerror(errno));
		item_fail(f, x);
		return 0;
	}
	e = curl_easy_init();
	if (!e) {
		fclose(x->part);
		x->part = NULL;
		snprintf(x->it->error, sizeof(x->it->error),
			 "%s: cannot start a transfer", url);
		item_fail(f, x);
		return 0;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->curl_err);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, x);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	/* redirects are ours to follow (finished()): libcurl's would leave
	 * the mirror's host without asking */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85 */
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS,
			 (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT,
			 f->o->connect_timeout_s ? f->o->connect_timeout_s
						 : 15L);
	if (f->o->low_speed_time_s > 0) {
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
				 f->o->low_speed_time_s);
		curl_easy_setopt(
			e, CURLOPT_LOW_SPEED_LIMIT,
			f->o->low_speed_limit > 0 ? f->o->low_speed_limit : 1L);
	}
	curl_easy_setopt(e, CURLOPT_USERAGENT,
			 PACKAGE_NAME "/" PACKAGE_VERSION);
	if (proxy_for(url))
		curl_easy_setopt(e, CURLOPT_PROXY, proxy_for(url));
	if (have > 0)
		curl_easy_setopt(e, CURLOPT_RESUME_FROM_LARGE,
				 (curl_off_t)have);
	if (curl_multi_add_handle(f->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		fclose(x->part);
		x->part = NULL;
		snprintf(x->it->error, sizeof(x->it->error),
			 "%s: cannot start a transfer", url);
		item_fail(f, x);
		return 0;
	}
	x->easy = e;
	x->state = X_RUNNING;
	f->running++;
	return 0;
}

/* A failure worth another try, after a pause that doubles each time. */
static void transient(struct fetcher *f, struct xfer *x, const char *why)
{
	const char *url = x->it->urls[x->cur];
	struct host_stat *h = host_of(f, url);
	double delay;

	if (h)
		h->failures++;
	free(x->redir); /* a retry asks the mirror again */
	x->redir = NULL;
	x->n_redirs = 0;
	x->attempts++;
	snprintf(x->it->error, sizeof(x->it->error),
		 "%s: %s (after %u "
		 "attempt%s)",
		 url, why, x->attempts, x->attempts == 1 ? "" : "s");
	if (x->attempts > f->o->retries) {
		item_fail(f, x);
		return;
	}
	delay = f->o->backoff_s;
	for (unsigned k = 1; k < x->attempts && delay < 30.0; k++)
		delay *= 2;
	x->not_before = pb_now_s() + delay;
	x->state = X_WAITING;
	undraw(f);
	pb_warn("%s: %s; retrying in %.1fs (attempt %u of %u)", url, why, delay,
		x->attempts + 1, f->o->retries + 1);
}

/* This mirror cannot serve this file (404, wrong bytes): the next one. */
static void dead_url(struct fetcher *f, struct xfer *x, const char *why)
{
	const char *url = x->it->urls[x->cur];
	struct host_stat *h = host_of(f, url);

	/* a file a mirror does not have says nothing of the host */
	if (h && x->it->http_code != 404)
		h->failures++;
	free(x->redir);
	x->redir = NULL;
	x->n_redirs = 0;
	x->dead[x->cur] = 1;
	snprintf(x->it->error, sizeof(x->it->error), "%s: %s", url, why);
	if (pick_url(f, x) < 0) {
		item_fail(f, x);
		return;
	}
	x->not_before = 0;
	x->state = X_WAITING;
	undraw(f);
	pb_warn("%s: %s; trying another mirror", url, why);
}

/* Errors that the same request would meet again: never retried. */
static int permanent_curl_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_TOO_MANY_REDIRECTS:
		return 1;
	default:
		return 0;
	}
}

/* A 3xx to loc: followed when it stays on http(s) and on the host asked
 * (unless allowed), a bounded number of times; else this URL is dead. */
static void redirected(struct fetcher *f, struct xfer *x, long code,
		       const char *loc)
{
	unsigned max = f->o->max_redirects ? f->o->max_redirects : 5;
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
	if (strcasecmp(h1, h2) && !f->o->allow_redirect_host) {
		snprintf(why, sizeof(why),
			 "HTTP %ld to %.300s: another host than %s, not "
			 "followed (--allow-redirect-host follows it)",
			 code, loc, h1);
		dead_url(f, x, why);
		return;
	}
	copy = strdup(loc);
	if (!copy) {
		snprintf(x->it->error, sizeof(x->it->error),
			 "%s: out of memory", url);
		item_fail(f, x);
		return;
	}
	free(x->redir);
	x->redir = copy;
	x->n_redirs++;
	x->not_before = 0;
	x->state = X_WAITING;
}

static void finished(struct fetcher *f, struct xfer *x, CURLcode rc)
{
	char why[600], *loc = NULL;
	long code = 0;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_URL, &loc);
	/* the Location lives in the handle, cleaned up below */
	loc = loc ? strdup(loc) : NULL;
	x->it->http_code = code;
	curl_multi_remove_handle(f->multi, x->easy);
	curl_easy_cleanup(x->easy);
	x->easy = NULL;
	f->running--;
	if (fclose(x->part) != 0 && rc == CURLE_OK)
		rc = CURLE_WRITE_ERROR;
	x->part = NULL;
	if (x->too_big == 1) {
		unlink(x->part_path);
		if (x->it->signed_by)
			snprintf(why, sizeof(why),
				 "does not match %s: stale mirror? (more "
				 "than the %lld bytes it says)",
				 x->it->signed_by, (long long)x->it->size);
		else
			snprintf(why, sizeof(why),
				 "more bytes than the index says");
		dead_url(f, x, why);
		goto out;
	}
	if (x->too_big == 2) {
		unlink(x->part_path);
		snprintf(why, sizeof(why),
			 "more than %lld bytes, the cap on a metadata file "
			 "(--max-metadata-size changes it)",
			 (long long)x->it->max_size);
		dead_url(f, x, why);
		goto out;
	}
	if (rc != CURLE_OK) {
		snprintf(why, sizeof(why), "%s",
			 x->curl_err[0] ? x->curl_err : curl_easy_strerror(rc));
		if (permanent_curl_error(rc))
			dead_url(f, x, why);
		else
			transient(f, x, why);
		goto out;
	}
	if (code == 301 || code == 302 || code == 303 || code == 307 ||
	    code == 308) {
		redirected(f, x, code, loc);
		goto out;
	}
	if (code == 416) {
		/* what we have does not fit what it has: start over */
		unlink(x->part_path);
		transient(f, x, "HTTP 416 on resume");
		goto out;
	}
	if (code >= 500 || code == 408 || code == 429) {
		snprintf(why, sizeof(why), "HTTP %ld", code);
		transient(f, x, why);
		goto out;
	}
	if (code != 200 && code != 206) {
		snprintf(why, sizeof(why), "HTTP %ld", code);
		dead_url(f, x, why);
		goto out;
	}
	if (x->it->size >= 0 && x->resume_from + x->got < x->it->size) {
		/* libcurl saw the whole answer (a cut one is an error above):
		 * the mirror has another file than the index says */
		unlink(x->part_path);
		if (x->it->signed_by)
			snprintf(why, sizeof(why),
				 "does not match %s: stale mirror? (%lld "
				 "bytes, %s says %lld)",
				 x->it->signed_by,
				 (long long)(x->resume_from + x->got),
				 x->it->signed_by, (long long)x->it->size);
		else
			snprintf(why, sizeof(why),
				 "short body: %lld of %lld bytes",
				 (long long)(x->resume_from + x->got),
				 (long long)x->it->size);
		dead_url(f, x, why);
		goto out;
	}
	if (verify(x->it, x->part_path, why, sizeof(why)) < 0) {
		/* wrong bytes: never kept, never resumed */
		unlink(x->part_path);
		dead_url(f, x, why);
		goto out;
	}
	if (rename(x->part_path, x->it->dest) < 0) {
		snprintf(x->it->error, sizeof(x->it->error),
			 "cannot rename %s to %s: %s", x->part_path,
			 x->it->dest, strerror(errno));
		item_fail(f, x);
		goto out;
	}
	item_ok(f, x, 0);
out:
	free(loc);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

/* curl_global_init is not thread-safe and costly: once per process, and
 * never cleaned up (the process exit does it) */
static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int pb_fetch_all(struct pb_fetch_item *items, size_t n,
		 const struct pb_fetch_opts *o, struct pb_err *err)
{
	struct fetcher f;
	unsigned concurrency;
	size_t i;
	int ret = 0;

	/* nothing looks fetched before it is, whatever happens below */
	for (i = 0; i < n; i++) {
		items[i].result = -EINPROGRESS;
		snprintf(items[i].error, sizeof(items[i].error),
			 "%s: not fetched", items[i].dest);
		items[i].cached = 0;
		items[i].http_code = 0;
		items[i].url_used = 0;
	}
	if (!o || o->sz < sizeof(*o))
		return pb_err_set(err, -EINVAL, "fetch options too old");
	memset(&f, 0, sizeof(f));
	f.o = o;
	f.n = n;
	concurrency = o->concurrency ? o->concurrency : 4;
	if (pthread_once(&curl_once, curl_init) != 0 ||
	    curl_init_rc != CURLE_OK)
		return pb_err_set(err, -EIO, "libcurl cannot start: %s",
				  curl_easy_strerror(curl_init_rc));
	f.multi = curl_multi_init();
	f.x = calloc(n + 1, sizeof(*f.x));
	if (!f.multi || !f.x) {
		ret = pb_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct xfer *x = &f.x[i];
		char why[300];

		x->it = &items[i];
		x->dead = calloc(items[i].n_urls + 1, 1);
		if (!x->dead) {
			ret = pb_err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		snprintf(x->part_path, sizeof(x->part_path), "%s.part",
			 items[i].dest);
		if (items[i].size > 0)
			f.bytes_total += items[i].size;
		if (items[i].n_urls == 0) {
			snprintf(x->it->error, sizeof(x->it->error),
				 "%s: no URL to fetch it from", items[i].dest);
			item_fail(&f, x);
			continue;
		}
		/* the cache: a file already there with the right hash */
		if (items[i].sha256 && access(items[i].dest, F_OK) == 0) {
			if (verify(&items[i], items[i].dest, why,
				   sizeof(why)) == 0) {
				item_ok(&f, x, 1);
				continue;
			}
			unlink(items[i].dest);
		}
	}
	while (f.n_done < n) {
		double t = pb_now_s(), next = 0;
		int numfds, still;
		long wait_ms = 1000;
		CURLMsg *msg;

		if (o->stop && *o->stop) {
			/* .part files stay: the next run resumes them */
			for (i = 0; i < n; i++)
				if (f.x[i].state != X_DONE) {
					items[i].result = -EINTR;
					snprintf(items[i].error,
						 sizeof(items[i].error),
						 "%s: interrupted",
						 items[i].dest);
				}
			undraw(&f);
			ret = pb_err_set(err, -EINTR, "downloads interrupted");
			goto out;
		}

		for (i = 0; i < n && f.running < concurrency; i++) {
			struct xfer *x = &f.x[i];

			if (x->state == X_WAITING && x->not_before <= t)
				start(&f, x);
		}
		for (i = 0; i < n; i++)
			if (f.x[i].state == X_WAITING &&
			    (next == 0 || f.x[i].not_before < next))
				next = f.x[i].not_before;
		if (next > t && (next - t) * 1000 < wait_ms)
			wait_ms = (long)((next - t) * 1000) + 1;
		if (f.running == 0) {
			if (f.n_done < n && next > t)
				usleep((useconds_t)wait_ms * 1000);
			continue;
		}
		curl_multi_perform(f.multi, &still);
		while ((msg = curl_multi_info_read(f.multi, &still)) != NULL) {
			struct xfer *x = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
					  (char **)&x);
			if (x)
				finished(&f, x, msg->data.result);
		}
		draw(&f, 0);
		if (f.running > 0)
			curl_multi_poll(f.multi, NULL, 0, (int)wait_ms,
					&numfds);
	}
	undraw(&f);
	if (f.n_failed)
		ret = pb_err_set(err, -EIO, "%zu of %zu downloads failed",
				 f.n_failed, n);
out:
	if (f.x) {
		for (i = 0; i < n; i++) {
			if (f.x[i].easy) {
				curl_multi_remove_handle(f.multi, f.x[i].easy);
				curl_easy_cleanup(f.x[i].easy);
			}
			if (f.x[i].part)
				fclose(f.x[i].part);
			free(f.x[i].dead);
			free(f.x[i].redir);
		}
	}
	free(f.x);
	free(f.hosts);
	if (f.multi)
		curl_multi_cleanup(f.multi);
	return ret;
}
