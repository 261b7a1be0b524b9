#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "util/fs.h"
#include "util/path.h"
#include "verify/initramfs.h"

static int add(struct archive *a, struct archive_entry *ae,
	       const struct pb_cpio_entry *e, struct pb_err *err)
{
	char *data = NULL;
	size_t len = 0;
	int ret = 0;

	if (e->src) {
		ret = pb_read_file(e->src, &data, &len, err);
		if (ret)
			return ret;
	} else if (e->data) {
		len = strlen(e->data);
	}
	archive_entry_clear(ae);
	archive_entry_set_pathname(ae, e->name);
	archive_entry_set_filetype(ae, e->src || e->data ? AE_IFREG : AE_IFDIR);
	archive_entry_set_perm(ae, e->mode);
	archive_entry_set_size(ae, (la_int64_t)len);
	/* the same bytes from any run: no time, no owner */
	archive_entry_set_mtime(ae, 0, 0);
	if (archive_write_header(a, ae) != ARCHIVE_OK ||
	    (len && archive_write_data(a, data ? data : e->data, len) !=
			    (la_ssize_t)len))
		ret = pb_err_set(err, -EIO, "initramfs: %s: %s", e->name,
				 archive_error_string(a));
	free(data);
	return ret;
}

int pb_cpio_write(const char *path, const struct pb_cpio_entry *e, size_t n,
		  struct pb_err *err)
{
	char tmp[PATH_MAX];
	struct archive *a;
	struct archive_entry *ae;
	size_t i;
	int ret;

	ret = pb_path_fmt(tmp, sizeof(tmp), err, "%s.tmp", path);
	if (ret)
		return ret;
	a = archive_write_new();
	ae = archive_entry_new();
	if (!a || !ae) {
		archive_write_free(a);
		archive_entry_free(ae);
		return pb_err_set(err, -ENOMEM, "out of memory");
	}
	if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, tmp) != ARCHIVE_OK)
		ret = pb_err_set(err, -EIO, "%s: %s", tmp,
				 archive_error_string(a));
	for (i = 0; !ret && i < n; i++)
		ret = add(a, ae, &e[i], err);
	if (archive_write_close(a) != ARCHIVE_OK && !ret)
		ret = pb_err_set(err, -EIO, "%s: %s", tmp,
				 archive_error_string(a));
	archive_write_free(a);
	archive_entry_free(ae);
	if (!ret && rename(tmp, path) < 0)
		ret = pb_err_set(err, -errno, "%s: %s", path, strerror(errno));
	if (ret)
		unlink(tmp);
	return ret;
}
