#include "config.h"

/* -j N: each release is built in a process of its own (a crash or a stuck
 * build of one kernel cannot take the others down, and nothing in the
 * pipeline has to be thread-safe); the child hands its manifest entry back
 * through a file in the workspace. Each worker leads a process group (its
 * make and compilers are in it), so that stopping a run stops everything
 * it started, and dies with the parent (PR_SET_PDEATHSIG). */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pipeline/schedule.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/runctl.h"
#include "util/str.h"

/* how long the workers have to stop after SIGTERM before SIGKILL */
#define STOP_GRACE_S 10.0

struct slot {
	pid_t pid;
	size_t k; /* position in idx */
};

/* A run of workers. */
struct sched {
	const struct pb_build_opts *o;
	const struct pb_batch *b;
	const size_t *idx;
	size_t n;
	const struct pb_build_feed *feed; /* NULL once it has no more */
	char *started;			  /* by position in idx */
	struct pb_release_result *by_k;	  /* results by position in idx */
	char *have;			  /* by_k[k] is set */
	struct slot *slots;
	unsigned jobs;
	size_t next, done, running;
	double t0, stop_at, last_draw;
	pid_t self;
	int killed;
	int oom; /* a result was lost: the run fails */
};

/* Where kernel i's worker leaves its result: named by the kernel's key,
 * since one release name can be several kernels built at once. */
static int result_path(const struct pb_build_opts *o, const struct pb_batch *b,
		       size_t i, char *buf, size_t len, struct pb_err *err)
{
	char key[PATH_MAX];

	/* too long a key fails the kernel in its worker, which still
	 * leaves its result here */
	if (pb_kernel_key_name(b, i, key, sizeof(key)) < 0 &&
	    pb_path_fmt(key, sizeof(key), err, "%s", pb_batch_release(b, i)))
		return err->code;
	return pb_path_fmt(buf, len, err, "%s/results/%s/%s.json", o->workspace,
			   o->distro->name, key);
}

static void progress(const struct sched *sc)
{
	const struct pb_build_opts *o = sc->o;
	struct pb_build_progress p = {.elapsed_s = pb_now_s() - sc->t0,
				      .done = sc->done,
				      .total = sc->n};
	const char **names;
	size_t s;

	if (!o->on_progress)
		return;
	/* err NULL: on failure a line is not drawn, nothing to report */
	names = pb_calloc(sc->jobs, sizeof(*names), NULL);
	if (!names)
		return; /* a line not drawn */
	for (s = 0; s < sc->jobs; s++)
		if (sc->slots[s].pid > 0)
			names[p.n_running++] = pb_batch_release(
				sc->b, sc->idx[sc->slots[s].k]);
	p.running = names;
	if (sc->feed && sc->feed->progress)
		sc->feed->progress(sc->feed->data, &p);
	o->on_progress(&p, o->progress_data);
	free(names);
}

static void progress_clear(const struct pb_build_opts *o)
{
	if (o->on_progress)
		o->on_progress(NULL, o->progress_data);
}

/* Kernel k's result: FAILED with msg, its worker having left none. */
static void fail_k(struct sched *s, size_t k, const char *msg)
{
	struct pb_release_result *r = &s->by_k[k];
	struct pb_err err = {0};

	pb_error("%s: %s", pb_batch_release(s->b, s->idx[k]), msg);
	/* the kernel's error; its outputs only FAILED (no message of
	 * their own, no log: the worker wrote none) */
	if (pb_result_for(s->o, s->b, s->idx[k], r, &err) < 0 ||
	    pb_result_str(&r->error, msg, &err) < 0) {
		pb_result_free(r);
		s->oom = 1;
		return;
	}
	r->kmod.status = r->ebpf.status = PB_STATUS_FAILED;
	pb_result_settle(r);
	s->have[k] = 1;
}

/* Kernel k's worker ended with status: its result, read from the file it
 * left. A kernel stopped by an interrupt without one is not recorded. */
static void collect(struct sched *s, size_t k, int status)
{
	char path[PATH_MAX], msg[256];
	struct pb_err err = {0};
	json_object *e;

	e = result_path(s->o, s->b, s->idx[k], path, sizeof(path), &err)
		    ? NULL
		    : json_object_from_file(path);
	if (e && pb_result_from_json(e, &s->by_k[k], &err) == 0) {
		json_object_put(e);
		pb_result_settle(&s->by_k[k]);
		s->have[k] = 1;
		return;
	}
	json_object_put(e);
	if (s->stop_at)
		return;
	if (WIFSIGNALED(status))
		snprintf(msg, sizeof(msg),
			 "the build process died of signal %d",
			 WTERMSIG(status));
	else
		snprintf(
			msg, sizeof(msg),
			"the build process exited with status %d and no result",
			WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	fail_k(s, k, msg);
}

/* A worker told to stop (by the parent, or by its death) takes its
 * process group with it: make and the compilers are in it. */
static void child_on_term(int sig)
{
	signal(sig, SIG_DFL);
	kill(0, sig);
}

static void child(const struct pb_build_opts *o, const struct pb_batch *b,
		  size_t i, pid_t parent)
{
	struct pb_release_result r;
	char path[PATH_MAX];
	struct pb_err err = {0};
	json_object *e;
	const char *s;

	pb_signals_default();
	/* SIGINT from the terminal goes to the parent, which stops us */
	setpgid(0, 0);
	signal(SIGTERM, child_on_term);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		_exit(5); /* the parent died before PDEATHSIG was set */
	/* the parent draws the progress line; a child speaks up only for
	 * errors, unless --verbose */
	if (!o->verbose)
		pb_log_set_level(PB_LOG_ERROR);
	if (pb_build_release(o, b, i, &r, &err) < 0) {
		pb_error("%s", err.msg);
		_exit(3);
	}
	/* the handoff to the parent is JSON, the manifest entry's */
	e = pb_result_to_json(&r);
	if (!e)
		_exit(3);
	s = json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN);
	if (result_path(o, b, i, path, sizeof(path), &err) < 0 ||
	    pb_write_file_atomic(path, s, strlen(s), &err) < 0) {
		pb_error("%s", err.msg);
		_exit(4);
	}
	json_object_put(e);
	pb_result_free(&r);
	_exit(0);
}

/* sig to every worker's group. */
static void stop_workers(const struct sched *s, int sig)
{
	size_t i;

	for (i = 0; i < s->jobs; i++)
		if (s->slots[i].pid > 0)
			kill(-s->slots[i].pid, sig);
}

/* The next kernel to start: the first in idx not started whose packages
 * are in; n when none is. */
static size_t next_ready(struct sched *s)
{
	size_t k;

	while (s->next < s->n && s->started[s->next])
		s->next++;
	for (k = s->next; k < s->n; k++)
		if (!s->started[k] &&
		    (!s->feed || s->feed->ready(s->feed->data, s->idx[k])))
			return k;
	return s->n;
}

/* Workers for the next kernels, up to -j. */
static void start_workers(struct sched *s)
{
	size_t k;

	while (s->running < s->jobs && !pb_stop_signal &&
	       (k = next_ready(s)) < s->n) {
		size_t i = s->idx[k], j;
		char path[PATH_MAX], msg[300];
		struct pb_err e = {0};
		pid_t pid;

		s->started[k] = 1;
		if (!result_path(s->o, s->b, i, path, sizeof(path), &e))
			unlink(path);
		if (!s->o->progress)
			pb_info("%s: building", pb_batch_release(s->b, i));
		pid = fork();
		if (pid == 0)
			child(s->o, s->b, i, s->self);
		if (pid < 0) {
			snprintf(msg, sizeof(msg), "fork: %s", strerror(errno));
			fail_k(s, k, msg);
			s->done++;
			continue;
		}
		/* also here: a signal before the child's own setpgid must
		 * still reach its group */
		setpgid(pid, pid);
		for (j = 0; j < s->jobs; j++)
			if (s->slots[j].pid <= 0)
				break;
		s->slots[j].pid = pid;
		s->slots[j].k = k;
		s->running++;
	}
}

/* An interrupt: SIGTERM to every worker, SIGKILL after the grace
 * period. */
static void stopping(struct sched *s)
{
	if (!pb_stop_signal || s->running == 0)
		return;
	if (s->stop_at == 0) {
		s->stop_at = pb_now_s();
		if (s->o->progress)
			progress_clear(s->o);
		pb_warn("%s: stopping %zu build%s", strsignal(pb_stop_signal),
			s->running, s->running == 1 ? "" : "s");
		stop_workers(s, SIGTERM);
	} else if (!s->killed && pb_now_s() - s->stop_at > STOP_GRACE_S) {
		stop_workers(s, SIGKILL);
		s->killed = 1;
	}
}

/* No child to wait for: every running kernel is failed, with the reason
 * (not left without a result). */
static void lost_children(struct sched *s)
{
	char msg[300];
	size_t j;

	snprintf(msg, sizeof(msg), "waitpid: %s", strerror(errno));
	for (j = 0; j < s->jobs; j++)
		if (s->slots[j].pid > 0) {
			fail_k(s, s->slots[j].k, msg);
			s->slots[j].pid = 0;
			s->running--;
			s->done++;
		}
}

/* Up to ms for a worker to end: woken as one does (a pidfd per worker:
 * a warm rerun's workers last milliseconds, and a fixed sleep between
 * them was most of its time); a plain sleep without pidfds. */
static void wait_workers(const struct sched *s, int ms)
{
	struct timespec ts = {0, (long)ms * 1000 * 1000};
	struct pollfd fds[64];
	nfds_t n = 0;
	size_t j;

#ifdef SYS_pidfd_open
	for (j = 0; j < s->jobs && n < PB_ARRAY_SIZE(fds); j++) {
		int fd = s->slots[j].pid > 0 ? (int)syscall(SYS_pidfd_open,
							    s->slots[j].pid, 0)
					     : -1;

		if (fd >= 0) {
			fds[n].fd = fd;
			fds[n++].events = POLLIN;
		}
	}
#endif
	/* every worker watched, else a sleep (one not watched could end
	 * first) */
	if (n > 0 && n == s->running)
		poll(fds, n, ms);
	else
		nanosleep(&ts, NULL);
	for (j = 0; j < n; j++)
		close(fds[j].fd);
}

/* Waits a little for a worker to end (not at all when wait is 0), and
 * collects its result. */
static void reap(struct sched *s, int wait)
{
	size_t j, k;
	int status;
	pid_t pid;

	/* not a blocking wait: the line shows the elapsed time */
	pid = waitpid(-1, &status, WNOHANG);
	if (pid == 0 && wait) {
		wait_workers(s, 200);
		pid = waitpid(-1, &status, WNOHANG);
	}
	if (pid < 0 && errno != EINTR)
		lost_children(s);
	if (pid <= 0)
		return;
	for (j = 0; j < s->jobs; j++)
		if (s->slots[j].pid == pid)
			break;
	if (j == s->jobs)
		return;
	/* the group may outlive its leader: nothing of it stays */
	kill(-pid, SIGKILL);
	k = s->slots[j].k;
	s->slots[j].pid = 0;
	s->running--;
	collect(s, k, status);
	/* over, recorded or not (stopped by a signal, or no memory to
	 * record it: s->oom fails the run) */
	s->done++;
	if (!s->have[k])
		return;
	if (!s->o->progress)
		pb_info("[%zu/%zu done] %s: %s in %.1fs", s->done, s->n,
			pb_batch_release(s->b, s->idx[k]),
			pb_status_name(s->by_k[k].status),
			s->by_k[k].duration_s < 0 ? 0 : s->by_k[k].duration_s);
}

/* The downloads move on; when they stop for good, the kernels still
 * waiting for them fail with the reason. */
static void pump(struct sched *s)
{
	struct pb_err err = {0};
	size_t k;
	int ret = s->feed->pump(s->feed->data, 200, &err);

	if (ret > 0)
		return;
	if (ret < 0)
		for (k = 0; k < s->n; k++)
			if (!s->started[k] &&
			    !s->feed->ready(s->feed->data, s->idx[k])) {
				s->started[k] = 1;
				fail_k(s, k, err.msg);
				s->done++;
			}
	s->feed = NULL;
}

static void sched_loop(struct sched *s)
{
	char dir[PATH_MAX];
	struct pb_err err = {0};

	if (pb_path_join(dir, sizeof(dir), &err, s->o->workspace, "results",
			 s->o->distro->name, NULL) < 0 ||
	    pb_mkdir_p(dir, &err) < 0)
		pb_error("%s", err.msg);
	/* buffered output must not be written twice by the children */
	fflush(stdout);
	fflush(stderr);
	while (s->done < s->n && (s->running > 0 || !pb_stop_signal)) {
		start_workers(s);
		stopping(s);
		if (s->o->progress && pb_now_s() - s->last_draw >= 0.5 &&
		    !s->stop_at) {
			progress(s);
			s->last_draw = pb_now_s();
		}
		/* the downloads' turn waits instead of reap */
		if (s->feed && !pb_stop_signal)
			pump(s);
		if (s->running > 0)
			reap(s, !s->feed);
	}
	if (s->o->progress)
		progress_clear(s->o);
}

int pb_build_all(const struct pb_build_opts *o, const struct pb_batch *b,
		 const size_t *idx, size_t n, const struct pb_build_feed *feed,
		 struct pb_results *out, struct pb_err *err)
{
	struct sched s = {.o = o, .b = b, .idx = idx, .n = n, .feed = feed};
	size_t k;
	int ret = 0;

	s.jobs = o->jobs ? o->jobs : 1;
	s.t0 = pb_now_s();
	s.self = getpid();
	s.by_k = pb_calloc(n + 1, sizeof(*s.by_k), err);
	s.have = s.by_k ? pb_calloc(n + 1, 1, err) : NULL;
	s.started = s.have ? pb_calloc(n + 1, 1, err) : NULL;
	s.slots = s.started ? pb_calloc(s.jobs, sizeof(*s.slots), err) : NULL;
	if (!s.slots)
		ret = -ENOMEM;
	else
		sched_loop(&s);
	if (!ret && s.oom)
		ret = pb_err_set(err, -ENOMEM,
				 "out of memory recording a build's result");
	/* interrupted: only what finished (n - done never started or was
	 * stopped) */
	for (k = 0; s.have && k < n; k++)
		if (s.have[k] && !ret)
			ret = pb_results_add(out, &s.by_k[k], err);
	for (k = 0; s.by_k && k < n; k++)
		pb_result_free(&s.by_k[k]);
	free(s.by_k);
	free(s.have);
	free(s.started);
	free(s.slots);
	return ret;
}
