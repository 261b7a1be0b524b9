#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "probe-builder/error.h"

/* A cut never splits a UTF-8 character: is s[i] inside one? */
static int continuation(const char *s, size_t i)
{
	return ((unsigned char)s[i] & 0xc0) == 0x80;
}

/* After a truncation: drops a character cut short at the end of s. */
static void drop_cut_char(char *s)
{
	size_t len = strlen(s), i = len, need;
	unsigned char lead;

	while (i > 0 && len - i < 3 && continuation(s, i - 1))
		i--;
	if (i == 0)
		return;
	lead = (unsigned char)s[i - 1];
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
	if (len - (i - 1) < need)
		s[i - 1] = '\0';
}

int pb_err_set(struct pb_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	if (vsnprintf(err->msg, sizeof(err->msg), fmt, ap) >=
	    (int)sizeof(err->msg))
		drop_cut_char(err->msg);
	va_end(ap);
	return code;
}

int pb_err_prefix(struct pb_err *err, const char *fmt, ...)
{
	/* the context (cut to one message) and the message: both fit */
	char full[2 * PB_ERR_MSG_MAX + 2];
	const size_t keep = PB_ERR_MSG_MAX - 1, mark = 3;
	size_t len, head, tail;
	int n;
	va_list ap;

	if (!err)
		return -EINVAL;
	va_start(ap, fmt);
	n = vsnprintf(full, PB_ERR_MSG_MAX, fmt, ap);
	va_end(ap);
	if (n < 0)
		full[0] = '\0';
	else if (n >= PB_ERR_MSG_MAX)
		drop_cut_char(full);
	len = strlen(full);
	/* err->msg is NUL-terminated within PB_ERR_MSG_MAX */
	snprintf(full + len, sizeof(full) - len, ": %s", err->msg);
	len = strlen(full);
	if (len <= keep) {
		memcpy(err->msg, full, len + 1);
		return err->code;
	}
	/* the root cause is at the end: it gets two thirds, the outermost
	 * context the first third */
	head = (keep - mark) / 3;
	while (head > 0 && continuation(full, head))
		head--;
	tail = len - (keep - mark - head);
	while (tail < len && continuation(full, tail))
		tail++;
	memcpy(err->msg, full, head);
	memcpy(err->msg + head, "...", mark);
	memcpy(err->msg + head + mark, full + tail, len - tail + 1);
	return err->code;
}

void pb_err_clear(struct pb_err *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}
