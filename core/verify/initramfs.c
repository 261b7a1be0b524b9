#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "probe-builder/alloc.h"
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

static char *dup_or_null(const char *s, int *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = pb_strdup(s, NULL); /* said by the list's write */
	if (!d)
		*oom = 1;
	return d;
}

void pb_cpio_add(struct pb_cpio_list *l, const char *name, const char *src,
		 const char *data, unsigned mode)
{
	struct pb_cpio_entry *e;

	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 32;
		struct pb_cpio_entry *g =
			pb_reallocarray(l->e, nc, sizeof(*g), NULL);

		if (!g) {
			l->oom = 1;
			return;
		}
		l->e = g;
		l->cap = nc;
	}
	e = &l->e[l->n++];
	e->name = dup_or_null(name, &l->oom);
	e->src = dup_or_null(src, &l->oom);
	e->data = dup_or_null(data, &l->oom);
	e->mode = mode;
}

static int add_tree(struct pb_cpio_list *l, const char *prefix, const char *dir,
		    int depth, struct pb_err *err)
{
	struct dirent **names = NULL;
	int n, i, ret = 0;

	if (depth > 16)
		return pb_err_set(err, -ELOOP, "%s: too deep", dir);
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return pb_err_set(err, -errno, "%s: %s", dir, strerror(errno));
	for (i = 0; i < n; i++) {
		char src[PATH_MAX], name[PATH_MAX];
		struct stat st;

		if (!ret && names[i]->d_name[0] != '.' &&
		    !(ret = pb_path_join(src, sizeof(src), err, dir,
					 names[i]->d_name, NULL)) &&
		    !(ret = pb_path_join(name, sizeof(name), err, prefix,
					 names[i]->d_name, NULL))) {
			if (stat(src, &st) < 0) {
				ret = pb_err_set(err, -errno, "%s: %s", src,
						 strerror(errno));
			} else if (S_ISDIR(st.st_mode)) {
				pb_cpio_add(l, name, NULL, NULL, 0755);
				ret = add_tree(l, name, src, depth + 1, err);
			} else if (S_ISREG(st.st_mode)) {
				pb_cpio_add(l, name, src, NULL,
					    st.st_mode & 0777);
			}
		}
		free(names[i]);
	}
	free(names);
	return ret;
}

int pb_cpio_add_tree(struct pb_cpio_list *l, const char *prefix,
		     const char *dir, struct pb_err *err)
{
	pb_cpio_add(l, prefix, NULL, NULL, 0755);
	return add_tree(l, prefix, dir, 0, err);
}

int pb_cpio_list_write(const char *path, const struct pb_cpio_list *l,
		       struct pb_err *err)
{
	if (l->oom)
		return pb_err_set(err, -ENOMEM,
				  "out of memory listing the initramfs");
	return pb_cpio_write(path, l->e, l->n, err);
}

void pb_cpio_list_free(struct pb_cpio_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free((char *)l->e[i].name);
		free((char *)l->e[i].src);
		free((char *)l->e[i].data);
	}
	free(l->e);
	memset(l, 0, sizeof(*l));
}
