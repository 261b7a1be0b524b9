/* newswatch's pieces that need no server: which spool paths are articles,
 * group wildcards, the rendered JSON, and the queue on disk (nothing lost,
 * nothing twice, across a restart). */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "bpfwatch.h"
#include "newswatch_event.h"
#include "queue.h"
#include "render.h"
#include "spool.h"
#include "testutil.h"

static void test_spool_paths(void **state)
{
	char g[256];
	unsigned long n = 0;

	(void)state;
	assert_true(nw_spool_article("/var/spool/news/articles",
				     "/var/spool/news/articles/comp/lang/c/42",
				     g, sizeof(g), &n));
	assert_string_equal(g, "comp.lang.c");
	assert_int_equal(n, 42);
	/* a trailing slash on the spool changes nothing */
	assert_true(
		nw_spool_article("/s/", "/s/local/test/7", g, sizeof(g), &n));
	assert_string_equal(g, "local.test");
	/* not articles: a name that is not a number, a file at the top, a
	 * hidden INN directory, another tree, a prefix look-alike, 0 */
	assert_false(nw_spool_article("/s", "/s/local/test/7.tmp", g, sizeof(g),
				      &n));
	assert_false(nw_spool_article("/s", "/s/42", g, sizeof(g), &n));
	assert_false(nw_spool_article("/s", "/s/.overview/local/1", g,
				      sizeof(g), &n));
	assert_false(nw_spool_article("/s", "/t/local/1", g, sizeof(g), &n));
	assert_false(nw_spool_article("/s", "/sx/local/1", g, sizeof(g), &n));
	assert_false(nw_spool_article("/s", "/s/local/0", g, sizeof(g), &n));
	/* a group name longer than the buffer is refused, not cut */
	assert_false(
		nw_spool_article("/s", "/s/a/very/long/group/1", g, 8, &n));
}

static void test_group_wildcards(void **state)
{
	(void)state;
	assert_true(nw_group_wanted("comp.lang.c", "*", ""));
	assert_true(nw_group_wanted("comp.lang.c", "", NULL));
	assert_true(nw_group_wanted("comp.lang.c", "fr.*, comp.*", ""));
	assert_false(nw_group_wanted("alt.test", "fr.*, comp.*", ""));
	assert_false(nw_group_wanted("local.test", "*", "*.test,junk"));
	assert_false(nw_group_wanted("junk", "*", "*.test, junk"));
	assert_true(nw_group_wanted("local.tests", "*", "*.test,junk"));
}

static void test_render(void **state)
{
	char *groups[] = {"comp.lang.c", "fr.comp.lang.c", NULL};
	struct nw_article a = {
		.message_id = "<id@x>",
		.from = "Renée \"R\" <r@example.org>",
		.subject = "Café\ttab \\ slash\nnewline",
		.date = "Mon, 23 Nov 2026 06:00:00 +0000",
		.newsgroups = groups,
		.n_newsgroups = 2,
	};
	struct nw_item it = {&a, "comp.lang.c", "/s/comp/lang/c/3", 3};
	char err[512], *out;
	json_object *j, *v;

	(void)state;
	out = nw_render(NW_DEFAULT_TEMPLATE, &it, err, sizeof(err));
	assert_non_null(out);
	j = json_tokener_parse(out);
	assert_non_null(j);
	assert_true(json_object_object_get_ex(j, "text", &v));
	assert_string_equal(
		json_object_get_string(v),
		"New article in comp.lang.c: \"Café\ttab \\ "
		"slash\nnewline\" from Renée \"R\" <r@example.org>");
	json_object_put(j);
	free(out);
	out = nw_render("{\"g\": \"{newsgroups}\", \"n\": {number}, \"id\": "
			"\"{message_id}\", \"x\": \"{unknown}\"}",
			&it, err, sizeof(err));
	assert_non_null(out);
	j = json_tokener_parse(out);
	assert_true(json_object_object_get_ex(j, "g", &v));
	assert_string_equal(json_object_get_string(v),
			    "comp.lang.c, fr.comp.lang.c");
	assert_true(json_object_object_get_ex(j, "n", &v));
	assert_int_equal(json_object_get_int(v), 3);
	assert_true(json_object_object_get_ex(j, "x", &v));
	assert_string_equal(json_object_get_string(v), "{unknown}");
	json_object_put(j);
	free(out);
	/* a template that is not JSON is an error, with its text */
	assert_null(nw_render("text: {subject}", &it, err, sizeof(err)));
	assert_non_null(strstr(err, "not give valid JSON"));
	/* the whole template is one document: nothing after it but blanks */
	assert_null(nw_render("{\"text\": \"{text}\"} junk", &it, err,
			      sizeof(err)));
	assert_non_null(strstr(err, "not give valid JSON"));
	assert_null(nw_render("{\"text\": \"{text}\"}}", &it, err,
			      sizeof(err)));
	assert_null(nw_render("[1] [2]", &it, err, sizeof(err)));
	assert_null(nw_render("{\"text\": \"{text}\"", &it, err,
			      sizeof(err)));
	out = nw_render(" {\"text\": \"{text}\"}\r\n", &it, err, sizeof(err));
	assert_non_null(out);
	free(out);
}

static void test_queue_survives_restart(void **state)
{
	char *dir = pbt_tmpdir("nwq"), err[512], *id, *body;
	struct nw_queue *q;
	unsigned long long seq, first;

	(void)state;
	assert_int_equal(nw_queue_open(dir, &q, err, sizeof(err)), 0);
	assert_false(nw_checkpoint_exists(q));
	assert_int_equal(
		nw_queue_put(q, "<a@x>", "{\"n\":1}", err, sizeof(err)), 0);
	assert_int_equal(
		nw_queue_put(q, "<b@x>", "{\"n\":2}", err, sizeof(err)), 0);
	assert_true(nw_queue_known(q, "<a@x>"));
	assert_false(nw_queue_known(q, "<c@x>"));
	/* the oldest first; delivered ones are known for ever */
	assert_int_equal(nw_queue_next(q, &first, &id, &body), 1);
	assert_string_equal(id, "<a@x>");
	assert_string_equal(body, "{\"n\":1}");
	assert_int_equal(nw_queue_done(q, first, id, 1), 0);
	free(id);
	free(body);
	nw_checkpoint_save(q);
	nw_checkpoint_set(q, "local.test", 5);
	nw_checkpoint_set(q, "local.test", 3); /* never backwards */
	nw_queue_close(q);

	/* a restart: <b> still queued, <a> still known, the checkpoint */
	assert_int_equal(nw_queue_open(dir, &q, err, sizeof(err)), 0);
	assert_true(nw_checkpoint_exists(q));
	assert_int_equal(nw_checkpoint_get(q, "local.test"), 5);
	assert_int_equal(nw_checkpoint_get(q, "other"), 0);
	assert_true(nw_queue_known(q, "<a@x>"));
	assert_true(nw_queue_known(q, "<b@x>"));
	assert_int_equal(nw_queue_pending(q), 1);
	assert_int_equal(nw_queue_next(q, &seq, &id, &body), 1);
	assert_true(seq > first);
	assert_string_equal(id, "<b@x>");
	/* refused for good: out of the queue, kept in failed/ */
	assert_int_equal(nw_queue_done(q, seq, id, 0), 0);
	free(id);
	free(body);
	assert_int_equal(nw_queue_pending(q), 0);
	{
		char *kept = pbt_read_file(dir, "failed/0000000000000002");

		assert_non_null(strstr(kept, "<b@x>"));
		free(kept);
	}
	/* stopping wakes a waiting deliverer */
	nw_queue_stop(q);
	assert_int_equal(nw_queue_next(q, &seq, &id, &body), 0);
	assert_int_equal(nw_queue_sleep(q, 5), 1);
	nw_queue_close(q);
}

/* an event as the probe writes it, built with `depth` slots */
static size_t make_event(unsigned char *buf, unsigned depth,
			 const char *const *leaf_first, unsigned n,
			 uint32_t dev, uint16_t flags)
{
	struct newswatch_event *ev = (struct newswatch_event *)buf;
	size_t size = NEWSWATCH_EVENT_SIZE(depth);
	unsigned i;

	memset(buf, 0, size);
	ev->magic = NEWSWATCH_EVENT_MAGIC;
	ev->version = NEWSWATCH_EVENT_VERSION;
	ev->size = (uint16_t)size;
	ev->dev = dev;
	ev->flags = flags;
	ev->depth = (uint16_t)depth;
	ev->ncomps = (uint16_t)n;
	ev->name_len = NEWSWATCH_NAME_LEN;
	for (i = 0; i < n; i++)
		snprintf((char *)buf + NEWSWATCH_EVENT_COMP_OFFSET +
				 i * NEWSWATCH_NAME_LEN,
			 NEWSWATCH_NAME_LEN, "%s", leaf_first[i]);
	return size;
}

static void test_bpf_event_path(void **state)
{
	static unsigned char buf[NEWSWATCH_EVENT_SIZE(NEWSWATCH_MAX_DEPTH)];
	const char *const comps[] = {"12", "test", "local", "articles"};
	char path[PATH_MAX];
	size_t size;

	(void)state;
	size = make_event(buf, 8, comps, 4, 0x800001, 0);
	assert_true(nw_bpf_event_path(buf, size, "/srv/news", 0x800001, path,
				      sizeof(path)));
	assert_string_equal(path, "/srv/news/articles/local/test/12");
	/* the root filesystem: its mount point is "" */
	assert_true(
		nw_bpf_event_path(buf, size, "", 0x800001, path, sizeof(path)));
	assert_string_equal(path, "/articles/local/test/12");
	/* another filesystem, a walk cut short, a read that failed */
	assert_false(
		nw_bpf_event_path(buf, size, "", 0x800002, path, sizeof(path)));
	size = make_event(buf, 8, comps, 4, 1, NEWSWATCH_F_TRUNCATED);
	assert_false(nw_bpf_event_path(buf, size, "", 1, path, sizeof(path)));
	size = make_event(buf, 8, comps, 4, 1, NEWSWATCH_F_READ_ERROR);
	assert_false(nw_bpf_event_path(buf, size, "", 1, path, sizeof(path)));
	/* an object built with another depth: the event says its own */
	size = make_event(buf, 4, comps, 4, 1, 0);
	assert_int_equal(size, NEWSWATCH_EVENT_SIZE(4));
	assert_true(nw_bpf_event_path(buf, size, "/m", 1, path, sizeof(path)));
	assert_string_equal(path, "/m/articles/local/test/12");
	/* not an event of this layout: short, bad magic, lying counts */
	assert_false(nw_bpf_event_path(buf, 40, "", 1, path, sizeof(path)));
	assert_false(
		nw_bpf_event_path(buf, size - 1, "", 1, path, sizeof(path)));
	((struct newswatch_event *)buf)->ncomps = 5;
	assert_false(nw_bpf_event_path(buf, size, "", 1, path, sizeof(path)));
	((struct newswatch_event *)buf)->ncomps = 4;
	((struct newswatch_event *)buf)->magic = 0;
	assert_false(nw_bpf_event_path(buf, size, "", 1, path, sizeof(path)));
	/* a path longer than the buffer is not cut */
	size = make_event(buf, 8, comps, 4, 1, 0);
	assert_false(nw_bpf_event_path(buf, size, "", 1, path, 12));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spool_paths),
		cmocka_unit_test(test_group_wildcards),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_bpf_event_path),
		cmocka_unit_test_teardown(test_queue_survives_restart,
					  pbt_rm_tmpdirs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
