/* Log lines on stderr; under systemd (JOURNAL_STREAM set) with the
 * "<N>" priority prefix that the journal reads (sd-daemon(3)). */
#ifndef NW_LOG_H
#define NW_LOG_H

enum { NW_ERR = 3, NW_WARN = 4, NW_INFO = 6, NW_DEBUG = 7 };

void nw_log_init(int verbose);
void nw_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
