#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "probe-builder/alloc.h"
#include "util/http.h"
#include "webhook.h"

static size_t discard(char *p, size_t size, size_t n, void *d)
{
	(void)p;
	(void)d;
	return size * n;
}

/* A curl handle kept from one POST to the next (its connection too) */
struct nw_webhook {
	CURL *curl;
};

struct nw_webhook *nw_webhook_new(void)
{
	/* err NULL: NULL is said at each POST ("cannot start a request") */
	struct nw_webhook *h = pb_calloc(1, sizeof(*h), NULL);

	if (h)
		h->curl = curl_easy_init();
	if (h && !h->curl) {
		free(h);
		h = NULL;
	}
	return h;
}

void nw_webhook_free(struct nw_webhook *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	free(h);
}

enum nw_post_result nw_webhook_post(struct nw_webhook *h, const char *url,
				    const char *key, const char *body,
				    long timeout_s, char *why, size_t len)
{
	char errbuf[CURL_ERROR_SIZE] = "", *kh = NULL;
	struct curl_slist *hdr = NULL, *h2;
	enum nw_post_result r;
	long code = 0;
	CURLcode rc;
	CURL *e = h ? h->curl : NULL;

	if (!e) {
		snprintf(why, len, "cannot start a request");
		return NW_POST_RETRY;
	}
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	if (hdr && key) {
		kh = pb_asprintf(NULL, "Idempotency-Key: %s", key);
		h2 = kh ? curl_slist_append(hdr, kh) : NULL;
		if (!h2) {
			curl_slist_free_all(hdr);
			hdr = NULL;
		}
	}
	free(kh);
	if (!hdr) {
		/* never POST without the key: the receiver could not dedupe */
		snprintf(why, len, "out of memory");
		return NW_POST_RETRY;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, timeout_s);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "newswatch");
	rc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK) {
		snprintf(why, len, "%s",
			 errbuf[0] ? errbuf : curl_easy_strerror(rc));
		r = NW_POST_RETRY;
	} else if (pb_http_classify(code) == PB_HTTP_OK) {
		why[0] = '\0';
		r = NW_POST_OK;
	} else if (pb_http_classify(code) == PB_HTTP_RETRY) {
		snprintf(why, len, "HTTP %ld", code);
		r = NW_POST_RETRY;
	} else {
		/* a redirect too: a webhook is not followed elsewhere */
		snprintf(why, len, "HTTP %ld: the receiver refuses it", code);
		r = NW_POST_REFUSED;
	}
	/* the handle outlives the header list */
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdr);
	return r;
}
