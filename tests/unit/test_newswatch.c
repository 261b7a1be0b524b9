/* newswatch's pieces that need no server: which spool paths are articles,
 * group wildcards, the rendered JSON, and the queue on disk (nothing lost,
 * nothing twice, across a restart). */
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
#include <json-c/json.h>

#include <fcntl.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include "bpfwatch.h"
#include "checkpoint.h"
#include "fanwatch.h"
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
	struct pb_err err = {0};
	json_object *j, *v;
	char *out;

	(void)state;
	assert_int_equal(nw_render(NW_DEFAULT_TEMPLATE, &it, &out, &err), 0);
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
	assert_int_equal(nw_render("{\"g\": \"{newsgroups}\", \"n\": {number}, "
				   "\"id\": \"{message_id}\", \"x\": "
				   "\"{unknown}\"}",
				   &it, &out, &err),
			 0);
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
	assert_int_equal(nw_render("text: {subject}", &it, &out, &err),
			 -EINVAL);
	assert_null(out);
	assert_int_equal(err.code, -EINVAL);
	assert_non_null(strstr(err.msg, "not give valid JSON"));
	/* the whole template is one document: nothing after it but blanks */
	assert_int_equal(
		nw_render("{\"text\": \"{text}\"} junk", &it, &out, &err),
		-EINVAL);
	assert_non_null(strstr(err.msg, "not give valid JSON"));
	assert_int_equal(nw_render("{\"text\": \"{text}\"}}", &it, &out, &err),
			 -EINVAL);
	assert_int_equal(nw_render("[1] [2]", &it, &out, &err), -EINVAL);
	assert_int_equal(nw_render("{\"text\": \"{text}\"", &it, &out, &err),
			 -EINVAL);
	assert_int_equal(
		nw_render(" {\"text\": \"{text}\"}\r\n", &it, &out, &err), 0);
	assert_non_null(out);
	free(out);
}

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

/* The checkpoint: none until saved, never backwards, kept across a
 * restart, and why when it cannot be read */
static void test_checkpoint(void **state)
{
	char *dir = pbt_tmpdir("nwk"), path[PATH_MAX];
	struct pb_err err = {0};
	struct nw_checkpoint *c;

	(void)state;
	assert_int_equal(nw_checkpoint_open(dir, &c, &err), 0);
	assert_false(nw_checkpoint_exists(c));
	/* noted, not written, before the first save */
	assert_int_equal(nw_checkpoint_set(c, "local.test", 2, &err), 0);
	assert_int_equal(access(dir, F_OK), 0);
	snprintf(path, sizeof(path), "%s/checkpoint", dir);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(nw_checkpoint_save(c, &err), 0);
	assert_true(nw_checkpoint_exists(c));
	assert_int_equal(nw_checkpoint_set(c, "local.test", 5, &err), 0);
	assert_int_equal(nw_checkpoint_set(c, "local.test", 3, &err), 0);
	assert_int_equal(nw_checkpoint_get(c, "local.test"), 5);
	nw_checkpoint_close(c);

	assert_int_equal(nw_checkpoint_open(dir, &c, &err), 0);
	assert_true(nw_checkpoint_exists(c));
	assert_int_equal(nw_checkpoint_get(c, "local.test"), 5);
	assert_int_equal(nw_checkpoint_get(c, "other"), 0);
	nw_checkpoint_close(c);

	/* a checkpoint that cannot be opened: the open fails, and says why */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("checkpoint", path), 0);
	assert_int_equal(nw_checkpoint_open(dir, &c, &err), -ELOOP);
	assert_null(c);
	assert_int_equal(err.code, -ELOOP);
	assert_non_null(strstr(err.msg, "/checkpoint: Too many levels"));
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

/* A DFID_NAME record as the kernel writes it, at buf (any alignment). */
static size_t make_fan_event(char *buf, const struct file_handle *h,
			     const char *name, uint64_t mask)
{
	struct fanotify_event_metadata m = {0};
	struct fanotify_event_info_header hdr = {0};
	size_t hlen = sizeof(*h) + h->handle_bytes, info;

	info = sizeof(struct fanotify_event_info_fid) + hlen + strlen(name) + 1;
	info = (info + 3) & ~(size_t)3; /* the kernel's 4-byte padding */
	m.event_len = (uint32_t)(sizeof(m) + info);
	m.vers = FANOTIFY_METADATA_VERSION;
	m.metadata_len = sizeof(m);
	m.mask = mask;
	m.fd = FAN_NOFD;
	hdr.info_type = FAN_EVENT_INFO_TYPE_DFID_NAME;
	hdr.len = (uint16_t)info;
	memset(buf, 0, m.event_len);
	memcpy(buf, &m, sizeof(m));
	memcpy(buf + sizeof(m), &hdr, sizeof(hdr));
	memcpy(buf + sizeof(m) +
		       offsetof(struct fanotify_event_info_fid, handle),
	       h, hlen);
	strcpy(buf + sizeof(m) +
		       offsetof(struct fanotify_event_info_fid, handle) + hlen,
	       name);
	return m.event_len;
}

/* Records packed at 4-byte offsets (the u64 mask misaligned) are read by
 * copy: right paths, under -fsanitize=alignment too. */
static void test_fan_events_unaligned(void **state)
{
	char *dir = pbt_tmpdir("nwf"), path[PATH_MAX * 2], real[PATH_MAX];
	static char buf[4096] __attribute__((aligned(8)));
	union {
		struct file_handle h;
		char space[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} fh;
	struct nw_fanwatch w = {-1, -1, 0};
	size_t off = 4, l1, l2, elen = 0;
	static const char *const names[] = {"12", "123", "1234", "12345"};
	int mount_id, complete = -1, i;

	(void)state;
	assert_non_null(realpath(dir, real));
	fh.h.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, real, &fh.h, &mount_id, 0) < 0)
		skip();
	w.mount_fd = open(real, O_RDONLY | O_DIRECTORY);
	assert_true(w.mount_fd >= 0);
	/* a name length that leaves the next record misaligned too */
	for (i = 0; i < 4; i++) {
		l1 = make_fan_event(buf + off, &fh.h, names[i], FAN_CREATE);
		if (l1 % 8 == 4)
			break;
	}
	assert_int_equal(l1 % 8, 4);
	l2 = make_fan_event(buf + off + l1, &fh.h, "13", FAN_CLOSE_WRITE);
	{
		int t = open_by_handle_at(w.mount_fd, &fh.h, O_PATH);

		if (t < 0) {
			close(w.mount_fd);
			skip(); /* needs CAP_DAC_READ_SEARCH */
		}
		close(t);
	}
	assert_int_equal(nw_fanwatch_event(buf + off, l1 + l2, &w, path,
					   sizeof(path), &complete, &elen),
			 1);
	assert_int_equal(elen, l1);
	snprintf(real + strlen(real), sizeof(real) - strlen(real), "/%s",
		 names[i]);
	assert_string_equal(path, real);
	assert_int_equal(complete, 0);
	assert_int_equal(nw_fanwatch_event(buf + off + l1, l2, &w, path,
					   sizeof(path), &complete, &elen),
			 1);
	assert_int_equal(complete, 1);
	assert_string_equal(path + strlen(path) - 3, "/13");
	/* cut short: not whole */
	assert_int_equal(nw_fanwatch_event(buf + off, l1 - 1, &w, path,
					   sizeof(path), &complete, &elen),
			 -1);
	close(w.mount_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spool_paths),
		cmocka_unit_test(test_group_wildcards),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_bpf_event_path),
		cmocka_unit_test(test_idempotency_key),
		cmocka_unit_test_teardown(test_fan_events_unaligned,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_checkpoint, pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_queue_survives_restart,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_queue_crash_windows,
					  pbt_rm_tmpdirs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
