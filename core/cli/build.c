#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build/modsign.h"
#include "build/naming.h"
#include "build/sandbox.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "output/summary.h"
#include "pipeline/run.h"
#include "pipeline/shard.h"
#include "probe-builder/log.h"
#include "util/fs.h"
#include "util/runctl.h"

enum {
	OPT_IGNORE_LIST = PB_OPT_FIRST_FREE,
	OPT_NEAREST,
	OPT_CLANG,
	OPT_LLC,
	OPT_FROM_JSON,
	OPT_MAX_UNPACKED,
	OPT_WAIT_LOCK,
	OPT_SIGN_KEY,
	OPT_TOOLCHAIN,
	OPT_SANDBOX,
	OPT_MODULE_SIGN_KEY,
	OPT_MODULE_SIGN_CERT,
	OPT_VERIFY,
	OPT_SHARD,
	OPT_KEEP_TREES,
	OPT_CACHE_MAX,
};

static const char *shard_getenv(const char *name)
{
	return getenv(name);
}

/* SIZE with an optional K, M or G suffix (powers of 1024), above 0. */
static int parse_size(const char *arg, unsigned long long *out)
{
	char *end;
	unsigned long long n, mul = 1;

	errno = 0;
	if (!(*arg >= '0' && *arg <= '9'))
		return -1;
	n = strtoull(arg, &end, 10);
	if (errno || end == arg)
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		mul = 1ULL << 10;
		end++;
		break;
	case 'm':
	case 'M':
		mul = 1ULL << 20;
		end++;
		break;
	case 'g':
	case 'G':
		mul = 1ULL << 30;
		end++;
		break;
	default:
		break;
	}
	if (*end || n == 0 || n > ~0ULL / mul)
		return -1;
	*out = n * mul;
	return 0;
}

/* The build command's options. */
struct build_cmd {
	struct pb_cli_common common;
	struct pb_cli_crawl cc;
	struct pb_pipeline_opts po;
	struct pb_cli_toolchain tc;
	struct pb_tc_defs defs;
	const char *sign_key, *sign_cert;
	int verify;	       /* --verify: 1, =report: 2, =required: 3 */
	struct pb_shard shard; /* --shard */
	char sign_key_abs[PATH_MAX], sign_cert_abs[PATH_MAX], signer[256];
	const char *distro, *source, *output, *workspace, *filter;
	char source_abs[PATH_MAX], output_abs[PATH_MAX],
		workspace_abs[PATH_MAX];
};

/* The toolchain, sandbox and signing options: 1 when opt was one, 2 on a
 * bad value (said), else 0. */
static int toolchain_opt(struct build_cmd *c, int opt, const char *arg)
{
	struct pb_build_opts *o = &c->po.build;

	switch (opt) {
	case OPT_TOOLCHAIN:
		o->toolchain = arg;
		return 1;
	case OPT_MODULE_SIGN_KEY:
		c->sign_key = arg;
		return 1;
	case OPT_VERIFY:
		c->verify = !arg		       ? 1
			    : !strcmp(arg, "report")   ? 2
			    : !strcmp(arg, "required") ? 3
						       : 0;
		if (!c->verify) {
			pb_error("build: --verify takes report or required, "
				 "not '%s'",
				 arg);
			return 2;
		}
		return 1;
	case OPT_MODULE_SIGN_CERT:
		c->sign_cert = arg;
		return 1;
	case OPT_SANDBOX:
		if (strcmp(arg, "on") && strcmp(arg, "off")) {
			pb_error("build: --sandbox wants on or off, not '%s'",
				 arg);
			return 2;
		}
		o->sandbox_off = !strcmp(arg, "off");
		return 1;
	default:
		return 0;
	}
}

/* One option of build's own; 0, 2 on a bad value (said), -1 for --help
 * (printed). */
static int build_opt(struct build_cmd *c, int opt, const char *arg)
{
	struct pb_build_opts *o = &c->po.build;
	char *end;
	long n;

	switch (opt) {
	case 'k':
		c->distro = arg;
		break;
	case 'p':
		o->probe = arg;
		break;
	case 'v':
		o->version = arg;
		break;
	case 's':
		c->source = arg;
		break;
	case 'o':
		c->output = arg;
		break;
	case 'w':
		c->workspace = arg;
		break;
	case 'j':
		n = strtol(arg, &end, 10);
		if (*end || n < 1 || n > 1024) {
			pb_error("build: -j wants a number from 1 to 1024, not "
				 "'%s'",
				 arg);
			return 2;
		}
		o->jobs = (unsigned)n;
		break;
	case 'f':
		c->filter = arg;
		break;
	case OPT_IGNORE_LIST:
		c->po.ignore_file = arg;
		break;
	case OPT_NEAREST:
		o->nearest_compiler = 1;
		break;
	case OPT_CLANG:
		o->clang = arg;
		break;
	case OPT_LLC:
		o->llc = arg;
		break;
	case OPT_FROM_JSON:
		c->po.plan = arg;
		break;
	case OPT_SHARD: {
		struct pb_err err = {0};

		if (pb_shard_parse(arg, shard_getenv, &c->shard, &err) < 0) {
			pb_error("build: %s", err.msg);
			return 2;
		}
		c->po.shard = &c->shard;
		break;
	}
	case OPT_MAX_UNPACKED:
		if (parse_size(arg, &o->max_unpacked) < 0) {
			pb_error(
				"build: --max-unpacked-size wants a size above "
				"0 (K, M, G suffixes), not '%s'",
				arg);
			return 2;
		}
		break;
	case OPT_KEEP_TREES:
		o->keep_trees = 1;
		break;
	case OPT_CACHE_MAX:
		if (parse_size(arg, &c->po.cache_max) < 0) {
			pb_error("build: --cache-max wants a size above 0 (K, "
				 "M, G suffixes), not '%s'",
				 arg);
			return 2;
		}
		break;
	case OPT_WAIT_LOCK:
		c->po.wait_lock = 1;
		break;
	case OPT_SIGN_KEY:
		c->po.sign_key = arg;
		break;
	case 'h':
		pb_cli_build_usage(stdout);
		return -1;
	default:
		fprintf(stderr, "Try 'probe-builder build --help'.\n");
		return 2;
	}
	return 0;
}

/* argv into c: 0, or the exit status (-1: --help, printed). */
static int build_args(int argc, char **argv, struct build_cmd *c)
{
	static const struct option longopts[] = {
		{"kernel-type", required_argument, NULL, 'k'},
		{"probe-name", required_argument, NULL, 'p'},
		{"probe-version", required_argument, NULL, 'v'},
		{"source-dir", required_argument, NULL, 's'},
		{"output-dir", required_argument, NULL, 'o'},
		{"workspace", required_argument, NULL, 'w'},
		{"jobs", required_argument, NULL, 'j'},
		{"kernel-filter", required_argument, NULL, 'f'},
		{"ignore-list", required_argument, NULL, OPT_IGNORE_LIST},
		{"nearest-compiler", no_argument, NULL, OPT_NEAREST},
		{"clang", required_argument, NULL, OPT_CLANG},
		{"llc", required_argument, NULL, OPT_LLC},
		{"from-json", required_argument, NULL, OPT_FROM_JSON},
		{"shard", required_argument, NULL, OPT_SHARD},
		{"max-unpacked-size", required_argument, NULL,
		 OPT_MAX_UNPACKED},
		{"keep-trees", no_argument, NULL, OPT_KEEP_TREES},
		{"cache-max", required_argument, NULL, OPT_CACHE_MAX},
		{"wait-lock", no_argument, NULL, OPT_WAIT_LOCK},
		{"sign-key", required_argument, NULL, OPT_SIGN_KEY},
		{"toolchain", required_argument, NULL, OPT_TOOLCHAIN},
		{"sandbox", required_argument, NULL, OPT_SANDBOX},
		{"module-sign-key", required_argument, NULL,
		 OPT_MODULE_SIGN_KEY},
		{"module-sign-cert", required_argument, NULL,
		 OPT_MODULE_SIGN_CERT},
		{"verify", optional_argument, NULL, OPT_VERIFY},
		PB_TOOLCHAIN_LONG_OPTS,
		PB_CRAWL_LONG_OPTS,
		PB_COMMON_LONG_OPTS,
		{NULL, 0, NULL, 0}};
	const struct pb_build_opts *o = &c->po.build;
	int opt, r;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "k:p:v:s:o:w:j:f:d:r:qh",
				  longopts, NULL)) != -1) {
		r = pb_cli_common_opt(&c->common, opt, optarg);
		if (!r)
			r = pb_cli_toolchain_opt(&c->tc, opt, optarg);
		if (!r)
			r = pb_cli_crawl_opt(&c->cc, opt, optarg);
		else if (r > 0)
			continue;
		if (r < 0)
			return 2;
		if (!r && (r = toolchain_opt(c, opt, optarg)) == 1)
			continue;
		if (r == 2)
			return 2;
		if (!r && (r = build_opt(c, opt, optarg)) != 0)
			return r;
	}
	if (!c->distro || !o->probe || !o->version || !c->source) {
		pb_error("build: -k, -p, -v and -s are required");
		fprintf(stderr, "Try 'probe-builder build --help'.\n");
		return 2;
	}
	if (optind < argc && c->po.plan) {
		pb_error("build: PACKAGE files or --from-json, not both");
		return 2;
	}
	if (!pb_name_part_ok(o->probe) || !pb_name_part_ok(o->version)) {
		pb_error("build: the probe name and version go into file "
			 "names: no '/', not empty");
		return 2;
	}
	c->po.packages = (const char *const *)argv + optind;
	c->po.n_packages = (size_t)(argc - optind);
	return 0;
}

/* path made absolute (and created first when create). */
static int absolute(const char *path, char *out, int create)
{
	struct pb_err err = {0};

	if (create && pb_mkdir_p(path, &err) < 0) {
		pb_error("%s", err.msg);
		return -1;
	}
	if (!realpath(path, out)) {
		pb_error("%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The summary, and the exit status: 0, 1 when a kernel FAILED or the
 * results could not be recorded (ret), 3 when the crawl was partial, 128 +
 * the signal when one stopped the builds. */
static int report(struct build_cmd *c, const struct pb_pipeline_result *res,
		  int ret)
{
	const struct pb_results *rs = &res->results;
	size_t failed = pb_summary_print(stdout, rs->r, rs->n);
	const char *out = c->output_abs;

	if (ret) /* not recorded: said already */
		return 1;
	if (pb_stop_signal) {
		size_t built = rs->n - res->n_skipped;

		fflush(stdout);
		pb_error("interrupted: %zu built, %zu not started", built,
			 res->n_to_build - built);
		return 128 + pb_stop_signal;
	}
	if (res->crawl.n_missed)
		pb_warn("the crawl was partial (--allow-partial): %zu "
			"repositor%s missed",
			res->crawl.n_missed,
			res->crawl.n_missed == 1 ? "y" : "ies");
	pb_info("outputs in %s, manifest %s/manifest.json", out, out);
	return failed ? 1 : res->crawl.n_missed ? 3 : 0;
}

/* The toolchain definitions and dir, and the sandbox checked before any
 * kernel is built: without it, every build would fail the same way. */
static int toolchain_setup(struct build_cmd *c, const struct pb_registry *reg)
{
	struct pb_build_opts *o = &c->po.build;
	struct pb_err err = {0};

	if (!o->sandbox_off && pb_sandbox_check(&err) < 0) {
		pb_error("%s", err.msg);
		return -1;
	}
	if (pb_cli_toolchain_dir(&c->tc) < 0 ||
	    pb_cli_toolchain_defs(reg, &c->defs) < 0)
		return -1;
	if (!c->sign_key != !c->sign_cert) {
		pb_error("build: --module-sign-key and --module-sign-cert go "
			 "together");
		return -1;
	}
	if (c->sign_key && (absolute(c->sign_key, c->sign_key_abs, 0) < 0 ||
			    absolute(c->sign_cert, c->sign_cert_abs, 0) < 0))
		return -1;
	if (c->sign_key &&
	    pb_modsign_check(c->sign_key_abs, c->sign_cert_abs, c->signer,
			     sizeof(c->signer), &err) < 0) {
		pb_error("%s", err.msg);
		return -1;
	}
	if (c->sign_key) {
		o->module_sign_key = c->sign_key_abs;
		o->module_sign_cert = c->sign_cert_abs;
		o->module_signer = c->signer;
	}
	o->toolchain_defs = &c->defs;
	o->toolchain_dir = c->tc.dir_abs;
	o->toolchain_mirror = c->tc.mirror;
	o->etc_apt = getenv("PROBE_BUILDER_ETC_APT");
	return 0;
}

/* Everything after the arguments: the distro, the paths, the pipeline. */
static int build_run(struct build_cmd *c, const regex_t *re)
{
	struct pb_build_opts *o = &c->po.build;
	struct pb_pipeline_result res;
	struct pb_crawl_opts co;
	struct pb_err err = {0};
	struct pb_registry reg;
	int rc = 1, vrc = 0, ret;

	if (pb_cli_registry(&c->common, &reg) < 0)
		return 1;
	o->distro = pb_registry_find(&reg, c->distro);
	if (!o->distro || !o->distro->builder) {
		pb_error("unknown distro '%s' (`probe-builder plugins` lists "
			 "the ones found)",
			 c->distro);
		pb_registry_free(&reg);
		return 2; /* bad usage */
	}
	/* from here an interrupt stops the run cleanly: the kernels built
	 * are recorded, the workers stopped, the exit status 128+signal */
	if (pb_signals_install(&err) < 0 ||
	    pb_pipeline_check(&c->po, &err) < 0 ||
	    (!pb_is_dir(c->source) &&
	     pb_err_set(&err, -ENOTDIR, "-s %s: not a directory", c->source)) ||
	    absolute(c->source, c->source_abs, 0) < 0 ||
	    absolute(c->output, c->output_abs, 1) < 0 ||
	    absolute(c->workspace, c->workspace_abs, 1) < 0) {
		if (err.code)
			pb_error("%s", err.msg);
		pb_registry_free(&reg);
		return 1;
	}
	if (toolchain_setup(c, &reg) < 0) {
		pb_registry_free(&reg);
		return 1;
	}
	o->source_dir = c->source_abs;
	o->output_dir = c->output_abs;
	o->workspace = c->workspace_abs;
	o->verbose = c->common.verbose;
	o->progress = isatty(2) && !c->common.quiet;
	o->on_progress = pb_progress_build;
	c->po.arch = c->cc.arch;
	if (pb_cli_crawl_setup(&c->cc, o->distro, re, c->workspace_abs,
			       c->common.quiet, &co) < 0) {
		pb_registry_free(&reg);
		return 1;
	}
	/* package files: no crawl, no download; a plan: a download */
	if (!c->po.n_packages)
		pb_cli_crawl_warn(&c->cc, !c->po.plan);
	/* local inputs and outputs through the same hash cache */
	o->hash_cache = c->cc.fetch.hash_cache;
	c->po.crawl = &co;
	c->po.fetcher = co.fetcher;
	c->po.whole_config = c->verify != 0;
	ret = pb_pipeline_run(&c->po, &res, &err);
	/* the builds' inputs are counted in each kernel's log */
	pb_debug("files already downloaded: %zu hashed, %zu from the hash "
		 "cache",
		 c->cc.hashes.hashed, c->cc.hashes.hits);
	if (ret && res.crawl_failed)
		pb_cli_crawl_error(&err, &res.crawl);
	else if (ret)
		pb_error("%s", err.msg);
	if (res.built && !ret && c->verify && !pb_stop_signal)
		vrc = pb_cli_verify_built(&c->po.build, c->verify, &res.results,
					  &reg);
	if (res.built) /* what was built is said, even unrecorded */
		rc = report(c, &res, ret);
	/* a build that went well fails when verify does */
	if ((rc == 0 || rc == 3) && vrc)
		rc = vrc;
	else if (ret == -EINTR && pb_stop_signal)
		rc = 128 + pb_stop_signal;
	pb_pipeline_result_free(&res);
	pb_tc_defs_free(&c->defs);
	pb_registry_free(&reg);
	return rc;
}

int pb_cmd_build(int argc, char **argv)
{
	struct build_cmd c = {.output = "output", .workspace = "workspace"};
	regex_t re;
	int rc;

	c.po.build.sz = sizeof(c.po.build);
	c.po.build.jobs = 1;
	c.po.build.clang = getenv("CLANG") ? getenv("CLANG") : "clang";
	c.po.build.llc = getenv("LLC") ? getenv("LLC") : "llc";
	pb_cli_crawl_init(&c.cc);
	rc = build_args(argc, argv, &c);
	if (rc == 0 && c.filter && pb_cli_regex("build", c.filter, &re) < 0)
		rc = 2;
	else if (rc == 0) {
		c.po.kernel_filter = c.filter ? &re : NULL;
		c.po.kernel_filter_text = c.filter;
		rc = build_run(&c, c.po.kernel_filter);
		if (c.filter)
			regfree(&re);
	}
	pb_cli_crawl_free(&c.cc);
	pb_cli_common_free(&c.common);
	return rc < 0 ? 0 : rc;
}
