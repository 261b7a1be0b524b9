#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "archive/unpack.h"
#include "output/manifest.h"
#include "probe-builder/alloc.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/runctl.h"
#include "verify/fetchinputs.h"
#include "verify/run.h"
#include "verify/verify.h"

static const char *str(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) &&
			       json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

/* The file of output `which` of entry e, in the output dir (NULL: none). */
static int output_file(const struct pb_verify_run_opts *o, json_object *e,
		       const char *which, char *buf, size_t len)
{
	json_object *out;
	const char *f;

	if (!json_object_object_get_ex(e, which, &out) ||
	    !(f = str(out, "file")) || strchr(f, '/'))
		return -ENOENT;
	if (pb_path_join(buf, len, NULL, o->output_dir, f, NULL) ||
	    !pb_is_file(buf))
		return -ENOENT;
	return 0;
}

/* A "config" input (image or modules package) that is here: a local
 * path (relative to the output dir) or the workspace's download cache. */
static int input_file(const struct pb_verify_run_opts *o, json_object *in,
		      char *buf, size_t len)
{
	const char *path = str(in, "path"), *sha = str(in, "sha256"),
		   *file = str(in, "file");

	if (path &&
	    pb_path_join(buf, len, NULL, o->output_dir, path, NULL) == 0 &&
	    pb_is_file(buf))
		return 0;
	if (sha && file && !strchr(file, '/') && strlen(sha) == 64 &&
	    pb_path_fmt(buf, len, NULL, "%s/cache/%.2s/%s/%s", o->workspace,
			sha, sha, file) == 0 &&
	    pb_is_file(buf))
		return 0;
	return -ENOENT;
}

/* Each candidate image package of entry e, tried in order; the first
 * that boots decides. */
static int image_of(const struct pb_verify_run_opts *o, json_object *e,
		    size_t k, char *buf, size_t len)
{
	json_object *ins, *in;
	const char *role;
	size_t i, seen = 0;

	if (!json_object_object_get_ex(e, "inputs", &ins))
		return -ENOENT;
	for (i = 0; i < json_object_array_length(ins); i++) {
		in = json_object_array_get_idx(ins, i);
		role = str(in, "role");
		/* the image is a config package (Debian), or only what
		 * verify boots (Ubuntu's, beside linux-modules) */
		if (!role || (strcmp(role, "config") && strcmp(role, "boot")) ||
		    input_file(o, in, buf, len) != 0)
			continue;
		if (seen++ == k)
			return 0;
	}
	return -ENOENT;
}

static json_object *vout_json(enum pb_vstatus st, const char *why)
{
	json_object *j = json_object_new_object();

	if (!j)
		return NULL;
	json_object_object_add(j, "status",
			       json_object_new_string(pb_vstatus_name(st)));
	if (why && *why)
		json_object_object_add(j, "reason",
				       json_object_new_string(why));
	return j;
}

/* What one kernel's verification says, as the manifest keeps it. */
static json_object *result_json(const struct pb_vres *r, int have_kmod,
				int have_ebpf, const char *skipped)
{
	json_object *j = json_object_new_object();

	if (!j)
		return NULL;
	if (r->release[0])
		json_object_object_add(j, "booted",
				       json_object_new_string(r->release));
	if (have_kmod)
		json_object_object_add(
			j, "kmod",
			skipped ? vout_json(PB_V_SKIPPED, skipped)
				: vout_json(r->kmod.status, r->kmod.why));
	if (have_ebpf)
		json_object_object_add(
			j, "ebpf",
			skipped ? vout_json(PB_V_SKIPPED, skipped)
				: vout_json(r->ebpf.status, r->ebpf.why));
	/* a smoke test: PASSED or FAILED (LOADED and REFUSED say it of
	 * outputs, not of a test) */
	if (!skipped && r->smoke.status != PB_V_NONE) {
		json_object *sj = vout_json(r->smoke.status, r->smoke.why);

		if (sj && r->smoke.status != PB_V_SKIPPED)
			json_object_object_add(
				sj, "status",
				json_object_new_string(
					r->smoke.status == PB_V_LOADED
						? "PASSED"
						: "FAILED"));
		json_object_object_add(j, "smoke", sj);
	}
	return j;
}

static int workdir_of(const struct pb_verify_run_opts *o, json_object *e,
		      char *buf, size_t len, struct pb_err *err)
{
	char key[512];
	size_t i;

	snprintf(key, sizeof(key), "%s_%s_%s", str(e, "release"),
		 str(e, "arch") ? str(e, "arch") : "",
		 str(e, "version") ? str(e, "version") : "");
	for (i = 0; key[i]; i++)
		if (key[i] == '/' || key[i] == ' ')
			key[i] = '_';
	return pb_path_join(buf, len, err, o->workspace, "verify",
			    str(e, "distro") ? str(e, "distro") : "any", key,
			    NULL);
}

/* The config a host has in /boot, from whichever package holds it
 * (Ubuntu's is in the modules package, not the image's), and the packages
 * the kernel's own modules may be in. */
static void config_and_modules(const struct pb_verify_run_opts *o,
			       json_object *e, const char *workdir,
			       struct pb_verify_opts *v,
			       char (*mod_pkgs)[PATH_MAX])
{
	char cfg[PATH_MAX];
	size_t k;
	int have = pb_path_fmt(cfg, sizeof(cfg), NULL, "%s/boot/config-%s",
			       workdir, v->release) == 0;

	for (k = 0; k < 8 && image_of(o, e, k, mod_pkgs[k], PATH_MAX) == 0;
	     k++) {
		v->mod_pkgs[k] = mod_pkgs[k];
		if (have && !pb_is_file(cfg))
			pb_unpack(mod_pkgs[k], workdir, PB_PKG_CONFIG,
				  v->release, NULL);
	}
	v->n_mod_pkgs = k;
}

/* One kernel, in a child: its result file written, exit 0. */
static int verify_one(const struct pb_verify_run_opts *o, json_object *e,
		      const char *workdir)
{
	char ko[PATH_MAX], obj[PATH_MAX], image[PATH_MAX], path[PATH_MAX],
		mod_pkgs[8][PATH_MAX];
	struct pb_verify_opts v = {.sz = sizeof(v)};
	struct pb_err err = {0};
	struct pb_vres r = {0};
	const char *skipped = NULL;
	json_object *j;
	size_t k;
	double t0 = pb_now_s();
	int have_k = output_file(o, e, "kmod", ko, sizeof(ko)) == 0,
	    have_e = output_file(o, e, "ebpf", obj, sizeof(obj)) == 0, ret;

	v.release = str(e, "release");
	v.kmod = have_k ? ko : NULL;
	v.ebpf = have_e ? obj : NULL;
	v.probe = str(e, "probe");
	v.agent = o->agent;
	v.workdir = workdir;
	v.accel = o->accel;
	v.mem_mb = o->mem_mb;
	v.timeout_s = o->timeout_s;
	v.source_dir = o->source_dir;
	v.busybox = o->busybox;
	v.distro = str(e, "distro");
	v.arch = str(e, "arch");
	if (o->reg && v.distro) {
		const struct pb_distro *d = pb_registry_find(o->reg, v.distro);

		v.plugin = d && d->builder ? d->builder->plugin : NULL;
	}
	config_and_modules(o, e, workdir, &v, mod_pkgs);
	ret = -ENOENT;
	for (k = 0;
	     ret == -ENOENT && image_of(o, e, k, image, sizeof(image)) == 0;
	     k++) {
		v.image = image;
		ret = pb_verify_kernel(&v, &r, &err);
	}
	if (ret == -ENOENT && !err.msg[0])
		skipped = "no kernel image among the kernel's inputs (its "
			  "image package, here or in the workspace's cache)";
	else if (ret)
		skipped = err.msg;
	j = result_json(&r, have_k, have_e, skipped);
	if (j)
		json_object_object_add(j, "duration_s",
				       json_object_new_double(pb_now_s() - t0));
	if (!j || pb_path_join(path, sizeof(path), NULL, workdir, "verify.json",
			       NULL))
		return 3;
	ret = pb_write_file_atomic(path, json_object_to_json_string(j),
				   strlen(json_object_to_json_string(j)), &err);
	json_object_put(j);
	return ret ? 4 : 0;
}

struct job {
	json_object *e;
	char workdir[PATH_MAX];
	pid_t pid;
};

static void reap(struct job *jobs, size_t n, size_t *running)
{
	pid_t pid;
	int st;
	size_t i;

	do {
		pid = wait(&st);
	} while (pid < 0 && errno == EINTR);
	for (i = 0; pid > 0 && i < n; i++)
		if (jobs[i].pid == pid) {
			jobs[i].pid = 0;
			(*running)--;
		}
}

static int start(const struct pb_verify_run_opts *o, struct job *j,
		 size_t *running, struct pb_err *err)
{
	int ret = workdir_of(o, j->e, j->workdir, sizeof(j->workdir), err);

	if (!ret)
		ret = pb_mkdir_p(j->workdir, err);
	if (ret)
		return ret;
	j->pid = fork();
	if (j->pid < 0)
		return pb_err_set(err, -errno, "fork: %s", strerror(errno));
	if (j->pid == 0)
		_exit(verify_one(o, j->e, j->workdir));
	(*running)++;
	return 0;
}

static const char *status_of(json_object *v, const char *which)
{
	json_object *o;

	return json_object_object_get_ex(v, which, &o) ? str(o, "status")
						       : NULL;
}

/* The child's verify.json into the entry, said, counted. */
static void record(struct job *j, const char *now, int no_table,
		   struct pb_verify_counts *n)
{
	char path[PATH_MAX];
	json_object *v = NULL;
	const char *k, *b, *rel, *sm;

	if (pb_path_join(path, sizeof(path), NULL, j->workdir, "verify.json",
			 NULL) == 0)
		v = json_object_from_file(path);
	if (!v)
		v = result_json(&(struct pb_vres){0}, 1, 1,
				"the verification did not finish (see "
				"the workspace's verify dir)");
	json_object_object_add(v, "at", json_object_new_string(now));
	json_object_object_add(j->e, "verify", v);
	k = status_of(v, "kmod");
	b = status_of(v, "ebpf");
	sm = status_of(v, "smoke");
	rel = str(j->e, "release");
	if (!no_table)
		printf("%-28s %-9s %-9s %s\n", rel ? rel : "?", k ? k : "-",
		       b ? b : "-", sm ? sm : "-");
	n->kernels++;
	if ((k && !strcmp(k, "REFUSED")) || (b && !strcmp(b, "REFUSED")) ||
	    (sm && !strcmp(sm, "FAILED")))
		n->refused++;
	else if ((k && !strcmp(k, "SKIPPED")) || (b && !strcmp(b, "SKIPPED")))
		n->skipped++;
	else
		n->loaded++;
}

/* Whether entry e is one of those asked for. */
static int wanted(const struct pb_verify_run_opts *o, json_object *e,
		  const char *rel)
{
	size_t i;

	if (o->filter && regexec(o->filter, rel, 0, NULL, 0))
		return 0;
	if (o->probe && (!str(e, "probe") || strcmp(str(e, "probe"), o->probe)))
		return 0;
	if (o->probe_version &&
	    (!str(e, "probe_version") ||
	     strcmp(str(e, "probe_version"), o->probe_version)))
		return 0;
	for (i = 0; i < o->n_releases; i++)
		if (!strcmp(o->releases[i], rel))
			return 1;
	return !o->releases;
}

static size_t select_jobs(const struct pb_verify_run_opts *o,
			  json_object *kernels, struct job *jobs)
{
	size_t i, n = 0;
	char buf[PATH_MAX];

	for (i = 0; i < json_object_array_length(kernels); i++) {
		json_object *e = json_object_array_get_idx(kernels, i);
		const char *rel = str(e, "release");

		if (!rel || !wanted(o, e, rel))
			continue;
		if (output_file(o, e, "kmod", buf, sizeof(buf)) &&
		    output_file(o, e, "ebpf", buf, sizeof(buf)))
			continue; /* nothing of it here to load */
		jobs[n++].e = e;
	}
	return n;
}

static void print_reasons(struct job *jobs, size_t n)
{
	static const char *const which[] = {"kmod", "ebpf", "smoke"};
	json_object *v, *o;
	size_t i, w;

	for (i = 0; i < n; i++) {
		if (!json_object_object_get_ex(jobs[i].e, "verify", &v))
			continue;
		for (w = 0; w < 3; w++)
			if (json_object_object_get_ex(v, which[w], &o) &&
			    str(o, "reason") && str(o, "status") &&
			    strcmp(str(o, "status"), "LOADED") != 0 &&
			    strcmp(str(o, "status"), "PASSED") != 0)
				printf("  %s: %s: %s %s\n",
				       str(jobs[i].e, "release")
					       ? str(jobs[i].e, "release")
					       : "?",
				       which[w], str(o, "status"),
				       str(o, "reason"));
	}
}

/* The image packages to boot that the workspace lacks, fetched. */
static int fetch_images(const struct pb_verify_run_opts *o,
			const struct job *jobs, size_t n, struct pb_err *err)
{
	json_object **e = pb_calloc(n + 1, sizeof(*e), err);
	size_t i;
	int ret;

	if (!e)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		e[i] = jobs[i].e;
	ret = pb_verify_fetch_inputs(o->fetcher, o->workspace, e, n, err);
	free(e);
	return ret;
}

int pb_verify_run(const struct pb_verify_run_opts *o,
		  struct pb_verify_counts *n, struct pb_err *err)
{
	json_object *m = NULL, *kernels;
	struct job *jobs = NULL;
	size_t total, i, next = 0, running = 0;
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	int ret;

	memset(n, 0, sizeof(*n));
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	ret = pb_manifest_load(o->output_dir, &m, err);
	if (ret)
		return ret;
	if (!json_object_object_get_ex(m, "kernels", &kernels) ||
	    !(jobs = calloc(json_object_array_length(kernels) + 1,
			    sizeof(*jobs)))) {
		json_object_put(m);
		return pb_err_set(err, -ENOMEM, "out of memory");
	}
	total = select_jobs(o, kernels, jobs);
	if (o->fetcher && total)
		ret = fetch_images(o, jobs, total, err);
	if (!o->no_table)
		printf("%-28s %-9s %-9s %s\n", "KERNEL", "KMOD", "EBPF",
		       "SMOKE");
	while (!ret && (next < total || running)) {
		if (next < total && running < (o->jobs ? o->jobs : 1) &&
		    !pb_stop_signal)
			ret = start(o, &jobs[next++], &running, err);
		else if (running)
			reap(jobs, total, &running);
		else
			break;
	}
	while (running)
		reap(jobs, total, &running);
	for (i = 0; !ret && i < next; i++)
		record(&jobs[i], now, o->no_table, n);
	print_reasons(jobs, next);
	if (!ret && next)
		ret = pb_manifest_write(o->output_dir, m, err);
	free(jobs);
	json_object_put(m);
	return ret;
}
