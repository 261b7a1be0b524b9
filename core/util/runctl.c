#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/path.h"
#include "util/runctl.h"

volatile sig_atomic_t pb_stop_signal;

static void on_stop(int sig)
{
	pb_stop_signal = sig;
}

int pb_signals_install(struct pb_err *err)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: waitpid, flock and poll return EINTR */
	if (sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0)
		return pb_err_set(err, -errno, "sigaction: %s",
				  strerror(errno));
	return 0;
}

void pb_signals_default(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

void pb_hostname(char *buf, size_t len)
{
	char h[256] = "";
	size_t i;

	if (gethostname(h, sizeof(h) - 1) < 0 || !h[0])
		snprintf(h, sizeof(h), "localhost");
	for (i = 0; h[i]; i++)
		if (h[i] == '/')
			h[i] = '_';
	snprintf(buf, len, "%s", h);
}

/* What the holder wrote: "pid host start". */
static void read_holder(int fd, char *out, size_t len)
{
	char buf[512];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long pid = 0;
	char host[256] = "", when[64] = "";
	long long t = 0;

	if (n <= 0) {
		snprintf(out, len, "a process that has not said who it is");
		return;
	}
	buf[n] = '\0';
	if (sscanf(buf, "pid %ld host %255s started %lld", &pid, host, &t) !=
	    3) {
		snprintf(out, len, "a process that wrote '%.100s'", buf);
		return;
	}
	{
		time_t tt = (time_t)t;
		struct tm tm;

		if (localtime_r(&tt, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z",
				 &tm);
	}
	snprintf(out, len, "pid %ld on %s, started %s", pid, host, when);
}

int pb_lock_take(const char *path, const char *what, int wait,
		 struct pb_lock *l, struct pb_err *err)
{
	char line[512], host[256];
	int fd, n;

	l->fd = -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return pb_err_set(err, -errno, "cannot lock %s: %s", path,
				  strerror(errno));
	while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		int e = errno;
		char holder[400];

		if (e == EINTR && !pb_stop_signal)
			continue;
		if (e == EWOULDBLOCK || e == EINTR) {
			read_holder(fd, holder, sizeof(holder));
			close(fd);
			if (e == EINTR)
				return pb_err_set(err, -EINTR,
						  "interrupted while waiting "
						  "for %s, held by %s",
						  what, holder);
			return pb_err_set(err, -EWOULDBLOCK,
					  "%s is in use by another run "
					  "(%s; lock file %s)",
					  what, holder, path);
		}
		close(fd);
		return pb_err_set(err, -e, "cannot lock %s: %s", path,
				  strerror(e));
	}
	pb_hostname(host, sizeof(host));
	n = snprintf(line, sizeof(line), "pid %ld host %s started %lld\n",
		     (long)getpid(), host, (long long)time(NULL));
	/* the holder's name is a courtesy for the next run's message: a
	 * failure to write it does not stop this run */
	if (ftruncate(fd, 0) < 0 || pwrite(fd, line, (size_t)n, 0) != n)
		(void)0;
	l->fd = fd;
	return 0;
}

void pb_lock_release(struct pb_lock *l)
{
	if (l->fd >= 0) {
		/* an empty file says nobody holds it; close unlocks */
		if (ftruncate(l->fd, 0) < 0)
			(void)0;
		close(l->fd);
	}
	l->fd = -1;
}

/* "<name>.tmp.<host>.<pid>.<8 hex>" made on this host by a dead pid */
static int dead_tmp(const char *name, const char *host)
{
	const char *p = name, *q;
	char *end;
	size_t hl = strlen(host);
	long pid;

	while ((q = strstr(p, ".tmp.")) != NULL) {
		p = q + 5;
		if (strncmp(p, host, hl) || p[hl] != '.')
			continue;
		pid = strtol(p + hl + 1, &end, 10);
		if (end == p + hl + 1 || *end != '.' || pid <= 0 ||
		    strlen(end + 1) != 8 ||
		    strspn(end + 1, "0123456789abcdef") != 8)
			continue;
		if (pid == (long)getpid())
			return 0;
		return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
	}
	return 0;
}

int pb_clean_leftovers(const char *dir, int depth)
{
	char host[256];
	struct dirent *de;
	int removed = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	pb_hostname(host, sizeof(host));
	while ((de = readdir(d)) != NULL) {
		char path[PATH_MAX];
		size_t n = strlen(de->d_name);
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (pb_path_join(path, sizeof(path), NULL, dir, de->d_name,
				 NULL) < 0 ||
		    lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth > 0)
				removed += pb_clean_leftovers(path, depth - 1);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (dead_tmp(de->d_name, host) ||
		    (st.st_size == 0 && n > 5 &&
		     !strcmp(de->d_name + n - 5, ".part"))) {
			if (unlink(path) == 0)
				removed++;
		}
	}
	closedir(d);
	return removed;
}

int pb_dir_writable(const char *dir, const char *what, struct pb_err *err)
{
	char path[PATH_MAX], host[256];
	int fd;

	pb_hostname(host, sizeof(host));
	if (pb_path_fmt(path, sizeof(path), err, "%s/.pb-write-test.%s.%ld",
			dir, host, (long)getpid()) < 0)
		return pb_err_prefix(err, "%s %s", what, dir);
	/* access(W_OK) says yes to root on a read-only mount: try it */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return pb_err_set(err, -errno, "%s %s is not writable: %s",
				  what, dir, strerror(errno));
	close(fd);
	unlink(path);
	return 0;
}
