#include "config.h"

#include <stdarg.h>
#include <stdio.h>

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

void pb_log(enum pb_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level <= log_level) {
		fprintf(stderr, "probe-builder: %s%s",
			level <= PB_LOG_WARN ? level_names[level] : "",
			level <= PB_LOG_WARN ? ": " : "");
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
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
