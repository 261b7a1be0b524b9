#include "config.h"

/* -j N: each release is built in a process of its own (a crash or a stuck
 * build of one kernel cannot take the others down, and nothing in the
 * pipeline has to be thread-safe); the child hands its manifest entry back
 * through a file in the workspace. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build.h"
#include "fsutil.h"
#include "probe-builder/log.h"

struct slot {
	pid_t pid;
	size_t k; /* position in idx */
};

static void result_path(const struct pb_build_opts *o, const char *release,
			char *buf, size_t len)
{
	snprintf(buf, len, "%s/results/%s/%s.json", o->workspace,
		 o->distro->name, release);
}

static void progress(const struct pb_build_opts *o, const struct pb_batch *b,
		     const size_t *idx, const struct slot *slots,
		     size_t n_slots, size_t done, size_t total)
{
	char line[512];
	size_t s, len;

	if (!o->progress)
		return;
	len = (size_t)snprintf(line, sizeof(line), "[%zu/%zu] building:", done,
			       total);
	for (s = 0; s < n_slots && len < sizeof(line); s++)
		if (slots[s].pid > 0)
			len += (size_t)snprintf(
				line + len, sizeof(line) - len, " %s",
				pb_batch_release(b, idx[slots[s].k]));
	/* one line, redrawn: \r and erase to the end */
	fprintf(stderr, "\r\033[K%.*s", 200, line);
	fflush(stderr);
}

static json_object *collect(const struct pb_build_opts *o,
			    const struct pb_batch *b, size_t i, int status)
{
	char path[PATH_MAX];
	json_object *e;

	result_path(o, pb_batch_release(b, i), path, sizeof(path));
	e = json_object_from_file(path);
	if (e && json_object_is_type(e, json_type_object))
		return e;
	json_object_put(e);
	{
		char msg[256];

		if (WIFSIGNALED(status))
			snprintf(msg, sizeof(msg),
				 "the build process died of signal %d",
				 WTERMSIG(status));
		else
			snprintf(msg, sizeof(msg),
				 "the build process exited with status %d "
				 "and no result",
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		e = pb_entry_skipped(o, b, i, msg);
		json_object_object_del(e, "reason");
		json_object_object_add(e, "status",
				       json_object_new_string(PB_ST_FAILED));
		json_object_object_add(e, "error", json_object_new_string(msg));
		json_object_object_add(e, "kmod", json_object_new_object());
		json_object_object_add(json_object_object_get(e, "kmod"),
				       "status",
				       json_object_new_string(PB_ST_FAILED));
		json_object_object_add(e, "ebpf", json_object_new_object());
		json_object_object_add(json_object_object_get(e, "ebpf"),
				       "status",
				       json_object_new_string(PB_ST_FAILED));
	}
	return e;
}

static void child(const struct pb_build_opts *o, const struct pb_batch *b,
		  size_t i)
{
	char path[PATH_MAX];
	struct pb_err err = {0};
	json_object *e;
	const char *s;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	/* the parent draws the progress line; a child speaks up only for
	 * errors, unless --verbose */
	if (!o->verbose)
		pb_log_set_level(PB_LOG_ERROR);
	if (o->progress && !o->verbose)
		pb_log_set_level((enum pb_log_level)(PB_LOG_ERROR - 1));
	e = pb_build_release(o, b, i);
	if (!e)
		_exit(3);
	result_path(o, pb_batch_release(b, i), path, sizeof(path));
	s = json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN);
	if (pb_write_file_atomic(path, s, strlen(s), &err) < 0) {
		fprintf(stderr, "probe-builder: %s\n", err.msg);
		_exit(4);
	}
	json_object_put(e);
	_exit(0);
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
	while (done < n) {
		while (running < jobs && next < n) {
			char path[PATH_MAX];
			size_t s;
			pid_t pid;

			result_path(o, pb_batch_release(b, idx[next]), path,
				    sizeof(path));
			unlink(path);
			if (!o->progress)
				pb_info("%s: building",
					pb_batch_release(b, idx[next]));
			pid = fork();
			if (pid == 0)
				child(o, b, idx[next]);
			if (pid < 0) {
				pb_error("fork: %s", strerror(errno));
				by_k[next] = collect(o, b, idx[next], 255 << 8);
				next++;
				done++;
				continue;
			}
			for (s = 0; s < jobs; s++)
				if (slots[s].pid <= 0)
					break;
			slots[s].pid = pid;
			slots[s].k = next++;
			running++;
		}
		progress(o, b, idx, slots, jobs, done, n);
		if (running == 0)
			continue;
		{
			int status;
			pid_t pid = waitpid(-1, &status, 0);
			size_t s;

			if (pid < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			for (s = 0; s < jobs; s++)
				if (slots[s].pid == pid)
					break;
			if (s == jobs)
				continue;
			k = slots[s].k;
			slots[s].pid = 0;
			running--;
			done++;
			by_k[k] = collect(o, b, idx[k], status);
			if (!o->progress)
				pb_info("[%zu/%zu done] %s: %s in %.1fs", done,
					n, pb_batch_release(b, idx[k]),
					json_object_get_string(
						json_object_object_get(
							by_k[k], "status")),
					json_object_get_double(
						json_object_object_get(
							by_k[k],
							"duration_s")));
		}
	}
	if (o->progress) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
	for (k = 0; k < n; k++)
		json_object_array_add(results, by_k[k]);
	free(by_k);
	free(slots);
	return results;
}
