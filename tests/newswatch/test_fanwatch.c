/* newswatch's fanotify watcher (newswatch/fanwatch.c): the records the
 * kernel writes, read at any alignment, and those cut short. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include <cmocka.h>

#include "fanwatch.h"
#include "testutil.h"

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
		cmocka_unit_test_teardown(test_fan_events_unaligned,
					  pbt_rm_tmpdirs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
