/* Run control: temp names (host, pid, random), the cleanup of what a
 * crashed run left, locks that name their holder, the writable check. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "util/fs.h"
#include "util/runctl.h"

static int exists(const char *dir, const char *rel)
{
	char p[PATH_MAX];

	pbt_path(p, sizeof(p), dir, rel);
	return access(p, F_OK) == 0;
}

/* a pid that is gone: a child that exited and was reaped */
static pid_t dead_pid(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	assert_true(p > 0);
	waitpid(p, NULL, 0);
	return p;
}

static void test_atomic_write_leaves_no_temp(void **state)
{
	char *d = pbt_tmpdir("runctl"), p[PATH_MAX];
	struct pb_err err = {0};

	(void)state;
	pbt_path(p, sizeof(p), d, "out.json");
	assert_int_equal(pb_write_file_atomic(p, "{}", 2, &err), 0);
	/* only the file: the temp was renamed */
	assert_true(exists(d, "out.json"));
	assert_int_equal(pb_clean_leftovers(d, 0), 0);
	assert_true(exists(d, "out.json"));
}

static void test_clean_leftovers(void **state)
{
	char *d = pbt_tmpdir("runctl"), host[256], name[512];
	pid_t dead = dead_pid();

	(void)state;
	pb_hostname(host, sizeof(host));
	/* removed: this host, dead pid; an empty .part, also one level down */
	snprintf(name, sizeof(name), ".m.json.tmp.%s.%ld.0123abcd", host,
		 (long)dead);
	pbt_write_file(d, name, "x", 0);
	pbt_write_file(d, "sub/a.deb.part", "", 0);
	/* kept: a live pid (ours), another host, a malformed name, a .part
	 * with bytes (resumed), a file two levels down with depth 1 */
	snprintf(name, sizeof(name), ".m.json.tmp.%s.%ld.0123abcd", host,
		 (long)getpid());
	pbt_write_file(d, name, "x", 0);
	snprintf(name, sizeof(name), ".m.json.tmp.other-%s.%ld.0123abcd", host,
		 (long)dead);
	pbt_write_file(d, name, "x", 0);
	snprintf(name, sizeof(name), ".m.json.tmp.%s.%ld.0123abcdX", host,
		 (long)dead);
	pbt_write_file(d, name, "x", 0);
	pbt_write_file(d, "b.deb.part", "bytes", 0);
	pbt_write_file(d, "sub/deeper/c.deb.part", "", 0);

	assert_int_equal(pb_clean_leftovers(d, 1), 2);
	snprintf(name, sizeof(name), ".m.json.tmp.%s.%ld.0123abcd", host,
		 (long)dead);
	assert_false(exists(d, name));
	assert_false(exists(d, "sub/a.deb.part"));
	snprintf(name, sizeof(name), ".m.json.tmp.%s.%ld.0123abcd", host,
		 (long)getpid());
	assert_true(exists(d, name));
	snprintf(name, sizeof(name), ".m.json.tmp.other-%s.%ld.0123abcd", host,
		 (long)dead);
	assert_true(exists(d, name));
	snprintf(name, sizeof(name), ".m.json.tmp.%s.%ld.0123abcdX", host,
		 (long)dead);
	assert_true(exists(d, name));
	assert_true(exists(d, "b.deb.part"));
	assert_true(exists(d, "sub/deeper/c.deb.part"));
}

static void test_lock_names_holder(void **state)
{
	char *d = pbt_tmpdir("runctl"), p[PATH_MAX], host[256], want[400];
	struct pb_lock a, b;
	struct pb_err err = {0};
	int up[2], down[2]; /* child to parent, parent to child */
	char c;
	pid_t kid;

	(void)state;
	pb_hostname(host, sizeof(host));
	pbt_path(p, sizeof(p), d, ".lock");
	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	kid = fork();
	if (kid == 0) {
		/* another process holds it until told */
		if (pb_lock_take(p, "the workspace", 0, &a, &err) < 0)
			_exit(1);
		if (write(up[1], "x", 1) != 1 || read(down[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(read(up[0], &c, 1), 1);
	assert_int_equal(pb_lock_take(p, "the workspace", 0, &b, &err),
			 -EWOULDBLOCK);
	snprintf(want, sizeof(want),
		 "the workspace is in use by another run (pid %ld on %s, "
		 "started ",
		 (long)kid, host);
	assert_non_null(strstr(err.msg, want));
	assert_non_null(strstr(err.msg, p));
	assert_int_equal(b.fd, -1);
	/* the holder gone, the lock is free (flock dies with its process) */
	assert_int_equal(write(down[1], "x", 1), 1);
	waitpid(kid, NULL, 0);
	assert_int_equal(pb_lock_take(p, "the workspace", 0, &b, &err), 0);
	pb_lock_release(&b);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
}

static void test_dir_writable(void **state)
{
	char *d = pbt_tmpdir("runctl"), p[PATH_MAX];
	struct pb_err err = {0};

	(void)state;
	assert_int_equal(pb_dir_writable(d, "the output dir", &err), 0);
	/* nothing left behind */
	assert_int_equal(pb_clean_leftovers(d, 0), 0);
	pbt_path(p, sizeof(p), d, "missing");
	assert_int_equal(pb_dir_writable(p, "the output dir", &err), -ENOENT);
	assert_non_null(strstr(err.msg, "the output dir"));
	assert_non_null(strstr(err.msg, p));
	assert_non_null(strstr(err.msg, "No such file or directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_atomic_write_leaves_no_temp,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_clean_leftovers, pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_lock_names_holder,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_dir_writable, pbt_rm_tmpdirs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
