/* `probe-builder verify`: every kernel of an output dir's manifest booted
 * with its probes, -j at a time, the results written back into the
 * manifest ("verify" of each kernel). */
#ifndef PB_VERIFY_RUN_H
#define PB_VERIFY_RUN_H

#include <regex.h>
#include <stddef.h>

#include "plugin/registry.h"
#include "probe-builder/error.h"

struct pb_fetcher;

struct pb_verify_run_opts {
	size_t sz;
	const char *output_dir; /* absolute */
	const char *workspace;	/* absolute: its cache and verify/ */
	const char *agent;
	const char *accel;
	unsigned mem_mb, timeout_s, jobs;
	const regex_t *filter; /* on the release; NULL: all */
	/* the probe's source (its verify/ smoke test) and a static busybox
	 * to run it; NULL: no smoke test */
	const char *source_dir, *busybox;
	/* the plugins: where each distro keeps its kernel image (NULL: the
	 * usual places) */
	const struct pb_registry *reg;
	/* only this probe's entries, of these releases (build --verify: the
	 * run's kernels); NULL: any */
	const char *probe, *probe_version;
	const char *const *releases;
	size_t n_releases;
	int no_table; /* the caller shows the statuses (build's summary) */
	/* fetches the image packages the workspace lacks, from the URLs
	 * the manifest gives (NULL: those kernels are SKIPPED) */
	struct pb_fetcher *fetcher;
};

struct pb_verify_counts {
	size_t kernels, refused, skipped, loaded;
};

/* Verifies and records; prints a line per kernel to stdout. */
int pb_verify_run(const struct pb_verify_run_opts *o,
		  struct pb_verify_counts *n, struct pb_err *err);

#endif
