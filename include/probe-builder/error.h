/* Errors: functions return 0 or a negative errno and fill a pb_err with a
 * message that gains context as it travels up ("package X: member Y: ...").
 *
 * Most codes keep the system's meaning (-ENOENT, -ENOMEM, -EIO...). These
 * have one meaning each across the core and the plugins, so that a caller
 * can act on the code and not parse the message:
 *
 *   PB_ENOKEY    -ENOKEY        no keyring to check a signature with, or the
 *                               key that made it is in none of the keyrings
 *                               given: the user can fix it (--keyring)
 *   PB_EBADSIG   -EKEYREJECTED  a bad, expired or revoked signature, or none
 *                               where one is required: the file is not to
 *                               be trusted
 *   PB_EBADMETA  -EPROTO        metadata that was read but cannot be used
 *                               (no checksum to check with, another format
 *                               version); a file that is not of its format
 *                               at all (a line, an XML document that does
 *                               not parse) is -EINVAL
 *   PB_EMISMATCH -EBADMSG       bytes that differ from what an index or a
 *                               signed file says of them (size, SHA-256)
 */
#ifndef PROBE_BUILDER_ERROR_H
#define PROBE_BUILDER_ERROR_H

#include <errno.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PB_ENOKEY (-ENOKEY)
#define PB_EBADSIG (-EKEYREJECTED)
#define PB_EBADMETA (-EPROTO)
#define PB_EMISMATCH (-EBADMSG)

#define PB_ERR_MSG_MAX 1024

/* Frozen: its layout is part of the plugin ABI (plugins fill it), so it
 * never changes within PB_PLUGIN_ABI_VERSION. */
struct pb_err {
	int code; /* negative errno, 0 when unset */
	char msg[PB_ERR_MSG_MAX];
};

/* Sets the message and returns code (a negative errno), so that callers can
 * write `return pb_err_set(err, -EINVAL, "bad %s", x);`. err may be NULL. */
int pb_err_set(struct pb_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepends "<context>: " to the message already there; returns err->code.
 * When the whole does not fit, the middle is cut ("..."): the outermost
 * context and the root cause (the end of the message) are both kept. */
int pb_err_prefix(struct pb_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void pb_err_clear(struct pb_err *err);

#ifdef __cplusplus
}
#endif
#endif
