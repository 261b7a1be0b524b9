/* main() for a fuzz harness built without libFuzzer: runs
 * LLVMFuzzerTestOneInput on each file named (a directory: each file in
 * it), or with no argument on the committed corpus of the harness,
 * $PB_TOP_SRCDIR/tests/fuzz/corpus/FUZZ_NAME. An empty or missing corpus
 * fails: a replay that ran nothing proves nothing. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#ifndef FUZZ_NAME
#error "FUZZ_NAME names the corpus directory of the harness"
#endif

/* Binary inputs are committed as text, NAME.hex (`xxd -p`: hex digits,
 * blanks and newlines ignored), so that no object file is tracked. */
static int is_hex_name(const char *path)
{
	size_t n = strlen(path);

	return n > 4 && strcmp(path + n - 4, ".hex") == 0;
}

static int hex_digit(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* buf's hex text into its bytes, in place; -1 on anything else. */
static int unhex(uint8_t *buf, size_t *len)
{
	size_t i, out = 0;
	int hi = -1, d;

	for (i = 0; i < *len; i++) {
		if (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\t')
			continue;
		if ((d = hex_digit(buf[i])) < 0)
			return -1;
		if (hi < 0) {
			hi = d;
		} else {
			buf[out++] = (uint8_t)(hi << 4 | d);
			hi = -1;
		}
	}
	*len = out;
	return hi < 0 ? 0 : -1;
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			uint8_t *g = realloc(buf, cap ? cap * 2 : 4096);

			if (!g) {
				fprintf(stderr, "%s: out of memory\n", path);
				free(buf);
				fclose(f);
				return -1;
			}
			buf = g;
			cap = cap ? cap * 2 : 4096;
		}
		n = fread(buf + len, 1, cap - len, f);
		if (!n)
			break;
		len += n;
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: read error\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	if (is_hex_name(path) && unhex(buf, &len) < 0) {
		fprintf(stderr, "%s: not hex digits\n", path);
		free(buf);
		return -1;
	}
	/* an exact-size copy, so that reading past the end is caught */
	{
		uint8_t *exact = malloc(len ? len : 1);

		if (!exact) {
			free(buf);
			return -1;
		}
		memcpy(exact, buf, len);
		free(buf);
		fprintf(stderr, "replay %s (%zu bytes)\n", path, len);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns the number of files run, or -1. */
static long run_path(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i;
	long ran = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path) < 0 ? -1 : 1;
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		char **g;

		if (e->d_name[0] == '.')
			continue;
		g = realloc(names, (n + 1) * sizeof(*names));
		if (!g || !(g[n] = strdup(e->d_name))) {
			free(g ? g : names);
			closedir(d);
			return -1;
		}
		names = g;
		n++;
	}
	closedir(d);
	/* a stable order, so that a failure is reproducible from the log */
	if (n)
		qsort(names, n, sizeof(*names), cmp);
	for (i = 0; i < n; i++) {
		char full[4096];

		snprintf(full, sizeof(full), "%s/%s", path, names[i]);
		if (ran >= 0 && run_file(full) == 0)
			ran++;
		else
			ran = -1;
		free(names[i]);
	}
	free(names);
	return ran;
}

int main(int argc, char **argv)
{
	long total = 0;
	int i;

	if (argc < 2) {
		const char *top = getenv("PB_TOP_SRCDIR");
		char dir[4096];
		long n;

		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s",
			 top && *top ? top : ".", FUZZ_NAME);
		n = run_path(dir);
		if (n <= 0) {
			fprintf(stderr, "%s: no corpus replayed\n", dir);
			return 1;
		}
		printf("%s: %ld inputs replayed\n", FUZZ_NAME, n);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		long n = run_path(argv[i]);

		if (n < 0)
			return 1;
		total += n;
	}
	printf("%s: %ld inputs replayed\n", FUZZ_NAME, total);
	return 0;
}
