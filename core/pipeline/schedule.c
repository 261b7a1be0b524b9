#include "config.h"

/* -j N: each release is built in a process of its own (a crash or a stuck
 * build of one kernel cannot take the others down, and nothing in the
 * pipeline has to be thread-safe); the child hands its manifest entry back
 * through a file in the workspace. Each worker leads a process group (its
 * make and compilers are in it), so that stopping a run stops everything
 * it started, and dies with the parent (PR_SET_PDEATHSIG). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "build/build.h"
#include "probe-builder/log.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/runctl.h"

/* how long the workers have to stop after SIGTERM before SIGKILL */
#define STOP_GRACE_S 10.0

struct slot {
	pid_t pid;
	size_t k; /* position in idx */
};

/* Where kernel i's worker leaves its result: named by the kernel's key,
 * since one release name can be several kernels built at once. */
static void result_path(const struct pb_build_opts *o, const struct pb_batch *b,
			size_t i, char *buf, size_t len)
{
	char key[PATH_MAX];

	/* too long a key fails the kernel in its worker, which still
	 * leaves its result here */
	if (pb_kernel_key_name(b, i, key, sizeof(key)) < 0)
		snprintf(key, sizeof(key), "%s", pb_batch_release(b, i));
	snprintf(buf, len, "%s/results/%s/%s.json", o->workspace,
		 o->distro->name, key);
}

static void progress(const struct pb_build_opts *o, const struct pb_batch *b,
		     const size_t *idx, const struct slot *slots,
		     size_t n_slots, size_t done, size_t total, double t0)
{
	struct pb_build_progress p = {
		.elapsed_s = pb_now_s() - t0, .done = done, .total = total};
	const char **names;
	size_t s;

	if (!o->on_progress)
		return;
	names = calloc(n_slots ? n_slots : 1, sizeof(*names));
	if (!names)
		return; /* a line not drawn */
	for (s = 0; s < n_slots; s++)
		if (slots[s].pid > 0)
			names[p.n_running++] =
				pb_batch_release(b, idx[slots[s].k]);
	p.running = names;
	o->on_progress(&p, o->progress_data);
	free(names);
}

static void progress_clear(const struct pb_build_opts *o)
{
	if (o->on_progress)
		o->on_progress(NULL, o->progress_data);
}

/* A kernel whose worker left no result. */
static json_object *failed_entry(const struct pb_build_opts *o,
				 const struct pb_batch *b, size_t i,
				 const char *msg)
{
	json_object *e = pb_entry_skipped(o, b, i, msg);

	json_object_object_del(e, "reason");
	json_object_object_add(e, "status",
			       json_object_new_string(PB_ST_FAILED));
	json_object_object_add(e, "error", json_object_new_string(msg));
	json_object_object_add(e, "kmod", json_object_new_object());
	json_object_object_add(json_object_object_get(e, "kmod"), "status",
			       json_object_new_string(PB_ST_FAILED));
	json_object_object_add(e, "ebpf", json_object_new_object());
	json_object_object_add(json_object_object_get(e, "ebpf"), "status",
			       json_object_new_string(PB_ST_FAILED));
	return e;
}

/* The worker's result; NULL when it left none and stopped was set (a
 * kernel stopped by an interrupt is not recorded). */
static json_object *collect(const struct pb_build_opts *o,
			    const struct pb_batch *b, size_t i, int status,
			    int stopped)
{
	char path[PATH_MAX], msg[256];
	json_object *e;

	result_path(o, b, i, path, sizeof(path));
	e = json_object_from_file(path);
	if (e && json_object_is_type(e, json_type_object))
		return e;
	json_object_put(e);
	if (stopped)
		return NULL;
	if (WIFSIGNALED(status))
		snprintf(msg, sizeof(msg),
			 "the build process died of signal %d",
			 WTERMSIG(status));
	else
		snprintf(
			msg, sizeof(msg),
			"the build process exited with status %d and no result",
			WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return failed_entry(o, b, i, msg);
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
	e = pb_build_release(o, b, i);
	if (!e)
		_exit(3);
	result_path(o, b, i, path, sizeof(path));
	s = json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN);
	if (pb_write_file_atomic(path, s, strlen(s), &err) < 0) {
		pb_error("%s", err.msg);
		_exit(4);
	}
	json_object_put(e);
	_exit(0);
}

/* SIGTERM to every worker's group; SIGKILL after the grace period. */
static void stop_workers(const struct slot *slots, size_t n_slots, int sig)
{
	size_t s;

	for (s = 0; s < n_slots; s++)
		if (slots[s].pid > 0)
			kill(-slots[s].pid, sig);
}

json_object *pb_build_all(const struct pb_build_opts *o,
			  const struct pb_batch *b, const size_t *idx, size_t n)
{
	json_object *results = json_object_new_array();
	json_object **by_k = calloc(n + 1, sizeof(*by_k));
	unsigned jobs = o->jobs ? o->jobs : 1;
	struct slot *slots = calloc(jobs, sizeof(*slots));
	size_t next = 0, done = 0, running = 0, k;
	char dir[PATH_MAX];
	struct pb_err err = {0};
	double t0 = pb_now_s(), stop_at = 0, last_draw = 0;
	pid_t self = getpid();
	int killed = 0;

	if (!results || !by_k || !slots) {
		free(by_k);
		free(slots);
		json_object_put(results);
		return NULL;
	}
	snprintf(dir, sizeof(dir), "%s/results/%s", o->workspace,
		 o->distro->name);
	if (pb_mkdir_p(dir, &err) < 0)
		pb_error("%s", err.msg);
	/* buffered output must not be written twice by the children */
	fflush(stdout);
	fflush(stderr);
	while (done < n && (running > 0 || !pb_stop_signal)) {
		int status;
		pid_t pid;
		size_t s;

		while (running < jobs && next < n && !pb_stop_signal) {
			char path[PATH_MAX];

			result_path(o, b, idx[next], path, sizeof(path));
			unlink(path);
			if (!o->progress)
				pb_info("%s: building",
					pb_batch_release(b, idx[next]));
			pid = fork();
			if (pid == 0)
				child(o, b, idx[next], self);
			if (pid < 0) {
				char msg[300];

				snprintf(msg, sizeof(msg), "fork: %s",
					 strerror(errno));
				pb_error("%s", msg);
				by_k[next] = failed_entry(o, b, idx[next], msg);
				next++;
				done++;
				continue;
			}
			/* also here: a signal before the child's own
			 * setpgid must still reach its group */
			setpgid(pid, pid);
			for (s = 0; s < jobs; s++)
				if (slots[s].pid <= 0)
					break;
			slots[s].pid = pid;
			slots[s].k = next++;
			running++;
		}
		if (pb_stop_signal && running > 0) {
			if (stop_at == 0) {
				stop_at = pb_now_s();
				if (o->progress)
					progress_clear(o);
				pb_warn("%s: stopping %zu build%s",
					strsignal(pb_stop_signal), running,
					running == 1 ? "" : "s");
				stop_workers(slots, jobs, SIGTERM);
			} else if (!killed &&
				   pb_now_s() - stop_at > STOP_GRACE_S) {
				stop_workers(slots, jobs, SIGKILL);
				killed = 1;
			}
		}
		if (o->progress && pb_now_s() - last_draw >= 0.5 && !stop_at) {
			progress(o, b, idx, slots, jobs, done, n, t0);
			last_draw = pb_now_s();
		}
		if (running == 0)
			continue;
		/* not a blocking wait: the line shows the elapsed time */
		pid = waitpid(-1, &status, WNOHANG);
		if (pid == 0) {
			struct timespec ts = {0, 200 * 1000 * 1000};

			nanosleep(&ts, NULL);
			continue;
		}
		if (pid < 0) {
			char msg[300];

			if (errno == EINTR)
				continue;
			/* no child to wait for: every running kernel is
			 * failed, with the reason (not left NULL) */
			snprintf(msg, sizeof(msg), "waitpid: %s",
				 strerror(errno));
			pb_error("%s", msg);
			for (s = 0; s < jobs; s++)
				if (slots[s].pid > 0) {
					k = slots[s].k;
					by_k[k] =
						failed_entry(o, b, idx[k], msg);
					slots[s].pid = 0;
					running--;
					done++;
				}
			continue;
		}
		for (s = 0; s < jobs; s++)
			if (slots[s].pid == pid)
				break;
		if (s == jobs)
			continue;
		/* the group may outlive its leader: nothing of it stays */
		kill(-pid, SIGKILL);
		k = slots[s].k;
		slots[s].pid = 0;
		running--;
		by_k[k] = collect(o, b, idx[k], status, stop_at != 0);
		if (!by_k[k])
			continue;
		done++;
		if (!o->progress)
			pb_info("[%zu/%zu done] %s: %s in %.1fs", done, n,
				pb_batch_release(b, idx[k]),
				json_object_get_string(json_object_object_get(
					by_k[k], "status")),
				json_object_get_double(json_object_object_get(
					by_k[k], "duration_s")));
	}
	if (o->progress)
		progress_clear(o);
	/* interrupted: only what finished (n - done never started or was
	 * stopped) */
	for (k = 0; k < n; k++)
		if (by_k[k])
			json_object_array_add(results, by_k[k]);
	free(by_k);
	free(slots);
	return results;
}
