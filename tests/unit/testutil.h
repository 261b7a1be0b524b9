/* Helpers shared by the unit tests: scratch directories under /tmp and
 * files in them. The void ones fail the running test (cmocka) when
 * something cannot be done; the int ones return 0 or -1, for setups and
 * teardowns. */
#ifndef PB_TESTUTIL_H
#define PB_TESTUTIL_H

#include <stddef.h>
#include <sys/types.h>

#define PBT_N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Every scratch directory is named PBT_TMP_PREFIX "<tag>.XXXXXX". */
#define PBT_TMP_PREFIX "/tmp/pb-test-"

/* Makes a new scratch directory, its name in buf. */
int pbt_mkdtemp(char *buf, size_t len, const char *tag);
/* Removes a scratch directory and all under it (pb_rm_rf, so that links
 * are removed, never followed); refuses any other path. */
int pbt_rm_tree(const char *dir);

/* Fixtures with a scratch directory of their own: a struct whose first
 * member is char tmp[PBT_TMP_MAX]. pbt_fx_new allocates one of size
 * bytes, zeroed, and makes its tmp (NULL when it cannot); the cmocka
 * teardown pbt_fx_teardown removes tmp and frees the fixture. */
#define PBT_TMP_MAX 64
void *pbt_fx_new(size_t size, const char *tag);
int pbt_fx_teardown(void **state);

/* A scratch directory that the next pbt_rm_tmpdirs() removes: a test
 * makes some, and its teardown removes them even when it fails half way.
 * The string belongs to the list. */
char *pbt_tmpdir(const char *tag);
/* A cmocka teardown (state is not used). */
int pbt_rm_tmpdirs(void **state);

/* buf = dir/rel */
void pbt_path(char *buf, size_t len, const char *dir, const char *rel);
/* Makes dir/rel and the directories on the way; dir must exist. */
void pbt_mkdirs(const char *dir, const char *rel);
/* Writes len bytes of data to dir/rel, making the directories of rel. */
void pbt_write(const char *dir, const char *rel, const void *data, size_t len);
/* The same with a string; then chmod to mode, unless mode is 0. */
void pbt_write_file(const char *dir, const char *rel, const char *text,
		    mode_t mode);
/* dir/rel -> target, making the directories of rel. */
void pbt_symlink(const char *dir, const char *rel, const char *target);
/* All of dir/rel, NUL-terminated (free it). */
char *pbt_read_file(const char *dir, const char *rel);

/* qsort comparison of strings, for an array of char * */
int pbt_strcmp_ptr(const void *a, const void *b);

/* Runs a shell command made like printf; fails the test unless it exits 0. */
void pbt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* 1 when the command name is on PATH, else 0. */
int pbt_have_tool(const char *name);
/* The size of path; fails the test when it cannot stat it. */
off_t pbt_file_size(const char *path);
/* dir/out = the first half of dir/in, or all but cut bytes of it. */
void pbt_cut_file(const char *dir, const char *in, const char *out, long cut);
/* The peak resident size of this process so far, in KiB. */
long pbt_max_rss_kib(void);

#endif
