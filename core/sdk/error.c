#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "probe-builder/error.h"

int pb_err_set(struct pb_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int pb_err_prefix(struct pb_err *err, const char *fmt, ...)
{
	char ctx[PB_ERR_MSG_MAX];
	char old[PB_ERR_MSG_MAX];
	va_list ap;

	if (!err)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", ctx, old);
	return err->code;
}

void pb_err_clear(struct pb_err *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}
