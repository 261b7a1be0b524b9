/* What a run did to each kernel, as the program holds it: a status per
 * output (the module, the eBPF object) and per kernel, with what the
 * manifest records. JSON is made from it only where it leaves the program
 * (the manifest, the worker's handoff to the scheduler). */
#ifndef PB_OUTPUT_RESULT_H
#define PB_OUTPUT_RESULT_H

#include <stddef.h>

#include <json-c/json.h>

#include "probe-builder/error.h"

/* Ordered by precedence: a kernel is FAILED if an output failed, else
 * BUILT if one was built, else EXISTING, else SKIPPED. NONE: not decided
 * yet (an output not looked at). */
enum pb_status {
	PB_STATUS_NONE = 0,
	PB_STATUS_SKIPPED,
	PB_STATUS_EXISTING,
	PB_STATUS_BUILT,
	PB_STATUS_FAILED,
};

#define PB_N_STATUS 5

/* "BUILT", "EXISTING", "SKIPPED", "FAILED" ("" for NONE). */
const char *pb_status_name(enum pb_status s);
/* The status a name spells; NONE for any other string or NULL. */
enum pb_status pb_status_parse(const char *name);

/* The compiler a module was built with. */
struct pb_compiler_rec {
	char *kernel;  /* what the kernel says it was built with */
	char *path;    /* the compiler used */
	char *version; /* its --version line */
	int exact;     /* the same major as the kernel's */
	/* how close: "major.minor" (the kernel's own), "major", or
	 * "nearest" (--nearest-compiler, another major) */
	char *match;
	/* the builder environment it came from (NULL: the host's) and the
	 * SHA-256 of that environment's package list (name=version lines) */
	char *environment;
	char *env_packages_sha256;
};

/* dst (empty) made a copy of src; -ENOMEM with err filled. */
int pb_compiler_rec_copy(struct pb_compiler_rec *dst,
			 const struct pb_compiler_rec *src, struct pb_err *err);

/* One output of a kernel. Strings are owned (NULL: absent). */
struct pb_output_result {
	enum pb_status status;
	char *file;   /* its name in the output dir */
	char *sha256; /* of that file */
	char *error;  /* why it FAILED */
	char *log;    /* the build log, relative to the output dir */
	char *vermagic;
	char *built_at;	       /* the run's time, when BUILT */
	char *replaced_sha256; /* the altered file this build replaced */
	struct pb_compiler_rec compiler; /* the module's (kernel set) */
	double duration_s;		 /* < 0: not recorded */
	/* a signed module: the certificate's subject (modinfo's signer) and
	 * the hash it was signed with */
	char *signer;
	char *sig_hash;
};

/* One input package of a kernel. */
struct pb_input_rec {
	char *file;   /* its base name */
	char *sha256; /* of its bytes */
	char *url;    /* where it was downloaded from, or */
	char *path;   /* a local file, relative to the output dir */
	int role;     /* enum pb_pkg_role: "tree", "config", "boot" */
	/* a config read from the package's first bytes: how it was
	 * accepted (NULL: the whole package was read) */
	char *config_from;
};

struct pb_release_result {
	/* the kernel's key in the manifest */
	char *probe, *probe_version, *distro, *release, *arch, *version;
	char **series;
	size_t n_series;
	enum pb_status status; /* from the outputs': pb_result_settle */
	struct pb_output_result kmod, ebpf;
	char *error;  /* a failure of the kernel, not of one output */
	char *reason; /* why it was SKIPPED */
	char *log;
	struct pb_input_rec *inputs;
	size_t n_inputs;
	char *config_file, *config_md5;
	struct pb_compiler_rec compiler;
	double duration_s; /* < 0: not recorded */
	/* build --verify: what verify said of the kernel's module, eBPF
	 * object and smoke test, for the summary ("LOADED/LOADED/PASSED");
	 * not in the manifest, which has the whole of it (NULL: none) */
	char *verify_cell;
};

/* An empty result (statuses NONE, durations unrecorded). */
void pb_result_init(struct pb_release_result *r);
void pb_result_free(struct pb_release_result *r);

/* An output back to empty: what a failed output must not keep (the
 * vermagic and compiler of an object that was not installed). */
void pb_result_output_clear(struct pb_output_result *o);

/* Sets *dst to a copy of s (NULL stays NULL); -ENOMEM with err filled. */
int pb_result_str(char **dst, const char *s, struct pb_err *err);

/* The kernel's status from its outputs'; also sets r->status. */
enum pb_status pb_result_settle(struct pb_release_result *r);

/* Gives every output without a status (NONE) status s and, when msg is
 * not NULL, that error; the kernel's own error too when it has none. */
int pb_result_fail_rest(struct pb_release_result *r, const char *msg,
			struct pb_err *err);

/* The results of a run, in the order of its kernels. */
struct pb_results {
	struct pb_release_result *r;
	size_t n, cap;
};

/* Appends *r (moved: *r is left empty); -ENOMEM with err filled. */
int pb_results_add(struct pb_results *rs, struct pb_release_result *r,
		   struct pb_err *err);
void pb_results_free(struct pb_results *rs);
/* The manifest entries of rs, a JSON array (NULL: out of memory). */
json_object *pb_results_to_json(const struct pb_results *rs);

/* The manifest entry of r (NULL: out of memory). */
json_object *pb_result_to_json(const struct pb_release_result *r);
/* r from such an entry; -EPROTO (err names what is wrong) when it is not
 * one. */
int pb_result_from_json(json_object *j, struct pb_release_result *r,
			struct pb_err *err);

#endif
