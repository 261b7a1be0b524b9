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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spool_paths),
		cmocka_unit_test(test_group_wildcards),
		cmocka_unit_test(test_render),
		cmocka_unit_test_teardown(test_queue_survives_restart,
					  pbt_rm_tmpdirs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
