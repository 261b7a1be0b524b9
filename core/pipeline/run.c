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
#include "pipeline/cache.h"
#include "pipeline/run.h"
#include "pipeline/schedule.h"
#include "pipeline/shard.h"
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
	/* the manifest this run writes: output/manifest.json, or a shard's
	 * fragment; a shard's plan: its id and every kernel's key */
	char manifest_file[PATH_MAX];
	char plan_id[PB_PLAN_ID_LEN + 1];
	char **plan_keys;
	size_t n_plan_keys;
	/* the downloads (a crawl or a plan; NULL: package files) */
	struct pb_dl_opts dl_opts;
	struct pb_dl *dl;
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

	if (o->shard && !o->plan)
		return pb_err_set(err, -EINVAL,
				  "--shard splits a plan: give it with "
				  "--from-json PLAN (crawl --json)");
	if (o->shard && o->sign_key)
		return pb_err_set(err, -EINVAL,
				  "--sign-key with --shard: a shard writes its "
				  "own manifest.d/ file; sign the whole with "
				  "`probe-builder manifest merge --sign-key`");
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

	ret = pb_pipeline_check(o, err);
	if (!ret && o->ignore_file)
		ret = pb_ignore_load(o->ignore_file, &r->ignore, err);
	/* a shard writes only its own manifest (never one file written by
	 * several machines), which keeps what its earlier runs built */
	if (!ret && o->shard) {
		char name[64];

		ret = pb_shard_fragment(o->shard, name, sizeof(name), err);
		if (!ret)
			ret = pb_path_join(r->manifest_file,
					   sizeof(r->manifest_file), err,
					   r->bo.output_dir, name, NULL);
	} else if (!ret) {
		ret = pb_path_join(r->manifest_file, sizeof(r->manifest_file),
				   err, r->bo.output_dir, "manifest.json",
				   NULL);
	}
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
	/* scratch dirs (a config head's check): a run's own, never kept;
	 * a crash's, gone quietly */
	if (!pb_path_join(dir, sizeof(dir), NULL, workspace, "tmp", NULL) &&
	    pb_is_dir(dir))
		pb_rm_rf(dir, NULL);
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
		ret = pb_manifest_load_file(r->manifest_file, &r->manifest,
					    err);
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

/* A shard's part of the plan: its kernels kept in c; the plan's id (from
 * its kernels: a plan_id written by crawl --json that differs means the
 * file was edited since, which is said) and keys kept for its manifest. */
static int take_shard(struct run *r, json_object *j, struct pb_crawl *c,
		      struct pb_err *err)
{
	const struct pb_shard *s = r->o->shard;
	json_object *written;
	size_t before = c->n_kernels;
	int ret;

	ret = pb_shard_select(c, s, &r->plan_keys, &r->n_plan_keys, err);
	if (!ret)
		ret = pb_crawl_plan_id_of(r->bo.distro->name, r->plan_keys,
					  r->n_plan_keys, r->plan_id, err);
	if (ret)
		return ret;
	if (json_object_object_get_ex(j, "plan_id", &written) &&
	    strcmp(json_object_get_string(written), r->plan_id))
		pb_warn("--from-json %s: its plan_id is not that of the "
			"kernels it lists (edited since crawl --json?): using "
			"%.12s, theirs",
			r->o->plan, r->plan_id);
	pb_info("shard %lu of 0-%lu (from %s): %zu of the plan's %zu "
		"kernels, plan %.12s",
		s->index, s->count - 1, s->from, c->n_kernels, before,
		r->plan_id);
	return 0;
}

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
	if (!ret && c->distro[0] && strcmp(c->distro, distro))
		ret = pb_err_set(err, -EINVAL,
				 "--from-json %s lists %s kernels, not %s "
				 "ones",
				 plan, c->distro, distro);
	if (!ret && r->o->shard)
		ret = take_shard(r, j, c, err);
	json_object_put(j);
	return ret;
}

/* Every kernel of the distro, crawled or from a plan, selected (-f,
 * --arch, the ignore list: a kernel left out costs no byte), in the batch
 * with the paths their packages will have in the workspace's cache: they
 * are downloaded beside the builds (r->dl). */
static int crawl_and_plan(struct run *r, struct pb_err *err)
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
	r->dl_opts.workspace = r->bo.workspace;
	r->dl_opts.fetcher = r->o->fetcher;
	r->dl_opts.plugin = r->bo.distro->builder->plugin;
	r->dl_opts.distro = r->bo.distro->name;
	r->dl_opts.whole_config = r->o->whole_config;
	ret = pb_dl_plan(c, &r->dl_opts, r->batch, &r->origins, &r->dl, err);
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

/* the downloads, as the scheduler sees them */
static void feed_progress(void *data, struct pb_build_progress *p)
{
	struct run *r = data;
	struct pb_fetch_progress f;

	pb_fetcher_counts(r->o->fetcher, &f);
	p->dl_done = f.files_done;
	p->dl_total = f.files_total;
	p->dl_bytes = f.bytes_done;
	p->dl_bytes_total = f.bytes_total;
}

static int feed_ready(void *data, size_t i)
{
	return pb_dl_ready(((struct run *)data)->dl, i);
}

static int feed_pump(void *data, long max_ms, struct pb_err *err)
{
	return pb_dl_pump(((struct run *)data)->dl, max_ms, err);
}

/* The builds, with the downloads beside them when there are any. */
static int build(struct run *r, struct pb_err *err)
{
	const struct pb_build_feed feed = {feed_ready, feed_pump, feed_progress,
					   r};
	int ret = 0;

	if (r->dl) {
		ret = pb_dl_start(r->dl, r->idx, r->n_idx, err);
		if (!ret)
			pb_info("fetching the packages of %zu kernel%s while "
				"building (the cache keeps them)",
				r->n_idx, r->n_idx == 1 ? "" : "s");
	}
	if (!ret)
		ret = pb_build_all(&r->bo, r->batch, r->idx, r->n_idx,
				   r->dl ? &feed : NULL, &r->out->results, err);
	if (!ret && r->dl && pb_dl_bytes_saved(r->dl) > 0)
		pb_info("config packages: %.1f MB not fetched (their heads "
			"held the configs)",
			(double)pb_dl_bytes_saved(r->dl) / 1e6);
	return ret;
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
	return crawl_and_plan(r, err);
}

/* --------------------------------------------------------------- record */

/* A shard's manifest, output/manifest.d/I-of-N.json: its kernels' entries
 * (what its earlier runs recorded kept, as in manifest.json) and the plan
 * ({"id", "shard", "shards", "kernels": every key}) for `manifest merge`.
 * Its only writer is this shard: no lock. */
static int record_shard(struct run *r, json_object *results, struct pb_err *err)
{
	json_object *plan = json_object_new_object(),
		    *keys = json_object_new_array();
	char dir[PATH_MAX];
	size_t i;
	int ret;

	for (i = 0; i < r->n_plan_keys; i++)
		json_object_array_add(keys,
				      json_object_new_string(r->plan_keys[i]));
	json_object_object_add(plan, "id", json_object_new_string(r->plan_id));
	json_object_object_add(
		plan, "shard",
		json_object_new_int64((int64_t)r->o->shard->index));
	json_object_object_add(
		plan, "shards",
		json_object_new_int64((int64_t)r->o->shard->count));
	json_object_object_add(plan, "kernels", keys);
	json_object_object_add(r->manifest, "plan", plan);
	ret = pb_path_join(dir, sizeof(dir), err, r->bo.output_dir,
			   "manifest.d", NULL);
	if (!ret)
		ret = pb_mkdir_p(dir, err) < 0 ? err->code : 0;
	if (!ret)
		ret = pb_manifest_update_file(r->manifest_file, r->manifest,
					      results, r->run_time, err);
	return ret;
}

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
	if (r->o->shard) {
		ret = record_shard(r, results, err);
		json_object_put(results);
		r->out->recorded = !ret;
		return ret;
	}
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

/* ---------------------------------------------------------------- cache */

/* --cache-max: the least recently used packages go; the run's own stay
 * (verify boots them next, a rerun wants them). A failure here is
 * said, not the run's. */
static void trim_cache(struct run *r)
{
	const unsigned long long max = r->o->cache_max;
	const char **keep = NULL;
	struct pb_cache_trim t;
	struct pb_err err = {0};
	char dir[PATH_MAX];
	size_t n = 0;
	int ret;

	if (r->dl && !(keep = pb_dl_in_use(r->dl, &n, &err)))
		ret = err.code;
	else
		ret = pb_path_join(dir, sizeof(dir), &err, r->bo.workspace,
				   "cache", NULL);
	if (!ret)
		ret = pb_cache_trim(dir, max, keep, n, &t, &err);
	free(keep);
	if (ret) {
		pb_warn("--cache-max: %s", err.msg);
		return;
	}
	if (t.evicted)
		pb_info("cache: evicted %zu package%s, %.1f MB, least recently "
			"used first (%.1f MB before, %.1f MB now)",
			t.evicted, t.evicted == 1 ? "" : "s",
			(double)t.evicted_bytes / 1e6, (double)t.before / 1e6,
			(double)t.after / 1e6);
	if (t.after > max)
		pb_warn("cache: %.1f MB, above --cache-max (%.1f MB): %.1f MB "
			"of it is this run's packages, kept",
			(double)t.after / 1e6, (double)max / 1e6,
			(double)t.in_use_bytes / 1e6);
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
	pb_dl_free(r->dl);
	pb_batch_free(r->batch);
	pb_crawl_keys_free(r->plan_keys, r->n_plan_keys);
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
		ret = build(&r, err);
		out->built = !ret;
	}
	/* the ignored ones after the built ones */
	for (i = 0; !ret && i < r.skipped.n; i++)
		ret = pb_results_add(&out->results, &r.skipped.r[i], err);
	if (!ret)
		ret = record(&r, err);
	if (o->cache_max && r.ws_lock.fd >= 0)
		trim_cache(&r);
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
