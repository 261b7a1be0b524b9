/* Logging shared by the core and the plugins. Messages go to stderr, and
 * while a kernel is being built, also to that kernel's log file. */
#ifndef PROBE_BUILDER_LOG_H
#define PROBE_BUILDER_LOG_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

enum pb_log_level {
	PB_LOG_ERROR = 0,
	PB_LOG_WARN = 1,
	PB_LOG_INFO = 2,
	PB_LOG_DEBUG = 3,
};

void pb_log(enum pb_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Host side: the level shown on stderr (default PB_LOG_INFO), and a file
 * that also gets every message whatever the level (NULL for none). */
void pb_log_set_level(enum pb_log_level level);
enum pb_log_level pb_log_get_level(void);

void pb_log_set_file(FILE *file);

#define pb_error(...) pb_log(PB_LOG_ERROR, __VA_ARGS__)
#define pb_warn(...) pb_log(PB_LOG_WARN, __VA_ARGS__)
#define pb_info(...) pb_log(PB_LOG_INFO, __VA_ARGS__)
#define pb_debug(...) pb_log(PB_LOG_DEBUG, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif
