/* The data flow of a build (DESIGN.md): the kernels come from package
 * files, from a plan (crawl --json) or from a crawl; they are selected
 * (-f, --arch, the ignore list), their packages downloaded, each built in
 * a worker, and the results recorded in the output dir's manifest.
 *
 *   files ─┐
 *   plan ──┼─> select ─> download ─> build (-j) ─> record ─> results
 *   crawl ─┘
 */
#ifndef PB_PIPELINE_RUN_H
#define PB_PIPELINE_RUN_H

#include <regex.h>

#include "build/build.h"
#include "crawl/crawl.h"
#include "output/result.h"

struct pb_shard;

struct pb_pipeline_opts {
	/* what each kernel's build is given; its directories absolute (the
	 * run sets want_kmod, want_ebpf, run_id, run_time, manifest and
	 * origins) */
	struct pb_build_opts build;
	/* where the kernels come from: package files (a directory stands
	 * for its .deb and .rpm files), else a plan, else a crawl */
	const char *const *packages;
	size_t n_packages;
	const char *plan;		   /* --from-json */
	const struct pb_crawl_opts *crawl; /* for a crawl */
	struct pb_fetcher *fetcher;	   /* for the downloads */
	const regex_t *kernel_filter;	   /* -f (NULL: every kernel) */
	const char *kernel_filter_text;	   /* as given, for messages */
	const char *arch;		   /* --arch, for messages */
	const char *ignore_file;	   /* --ignore-list */
	const char *sign_key;		   /* --sign-key */
	int wait_lock;			   /* --wait-lock */
	/* --shard: only this shard's kernels of the plan, recorded in its
	 * own manifest.d/I-of-N.json (NULL: every kernel, manifest.json) */
	const struct pb_shard *shard;
	/* build --verify: config and boot packages fetched whole (the
	 * kernel is booted), never a config package's head alone */
	int whole_config;
	/* --cache-max: at the end of the run, the download cache is
	 * brought under this many bytes, least recently used packages
	 * first (0: no limit) */
	unsigned long long cache_max;
};

struct pb_pipeline_result {
	struct pb_results results; /* each kernel looked at, in order */
	size_t n_to_build;	   /* of them, the ones given to the workers */
	size_t n_skipped;	   /* of them, the ones in the ignore list */
	int built;		   /* the build stage ran to its end */
	/* the crawl's, when it ran: on a failed crawl (crawl_failed), the
	 * repositories that failed (for the caller to list after the error) */
	struct pb_crawl crawl;
	int crawl_failed;
	int recorded; /* the manifest has the results */
};

/* The options that can be refused before anything is made (the ignore
 * list, the signing key), for a front end to ask before it creates the
 * output and workspace dirs; pb_pipeline_run checks them too. */
int pb_pipeline_check(const struct pb_pipeline_opts *o, struct pb_err *err);

/* Runs it. 0 when every stage ran (results may hold FAILED kernels, and
 * pb_stop_signal may have stopped the builds: out has the kernels that
 * finished, recorded); else a negative errno with err filled: -EINTR
 * when a signal stopped the run before any build, -EWOULDBLOCK when
 * another run holds the workspace, -EINVAL when nothing can be built. A
 * failure after the builds leaves their results in out. */
int pb_pipeline_run(const struct pb_pipeline_opts *o,
		    struct pb_pipeline_result *out, struct pb_err *err);
void pb_pipeline_result_free(struct pb_pipeline_result *r);

/* stages, in files of their own */

/* local.c: the kernels among the package files, by their names, in b. */
int pb_pipeline_local(const struct pb_build_opts *o, const char *const *args,
		      size_t n, char ***paths, size_t *n_paths,
		      struct pb_batch *b, struct pb_err *err);

/* download.c: the packages of the kernels of a crawl into the
 * workspace's cache (cache/<sha256>/<name>: a second run fetches nothing),
 * beside the builds: pb_dl_plan puts every kernel in b with the paths its
 * packages will have (origins, when not NULL, gets path -> URL and
 * SHA-256) and fetches nothing; pb_dl_start queues the packages of the
 * kernels of b whose index is in idx, in that order; pb_dl_pump turns the
 * fetcher (waiting at most max_ms) and settles kernels: 1 while some are
 * not, 0 when every one is, a negative errno when downloading stopped
 * (-EINTR). A kernel is ready (pb_dl_ready) when its packages are in, or
 * when one could not be had: then b has its failure, naming it. */
struct pb_dl_opts {
	const char *workspace;
	struct pb_fetcher *fetcher;
	const struct pb_plugin *plugin; /* its config rule, kernel_dir */
	const char *distro;
	/* --verify: config packages whole (the kernel boots), and the boot
	 * packages too */
	int whole_config;
};
struct pb_dl;
int pb_dl_plan(const struct pb_crawl *c, const struct pb_dl_opts *o,
	       struct pb_batch *b, struct pb_origins *origins,
	       struct pb_dl **out, struct pb_err *err);
int pb_dl_start(struct pb_dl *d, const size_t *idx, size_t n,
		struct pb_err *err);
int pb_dl_pump(struct pb_dl *d, long max_ms, struct pb_err *err);
int pb_dl_ready(struct pb_dl *d, size_t bi);
/* bytes of config packages not fetched: their heads sufficed */
int64_t pb_dl_bytes_saved(const struct pb_dl *d);
/* the SHA-256s of the packages the run asked for (*n of them; the array
 * is the caller's to free, its strings d's) */
const char **pb_dl_in_use(const struct pb_dl *d, size_t *n, struct pb_err *err);
void pb_dl_free(struct pb_dl *d);

/* select.c: the ignore list (shell globs, # comments), and the kernels of
 * b to build (*idx) after -f and the ignore list, the ignored ones
 * recorded SKIPPED in out. */
struct pb_ignore {
	char **globs;
	size_t n;
};
int pb_ignore_load(const char *file, struct pb_ignore *ig, struct pb_err *err);
const char *pb_ignore_match(const struct pb_ignore *ig, const char *release);
void pb_ignore_free(struct pb_ignore *ig);
int pb_pipeline_select(const struct pb_pipeline_opts *o,
		       const struct pb_batch *b, const struct pb_ignore *ig,
		       size_t n_dropped, size_t **idx, size_t *n_idx,
		       struct pb_results *out, struct pb_err *err);

#endif
