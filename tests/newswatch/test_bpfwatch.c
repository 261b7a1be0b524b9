/* newswatch's BPF watcher (newswatch/bpfwatch.c): the article path made
 * from an event as the probe writes it, and the events refused. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bpfwatch.h"
#include "newswatch_event.h"

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
		cmocka_unit_test(test_bpf_event_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
