/* Errors: functions return 0 or a negative errno and fill a pb_err with a
 * message that gains context as it travels up ("package X: member Y: ..."). */
#ifndef PROBE_BUILDER_ERROR_H
#define PROBE_BUILDER_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#define PB_ERR_MSG_MAX 1024

struct pb_err {
	int code; /* negative errno, 0 when unset */
	char msg[PB_ERR_MSG_MAX];
};

/* Sets the message and returns code (a negative errno), so that callers can
 * write `return pb_err_set(err, -EINVAL, "bad %s", x);`. err may be NULL. */
int pb_err_set(struct pb_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepends "<context>: " to the message already there; returns err->code. */
int pb_err_prefix(struct pb_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void pb_err_clear(struct pb_err *err);

#ifdef __cplusplus
}
#endif
#endif
