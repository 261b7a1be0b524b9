#include "config.h"

/* "make exited with status 2" says nothing; the log says why, but a
 * failed kernel build writes thousands of lines. One line is picked, by
 * how much it explains, the first of the best kind. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build/logscan.h"
#include "probe-builder/alloc.h"
#include "util/str.h"

#define SCAN_MAX (4u << 20)

static int has(const char *line, size_t len, const char *what)
{
	size_t n = strlen(what), i;

	for (i = 0; i + n <= len; i++)
		if (memcmp(line + i, what, n) == 0)
			return 1;
	return 0;
}

static int score(const char *line, size_t len)
{
	static const char *const tool[] = {
		"not found",	  "No such file", "undefined reference",
		"ERROR:",	  "Error:",	  "Permission denied",
		"cannot execute", "unrecognized", "Segmentation fault",
		"Killed",	  "No space left"};
	size_t i;

	if (has(line, len, "error:") && !has(line, len, "warning:"))
		return 3;
	for (i = 0; i < PB_ARRAY_SIZE(tool); i++)
		if (has(line, len, tool[i]))
			return 2;
	if (has(line, len, "***"))
		return 1;
	return 0;
}

int pb_log_first_error(const char *text, size_t len, char *out, size_t outlen)
{
	const char *p = text, *end = text + len, *best = NULL;
	size_t best_len = 0, n;
	int best_score = 0;

	if (outlen)
		out[0] = '\0';
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int s = score(p, l);

		if (s > best_score) {
			best = p;
			best_len = l;
			best_score = s;
		}
		p += l + 1;
	}
	if (!best || !outlen)
		return 0;
	while (best_len &&
	       (best[best_len - 1] == ' ' || best[best_len - 1] == '\r' ||
		best[best_len - 1] == '\t'))
		best_len--;
	while (best_len && (*best == ' ' || *best == '\t')) {
		best++;
		best_len--;
	}
	n = best_len < outlen - 1 ? best_len : outlen - 1;
	memcpy(out, best, n);
	out[n] = '\0';
	return 1;
}

int pb_log_file_first_error(const char *path, off_t off, char *out,
			    size_t outlen)
{
	char *buf;
	ssize_t r;
	size_t got = 0;
	int fd, ret = 0;

	if (outlen)
		out[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	buf = pb_malloc(SCAN_MAX, 1, NULL); /* none found, without it */
	if (buf) {
		while (got < SCAN_MAX &&
		       (r = pread(fd, buf + got, SCAN_MAX - got,
				  off + (off_t)got)) > 0)
			got += (size_t)r;
		ret = pb_log_first_error(buf, got, out, outlen);
		free(buf);
	}
	close(fd);
	return ret;
}
