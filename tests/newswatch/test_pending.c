/* newswatch's pending set (newswatch/pending.c): when a named file is
 * taken, waited for or dropped. nw_take is replaced here by a recorder:
 * what is tested is which paths reach it and when, not what it does. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"
#include "pending.h"
#include "take.h"
#include "testutil.h"

static char taken[8][4096];
static int n_taken;

int nw_take(struct nw_daemon *d, const char *path, int complete)
{
	(void)d;
	(void)complete;
	assert_true(n_taken < 8);
	snprintf(taken[n_taken++], sizeof(taken[0]), "%s", path);
	return 1;
}

struct fixture {
	char tmp[PBT_TMP_MAX]; /* first: pbt_fx_new's scratch directory */
	char spool[PBT_TMP_MAX + 16], group[PBT_TMP_MAX + 32];
	struct nw_daemon d;
};

static int setup(void **state)
{
	struct fixture *f = pbt_fx_new(sizeof(*f), "pending");

	assert_non_null(f);
	pbt_mkdirs(f->tmp, "spool/local/test");
	pbt_path(f->spool, sizeof(f->spool), f->tmp, "spool");
	pbt_path(f->group, sizeof(f->group), f->tmp, "spool/local/test");
	f->d.cfg.spool = f->spool;
	f->d.cfg.settle_ms = 0;
	n_taken = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	nw_pending_free(&f->d.pending);
	return pbt_fx_teardown(state);
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

/* The eBPF probe names a file as its creation starts, before it is in its
 * directory: a settle pass in between must wait for it, not drop it (an
 * article of the smoke test in the VM was lost so). */
static void test_not_there_yet_is_waited_for(void **state)
{
	struct fixture *f = *state;
	char path[4200];

	snprintf(path, sizeof(path), "%s/1", f->group);
	nw_pending_add(&f->d, path, 0);
	nw_pending_settle(&f->d);
	assert_int_equal(f->d.pending.n, 1);
	assert_int_equal(n_taken, 0);
	write_file(path, "Message-ID: <1@t>\n\nbody\n");
	nw_pending_settle(&f->d);
	assert_int_equal(f->d.pending.n, 0);
	assert_int_equal(n_taken, 1);
	assert_string_equal(taken[0], path);
}

/* one that never appears is dropped after a second (settle_ms is 0 here) */
static void test_never_there_is_dropped(void **state)
{
	struct fixture *f = *state;
	char path[4200];

	snprintf(path, sizeof(path), "%s/2", f->group);
	nw_pending_add(&f->d, path, 0);
	nw_pending_settle(&f->d);
	assert_int_equal(f->d.pending.n, 1);
	f->d.pending.v[0].seen -= 1.5; /* as if named 1.5 s ago */
	nw_pending_settle(&f->d);
	assert_int_equal(f->d.pending.n, 0);
	assert_int_equal(n_taken, 0);
}

/* one that was there and is removed before it is taken is gone at once */
static void test_removed_is_gone(void **state)
{
	struct fixture *f = *state;
	char path[4200];

	snprintf(path, sizeof(path), "%s/3", f->group);
	write_file(path, "Message-ID: <3@t>\n");
	f->d.cfg.settle_ms = 60000; /* not taken while it settles */
	nw_pending_add(&f->d, path, 0);
	nw_pending_settle(&f->d);
	assert_int_equal(f->d.pending.n, 1);
	assert_int_equal(unlink(path), 0);
	nw_pending_settle(&f->d);
	assert_int_equal(f->d.pending.n, 0);
	assert_int_equal(n_taken, 0);
}

/* not articles (outside the spool, not a number) are not noted at all */
static void test_not_articles_ignored(void **state)
{
	struct fixture *f = *state;
	char path[4200];

	snprintf(path, sizeof(path), "%s/1.tmp", f->group);
	nw_pending_add(&f->d, path, 0);
	nw_pending_add(&f->d, "/elsewhere/local/test/1", 0);
	assert_int_equal(f->d.pending.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_not_there_yet_is_waited_for, setup, teardown),
		cmocka_unit_test_setup_teardown(test_never_there_is_dropped,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_is_gone, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_not_articles_ignored,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
