#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static int journal, max_prio = NW_INFO;

void nw_log_init(int verbose)
{
	journal = getenv("JOURNAL_STREAM") != NULL;
	max_prio = verbose ? NW_DEBUG : NW_INFO;
}

void nw_log(int prio, const char *fmt, ...)
{
	static const char *const names[8] = {
		"", "", "", "error: ", "warning: ", "", "", "debug: "};
	va_list ap;

	if (prio > max_prio)
		return;
	if (journal)
		fprintf(stderr, "<%d>", prio);
	else
		fprintf(stderr, "newswatch: %s", names[prio & 7]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}
