#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include "fanwatch.h"
#include "util/path.h"

int nw_fanwatch_open(const char *spool, struct nw_fanwatch *w,
		     struct pb_err *err)
{
	int ret;

	w->fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK |
				      FAN_REPORT_DFID_NAME,
			      O_RDONLY | O_LARGEFILE);
	w->mount_fd = -1;
	w->overflow = 0;
	if (w->fd < 0)
		return pb_err_set(err, -errno, "fanotify_init: %s",
				  strerror(errno));
	/* directory entry events need a filesystem (or inode) mark: the
	 * whole filesystem, the spool is picked out by path */
	if (fanotify_mark(w->fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
			  FAN_CREATE | FAN_MOVED_TO | FAN_CLOSE_WRITE, AT_FDCWD,
			  spool) < 0)
		ret = pb_err_set(err, -errno, "fanotify_mark %s: %s", spool,
				 strerror(errno));
	else if ((w->mount_fd =
			  open(spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		ret = pb_err_set(err, -errno, "%s: %s", spool, strerror(errno));
	else
		return 0;
	close(w->fd);
	w->fd = -1;
	return ret;
}

static int dir_path(struct nw_fanwatch *w, struct file_handle *h, char *out,
		    size_t len)
{
	char link[64];
	ssize_t n;
	int fd = open_by_handle_at(w->mount_fd, h, O_PATH | O_CLOEXEC);

	if (fd < 0)
		return -errno; /* gone already */
	/* fits: an int in 64 bytes */
	pb_path_fmt(link, sizeof(link), NULL, "/proc/self/fd/%d", fd);
	n = readlink(link, out, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	out[n] = '\0';
	return 0;
}

/* One event record at buf (len bytes left): its path in out and whether
 * the file is complete; 1 when it names a file, 0 to skip it, -1 when the
 * record is not whole. Records are packed at 4-byte boundaries (the
 * metadata holds a u64): everything is copied out, never cast in place. */
int nw_fanwatch_event(const char *buf, size_t len, struct nw_fanwatch *w,
		      char *out, size_t outlen, int *complete,
		      size_t *event_len)
{
	struct fanotify_event_metadata m;
	struct fanotify_event_info_header hdr;
	struct file_handle fh;
	char dir[PATH_MAX];
	size_t off, name_off, handle_off;
	const char *name, *end;
	union {
		struct file_handle h;
		char space[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} handle;

	if (len < sizeof(m))
		return -1;
	memcpy(&m, buf, sizeof(m));
	if (m.event_len < sizeof(m) || m.event_len > len)
		return -1;
	*event_len = m.event_len;
	if (m.mask & FAN_Q_OVERFLOW) {
		w->overflow = 1;
		return 0;
	}
	off = m.metadata_len;
	if (off < sizeof(m) || off + sizeof(hdr) > m.event_len)
		return 0;
	memcpy(&hdr, buf + off, sizeof(hdr));
	if (hdr.info_type != FAN_EVENT_INFO_TYPE_DFID_NAME ||
	    hdr.len > m.event_len - off)
		return 0;
	/* the info: header, fsid, then a file_handle and the name */
	handle_off = off + offsetof(struct fanotify_event_info_fid, handle);
	if (handle_off + sizeof(fh) > off + hdr.len)
		return 0;
	memcpy(&fh, buf + handle_off, sizeof(fh));
	name_off = handle_off + sizeof(fh) + fh.handle_bytes;
	if (fh.handle_bytes > MAX_HANDLE_SZ || name_off >= off + hdr.len)
		return 0;
	name = buf + name_off;
	end = memchr(name, '\0', off + hdr.len - name_off);
	if (!end)
		return 0;
	memcpy(handle.space, buf + handle_off, sizeof(fh) + fh.handle_bytes);
	if (dir_path(w, &handle.h, dir, sizeof(dir)) < 0)
		return 0;
	if (pb_path_fmt(out, outlen, NULL, "%s/%s", dir, name) < 0)
		return 0;
	*complete = (m.mask & (FAN_CLOSE_WRITE | FAN_MOVED_TO)) != 0;
	return 1;
}

int nw_fanwatch_read(struct nw_fanwatch *w, nw_path_cb cb, void *ctx)
{
	char buf[65536];
	ssize_t n;

	for (;;) {
		size_t off = 0;

		n = read(w->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		while (off < (size_t)n) {
			char path[PATH_MAX * 2];
			size_t elen = 0;
			int complete = 0,
			    r = nw_fanwatch_event(buf + off, (size_t)n - off, w,
						  path, sizeof(path), &complete,
						  &elen);

			if (r < 0)
				break;
			if (r > 0)
				cb(ctx, path, complete);
			off += elen;
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
