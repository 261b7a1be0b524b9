#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include "fanwatch.h"

int nw_fanwatch_open(const char *spool, struct nw_fanwatch *w, char *err,
		     size_t errlen)
{
	w->fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK |
				      FAN_REPORT_DFID_NAME,
			      O_RDONLY | O_LARGEFILE);
	w->mount_fd = -1;
	w->overflow = 0;
	if (w->fd < 0) {
		snprintf(err, errlen, "fanotify_init: %s", strerror(errno));
		return -1;
	}
	/* directory entry events need a filesystem (or inode) mark: the
	 * whole filesystem, the spool is picked out by path */
	if (fanotify_mark(w->fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
			  FAN_CREATE | FAN_MOVED_TO | FAN_CLOSE_WRITE, AT_FDCWD,
			  spool) < 0) {
		snprintf(err, errlen, "fanotify_mark %s: %s", spool,
			 strerror(errno));
		close(w->fd);
		w->fd = -1;
		return -1;
	}
	w->mount_fd = open(spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->mount_fd < 0) {
		snprintf(err, errlen, "%s: %s", spool, strerror(errno));
		close(w->fd);
		w->fd = -1;
		return -1;
	}
	return 0;
}

static int dir_path(struct nw_fanwatch *w, struct file_handle *h, char *out,
		    size_t len)
{
	char link[64];
	ssize_t n;
	int fd = open_by_handle_at(w->mount_fd, h, O_PATH | O_CLOEXEC);

	if (fd < 0)
		return -errno; /* gone already */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	out[n] = '\0';
	return 0;
}

int nw_fanwatch_read(struct nw_fanwatch *w, nw_path_cb cb, void *ctx)
{
	char buf[65536] __attribute__((aligned(8)));
	ssize_t n;

	for (;;) {
		struct fanotify_event_metadata *m;

		n = read(w->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		for (m = (struct fanotify_event_metadata *)buf;
		     FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
			struct fanotify_event_info_fid *fid;
			struct file_handle *h;
			char dir[PATH_MAX], path[PATH_MAX * 2];
			const char *name;

			if (m->mask & FAN_Q_OVERFLOW) {
				w->overflow = 1;
				continue;
			}
			if (m->event_len <= m->metadata_len)
				continue;
			fid = (struct fanotify_event_info_fid *)(m + 1);
			if (fid->hdr.info_type != FAN_EVENT_INFO_TYPE_DFID_NAME)
				continue;
			h = (struct file_handle *)fid->handle;
			name = (const char *)h->f_handle + h->handle_bytes;
			if (dir_path(w, h, dir, sizeof(dir)) < 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			cb(ctx, path,
			   (m->mask & (FAN_CLOSE_WRITE | FAN_MOVED_TO)) != 0);
		}
	}
}

void nw_fanwatch_close(struct nw_fanwatch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	if (w->mount_fd >= 0)
		close(w->mount_fd);
	w->fd = w->mount_fd = -1;
}
