/* util/hashcache: a digest remembered is given back without reading the
 * file again, and only while the file is the one that was hashed: content
 * changed at the same size with its mtime given back (ctime shows it), a
 * file replaced by another (a new inode), a corrupt entry, a racy file. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "util/fs.h"
#include "util/hashcache.h"

/* files older than the racy margin, made once for every test */
static char tmp[PBT_TMP_MAX];
static const char *const names[] = {"a", "b", "c", "d", "e", "f", "g"};

static int group_setup(void **state)
{
	char path[PATH_MAX];
	size_t i;
	FILE *f;

	(void)state;
	if (pbt_mkdtemp(tmp, sizeof(tmp), "hashcache") < 0)
		return -1;
	for (i = 0; i < PBT_N_OF(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmp, names[i]);
		f = fopen(path, "w");
		if (!f || fprintf(f, "content of %s\n", names[i]) < 0 ||
		    fclose(f) != 0)
			return -1;
	}
	/* a file is remembered only once its times are that old */
	sleep(PB_HASHCACHE_RACY_S + 1);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return pbt_rm_tree(tmp);
}

/* a workspace of its own for each test */
static void new_cache(struct pb_hashcache *hc, char *ws, size_t len,
		      const char *tag)
{
	struct pb_err err = {0};

	snprintf(ws, len, "%s/ws-%s", tmp, tag);
	pbt_mkdirs(tmp, strrchr(ws, '/') + 1);
	assert_int_equal(pb_hashcache_init(hc, ws, &err), 0);
}

/* The entries' names in dir (at most n), how many. */
static size_t entries(const char *dir, char (*out)[PATH_MAX], size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t k = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (k < n)
			snprintf(out[k], PATH_MAX, "%s/%s", dir, e->d_name);
		k++;
	}
	closedir(d);
	return k;
}

static char *read_entry_text(const char *path)
{
	struct pb_err err = {0};
	char *text = NULL;

	if (pb_read_file(path, &text, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	return text;
}

static void plain(const char *path, const char *algo, char *hex)
{
	struct pb_err err = {0};

	assert_int_equal(pb_hash_file(path, algo, hex, &err), 0);
}

/* Writes text over path in place (same inode), its mtime given back. */
static void rewrite_keep_mtime(const char *path, const char *text)
{
	struct timespec t[2];
	struct stat st;
	int fd;

	assert_int_equal(stat(path, &st), 0);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	t[0] = st.st_atim;
	t[1] = st.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

static void test_null_cache_is_plain(void **state)
{
	struct pb_err err = {0};
	char path[PATH_MAX], hex[PB_HEX_MAX], want[PB_HEX_MAX];

	(void)state;
	pbt_path(path, sizeof(path), tmp, "a");
	plain(path, "sha256", want);
	assert_int_equal(pb_hash_file_cached(NULL, path, "sha256", hex, &err),
			 0);
	assert_string_equal(hex, want);
	assert_int_equal(pb_hashcache_put(NULL, path, "sha256", want, &err), 0);
}

/* Hashed once, then taken from the entry: a digest planted in the entry
 * comes back, which the file's bytes could not give. */
static void test_hit_reads_no_file(void **state)
{
	struct pb_hashcache hc;
	struct pb_err err = {0};
	char ws[PATH_MAX], path[PATH_MAX], hex[PB_HEX_MAX], want[PB_HEX_MAX];
	char ent[1][PATH_MAX], *text, *p;
	int fd;

	(void)state;
	new_cache(&hc, ws, sizeof(ws), "hit");
	pbt_path(path, sizeof(path), tmp, "b");
	plain(path, "sha256", want);
	assert_int_equal(pb_hash_file_cached(&hc, path, "sha256", hex, &err),
			 0);
	assert_string_equal(hex, want);
	assert_int_equal(hc.hashed, 1);
	assert_int_equal(hc.hits, 0);
	assert_int_equal(entries(hc.dir, ent, 1), 1);

	assert_int_equal(pb_hash_file_cached(&hc, path, "sha256", hex, &err),
			 0);
	assert_string_equal(hex, want);
	assert_int_equal(hc.hashed, 1);
	assert_int_equal(hc.hits, 1);

	/* plant another digest: a hit gives it, so the file was not read */
	text = read_entry_text(ent[0]);
	p = strstr(text, want);
	assert_non_null(p);
	memset(p, '0', strlen(want));
	fd = open(ent[0], O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
	free(text);
	assert_int_equal(pb_hash_file_cached(&hc, path, "sha256", hex, &err),
			 0);
	assert_int_equal(strspn(hex, "0"), strlen(want));
	assert_int_equal(hc.hashed, 1);
	assert_int_equal(hc.hits, 2);

	/* another algorithm is another entry */
	assert_int_equal(pb_hash_file_cached(&hc, path, "md5", hex, &err), 0);
	plain(path, "md5", want);
	assert_string_equal(hex, want);
	assert_int_equal(hc.hashed, 2);
	assert_int_equal(entries(hc.dir, ent, 1), 2);
}

/* The same bytes count, new content, mtime given back: only ctime says
 * it changed. */
static void test_same_size_restored_mtime(void **state)
{
	struct pb_hashcache hc;
	struct pb_err err = {0};
	char ws[PATH_MAX], path[PATH_MAX], hex[PB_HEX_MAX], want[PB_HEX_MAX];
	struct stat before, after;

	(void)state;
	new_cache(&hc, ws, sizeof(ws), "ctime");
	pbt_path(path, sizeof(path), tmp, "c");
	assert_int_equal(pb_hash_file_cached(&hc, path, "sha256", hex, &err),
			 0);
	assert_int_equal(stat(path, &before), 0);
	rewrite_keep_mtime(path, "CONTENT OF c\n");
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(after.st_size, before.st_size);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);

	plain(path, "sha256", want);
	assert_int_equal(pb_hash_file_cached(&hc, path, "sha256", hex, &err),
			 0);
	assert_string_equal(hex, want);
	assert_int_equal(hc.hashed, 2);
	assert_int_equal(hc.hits, 0);
	/* just changed (its ctime is now): racy, hashed again next time */
	assert_int_equal(pb_hash_file_cached(&hc, path, "sha256", hex, &err),
			 0);
	assert_string_equal(hex, want);
	assert_int_equal(hc.hashed, 3);
	assert_int_equal(hc.hits, 0);
}

/* Another file renamed over it, of the same size and mtime: a new
 * inode. */
static void test_replaced_file(void **state)
{
	struct pb_hashcache hc;
	struct pb_err err = {0};
	char ws[PATH_MAX], path[PATH_MAX], other[PATH_MAX], hex[PB_HEX_MAX],
		want[PB_HEX_MAX];
	struct timespec t[2];
	struct stat st;

	(void)state;
	new_cache(&hc, ws, sizeof(ws), "ino");
	pbt_path(path, sizeof(path), tmp, "d");
	assert_int_equal(pb_hash_file_cached(&hc, path, "sha256", hex, &err),
			 0);
	assert_int_equal(stat(path, &st), 0);
	pbt_write_file(tmp, "d.new", "CONTENT OF d\n", 0);
	pbt_path(other, sizeof(other), tmp, "d.new");
	t[0] = st.st_atim;
	t[1] = st.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, other, t, 0), 0);
	assert_int_equal(rename(other, path), 0);

	plain(path, "sha256", want);
	assert_int_equal(pb_hash_file_cached(&hc, path, "sha256", hex, &err),
			 0);
	assert_string_equal(hex, want);
	assert_int_equal(hc.hashed, 2);
	assert_int_equal(hc.hits, 0);
}

/* A torn or foreign entry is no entry: hashed again, rewritten whole. */
static void test_corrupt_entry(void **state)
{
	static const char *const bad[] = {
		"",
		"pb-hashcache 1 sha256 1 2",
		"garbage\n",
		"pb-hashcache 2 sha256 1 2 3 4.5 6.7 ab\n/x\n",
	};
	struct pb_hashcache hc;
	struct pb_err err = {0};
	char ws[PATH_MAX], path[PATH_MAX], hex[PB_HEX_MAX], want[PB_HEX_MAX];
	char ent[1][PATH_MAX], *text;
	size_t i, hashed = 1;
	FILE *f;

	(void)state;
	new_cache(&hc, ws, sizeof(ws), "corrupt");
	pbt_path(path, sizeof(path), tmp, "e");
	plain(path, "sha256", want);
	assert_int_equal(pb_hash_file_cached(&hc, path, "sha256", hex, &err),
			 0);
	assert_int_equal(entries(hc.dir, ent, 1), 1);
	for (i = 0; i < PBT_N_OF(bad); i++) {
		f = fopen(ent[0], "w");
		assert_non_null(f);
		fputs(bad[i], f);
		assert_int_equal(fclose(f), 0);
		assert_int_equal(
			pb_hash_file_cached(&hc, path, "sha256", hex, &err), 0);
		assert_string_equal(hex, want);
		assert_int_equal(hc.hashed, ++hashed);
		text = read_entry_text(ent[0]);
		assert_int_equal(strncmp(text, "pb-hashcache 1 sha256 ", 22),
				 0);
		assert_non_null(strstr(text, want));
		free(text);
	}
	/* the entry of another path (a key that collided) is not this one's */
	text = read_entry_text(ent[0]);
	*strrchr(text, '\n') = '\0';
	f = fopen(ent[0], "w");
	assert_non_null(f);
	fprintf(f, "%s.other\n", text);
	assert_int_equal(fclose(f), 0);
	free(text);
	assert_int_equal(pb_hash_file_cached(&hc, path, "sha256", hex, &err),
			 0);
	assert_int_equal(hc.hashed, ++hashed);
	assert_int_equal(pb_hash_file_cached(&hc, path, "sha256", hex, &err),
			 0);
	assert_int_equal(hc.hashed, hashed);
	assert_int_equal(hc.hits, 1);
}

/* An entry is replaced by rename(2): a reader of the old one reads it
 * whole, and no temporary file stays. */
static void test_entry_atomic(void **state)
{
	struct pb_hashcache hc;
	struct pb_err err = {0};
	char ws[PATH_MAX], path[PATH_MAX], hex[PB_HEX_MAX], ent[2][PATH_MAX],
		buf[64];
	struct stat old, cur;
	int fd;

	(void)state;
	new_cache(&hc, ws, sizeof(ws), "atomic");
	pbt_path(path, sizeof(path), tmp, "f");
	assert_int_equal(pb_hash_file_cached(&hc, path, "sha256", hex, &err),
			 0);
	assert_int_equal(entries(hc.dir, ent, 2), 1);
	fd = open(ent[0], O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &old), 0);
	/* stale: this digest is not the file's, the entry must go */
	assert_int_equal(write(fd, "x", 1), 1);
	assert_int_equal(pb_hash_file_cached(&hc, path, "sha256", hex, &err),
			 0);
	assert_int_equal(hc.hashed, 2);
	assert_int_equal(stat(ent[0], &cur), 0);
	assert_true(cur.st_ino != old.st_ino);
	assert_int_equal(pread(fd, buf, 1, 0), 1);
	assert_int_equal(buf[0], 'x');
	close(fd);
	assert_int_equal(entries(hc.dir, ent, 2), 1);
}

/* A file changed less than the margin ago is never remembered; one the
 * caller wrote and checked itself is (put). */
static void test_racy_and_put(void **state)
{
	struct pb_hashcache hc;
	struct pb_err err = {0};
	char ws[PATH_MAX], path[PATH_MAX], hex[PB_HEX_MAX], want[PB_HEX_MAX],
		ent[1][PATH_MAX];

	(void)state;
	new_cache(&hc, ws, sizeof(ws), "racy");
	pbt_write_file(tmp, "fresh", "just written\n", 0);
	pbt_path(path, sizeof(path), tmp, "fresh");
	plain(path, "sha256", want);
	assert_int_equal(pb_hash_file_cached(&hc, path, "sha256", hex, &err),
			 0);
	assert_int_equal(pb_hash_file_cached(&hc, path, "sha256", hex, &err),
			 0);
	assert_string_equal(hex, want);
	assert_int_equal(hc.hashed, 2);
	assert_int_equal(entries(hc.dir, ent, 1), 0);

	assert_int_equal(pb_hashcache_put(&hc, path, "sha256", "12", &err),
			 -EINVAL);
	assert_int_equal(pb_hashcache_put(&hc, path, "sha256", want, &err), 0);
	assert_int_equal(pb_hash_file_cached(&hc, path, "sha256", hex, &err),
			 0);
	assert_string_equal(hex, want);
	assert_int_equal(hc.hashed, 2);
	assert_int_equal(hc.hits, 1);
}

/* An entry is the real path's: a symlink to the file finds it; a missing
 * file is an error, as pb_hash_file's. */
static void test_symlink_and_missing(void **state)
{
	struct pb_hashcache hc;
	struct pb_err err = {0};
	char ws[PATH_MAX], path[PATH_MAX], link[PATH_MAX], hex[PB_HEX_MAX];

	(void)state;
	new_cache(&hc, ws, sizeof(ws), "link");
	pbt_path(path, sizeof(path), tmp, "g");
	pbt_symlink(tmp, "g.link", "g");
	pbt_path(link, sizeof(link), tmp, "g.link");
	assert_int_equal(pb_hash_file_cached(&hc, path, "sha256", hex, &err),
			 0);
	assert_int_equal(pb_hash_file_cached(&hc, link, "sha256", hex, &err),
			 0);
	assert_int_equal(hc.hashed, 1);
	assert_int_equal(hc.hits, 1);

	pbt_path(path, sizeof(path), tmp, "missing");
	assert_int_equal(pb_hash_file_cached(&hc, path, "sha256", hex, &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "missing"));
	assert_int_equal(pb_hash_file_cached(&hc, tmp, "sha256", hex, &err),
			 -EISDIR);
	assert_int_equal(pb_hash_file_cached(&hc, link, "nope", hex, &err),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_cache_is_plain),
		cmocka_unit_test(test_hit_reads_no_file),
		cmocka_unit_test(test_same_size_restored_mtime),
		cmocka_unit_test(test_replaced_file),
		cmocka_unit_test(test_corrupt_entry),
		cmocka_unit_test(test_entry_atomic),
		cmocka_unit_test(test_racy_and_put),
		cmocka_unit_test(test_symlink_and_missing),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
