/* Building one kernel release: unpack, fixup, find the kernel dir and its
 * config, pick the compiler, build the module and the eBPF object, check
 * them, and install them under their final names. */
#ifndef PB_BUILD_H
#define PB_BUILD_H

#include <stddef.h>

#include <json-c/json.h>

#include "build/origins.h"
#include "output/result.h"
#include "plugin/registry.h"
#include "plugin/toolchain_defs.h"
#include "probe-builder/batch.h"
#include "probe-builder/error.h"
#include "util/hashcache.h"

/* Where a run of builds is, for a front end to draw. */
struct pb_build_progress {
	double elapsed_s;
	size_t done, total;
	const char *const *running; /* the releases building now */
	size_t n_running;
	/* downloads beside the builds (dl_total 0: none) */
	size_t dl_done, dl_total;
	long long dl_bytes, dl_bytes_total;
};

struct pb_build_opts {
	size_t sz;
	const struct pb_distro *distro;
	const char *probe;	/* -p */
	const char *version;	/* -v */
	const char *source_dir; /* -s, absolute */
	const char *output_dir; /* -o, absolute */
	const char *workspace;	/* -w, absolute */
	unsigned jobs;		/* -j */
	int nearest_compiler;	/* --nearest-compiler */
	const char *clang;	/* for eBPF objects */
	const char *llc;
	const char *path_env; /* where compilers are looked up; NULL: PATH */
	int want_kmod;	      /* the source has a Makefile or Kbuild */
	int want_ebpf;	      /* the source has bpf/ */
	int verbose;
	/* a front end draws the run's progress (stderr is a terminal): then
	 * the scheduler calls on_progress a few times a second, and with p
	 * NULL before a log line of its own and at the end, instead of
	 * logging each start and finish */
	int progress;
	void (*on_progress)(const struct pb_build_progress *p, void *data);
	void *progress_data;
	/* local package path -> the URL it came from (NULL: local files) */
	const struct pb_origins *origins;
	/* --max-unpacked-size: bytes one release may unpack (0: 4 GiB) */
	unsigned long long max_unpacked;
	/* this run: its id names its logs (logs/<distro>/<kernel key>/<run
	 * id>.log), its time (ISO 8601, UTC) dates what it built */
	const char *run_id;
	const char *run_time;
	/* the output dir's manifest as the run found it: an EXISTING output
	 * is checked against the SHA-256 recorded there (NULL: none) */
	json_object *manifest;
	/* the toolchain: --toolchain (NULL: auto), the definitions found,
	 * where environments are kept (absolute) and the mirror that
	 * overrides theirs; etc_apt for "mirror = host" (NULL: /etc/apt) */
	const char *toolchain;
	const struct pb_tc_defs *toolchain_defs;
	const char *toolchain_dir;
	const char *toolchain_mirror;
	const char *etc_apt;
	int sandbox_off; /* --sandbox=off: make runs unconfined */
	/* --module-sign-key, --module-sign-cert (absolute; NULL: modules
	 * unsigned) and the certificate's subject CN */
	const char *module_sign_key;
	const char *module_sign_cert;
	const char *module_signer;
	/* local inputs and the outputs already in the output dir are hashed
	 * through it (NULL: hashed every run) */
	struct pb_hashcache *hash_cache;
	/* --keep-trees: a kernel's unpacked tree and build copies stay
	 * (else they go once its outputs are BUILT, EXISTING or SKIPPED) */
	int keep_trees;
};

/* The directory name of kernel i of b: "<release>_<arch>_<version>" (one
 * release name can be several kernels), characters that do not belong in
 * a file name made '_'. */
int pb_kernel_key_name(const struct pb_batch *b, size_t i, char *buf,
		       size_t len);

/* An empty result for release i of the batch: its key (probe, distro,
 * release, arch, version, series), no status yet. */
int pb_result_for(const struct pb_build_opts *o, const struct pb_batch *b,
		  size_t i, struct pb_release_result *r, struct pb_err *err);

/* The result of a release not built on purpose (the ignore list). */
int pb_result_skipped(const struct pb_build_opts *o, const struct pb_batch *b,
		      size_t i, const char *why, struct pb_release_result *r,
		      struct pb_err *err);

/* Builds release i of the batch into r: a failure to build is a FAILED
 * result with its message, not an error of this function, which fails
 * only when it cannot record the result (-ENOMEM). */
int pb_build_release(const struct pb_build_opts *o, const struct pb_batch *b,
		     size_t i, struct pb_release_result *r, struct pb_err *err);

#endif
