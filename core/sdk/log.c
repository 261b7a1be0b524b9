#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "probe-builder/log.h"

static enum pb_log_level log_level = PB_LOG_INFO;
static FILE *log_file;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void pb_log_set_level(enum pb_log_level level)
{
	log_level = level;
}

enum pb_log_level pb_log_get_level(void)
{
	return log_level;
}

void pb_log_set_file(FILE *file)
{
	log_file = file;
}

/* The line to stderr in one write(2): the workers of a run share it,
 * and stderr is unbuffered (three writes, prefix, text and newline, let
 * another process's line fall between them). A line longer than the
 * buffer goes in pieces. */
static void line_to_stderr(const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void line_to_stderr(const char *prefix, const char *fmt, va_list ap)
{
	char buf[8192];
	size_t off = 0;
	va_list aq;
	int n, m;

	va_copy(aq, ap);
	n = snprintf(buf, sizeof(buf), "probe-builder: %s", prefix);
	m = n < 0 ? -1 : vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, aq);
	va_end(aq);
	if (m < 0 || (size_t)n + (size_t)m + 1 >= sizeof(buf)) {
		fprintf(stderr, "probe-builder: %s", prefix);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		return;
	}
	buf[n + m] = '\n';
	fflush(stderr);
	while (off < (size_t)n + (size_t)m + 1) {
		ssize_t w = write(STDERR_FILENO, buf + off,
				  (size_t)n + (size_t)m + 1 - off);

		if (w <= 0 && errno != EINTR)
			return; /* nowhere to say it */
		if (w > 0)
			off += (size_t)w;
	}
}

void pb_log(enum pb_log_level level, const char *fmt, ...)
{
	char prefix[32];
	va_list ap;

	if (level <= log_level) {
		snprintf(prefix, sizeof(prefix), "%s%s",
			 level <= PB_LOG_WARN ? level_names[level] : "",
			 level <= PB_LOG_WARN ? ": " : "");
		va_start(ap, fmt);
		line_to_stderr(prefix, fmt, ap);
		va_end(ap);
	}
	if (log_file) {
		fprintf(log_file, "[%s] ", level_names[level]);
		va_start(ap, fmt);
		vfprintf(log_file, fmt, ap);
		va_end(ap);
		fputc('\n', log_file);
		fflush(log_file);
	}
}
