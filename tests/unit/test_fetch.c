/* The fetcher through its transport seam: a made-up transport answers
 * each request from a script, without sockets, and logs what was asked.
 * Retries and their limit, failover to the next mirror, the failures per
 * host that outlive a run, resume of a .part file (and a server that
 * ignores the Range), the size and hash checks, redirects, the cache,
 * items added from on_done, the progress events, and the HTTP status
 * classifier shared with newswatch. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "net/fetch.h"
#include "testutil.h"
#include "util/hashcache.h"
#include "util/http.h"

/* ------------------------------------------------- the made-up transport */

struct answer {
	enum pb_transport_result tr; /* not OK: a failure below HTTP */
	long status;
	const char *body; /* NULL: none */
	const char *location;
};

#define MAX_REQ 16

struct fake {
	struct answer answers[MAX_REQ];
	size_t n_answers, next;
	char url[MAX_REQ][256]; /* what was asked, in order */
	int64_t resume[MAX_REQ];
	int64_t range_end[MAX_REQ];
	size_t n_req;
};

static enum pb_transport_result
fake_transport(const struct pb_fetch_request *rq, struct pb_fetch_reply *rp,
	       char *why, size_t why_len, void *data)
{
	struct fake *fk = data;
	const struct answer *a;
	size_t off, len;

	if (fk->n_req == MAX_REQ || fk->next == fk->n_answers)
		fail_msg("request %zu (%s): the script has no answer",
			 fk->n_req + 1, rq->url);
	snprintf(fk->url[fk->n_req], sizeof(fk->url[0]), "%s", rq->url);
	fk->range_end[fk->n_req] = rq->range_end;
	fk->resume[fk->n_req++] = rq->resume_from;
	a = &fk->answers[fk->next++];
	if (a->tr != PB_TRANSPORT_OK) {
		snprintf(why, why_len, "made-up failure");
		return a->tr;
	}
	rp->status = a->status;
	rp->location = a->location;
	len = a->body ? strlen(a->body) : 0;
	/* in small pieces, as a network gives them */
	for (off = 0; off < len; off += 3) {
		size_t n = len - off < 3 ? len - off : 3;

		if (rp->body(rp, a->body + off, n) != n) {
			snprintf(why, why_len, "the fetcher stopped it");
			return PB_TRANSPORT_TRANSIENT;
		}
	}
	return PB_TRANSPORT_OK;
}

static void script(struct fake *fk, const struct answer *a, size_t n)
{
	memset(fk, 0, sizeof(*fk));
	if (n) /* a may be NULL then: memcpy wants a pointer all the same */
		memcpy(fk->answers, a, n * sizeof(*a));
	fk->n_answers = n;
}

#define OK(body)                                 \
	{                                        \
		PB_TRANSPORT_OK, 200, body, NULL \
	}
#define PARTIAL(body)                            \
	{                                        \
		PB_TRANSPORT_OK, 206, body, NULL \
	}
#define HTTP(code)                                        \
	{                                                 \
		PB_TRANSPORT_OK, code, "error page", NULL \
	}
#define MOVED(loc)                              \
	{                                       \
		PB_TRANSPORT_OK, 302, NULL, loc \
	}
#define CUT                                           \
	{                                             \
		PB_TRANSPORT_TRANSIENT, 0, NULL, NULL \
	}
#define TLS                                           \
	{                                             \
		PB_TRANSPORT_PERMANENT, 0, NULL, NULL \
	}

static const char *const content = "the package's bytes, all 37 of them.";

struct fx {
	char tmp[PBT_TMP_MAX];
	char dest[PATH_MAX];
	char sha[PB_HEX_MAX];
	struct fake fk;
	struct pb_fetch_opts o;
	struct pb_fetcher *f;
	struct pb_fetch_item it;
	struct pb_hashcache hc;
};

static int setup(void **state)
{
	struct fx *x = pbt_fx_new(sizeof(*x), "fetch");
	struct pb_fetch_opts def = PB_FETCH_OPTS_INIT;
	struct pb_err err = {0};
	char path[PATH_MAX];

	if (!x)
		return -1;
	pbt_write_file(x->tmp, "want", content, 0);
	pbt_path(path, sizeof(path), x->tmp, "want");
	if (pb_hash_file(path, "sha256", x->sha, &err) < 0)
		return -1;
	pbt_path(x->dest, sizeof(x->dest), x->tmp, "pkg.deb");
	x->o = def;
	x->o.retries = 2;
	x->o.backoff_s = 0; /* no pause between attempts here */
	x->o.quiet = 1;
	x->o.transport = fake_transport;
	x->o.transport_data = &x->fk;
	x->it.dest = x->dest;
	x->it.size = (int64_t)strlen(content);
	x->it.sha256 = x->sha;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	pb_fetcher_free(x->f);
	return pbt_fx_teardown(state);
}

/* Runs x->it from urls with the script; returns what the run did. */
static int run1(struct fx *x, const char *const *urls, size_t n_urls,
		const struct answer *a, size_t n_a)
{
	struct pb_err err = {0};
	int ret;

	script(&x->fk, a, n_a);
	if (!x->f)
		x->f = pb_fetcher_new(&x->o, &err);
	assert_non_null(x->f);
	x->it.urls = urls;
	x->it.n_urls = n_urls;
	assert_int_equal(pb_fetcher_add(x->f, &x->it, &err), 0);
	assert_int_equal(x->it.result, -EINPROGRESS);
	assert_non_null(strstr(x->it.error, "not fetched"));
	ret = pb_fetcher_run(x->f, &err);
	assert_int_equal(ret, err.code);
	/* every answer of the script was asked for */
	assert_int_equal(x->fk.next, x->fk.n_answers);
	return ret;
}

static void assert_file(const char *dir, const char *rel, const char *want)
{
	char *got = pbt_read_file(dir, rel);

	assert_string_equal(got, want);
	free(got);
}

#define URLS(...) ((const char *const[]){__VA_ARGS__})
#define N_OF(...) (sizeof(URLS(__VA_ARGS__)) / sizeof(char *))

/* ----------------------------------------------------------------- tests */

static void test_ok_then_cached(void **state)
{
	struct fx *x = *state;
	const struct answer a[] = {OK(content)};

	assert_int_equal(run1(x, URLS("http://a/p.deb"), 1, a, 1), 0);
	assert_int_equal(x->it.result, 0);
	assert_int_equal(x->it.cached, 0);
	assert_int_equal(x->it.http_code, 200);
	assert_file(x->tmp, "pkg.deb", content);
	/* a second run asks nothing: the file is there, right */
	assert_int_equal(run1(x, URLS("http://a/p.deb"), 1, NULL, 0), 0);
	assert_int_equal(x->it.cached, 1);
	assert_int_equal(x->fk.n_req, 0);
}

/* Through a hash cache: a file fetched and checked is remembered, and a
 * later run takes it as it is without reading it; rewritten in place
 * since, it is hashed, found wrong and fetched again. */
static void test_hash_cache(void **state)
{
	struct fx *x = *state;
	const struct answer a[] = {OK(content)};
	struct pb_err err = {0};
	char ws[PATH_MAX];
	FILE *f;

	pbt_path(ws, sizeof(ws), x->tmp, "ws");
	assert_int_equal(pb_hashcache_init(&x->hc, ws, &err), 0);
	x->o.hash_cache = &x->hc;
	assert_int_equal(run1(x, URLS("http://a/p.deb"), 1, a, 1), 0);
	assert_int_equal(x->it.cached, 0);
	assert_int_equal(x->hc.hashed, 0);

	assert_int_equal(run1(x, URLS("http://a/p.deb"), 1, NULL, 0), 0);
	assert_int_equal(x->it.cached, 1);
	assert_int_equal(x->hc.hits, 1);
	assert_int_equal(x->hc.hashed, 0);

	f = fopen(x->dest, "r+");
	assert_non_null(f);
	assert_int_equal(fputc('T', f), 'T');
	assert_int_equal(fclose(f), 0);
	assert_int_equal(run1(x, URLS("http://a/p.deb"), 1, a, 1), 0);
	assert_int_equal(x->it.cached, 0);
	assert_int_equal(x->hc.hashed, 1);
	assert_file(x->tmp, "pkg.deb", content);
}

static void test_transient_retried(void **state)
{
	struct fx *x = *state;
	const struct answer a[] = {HTTP(503), CUT, OK(content)};

	assert_int_equal(run1(x, URLS("http://a/p.deb"), 1, a, 3), 0);
	assert_int_equal(x->it.result, 0);
	assert_int_equal(x->fk.n_req, 3);
	assert_file(x->tmp, "pkg.deb", content);
}

static void test_retries_run_out(void **state)
{
	struct fx *x = *state;
	const struct answer a[] = {HTTP(500), HTTP(429), HTTP(408)};

	/* retries = 2: three attempts, then the item fails */
	assert_int_equal(run1(x, URLS("http://a/p.deb"), 1, a, 3), -EIO);
	assert_int_equal(x->it.result, -EIO);
	assert_int_equal(x->it.http_code, 408);
	assert_non_null(strstr(x->it.error, "HTTP 408 (after 3 attempts)"));
	assert_int_equal(access(x->dest, F_OK), -1);
}

static void test_next_mirror(void **state)
{
	struct fx *x = *state;
	const struct answer a[] = {HTTP(404), TLS, OK(content)};

	assert_int_equal(run1(x,
			      URLS("http://a/p.deb", "https://b/p.deb",
				   "http://c/p.deb"),
			      3, a, 3),
			 0);
	/* a permanent failure is never asked again */
	assert_string_equal(x->fk.url[0], "http://a/p.deb");
	assert_string_equal(x->fk.url[1], "https://b/p.deb");
	assert_string_equal(x->fk.url[2], "http://c/p.deb");
	assert_int_equal(x->it.url_used, 2);
}

static void test_all_404(void **state)
{
	struct fx *x = *state;
	const struct answer a[] = {HTTP(404), HTTP(410)};

	assert_int_equal(
		run1(x, URLS("http://a/p.deb", "http://b/p.deb"), 2, a, 2),
		-EIO);
	assert_int_equal(x->it.http_code, 410);
	assert_non_null(strstr(x->it.error, "http://b/p.deb: HTTP 410"));
	/* nothing to resume: no empty .part left for the next run */
	assert_int_equal(access(x->dest, F_OK), -1);
	{
		char part[PATH_MAX + 8];

		snprintf(part, sizeof(part), "%s.part", x->dest);
		assert_int_equal(access(part, F_OK), -1);
	}
}

/* Bytes other than the index's go to the next mirror, never kept. */
static void test_wrong_bytes(void **state)
{
	struct fx *x = *state;
	const struct answer a[] = {OK("short"), OK(content), HTTP(404)};
	char part[PATH_MAX + 8];

	x->it.signed_by = "the signed Release";
	assert_int_equal(
		run1(x,
		     URLS("http://a/p.deb", "http://b/p.deb", "http://c/p.deb"),
		     3, a, 2),
		0);
	assert_int_equal(x->it.url_used, 1);
	/* too long: stopped as soon as it passes the size */
	pb_fetcher_free(x->f);
	x->f = NULL;
	unlink(x->dest);
	{
		const struct answer b[] = {
			OK("the package's bytes, all 37 of them, and more")};

		assert_int_equal(run1(x, URLS("http://a/p.deb"), 1, b, 1),
				 -EIO);
	}
	assert_non_null(strstr(x->it.error, "more than the 36 bytes it says"));
	snprintf(part, sizeof(part), "%s.part", x->dest);
	assert_int_equal(access(part, F_OK), -1);
	/* same size, other bytes: the hash says it */
	{
		const struct answer c[] = {
			OK("THE package's bytes, all 37 of them.")};

		assert_int_equal(run1(x, URLS("http://a/p.deb"), 1, c, 1),
				 -EIO);
	}
	assert_non_null(strstr(x->it.error, "does not match the signed "
					    "Release: stale mirror? (SHA-256"));
}

static void test_resume(void **state)
{
	struct fx *x = *state;
	const struct answer a[] = {PARTIAL(content + 10)};
	char part[PATH_MAX + 8];

	snprintf(part, sizeof(part), "%s.part", x->dest);
	pbt_write_file(x->tmp, "pkg.deb.part", "the packag", 0);
	assert_int_equal(run1(x, URLS("http://a/p.deb"), 1, a, 1), 0);
	assert_int_equal(x->fk.resume[0], 10);
	assert_file(x->tmp, "pkg.deb", content);
	assert_int_equal(access(part, F_OK), -1);
}

static void test_range_ignored(void **state)
{
	struct fx *x = *state;
	const struct answer a[] = {OK(content)};

	pbt_write_file(x->tmp, "pkg.deb.part", "the packag", 0);
	/* a 200 to a Range: the whole file, from its start */
	assert_int_equal(run1(x, URLS("http://a/p.deb"), 1, a, 1), 0);
	assert_int_equal(x->fk.resume[0], 10);
	assert_file(x->tmp, "pkg.deb", content);
}

/* A head: the first 10 bytes, asked with a Range that ends there; no
 * SHA-256 checks them. */
static void test_head(void **state)
{
	struct fx *x = *state;
	const struct answer a[] = {PARTIAL("the packag")};

	x->it.head = 1;
	x->it.size = 10;
	x->it.sha256 = NULL;
	assert_int_equal(run1(x, URLS("http://a/p.deb"), 1, a, 1), 0);
	assert_int_equal(x->fk.range_end[0], 9);
	assert_file(x->tmp, "pkg.deb", "the packag");
}

/* A server that ignores the Range sends the whole file: the transfer is
 * cut once the head is in, and that is no failure. */
static void test_head_of_a_whole_answer(void **state)
{
	struct fx *x = *state;
	const struct answer a[] = {OK(content)};

	x->it.head = 1;
	x->it.size = 10;
	x->it.sha256 = NULL;
	assert_int_equal(run1(x, URLS("http://a/p.deb"), 1, a, 1), 0);
	assert_file(x->tmp, "pkg.deb", "the packag");
}

/* Fewer bytes than the head asked: a failure of that mirror (the next one
 * serves it), not a head. */
static void test_head_short(void **state)
{
	struct fx *x = *state;
	const struct answer a[] = {PARTIAL("the"), PARTIAL("the packag")};

	x->it.head = 1;
	x->it.size = 10;
	x->it.sha256 = NULL;
	assert_int_equal(
		run1(x, URLS("http://a/p.deb", "http://b/p.deb"), 2, a, 2), 0);
	assert_string_equal(x->fk.url[1], "http://b/p.deb");
	assert_file(x->tmp, "pkg.deb", "the packag");
}

/* A caller's own loop: turns until every item is done, 0 then; the
 * counts say what was fetched. */
static void test_turns(void **state)
{
	struct fx *x = *state;
	const struct answer a[] = {OK(content)};
	struct pb_fetch_progress p;
	struct pb_err err = {0};
	int ret, turns = 0;

	script(&x->fk, a, 1);
	x->f = pb_fetcher_new(&x->o, &err);
	assert_non_null(x->f);
	x->it.urls = URLS("http://a/p.deb");
	x->it.n_urls = 1;
	assert_int_equal(pb_fetcher_add(x->f, &x->it, &err), 0);
	while ((ret = pb_fetcher_turn(x->f, 10, &err)) > 0)
		assert_true(++turns < 100);
	assert_int_equal(ret, 0);
	assert_int_equal(x->it.result, 0);
	pb_fetcher_counts(x->f, &p);
	assert_int_equal(p.files_done, 1);
	assert_int_equal(p.files_total, 1);
	assert_int_equal(p.bytes_done, (int64_t)strlen(content));
	assert_int_equal(pb_fetcher_turn(x->f, 10, &err), 0);
	assert_file(x->tmp, "pkg.deb", content);
}

/* One transfer at a time: an item added first is asked before the ones
 * queued earlier that have not started. */
static void test_add_first(void **state)
{
	struct fx *x = *state;
	const struct answer a[] = {OK(content), OK(content), OK(content)};
	struct pb_fetch_item more[2];
	char dest[2][PATH_MAX];
	struct pb_err err = {0};
	int ret, turns = 0, i;

	script(&x->fk, a, 3);
	x->o.concurrency = 1;
	x->f = pb_fetcher_new(&x->o, &err);
	assert_non_null(x->f);
	x->it.urls = URLS("http://a/1.deb");
	x->it.n_urls = 1;
	assert_int_equal(pb_fetcher_add(x->f, &x->it, &err), 0);
	for (i = 0; i < 2; i++) {
		more[i] = x->it;
		pbt_path(dest[i], sizeof(dest[i]), x->tmp,
			 i ? "3.deb" : "2.deb");
		more[i].dest = dest[i];
	}
	more[0].urls = URLS("http://a/2.deb");
	more[1].urls = URLS("http://a/3.deb");
	assert_int_equal(pb_fetcher_add(x->f, &more[0], &err), 0);
	assert_int_equal(pb_fetcher_add_first(x->f, &more[1], &err), 0);
	while ((ret = pb_fetcher_turn(x->f, 10, &err)) > 0)
		assert_true(++turns < 100);
	assert_int_equal(ret, 0);
	assert_string_equal(x->fk.url[0], "http://a/3.deb");
	assert_string_equal(x->fk.url[1], "http://a/1.deb");
	assert_string_equal(x->fk.url[2], "http://a/2.deb");
	assert_int_equal(x->it.result, 0);
	assert_int_equal(more[0].result, 0);
	assert_int_equal(more[1].result, 0);
	assert_file(x->tmp, "3.deb", content);
}

static void test_416_starts_over(void **state)
{
	struct fx *x = *state;
	const struct answer a[] = {HTTP(416), OK(content)};

	pbt_write_file(x->tmp, "pkg.deb.part", "not of this file", 0);
	assert_int_equal(run1(x, URLS("http://a/p.deb"), 1, a, 2), 0);
	assert_int_equal(x->fk.resume[0], 16);
	assert_int_equal(x->fk.resume[1], 0);
	assert_file(x->tmp, "pkg.deb", content);
}

static void test_redirects(void **state)
{
	struct fx *x = *state;
	const struct answer a[] = {MOVED("http://a/pool/p.deb"),
				   MOVED("http://evil/p.deb"), OK(content)};

	/* on the host asked: followed; to another: that URL is dead */
	assert_int_equal(
		run1(x, URLS("http://a/p.deb", "http://b/p.deb"), 2, a, 3), 0);
	assert_string_equal(x->fk.url[1], "http://a/pool/p.deb");
	assert_string_equal(x->fk.url[2], "http://b/p.deb");
	assert_int_equal(x->it.url_used, 1);
}

/* A host that failed twice is tried after the others, in the next run
 * too: the table belongs to the fetcher. */
static void test_host_failures_outlive_a_run(void **state)
{
	struct fx *x = *state;
	const struct answer a[] = {HTTP(503), HTTP(503), OK(content)};
	const struct answer b[] = {OK(content)};

	assert_int_equal(run1(x, URLS("http://a/p.deb"), 1, a, 3), 0);
	unlink(x->dest);
	assert_int_equal(
		run1(x, URLS("http://a/p.deb", "http://b/p.deb"), 2, b, 1), 0);
	assert_string_equal(x->fk.url[0], "http://b/p.deb");
	assert_int_equal(x->it.url_used, 1);
}

/* A 404 says nothing of the host: it stays first. */
static void test_404_not_a_host_failure(void **state)
{
	struct fx *x = *state;
	const struct answer a[] = {HTTP(404)};
	const struct answer b[] = {HTTP(404)};
	const struct answer c[] = {OK(content)};

	assert_int_equal(run1(x, URLS("http://a/p.deb"), 1, a, 1), -EIO);
	assert_int_equal(run1(x, URLS("http://a/p.deb"), 1, b, 1), -EIO);
	assert_int_equal(
		run1(x, URLS("http://a/p.deb", "http://b/p.deb"), 2, c, 1), 0);
	assert_string_equal(x->fk.url[0], "http://a/p.deb");
}

struct chain {
	struct pb_fetcher *f;
	struct pb_fetch_item *next;
	int done;
};

static void add_next(struct pb_fetch_item *it, void *data)
{
	struct chain *c = data;
	struct pb_err err = {0};

	assert_int_equal(it->result, 0);
	c->done++;
	if (c->next)
		assert_int_equal(pb_fetcher_add(c->f, c->next, &err), 0);
	c->next = NULL;
}

/* Items added as others finish join the same run. */
static void test_add_while_running(void **state)
{
	struct fx *x = *state;
	const struct answer a[] = {OK(content), OK(content)};
	struct pb_fetch_item second;
	char dest2[PATH_MAX];
	struct chain c = {0};
	struct pb_err err = {0};

	pbt_path(dest2, sizeof(dest2), x->tmp, "second.deb");
	second = x->it;
	second.dest = dest2;
	second.urls = URLS("http://b/second.deb");
	second.n_urls = 1;
	script(&x->fk, a, 2);
	x->f = pb_fetcher_new(&x->o, &err);
	assert_non_null(x->f);
	c.f = x->f;
	c.next = &second;
	x->it.urls = URLS("http://a/p.deb");
	x->it.n_urls = 1;
	x->it.on_done = add_next;
	x->it.data = &c;
	second.on_done = add_next;
	second.data = &c;
	assert_int_equal(pb_fetcher_add(x->f, &x->it, &err), 0);
	assert_int_equal(pb_fetcher_run(x->f, &err), 0);
	assert_int_equal(c.done, 2);
	assert_int_equal(second.result, 0);
	assert_file(x->tmp, "second.deb", content);
}

static void test_stop(void **state)
{
	struct fx *x = *state;
	static volatile sig_atomic_t stop = 2;
	struct pb_err err = {0};

	x->o.stop = &stop;
	x->f = pb_fetcher_new(&x->o, &err);
	assert_non_null(x->f);
	x->it.urls = URLS("http://a/p.deb");
	x->it.n_urls = 1;
	assert_int_equal(pb_fetcher_add(x->f, &x->it, &err), 0);
	assert_int_equal(pb_fetcher_run(x->f, &err), -EINTR);
	assert_int_equal(x->it.result, -EINTR);
	assert_non_null(strstr(x->it.error, "interrupted"));
	assert_int_equal(x->fk.n_req, 0);
}

struct seen {
	int start, progress, clear, last; /* last: the type of the last one */
	int first;			  /* the type of the first event */
	size_t files_total;
};

static void on_event(const struct pb_fetch_event *ev, void *data)
{
	struct seen *s = data;

	if (s->start + s->progress + s->clear == 0)
		s->first = (int)ev->type;
	s->last = (int)ev->type;
	if (ev->type == PB_FETCH_EV_START) {
		s->start++;
	} else if (ev->type == PB_FETCH_EV_PROGRESS) {
		s->progress++;
		s->files_total = ev->progress->files_total;
	} else {
		s->clear++;
	}
}

/* With progress, the front end hears that a run starts (its rate starts
 * again), where it is, and is told to erase its line at the end; without,
 * it hears nothing. */
static void test_events(void **state)
{
	struct fx *x = *state;
	const struct answer a[] = {HTTP(503), OK(content)};
	const struct answer b[] = {OK(content)};
	struct seen s = {0};

	x->o.on_event = on_event;
	x->o.event_data = &s;
	x->o.progress = 1;
	assert_int_equal(run1(x, URLS("http://a/p.deb"), 1, a, 2), 0);
	assert_int_equal(s.first, PB_FETCH_EV_START);
	assert_int_equal(s.start, 1);
	assert_true(s.progress >= 1);
	assert_int_equal(s.files_total, 1);
	assert_true(s.clear >= 1);
	assert_int_equal(s.last, PB_FETCH_EV_CLEAR);
	pb_fetcher_free(x->f);
	x->f = NULL;
	unlink(x->dest);
	memset(&s, 0, sizeof(s));
	x->o.progress = 0;
	assert_int_equal(run1(x, URLS("http://a/p.deb"), 1, b, 1), 0);
	assert_int_equal(s.start + s.progress + s.clear, 0);
}

static void test_no_url(void **state)
{
	struct fx *x = *state;

	assert_int_equal(run1(x, URLS(NULL), 0, NULL, 0), -EIO);
	assert_non_null(strstr(x->it.error, "no URL to fetch it from"));
}

static void test_opts_too_old(void **state)
{
	struct pb_fetch_opts o = PB_FETCH_OPTS_INIT;
	struct pb_err err = {0};

	(void)state;
	o.sz = sizeof(o) - 1;
	assert_null(pb_fetcher_new(&o, &err));
	assert_int_equal(err.code, -EINVAL);
}

static void test_http_classify(void **state)
{
	static const struct {
		long code;
		enum pb_http_class want;
	} t[] = {
		{200, PB_HTTP_OK},	 {204, PB_HTTP_OK},
		{206, PB_HTTP_OK},	 {301, PB_HTTP_REDIRECT},
		{302, PB_HTTP_REDIRECT}, {303, PB_HTTP_REDIRECT},
		{307, PB_HTTP_REDIRECT}, {308, PB_HTTP_REDIRECT},
		{304, PB_HTTP_REFUSED},	 {400, PB_HTTP_REFUSED},
		{403, PB_HTTP_REFUSED},	 {404, PB_HTTP_REFUSED},
		{408, PB_HTTP_RETRY},	 {410, PB_HTTP_REFUSED},
		{429, PB_HTTP_RETRY},	 {500, PB_HTTP_RETRY},
		{503, PB_HTTP_RETRY},	 {599, PB_HTTP_RETRY},
		{0, PB_HTTP_REFUSED},	 {100, PB_HTTP_REFUSED},
	};
	size_t i;

	(void)state;
	for (i = 0; i < PBT_N_OF(t); i++)
		if (pb_http_classify(t[i].code) != t[i].want)
			fail_msg("HTTP %ld: class %d, want %d", t[i].code,
				 (int)pb_http_classify(t[i].code),
				 (int)t[i].want);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ok_then_cached),
		T(test_hash_cache),
		T(test_transient_retried),
		T(test_retries_run_out),
		T(test_next_mirror),
		T(test_all_404),
		T(test_wrong_bytes),
		T(test_resume),
		T(test_range_ignored),
		T(test_head),
		T(test_head_of_a_whole_answer),
		T(test_head_short),
		T(test_turns),
		T(test_add_first),
		T(test_416_starts_over),
		T(test_redirects),
		T(test_host_failures_outlive_a_run),
		T(test_404_not_a_host_failure),
		T(test_add_while_running),
		T(test_stop),
		T(test_events),
		T(test_no_url),
		cmocka_unit_test(test_opts_too_old),
		cmocka_unit_test(test_http_classify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
