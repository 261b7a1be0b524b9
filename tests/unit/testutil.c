/* Helpers shared by the unit tests (see testutil.h). */
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "util/fs.h"

/* ------------------------------------------------ scratch directories */

int pbt_mkdtemp(char *buf, size_t len, const char *tag)
{
	int n = snprintf(buf, len, PBT_TMP_PREFIX "%s.XXXXXX", tag);

	if (n < 0 || (size_t)n >= len)
		return -1;
	return mkdtemp(buf) ? 0 : -1;
}

int pbt_rm_tree(const char *dir)
{
	struct pb_err err = {0};

	/* our own mkdtemp directory, nothing else */
	if (strncmp(dir, PBT_TMP_PREFIX, strlen(PBT_TMP_PREFIX)) != 0) {
		fprintf(stderr, "not removing %s: not a test directory\n", dir);
		return -1;
	}
	if (pb_rm_rf(dir, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	return 0;
}

void *pbt_fx_new(size_t size, const char *tag)
{
	char *fx;

	if (size < PBT_TMP_MAX)
		return NULL;
	fx = calloc(1, size);
	if (!fx)
		return NULL;
	/* the first member, tmp */
	if (pbt_mkdtemp(fx, PBT_TMP_MAX, tag) < 0) {
		free(fx);
		return NULL;
	}
	return fx;
}

int pbt_fx_teardown(void **state)
{
	char *fx = *state;
	int ret = pbt_rm_tree(fx);

	free(fx);
	return ret;
}

static char *tmpdirs[8];
static size_t n_tmpdirs;

char *pbt_tmpdir(const char *tag)
{
	char buf[PATH_MAX], *dir;

	assert_true(n_tmpdirs < PBT_N_OF(tmpdirs));
	if (pbt_mkdtemp(buf, sizeof(buf), tag) < 0)
		fail_msg("mkdtemp %s: %s", buf, strerror(errno));
	dir = strdup(buf);
	assert_non_null(dir);
	tmpdirs[n_tmpdirs++] = dir;
	return dir;
}

int pbt_rm_tmpdirs(void **state)
{
	int ret = 0;

	(void)state;
	while (n_tmpdirs > 0) {
		char *dir = tmpdirs[--n_tmpdirs];

		if (pbt_rm_tree(dir) < 0)
			ret = -1;
		free(dir);
	}
	return ret;
}

/* -------------------------------------------------------------- files */

void pbt_path(char *buf, size_t len, const char *dir, const char *rel)
{
	snprintf(buf, len, "%s/%s", dir, rel);
}

void pbt_mkdirs(const char *dir, const char *rel)
{
	char path[PATH_MAX], *p;

	pbt_path(path, sizeof(path), dir, rel);
	for (p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", path, strerror(errno));
}

/* the directories of rel, under dir */
static void parent_dirs(const char *dir, const char *rel)
{
	char parent[PATH_MAX], *slash;

	snprintf(parent, sizeof(parent), "%s", rel);
	slash = strrchr(parent, '/');
	if (slash) {
		*slash = '\0';
		pbt_mkdirs(dir, parent);
	}
}

void pbt_write(const char *dir, const char *rel, const void *data, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	parent_dirs(dir, rel);
	pbt_path(path, sizeof(path), dir, rel);
	f = fopen(path, "wb");
	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

void pbt_write_file(const char *dir, const char *rel, const char *text,
		    mode_t mode)
{
	char path[PATH_MAX];

	pbt_write(dir, rel, text, strlen(text));
	if (mode) {
		pbt_path(path, sizeof(path), dir, rel);
		assert_int_equal(chmod(path, mode), 0);
	}
}

void pbt_symlink(const char *dir, const char *rel, const char *target)
{
	char path[PATH_MAX];

	parent_dirs(dir, rel);
	pbt_path(path, sizeof(path), dir, rel);
	if (symlink(target, path) < 0)
		fail_msg("symlink %s: %s", path, strerror(errno));
}

char *pbt_read_file(const char *dir, const char *rel)
{
	struct pb_err err = {0};
	char path[PATH_MAX], *text;

	pbt_path(path, sizeof(path), dir, rel);
	if (pb_read_file(path, &text, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	return text;
}

/* ------------------------------------------------------------- others */

int pbt_strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ------------------------------------------------ commands, sizes */

void pbt_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ret = system(cmd);
	if (ret != 0)
		fail_msg("'%s' failed: %d", cmd, ret);
}

int pbt_have_tool(const char *name)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

off_t pbt_file_size(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		fail_msg("stat %s: %s", path, strerror(errno));
	return st.st_size;
}

void pbt_cut_file(const char *dir, const char *in, const char *out, long cut)
{
	char a[PATH_MAX], b[PATH_MAX];
	off_t size;

	pbt_path(a, sizeof(a), dir, in);
	pbt_path(b, sizeof(b), dir, out);
	size = pbt_file_size(a);
	pbt_sh("head -c %lld '%s' > '%s'",
	       (long long)(cut ? size - cut : size / 2), a, b);
}

long pbt_max_rss_kib(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}
