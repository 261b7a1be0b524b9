/* pb_log's lines on stderr, which the workers of a run share: each line
 * whole, never cut by another process's (four processes log long lines at
 * once into one O_APPEND file); a line longer than the one-write buffer
 * still comes out whole in one process. */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe-builder/log.h"
#include "testutil.h"

#define PROCS 4
#define LINES 300
#define WIDTH 2000

/* stderr into path (appending), for the duration of fn; the old stderr
 * back after */
static void with_stderr_to(const char *path, void (*fn)(void))
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	int saved = dup(2);

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
	fn();
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
}

static void many_procs(void)
{
	pid_t pid[PROCS];
	int i, j, st;

	for (i = 0; i < PROCS; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			char text[WIDTH + 1];

			memset(text, 'a' + i, WIDTH);
			text[WIDTH] = '\0';
			for (j = 0; j < LINES; j++)
				pb_info("%d %s", i, text);
			_exit(0);
		}
	}
	for (i = 0; i < PROCS; i++) {
		assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
}

static void test_lines_whole_across_processes(void **state)
{
	char *dir = pbt_tmpdir("log"), path[PATH_MAX], *line = NULL;
	size_t cap = 0, seen[PROCS] = {0};
	ssize_t n;
	FILE *f;
	int i;

	(void)state;
	assert_non_null(dir);
	pbt_path(path, sizeof(path), dir, "stderr");
	with_stderr_to(path, many_procs);
	f = fopen(path, "r");
	assert_non_null(f);
	while ((n = getline(&line, &cap, f)) > 0) {
		char want[WIDTH + 64];

		assert_int_equal(sscanf(line, "probe-builder: %d ", &i), 1);
		assert_true(i >= 0 && i < PROCS);
		snprintf(want, sizeof(want), "probe-builder: %d ", i);
		memset(want + strlen(want), 'a' + i, WIDTH);
		want[strlen("probe-builder: 0 ") + WIDTH] = '\n';
		want[strlen("probe-builder: 0 ") + WIDTH + 1] = '\0';
		assert_string_equal(line, want);
		seen[i]++;
	}
	fclose(f);
	free(line);
	for (i = 0; i < PROCS; i++)
		assert_int_equal(seen[i], LINES);
}

static char *long_text;

static void one_long_line(void)
{
	pb_warn("%s", long_text);
}

static void test_longer_than_the_buffer(void **state)
{
	char *dir = pbt_tmpdir("log"), path[PATH_MAX], *line = NULL;
	size_t cap = 0;
	FILE *f;

	(void)state;
	assert_non_null(dir);
	long_text = malloc(20001);
	assert_non_null(long_text);
	memset(long_text, 'x', 20000);
	long_text[20000] = '\0';
	pbt_path(path, sizeof(path), dir, "stderr");
	with_stderr_to(path, one_long_line);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(getline(&line, &cap, f),
			 (ssize_t)(strlen("probe-builder: warning: ") + 20001));
	assert_memory_equal(line, "probe-builder: warning: xxx", 27);
	assert_int_equal(line[strlen(line) - 1], '\n');
	assert_int_equal(getline(&line, &cap, f), -1);
	fclose(f);
	free(line);
	free(long_text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_whole_across_processes),
		cmocka_unit_test(test_longer_than_the_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, pbt_rm_tmpdirs);
}
