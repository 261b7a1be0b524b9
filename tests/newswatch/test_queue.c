/* newswatch's queue on disk (newswatch/queue.c): nothing lost, nothing
 * twice, across a restart and a crash at any point, and the idempotency
 * key it gives each entry. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "queue.h"
#include "testutil.h"

static void test_queue_survives_restart(void **state)
{
	char *dir = pbt_tmpdir("nwq"), *id, *key, *body;
	struct pb_err perr = {0};
	struct nw_queue *q;
	unsigned long long seq, first;

	(void)state;
	assert_int_equal(nw_queue_open(dir, &q, &perr), 0);
	assert_int_equal(
		nw_queue_put(q, "<a@x>", "\"<a@x> g\"", "{\"n\":1}", &perr), 0);
	assert_int_equal(
		nw_queue_put(q, "<b@x>", "\"<b@x> g\"", "{\"n\":2}", &perr), 0);
	assert_true(nw_queue_known(q, "<a@x>"));
	assert_false(nw_queue_known(q, "<c@x>"));
	/* the oldest first; delivered ones are known for ever */
	assert_int_equal(nw_queue_next(q, &first, &id, &key, &body), 1);
	assert_string_equal(id, "<a@x>");
	assert_string_equal(key, "\"<a@x> g\"");
	assert_string_equal(body, "{\"n\":1}");
	assert_int_equal(nw_queue_done(q, first, id, 1, &perr), 0);
	free(id);
	free(key);
	free(body);
	nw_queue_close(q);

	/* a restart: <b> still queued, <a> still known */
	assert_int_equal(nw_queue_open(dir, &q, &perr), 0);
	assert_true(nw_queue_known(q, "<a@x>"));
	assert_true(nw_queue_known(q, "<b@x>"));
	assert_int_equal(nw_queue_pending(q), 1);
	assert_int_equal(nw_queue_next(q, &seq, &id, &key, &body), 1);
	assert_true(seq > first);
	assert_string_equal(id, "<b@x>");
	/* the key survives the restart: a resend carries the same one */
	assert_string_equal(key, "\"<b@x> g\"");
	/* refused for good: out of the queue, kept in failed/ */
	assert_int_equal(nw_queue_done(q, seq, id, 0, &perr), 0);
	free(id);
	free(key);
	free(body);
	assert_int_equal(nw_queue_pending(q), 0);
	{
		char *kept = pbt_read_file(dir, "failed/0000000000000002");

		assert_non_null(strstr(kept, "<b@x>"));
		free(kept);
	}
	/* stopping wakes a waiting deliverer */
	nw_queue_stop(q);
	assert_int_equal(nw_queue_next(q, &seq, &id, &key, &body), 0);
	assert_int_equal(nw_queue_sleep(q, 5), 1);
	nw_queue_close(q);
}

/* A crash between the sent record and the entry's removal: the entry is
 * not POSTed again. One queued before keys existed gets its message-id as
 * key. */
static void test_queue_crash_windows(void **state)
{
	char *dir = pbt_tmpdir("nwc"), *id, *key, *body, path[PATH_MAX];
	struct pb_err perr = {0};
	struct nw_queue *q;
	unsigned long long seq;
	FILE *f;

	(void)state;
	assert_int_equal(nw_queue_open(dir, &q, &perr), 0);
	assert_int_equal(nw_queue_put(q, "<a@x>", "\"<a@x> g\"", "{}", &perr),
			 0);
	assert_int_equal(nw_queue_put(q, "<b@x>", "\"<b@x> g\"", "{}", &perr),
			 0);
	nw_queue_close(q);
	/* <a> delivered and recorded, the crash before its unlink */
	snprintf(path, sizeof(path), "%s/sent", dir);
	f = fopen(path, "a");
	assert_non_null(f);
	fputs("<a@x>\n", f);
	fclose(f);
	/* an entry of the old format: no key line */
	snprintf(path, sizeof(path), "%s/queue/0000000000000009", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("<old@x>\n{\"old\": 1}", f);
	fclose(f);
	assert_int_equal(nw_queue_open(dir, &q, &perr), 0);
	assert_int_equal(nw_queue_pending(q), 2);
	assert_int_equal(nw_queue_next(q, &seq, &id, &key, &body), 1);
	assert_string_equal(id, "<b@x>");
	nw_queue_inflight(q, seq);
	assert_int_equal(nw_queue_done(q, seq, id, 1, &perr), 0);
	free(id);
	free(key);
	free(body);
	assert_int_equal(nw_queue_next(q, &seq, &id, &key, &body), 1);
	assert_string_equal(id, "<old@x>");
	assert_string_equal(key, "\"<old@x>\"");
	assert_string_equal(body, "{\"old\": 1}");
	free(id);
	free(key);
	free(body);
	nw_queue_close(q);
	{
		char *fl = pbt_read_file(dir, "inflight");

		assert_int_equal(strtoull(fl, NULL, 10), 2);
		free(fl);
	}
	/* a state directory that cannot be made: a negative errno and why */
	pbt_write_file(dir, "file", "x", 0);
	snprintf(path, sizeof(path), "%s/file/state", dir);
	assert_int_equal(nw_queue_open(path, &q, &perr), -ENOTDIR);
	assert_null(q);
	assert_non_null(strstr(perr.msg, "file/state/queue: Not a directory"));
}

static void test_idempotency_key(void **state)
{
	char *k;

	(void)state;
	k = nw_idempotency_key("<a.b@host.example>", "comp.lang.c", NULL);
	assert_string_equal(k, "\"<a.b@host.example> comp.lang.c\"");
	free(k);
	/* quotes and backslashes escaped; '%', controls and non-ASCII as
	 * %XX: a header line cannot be broken, and the key stays
	 * injective */
	k = nw_idempotency_key("<\"q\\\"%\r\n@h>", "fr.caf\xc3\xa9", NULL);
	assert_string_equal(k, "\"<\\\"q\\\\\\\"%25%0D%0A@h> fr.caf%C3%A9\"");
	free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idempotency_key),
		cmocka_unit_test_teardown(test_queue_survives_restart,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_queue_crash_windows,
					  pbt_rm_tmpdirs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
