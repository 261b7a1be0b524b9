/* The libcurl transport: an easy handle per transfer on the fetcher's one
 * multi handle; what each answer was goes to fetcher_finished. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "net/fetcher.h"
#include "probe-builder/alloc.h"

#if CURL_ERROR_SIZE > 256
#error "struct xfer's terr is libcurl's error buffer: make it larger"
#endif

static int curl_ready;

int pb_fetch_global_init(struct pb_err *err)
{
	CURLcode rc;

	if (curl_ready)
		return 0;
	/* never cleaned up: the process exit does it */
	rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK)
		return pb_err_set(err, -EIO, "libcurl cannot start: %s",
				  curl_easy_strerror(rc));
	curl_ready = 1;
	return 0;
}

int fetcher_curl_init(struct pb_fetcher *f, struct pb_err *err)
{
	if (!curl_ready)
		return pb_err_set(err, -EINVAL,
				  "the fetcher needs pb_fetch_global_init() "
				  "first");
	f->multi = curl_multi_init();
	if (!f->multi)
		return pb_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

void fetcher_curl_free(struct pb_fetcher *f)
{
	if (f->multi)
		curl_multi_cleanup(f->multi);
	f->multi = NULL;
}

static size_t on_header(char *buf, size_t size, size_t n, void *data)
{
	struct xfer *x = data;
	size_t len = size * n;
	long code;

	/* every response of a redirect chain starts with its status line */
	if (len > 9 && strncmp(buf, "HTTP/", 5) == 0 &&
	    sscanf(buf, "HTTP/%*s %ld", &code) == 1)
		x->reply.status = code;
	return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *data)
{
	struct xfer *x = data;

	return fetcher_body(&x->reply, buf, size * n);
}

static int on_progress(void *data, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = data;

	(void)dltotal;
	(void)ultotal;
	(void)ulnow;
	x->dl_now = (int64_t)dlnow;
	return 0;
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

static void set_limits(CURL *e, const struct pb_fetch_opts *o)
{
	/* redirects are ours to follow (fetcher_finished): libcurl's would
	 * leave the mirror's host without asking */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85 */
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS,
			 (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT,
			 o->connect_timeout_s ? o->connect_timeout_s : 15L);
	if (o->low_speed_time_s > 0) {
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
				 o->low_speed_time_s);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT,
				 o->low_speed_limit > 0 ? o->low_speed_limit
							: 1L);
	}
}

int fetcher_curl_start(struct pb_fetcher *f, struct xfer *x, const char *url,
		       int64_t resume_from)
{
	CURL *e = curl_easy_init();

	if (!e)
		goto fail;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->terr);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, x);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	set_limits(e, &f->o);
	curl_easy_setopt(e, CURLOPT_USERAGENT,
			 PACKAGE_NAME "/" PACKAGE_VERSION);
	if (proxy_for(url))
		curl_easy_setopt(e, CURLOPT_PROXY, proxy_for(url));
	if (x->it->head && x->it->size > 0) {
		char range[64];

		/* libcurl copies the string */
		snprintf(range, sizeof(range), "%lld-%lld",
			 (long long)resume_from, (long long)x->it->size - 1);
		curl_easy_setopt(e, CURLOPT_RANGE, range);
	} else if (resume_from > 0) {
		curl_easy_setopt(e, CURLOPT_RESUME_FROM_LARGE,
				 (curl_off_t)resume_from);
	}
	if (curl_multi_add_handle(f->multi, e) != CURLM_OK)
		goto fail;
	x->easy = e;
	return 0;
fail:
	if (e)
		curl_easy_cleanup(e);
	snprintf(x->it->error, sizeof(x->it->error),
		 "%s: cannot start a transfer", url);
	return -1;
}

void fetcher_curl_stop(struct pb_fetcher *f, struct xfer *x)
{
	if (!x->easy)
		return;
	/* a failure here leaves nothing to undo: the handle goes anyway */
	(void)curl_multi_remove_handle(f->multi, x->easy);
	curl_easy_cleanup(x->easy);
	x->easy = NULL;
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

static void done(struct pb_fetcher *f, struct xfer *x, CURLcode rc)
{
	enum pb_transport_result tr = PB_TRANSPORT_OK;
	char *loc = NULL;
	long code = 0;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_URL, &loc);
	/* the Location lives in the handle, cleaned up below */
	loc = loc ? pb_strdup(loc, NULL) : NULL; /* NULL: not followed */
	fetcher_curl_stop(f, x);
	if (rc != CURLE_OK) {
		if (!x->terr[0])
			snprintf(x->terr, sizeof(x->terr), "%s",
				 curl_easy_strerror(rc));
		tr = permanent_curl_error(rc) ? PB_TRANSPORT_PERMANENT
					      : PB_TRANSPORT_TRANSIENT;
	}
	fetcher_finished(f, x, tr, code, loc);
	free(loc);
}

static int multi_err(CURLMcode mc, struct pb_err *err)
{
	return pb_err_set(err, mc == CURLM_OUT_OF_MEMORY ? -ENOMEM : -EPROTO,
			  "libcurl: %s", curl_multi_strerror(mc));
}

int fetcher_curl_perform(struct pb_fetcher *f, struct pb_err *err)
{
	CURLMcode mc;
	CURLMsg *msg;
	int still;

	mc = curl_multi_perform(f->multi, &still);
	if (mc != CURLM_OK)
		return multi_err(mc, err);
	while ((msg = curl_multi_info_read(f->multi, &still)) != NULL) {
		struct xfer *x = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
				  (char **)&x);
		if (x)
			done(f, x, msg->data.result);
	}
	return 0;
}

int fetcher_curl_wait(struct pb_fetcher *f, long wait_ms, struct pb_err *err)
{
	CURLMcode mc;
	int numfds;

	mc = curl_multi_poll(f->multi, NULL, 0, (int)wait_ms, &numfds);
	return mc == CURLM_OK ? 0 : multi_err(mc, err);
}
