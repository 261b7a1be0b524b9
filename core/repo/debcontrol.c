#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "archive/filters.h"
#include "probe-builder/alloc.h"
#include "repo/debcontrol.h"

/* a control file is a few KiB; more is not a control file */
#define CONTROL_MAX (1024 * 1024)

static la_ssize_t member_read(struct archive *a, void *data, const void **buf)
{
	static char block[16384];
	struct archive *outer = data;

	(void)a;
	*buf = block;
	return archive_read_data(outer, block, sizeof(block));
}

/* The control file's text from the control.tar member being read. */
static int read_control(struct archive *outer, const char *path, char **text,
			struct pb_err *err)
{
	struct archive *inner = archive_read_new();
	struct archive_entry *e;
	int r, ret = -ENOENT;

	*text = NULL;
	if (!inner)
		return pb_err_set(err, -ENOMEM, "out of memory");
	pb_archive_filters(inner, 0);
	archive_read_support_format_tar(inner);
	if (archive_read_open(inner, outer, NULL, member_read, NULL) !=
	    ARCHIVE_OK) {
		ret = pb_err_set(err, -EIO, "%s: control.tar: %s", path,
				 archive_error_string(inner)
					 ? archive_error_string(inner)
					 : "unreadable");
		goto out;
	}
	while ((r = archive_read_next_header(inner, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		la_int64_t size = archive_entry_size(e);
		la_ssize_t got;

		if (!name ||
		    (strcmp(name, "./control") && strcmp(name, "control")))
			continue;
		if (size < 0 || size > CONTROL_MAX) {
			ret = pb_err_set(err, -EFBIG,
					 "%s: control file of %lld bytes", path,
					 (long long)size);
			goto out;
		}
		*text = pb_calloc(1, (size_t)size + 1, err);
		if (!*text) {
			ret = -ENOMEM;
			goto out;
		}
		got = archive_read_data(inner, *text, (size_t)size);
		if (got != size) {
			free(*text);
			*text = NULL;
			ret = pb_err_set(err, -EIO, "%s: control file: %s",
					 path,
					 got < 0 && archive_error_string(inner)
						 ? archive_error_string(inner)
						 : "short read");
			goto out;
		}
		ret = 0;
		goto out;
	}
	ret = pb_err_set(err, -ENOENT, "%s: no control file in control.tar",
			 path);
out:
	archive_read_free(inner);
	return ret;
}

/* field's value in a control text (first stanza), continuations joined. */
static int find_field(const char *text, const char *field, char **out,
		      struct pb_err *err)
{
	size_t fl = strlen(field);
	const char *s = text;

	*out = NULL;
	while (*s && *s != '\n') {
		const char *eol = strchr(s, '\n');
		size_t len;

		if (!eol)
			eol = s + strlen(s);
		if (strncasecmp(s, field, fl) == 0 && s[fl] == ':') {
			const char *v = s + fl + 1, *end;
			size_t n = 0, cap = 256;
			char *buf = pb_malloc(cap, 1, err);

			if (!buf)
				return -ENOMEM;
			for (;;) {
				while (v < eol && (*v == ' ' || *v == '\t'))
					v++;
				end = eol;
				while (end > v &&
				       (end[-1] == ' ' || end[-1] == '\t' ||
					end[-1] == '\r'))
					end--;
				len = (size_t)(end - v);
				if (n + len + 2 > cap) {
					char *g;

					cap = (n + len + 2) * 2;
					g = pb_reallocarray(buf, cap, 1, err);
					if (!g) {
						free(buf);
						return -ENOMEM;
					}
					buf = g;
				}
				if (n && len)
					buf[n++] = ' ';
				memcpy(buf + n, v, len);
				n += len;
				if (!*eol || (eol[1] != ' ' && eol[1] != '\t'))
					break;
				v = eol + 1;
				eol = strchr(v, '\n');
				if (!eol)
					eol = v + strlen(v);
			}
			buf[n] = '\0';
			*out = buf;
			return 0;
		}
		s = *eol ? eol + 1 : eol;
	}
	return 0;
}

int pb_deb_control_field(const char *path, const char *field, char **out,
			 struct pb_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char *text = NULL;
	int r, ret = -ENOENT, found = 0;

	*out = NULL;
	if (!a)
		return pb_err_set(err, -ENOMEM, "out of memory");
	archive_read_support_format_ar(a);
	if (archive_read_open_filename(a, path, 16384) != ARCHIVE_OK) {
		ret = pb_err_set(err, -EIO, "%s: %s", path,
				 archive_error_string(a)
					 ? archive_error_string(a)
					 : "cannot open");
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);

		if (!name || strncmp(name, "control.tar", 11) != 0)
			continue;
		found = 1;
		ret = read_control(a, path, &text, err);
		break;
	}
	if (!found)
		ret = pb_err_set(
			err, -ENOENT,
			"%s: no control.tar member: not a Debian package",
			path);
	if (!ret)
		ret = find_field(text, field, out, err);
out:
	free(text);
	archive_read_free(a);
	return ret;
}
