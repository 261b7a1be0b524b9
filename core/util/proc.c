#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/close_range.h>
#endif

#include "util/path.h"
#include "util/proc.h"

static int wait_child(pid_t pid, int *status)
{
	int st;

	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (WIFEXITED(st))
		*status = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		*status = 128 + WTERMSIG(st);
	else
		*status = 255;
	return 0;
}

/* Nothing of ours but stdin/out/err reaches a child: a lock, a socket or
 * a log left open would be held by a build, and tools that open their own
 * fds (mmdebstrap hands apt an fd that dash's `>&N` takes only below 10)
 * expect to get the low numbers. Marked close-on-exec, not closed, so the
 * exec error pipe still works. */
static void cloexec_from_3(void)
{
	long fd, max = sysconf(_SC_OPEN_MAX);

#ifdef CLOSE_RANGE_CLOEXEC
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
#endif
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = 3; fd < max; fd++)
		fcntl((int)fd, F_SETFD, FD_CLOEXEC);
}

/* exec failure is reported through a close-on-exec pipe, so that "make:
 * not found" is an error of ours and not exit code 127 from nowhere */
static pid_t spawn(const char *const argv[], const char *cwd, int out_fd,
		   int err_fd, struct pb_err *err)
{
	int ep[2], child_errno = 0;
	pid_t pid;
	ssize_t n;

	if (pipe2(ep, O_CLOEXEC) < 0)
		return pb_err_set(err, -errno, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(ep[0]);
		close(ep[1]);
		return pb_err_set(err, -e, "fork: %s", strerror(e));
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		close(ep[0]);
		dup2(devnull, 0);
		dup2(out_fd >= 0 ? out_fd : devnull, 1);
		dup2(err_fd >= 0 ? err_fd : devnull, 2);
		if (cwd && chdir(cwd) < 0) {
			child_errno = errno;
			if (write(ep[1], &child_errno, sizeof(child_errno)) < 0)
				_exit(127);
			_exit(127);
		}
		signal(SIGPIPE, SIG_DFL);
		cloexec_from_3();
		execvp(argv[0], (char *const *)argv);
		child_errno = errno;
		if (write(ep[1], &child_errno, sizeof(child_errno)) < 0)
			_exit(127);
		_exit(127);
	}
	close(ep[1]);
	do {
		n = read(ep[0], &child_errno, sizeof(child_errno));
	} while (n < 0 && errno == EINTR);
	close(ep[0]);
	if (n == (ssize_t)sizeof(child_errno)) {
		int st;

		wait_child(pid, &st);
		return pb_err_set(err, -child_errno, "cannot run %s%s%s: %s",
				  argv[0], cwd ? " in " : "", cwd ? cwd : "",
				  strerror(child_errno));
	}
	return pid;
}

int pb_run(const char *const argv[], const char *cwd, int out_fd, int *status,
	   struct pb_err *err)
{
	pid_t pid = spawn(argv, cwd, out_fd, out_fd, err);
	int ret;

	if (pid < 0)
		return (int)pid;
	ret = wait_child(pid, status);
	if (ret)
		return pb_err_set(err, ret, "waiting for %s: %s", argv[0],
				  strerror(-ret));
	return 0;
}

int pb_run_capture(const char *const argv[], char *out, size_t len,
		   struct pb_err *err)
{
	int p[2], status, ret;
	size_t n = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return pb_err_set(err, -errno, "pipe: %s", strerror(errno));
	pid = spawn(argv, NULL, p[1], -1, err);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return (int)pid;
	}
	for (;;) {
		char scratch[4096];
		ssize_t r;

		if (n + 1 < len)
			r = read(p[0], out + n, len - 1 - n);
		else
			r = read(p[0], scratch, sizeof(scratch));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (n + 1 < len)
			n += (size_t)r;
	}
	close(p[0]);
	if (len)
		out[n < len ? n : len - 1] = '\0';
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	ret = wait_child(pid, &status);
	if (ret)
		return pb_err_set(err, ret, "waiting for %s: %s", argv[0],
				  strerror(-ret));
	if (status != 0)
		return pb_err_set(err, -EIO, "%s exited with status %d",
				  argv[0], status);
	return 0;
}

int pb_which(const char *name, const char *path_env, char *out, size_t len)
{
	const char *path = path_env ? path_env : getenv("PATH");
	const char *p;

	if (strchr(name, '/')) {
		if (access(name, X_OK) < 0)
			return -ENOENT;
		return pb_path_fmt(out, len, NULL, "%s", name);
	}
	if (!path)
		path = "/usr/bin:/bin";
	for (p = path; *p;) {
		size_t n = strcspn(p, ":");
		char cand[PATH_MAX];
		struct stat st;

		/* one too long is not there */
		if (pb_path_fmt(cand, sizeof(cand), NULL, "%.*s/%s",
				(int)(n ? n : 1), n ? p : ".", name) == 0 &&
		    stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(cand, X_OK) == 0)
			return pb_path_fmt(out, len, NULL, "%s", cand);
		p += n;
		if (*p == ':')
			p++;
	}
	return -ENOENT;
}
