/* Write, fsync, rename, sync the directory (see atomic.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "atomic.h"
#include "util/path.h"

/* write then rename, with the directory synced: the new file is whole or
 * not there */
int nw_write_atomic(const char *dir, const char *name, const char *a,
		    const char *b)
{
	char tmp[PATH_MAX + 64], path[PATH_MAX + 64];
	int fd, dfd, ret = 0;
	FILE *f;

	if (pb_path_fmt(tmp, sizeof(tmp), NULL, "%s/.%s.tmp", dir, name) ||
	    pb_path_join(path, sizeof(path), NULL, dir, name, NULL))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -errno;
	}
	if ((a && fputs(a, f) == EOF) || (b && fputs(b, f) == EOF) ||
	    fflush(f) != 0 || fsync(fd) != 0)
		ret = -EIO;
	if (fclose(f) != 0 && !ret)
		ret = -EIO;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return ret;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}
