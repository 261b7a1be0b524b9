#include "config.h"

/* pb_pipeline_run: the stages of run.h's diagram, one function each. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "output/manifest.h"
#include "output/manifest_sign.h"
#include "pipeline/run.h"
#include "pipeline/schedule.h"
#include "probe-builder/log.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/runctl.h"
#include "util/sign.h"
#include "util/str.h"

/* What one run holds between its stages. */
struct run {
	const struct pb_pipeline_opts *o;
	struct pb_build_opts bo; /* o->build, completed by the run */
	struct pb_pipeline_result *out;
	struct pb_ignore ignore;
	struct pb_lock ws_lock, out_lock;
	json_object *manifest;
	struct pb_origins origins; /* local path -> URL */
	struct pb_batch *batch;
	char **paths; /* the local package files */
	size_t n_paths;
	size_t n_dropped; /* kernels left out by -f or --arch */
	size_t *idx, n_idx;
	struct pb_results skipped; /* by the ignore list */
	char run_id[64], run_time[32];
};

/* ------------------------------------------------------------ preflight */

/* What the probe source builds: a module (Makefile or Kbuild), an eBPF
 * object (bpf/Makefile). */
static int source_kind(struct run *r, struct pb_err *err)
{
	const char *src = r->bo.source_dir;
	char path[PATH_MAX];

	r->bo.want_kmod =
		(!pb_path_join(path, sizeof(path), err, src, "Makefile",
			       NULL) &&
		 pb_is_file(path)) ||
		(!pb_path_join(path, sizeof(path), err, src, "Kbuild", NULL) &&
		 pb_is_file(path));
	r->bo.want_ebpf = !pb_path_join(path, sizeof(path), err, src,
					"bpf/Makefile", NULL) &&
			  pb_is_file(path);
	if (err->code)
		return err->code;
	if (!r->bo.want_kmod && !r->bo.want_ebpf)
		return pb_err_set(err, -EINVAL,
				  "%s: no Makefile or Kbuild for a module and "
				  "no bpf/Makefile for an eBPF object: nothing "
				  "to build",
				  src);
	return 0;
}

/* Everything that can be found wrong before an hour of work. */
/* A key that cannot sign is found before anything is built. */
static int check_sign_key(const char *key, struct pb_err *err)
{
	char why[PB_ERR_MSG_MAX];

	if (!key || pb_sign_key_check(key, err) == 0)
		return 0;
	/* "--sign-key FILE: why": the message starts with FILE */
	memcpy(why, err->msg, sizeof(why));
	return pb_err_set(err, err->code, "--sign-key %s", why);
}

int pb_pipeline_check(const struct pb_pipeline_opts *o, struct pb_err *err)
{
	struct pb_ignore ig = {0};
	int ret = 0;

	if (o->ignore_file) {
		ret = pb_ignore_load(o->ignore_file, &ig, err);
		pb_ignore_free(&ig);
	}
	return ret ? ret : check_sign_key(o->sign_key, err);
}

static int preflight(struct run *r, struct pb_err *err)
{
	const struct pb_pipeline_opts *o = r->o;
	int ret = 0;

	if (o->ignore_file)
		ret = pb_ignore_load(o->ignore_file, &r->ignore, err);
	if (!ret)
		ret = check_sign_key(o->sign_key, err);
	/* a read-only output dir is said now */
	if (!ret)
		ret = pb_dir_writable(r->bo.output_dir, "the output dir", err);
	return ret;
}

/* What a crashed run left: this host's temp files of dead processes in the
 * output dir (its logs too) and the workspace's results, empty .part files
 * in the download caches. The workspace is locked: nothing there is in
 * use. */
static void clean_leftovers(const char *workspace, const char *output)
{
	static const struct {
		const char *sub;
		int depth;
	} ws[] = {{"cache", 2}, {"meta", 8}, {"results", 1}};
	char dir[PATH_MAX];
	size_t i;
	int n = pb_clean_leftovers(output, 3);

	for (i = 0; i < PB_ARRAY_SIZE(ws); i++)
		if (!pb_path_join(dir, sizeof(dir), NULL, workspace, ws[i].sub,
				  NULL))
			n += pb_clean_leftovers(dir, ws[i].depth);
	if (n)
		pb_info("removed %d file%s left by an interrupted run", n,
			n == 1 ? "" : "s");
}

/* The workspace, locked for the run; what a crash left, cleaned; what the
 * source builds; the manifest as the run finds it; the run's id and
 * time. */
static int open_run(struct run *r, struct pb_err *err)
{
	char path[PATH_MAX];
	struct tm tm;
	time_t t = time(NULL);
	int ret;

	ret = pb_path_join(path, sizeof(path), err, r->bo.workspace, ".lock",
			   NULL);
	if (!ret)
		ret = pb_lock_take(path, "the workspace", r->o->wait_lock,
				   &r->ws_lock, err);
	if (ret == -EWOULDBLOCK) {
		size_t l = strlen(err->msg);

		snprintf(err->msg + l, sizeof(err->msg) - l,
			 " (--wait-lock waits)");
	}
	if (ret)
		return ret;
	clean_leftovers(r->bo.workspace, r->bo.output_dir);
	ret = source_kind(r, err);
	if (!ret)
		ret = pb_manifest_load(r->bo.output_dir, &r->manifest, err);
	if (ret)
		return ret;
	r->bo.manifest = r->manifest;
	/* the run's id names its logs: a later run keeps them */
	gmtime_r(&t, &tm);
	strftime(r->run_time, sizeof(r->run_time), "%Y-%m-%dT%H:%M:%SZ", &tm);
	strftime(r->run_id, sizeof(r->run_id), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(r->run_id + strlen(r->run_id),
		 sizeof(r->run_id) - strlen(r->run_id), "-%ld", (long)getpid());
	r->bo.run_id = r->run_id;
	r->bo.run_time = r->run_time;
	return 0;
}

/* --------------------------------------------------------------- gather */

/* Every kernel of the distro, listed in a plan (crawl --json). */
static int read_plan(struct run *r, struct pb_crawl *c, struct pb_err *err)
{
	const char *plan = r->o->plan, *distro = r->bo.distro->name;
	json_object *j = json_object_from_file(plan);
	int ret;

	if (!j)
		return pb_err_set(err, -EINVAL, "--from-json %s: %s", plan,
				  json_util_get_last_err()
					  ? json_util_get_last_err()
					  : "not JSON");
	ret = pb_crawl_from_json(j, plan, c, err);
	json_object_put(j);
	if (ret)
		return ret;
	if (c->distro[0] && strcmp(c->distro, distro))
		return pb_err_set(err, -EINVAL,
				  "--from-json %s lists %s kernels, not %s "
				  "ones",
				  plan, c->distro, distro);
	return 0;
}

/* Every kernel of the distro, crawled or from a plan, selected (-f,
 * --arch, the ignore list: a kernel left out costs no byte), then their
 * packages downloaded into the workspace's cache. */
static int crawl_and_download(struct run *r, struct pb_err *err)
{
	struct pb_crawl *c = &r->out->crawl;
	size_t i;
	int ret;

	ret = r->o->plan ? read_plan(r, c, err)
			 : pb_crawl_run(r->o->crawl, c, err);
	if (ret) {
		r->out->crawl_failed = !r->o->plan;
		return ret;
	}
	r->n_dropped = pb_crawl_select(c, r->o->kernel_filter, r->o->arch);
	for (i = 0; i < c->n_kernels; i++)
		if (pb_ignore_match(&r->ignore, c->kernels[i].release))
			pb_crawl_drop_packages(&c->kernels[i]);
	ret = pb_pipeline_download(c, r->bo.workspace, r->o->fetcher, r->batch,
				   &r->origins, err);
	if (ret)
		return ret;
	if (pb_stop_signal)
		return pb_err_set(err, -EINTR, "interrupted");
	r->bo.origins = &r->origins;
	if (pb_batch_n_releases(r->batch) == 0)
		return pb_err_set(err, -ENOENT, "the crawl found no %s kernel",
				  r->bo.distro->name);
	return 0;
}

/* The kernels: from package files, or crawl_and_download. */
static int gather(struct run *r, struct pb_err *err)
{
	const struct pb_pipeline_opts *o = r->o;

	r->batch = pb_batch_new();
	if (!r->batch)
		return pb_err_set(err, -ENOMEM, "out of memory");
	if (o->n_packages)
		return pb_pipeline_local(&r->bo, o->packages, o->n_packages,
					 &r->paths, &r->n_paths, r->batch, err);
	return crawl_and_download(r, err);
}

/* --------------------------------------------------------------- record */

/* The manifest's read-merge-write, under the output dir's lock: runs that
 * share the dir (other workspaces, other machines) lose no entry. The
 * manifest read at the start is replaced by the one read under the lock. */
static int record(struct run *r, struct pb_err *err)
{
	const char *output = r->bo.output_dir;
	json_object *fresh = NULL, *results;
	char path[PATH_MAX];
	int ret;

	results = pb_results_to_json(&r->out->results);
	if (!results)
		return pb_err_set(err, -ENOMEM, "out of memory");
	ret = pb_path_join(path, sizeof(path), err, output, ".manifest.lock",
			   NULL);
	/* short: another run holds it only for its own merge; a second ^C
	 * must not lose what was built */
	while (!ret) {
		ret = pb_lock_take(path, "the output dir's manifest", 1,
				   &r->out_lock, err);
		if (ret != -EINTR)
			break;
		pb_err_clear(err);
		ret = 0;
	}
	if (!ret)
		ret = pb_manifest_load(output, &fresh, err);
	if (!ret) {
		json_object_put(r->manifest);
		r->manifest = fresh;
		ret = pb_manifest_update(output, r->manifest, results,
					 r->run_time, err);
	}
	/* signed under the lock: the signature is of the manifest as
	 * written, not of one another run wrote after it */
	if (!ret && r->o->sign_key)
		ret = pb_manifest_sign(output, r->o->sign_key, err);
	pb_lock_release(&r->out_lock);
	json_object_put(results);
	r->out->recorded = !ret;
	return ret;
}

/* ------------------------------------------------------------------ run */

static void run_free(struct run *r)
{
	size_t i;

	pb_lock_release(&r->out_lock);
	pb_lock_release(&r->ws_lock);
	pb_ignore_free(&r->ignore);
	for (i = 0; i < r->n_paths; i++)
		free(r->paths[i]);
	free(r->paths);
	free(r->idx);
	pb_results_free(&r->skipped);
	pb_origins_free(&r->origins);
	json_object_put(r->manifest);
	pb_batch_free(r->batch);
}

int pb_pipeline_run(const struct pb_pipeline_opts *o,
		    struct pb_pipeline_result *out, struct pb_err *err)
{
	struct run r = {.o = o, .bo = o->build, .out = out};
	const struct pb_build_opts *bo = &r.bo;
	size_t i;
	int ret;

	memset(out, 0, sizeof(*out));
	r.ws_lock.fd = r.out_lock.fd = -1;
	ret = preflight(&r, err);
	if (!ret)
		ret = open_run(&r, err);
	if (!ret)
		ret = gather(&r, err);
	if (!ret)
		ret = pb_pipeline_select(o, r.batch, &r.ignore, r.n_dropped,
					 &r.idx, &r.n_idx, &r.skipped, err);
	if (!ret) {
		out->n_to_build = r.n_idx;
		out->n_skipped = r.skipped.n;
		pb_info("building %s %s for %zu %s kernel%s, %u at a time",
			bo->probe, bo->version, r.n_idx, bo->distro->name,
			r.n_idx == 1 ? "" : "s", bo->jobs);
		ret = pb_build_all(bo, r.batch, r.idx, r.n_idx, &out->results,
				   err);
		out->built = !ret;
	}
	/* the ignored ones after the built ones */
	for (i = 0; !ret && i < r.skipped.n; i++)
		ret = pb_results_add(&out->results, &r.skipped.r[i], err);
	if (!ret)
		ret = record(&r, err);
	/* a stage that failed because a signal stopped it (gpgv or a
	 * download killed with the group): the run was interrupted, and
	 * what the stage said stays after that */
	if (ret && pb_stop_signal && !out->n_to_build) {
		pb_err_prefix(err, "interrupted: 0 built, %zu not started",
			      r.batch ? pb_batch_n_releases(r.batch)
				      : (size_t)0);
		ret = err->code = -EINTR;
	}
	run_free(&r);
	return ret;
}

void pb_pipeline_result_free(struct pb_pipeline_result *r)
{
	pb_results_free(&r->results);
	pb_crawl_free(&r->crawl);
}
