#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "crawl/crawl.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"
#include "util/fs.h"
#include "util/runctl.h"

/* s appended to *v: 1, or -1 (said), as pb_cli_crawl_opt returns */
static int add_str(const char ***v, size_t *n, const char *s)
{
	struct pb_err err = {0};
	const char **g = pb_reallocarray(*v, *n + 1, sizeof(*g), &err);

	if (!g) {
		pb_error("%s", err.msg);
		return -1;
	}
	*v = g;
	g[(*n)++] = s;
	return 1;
}

static int number(const char *opt, const char *arg, long min, long max,
		  long *out)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (*arg == '\0' || *end || n < min || n > max) {
		pb_error("%s wants a number from %ld to %ld, not '%s'", opt,
			 min, max, arg);
		return -EINVAL;
	}
	*out = n;
	return 0;
}

/* "64M" -> bytes; K, M, G are powers of 1024 */
static int size_arg(const char *opt, const char *arg, long long *out)
{
	char *end;
	long long n = strtoll(arg, &end, 10), mul = 1;

	if (*end == 'K' || *end == 'k')
		mul = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		mul = 1024 * 1024, end++;
	else if (*end == 'G' || *end == 'g')
		mul = 1024LL * 1024 * 1024, end++;
	if (end == arg || *end || n < 1 || n > (1LL << 50) / mul) {
		pb_error("%s wants a size (bytes, or with K, M or G), not "
			 "'%s'",
			 opt, arg);
		return -EINVAL;
	}
	*out = n * mul;
	return 0;
}

int pb_cli_crawl_opt(struct pb_cli_crawl *cc, int opt, const char *arg)
{
	long n;

	switch (opt) {
	case 'd':
		if (number("-d", arg, 1, 64, &n) < 0)
			return -1;
		cc->fetch.concurrency = (unsigned)n;
		return 1;
	case 'r':
		if (number("-r", arg, 0, 20, &n) < 0)
			return -1;
		cc->fetch.retries = (unsigned)n;
		return 1;
	case PB_OPT_MIRROR:
		return add_str(&cc->mirrors, &cc->n_mirrors, arg);
	case PB_OPT_SUITE:
		return add_str(&cc->suites, &cc->n_suites, arg);
	case PB_OPT_KEYRING:
		if (access(arg, R_OK) < 0) {
			pb_error("--keyring %s: %s", arg, strerror(errno));
			return -1;
		}
		return add_str(&cc->keyrings, &cc->n_keyrings, arg);
	case PB_OPT_NO_VERIFY:
		cc->no_verify = 1;
		return 1;
	case PB_OPT_REQUIRE_SIGNED:
		cc->require_signed = 1;
		return 1;
	case PB_OPT_ALLOW_PARTIAL:
		cc->allow_partial = 1;
		return 1;
	case PB_OPT_DISTRO_FILTER:
		cc->distro_filter = arg;
		return 1;
	case PB_OPT_ARCH:
		if (strcmp(arg, "x86_64") && strcmp(arg, "aarch64")) {
			pb_error("--arch is x86_64 or aarch64, not '%s'", arg);
			return -1;
		}
		cc->arch = arg;
		return 1;
	case PB_OPT_CONNECT_TIMEOUT:
		if (number("--connect-timeout", arg, 1, 3600, &n) < 0)
			return -1;
		cc->fetch.connect_timeout_s = n;
		return 1;
	case PB_OPT_ALLOW_EXPIRED_RELEASE:
		cc->allow_expired_release = 1;
		return 1;
	case PB_OPT_ALLOW_FUTURE_RELEASE:
		cc->allow_future_release = 1;
		return 1;
	case PB_OPT_IGNORE_RELEASE_DATE:
		cc->allow_expired_release = cc->allow_future_release = 1;
		return 1;
	case PB_OPT_ALLOW_REDIRECT_HOST:
		cc->fetch.allow_redirect_host = 1;
		return 1;
	case PB_OPT_MAX_METADATA_SIZE:
		return size_arg("--max-metadata-size", arg,
				&cc->max_metadata_size)
			       ? -1
			       : 1;
	case PB_OPT_LOW_SPEED_TIME:
		if (number("--low-speed-time", arg, 1, 3600, &n) < 0)
			return -1;
		cc->fetch.low_speed_time_s = n;
		return 1;
	default:
		return 0;
	}
}

void pb_cli_crawl_init(struct pb_cli_crawl *cc)
{
	static struct utsname u;
	struct pb_fetch_opts def = PB_FETCH_OPTS_INIT;

	memset(cc, 0, sizeof(*cc));
	cc->fetch = def;
	if (!u.machine[0])
		uname(&u);
	cc->arch = u.machine;
}

void pb_cli_crawl_free(struct pb_cli_crawl *cc)
{
	free(cc->mirrors);
	free(cc->suites);
	free(cc->keyrings);
	cc->mirrors = cc->suites = cc->keyrings = NULL;
	pb_fetcher_free(cc->fetcher);
	cc->fetcher = NULL;
}

struct pb_fetcher *pb_cli_fetcher(struct pb_cli_crawl *cc, int quiet)
{
	struct pb_err err = {0};

	if (cc->fetcher)
		return cc->fetcher;
	/* the CLI draws the line; a run that catches signals stops */
	cc->fetch.progress = isatty(2) && !quiet;
	cc->fetch.quiet = quiet;
	cc->fetch.on_event = pb_progress_fetch;
	cc->fetch.event_data = &cc->meter;
	cc->fetch.stop = &pb_stop_signal;
	cc->fetcher = pb_fetcher_new(&cc->fetch, &err);
	if (!cc->fetcher)
		pb_error("%s", err.msg);
	return cc->fetcher;
}

int pb_cli_crawl_setup(struct pb_cli_crawl *cc, const struct pb_distro *d,
		       const regex_t *kernel_filter, const char *workspace,
		       int quiet, struct pb_crawl_opts *o)
{
	struct pb_err err = {0};

	/* set before the fetcher is made, which copies its options */
	if (!cc->fetcher && !cc->fetch.hash_cache) {
		if (pb_hashcache_init(&cc->hashes, workspace, &err) < 0)
			pb_warn("%s: no hash cache", err.msg);
		else
			cc->fetch.hash_cache = &cc->hashes;
	}
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->distro = d;
	o->arch = cc->arch;
	o->distro_filter = cc->distro_filter;
	o->kernel_filter = kernel_filter;
	o->mirrors = cc->mirrors;
	o->n_mirrors = cc->n_mirrors;
	o->suites = cc->suites;
	o->n_suites = cc->n_suites;
	o->keyrings = cc->keyrings;
	o->n_keyrings = cc->n_keyrings;
	o->no_verify = cc->no_verify;
	o->require_signed = cc->require_signed;
	o->allow_partial = cc->allow_partial;
	o->workspace = workspace;
	o->etc_apt = getenv("PROBE_BUILDER_ETC_APT");
	o->fetcher = pb_cli_fetcher(cc, quiet);
	o->max_metadata_size = cc->max_metadata_size;
	o->allow_expired_release = cc->allow_expired_release;
	o->allow_future_release = cc->allow_future_release;
	return o->fetcher ? 0 : -1;
}

void pb_cli_crawl_warn(const struct pb_cli_crawl *cc, int crawls)
{
	if (crawls && (cc->allow_expired_release || cc->allow_future_release))
		pb_warn("%s%s%s: an APT Release out of its dates is used "
			"anyway; a stale or replayed mirror can go unnoticed",
			cc->allow_expired_release ? "--allow-expired-release"
						  : "",
			cc->allow_expired_release && cc->allow_future_release
				? ", "
				: "",
			cc->allow_future_release ? "--allow-future-release"
						 : "");
	if (cc->fetch.allow_redirect_host)
		pb_warn("--allow-redirect-host: redirects may take any file "
			"to another host (signatures and hashes still hold)");
}

void pb_cli_crawl_error(const struct pb_err *err, const struct pb_crawl *c)
{
	char *msg = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&msg, &len);

	/* the failed repositories, every one whole, under the message: one
	 * line each */
	if (f) {
		fputs(err->msg, f);
		for (i = 0; i < c->n_missed; i++)
			fprintf(f, "\n  %s", c->missed[i]);
	}
	if (f && fclose(f) == 0)
		pb_error("%s", msg);
	else
		pb_error("%s", err->msg);
	free(msg);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: probe-builder crawl [OPTION]... DISTRO\n"
		"Find every kernel of DISTRO in its repositories and list the "
		"packages each one is\n"
		"built from, checked from the repositories' signatures down "
		"to each file's\n"
		"SHA-256 (only index files are fetched, never packages).\n\n"
		"      --json                 one object per kernel (distro, "
		"release, flavor, arch,\n"
		"                             packages with URL, size, "
		"SHA-256), for jq and for\n"
		"                             `probe-builder build "
		"--from-json`\n"
		"  -w, --workspace DIR        index files are kept in "
		"DIR/meta (default: ./workspace)\n"
		"  -f, --kernel-filter REGEX  only kernel releases matching "
		"REGEX\n" PB_CRAWL_HELP PB_COMMON_HELP
		"\nExit status: 0 for a complete crawl, 1 when a repository "
		"failed (or on errors),\n"
		"2 on bad usage, 3 when --allow-partial went on without a "
		"repository.\n");
}

/* The crawl command's own options. */
struct crawl_cmd {
	struct pb_cli_common common;
	struct pb_cli_crawl cc;
	const char *workspace, *filter, *distro;
	int json;
};

/* argv into c: 0, or the exit status (0 for --help). */
static int crawl_args(int argc, char **argv, struct crawl_cmd *c)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'J'},
		{"workspace", required_argument, NULL, 'w'},
		{"kernel-filter", required_argument, NULL, 'f'},
		PB_CRAWL_LONG_OPTS,
		PB_COMMON_LONG_OPTS,
		{NULL, 0, NULL, 0}};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "w:f:d:r:qh", longopts, NULL)) !=
	       -1) {
		int r;

		r = pb_cli_common_opt(&c->common, opt, optarg);
		if (!r)
			r = pb_cli_crawl_opt(&c->cc, opt, optarg);
		else if (r > 0)
			continue;
		if (r < 0)
			return 2;
		if (r)
			continue;
		switch (opt) {
		case 'J':
			c->json = 1;
			break;
		case 'w':
			c->workspace = optarg;
			break;
		case 'f':
			c->filter = optarg;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			fprintf(stderr, "Try 'probe-builder crawl --help'.\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		pb_error("crawl: one DISTRO wanted");
		fprintf(stderr, "Try 'probe-builder crawl --help'.\n");
		return 2;
	}
	c->distro = argv[optind];
	return 0;
}

/* The listing, as text or JSON, on stdout; -1 when it could not be
 * written whole (said: a plan cut short must not look complete). */
static int print_crawl(const struct crawl_cmd *c, const struct pb_crawl *crawl)
{
	if (c->json) {
		json_object *j = pb_crawl_to_json(crawl);

		if (!j) {
			pb_error("crawl: out of memory");
			return -1;
		}
		printf("%s\n",
		       json_object_to_json_string_ext(
			       j, JSON_C_TO_STRING_PRETTY |
					  JSON_C_TO_STRING_SPACED |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	} else {
		pb_crawl_print(stdout, crawl);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		pb_error("crawl: cannot write the listing: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int crawl_run(struct crawl_cmd *c, const regex_t *re)
{
	struct pb_err err = {0};
	struct pb_crawl_opts co;
	struct pb_registry reg;
	const struct pb_distro *d;
	struct pb_crawl crawl;
	char ws[PATH_MAX];
	int rc = 1;

	if (pb_mkdir_p(c->workspace, &err) < 0 || !realpath(c->workspace, ws)) {
		pb_error("-w %s: %s", c->workspace,
			 err.msg[0] ? err.msg : strerror(errno));
		return 1;
	}
	if (pb_cli_registry(&c->common, &reg) < 0)
		return 1;
	d = pb_registry_find(&reg, c->distro);
	if (!d || !d->builder) {
		pb_error("unknown distro '%s' (`probe-builder plugins` lists "
			 "the ones found)",
			 c->distro);
		rc = 2; /* bad usage */
	} else {
		if (pb_cli_crawl_setup(&c->cc, d, re, ws, c->common.quiet,
				       &co) < 0) {
			pb_registry_free(&reg);
			return 1;
		}
		pb_cli_crawl_warn(&c->cc, 1);
		if (pb_crawl_run(&co, &crawl, &err) < 0) {
			pb_cli_crawl_error(&err, &crawl);
		} else if (print_crawl(c, &crawl) == 0) {
			pb_info("%zu %s kernel%s", crawl.n_kernels, d->name,
				crawl.n_kernels == 1 ? "" : "s");
			rc = crawl.n_missed ? 3 : 0;
		}
		pb_crawl_free(&crawl);
	}
	pb_registry_free(&reg);
	return rc;
}

int pb_cmd_crawl(int argc, char **argv)
{
	struct crawl_cmd c = {.workspace = "workspace"};
	regex_t re;
	int rc;

	pb_cli_crawl_init(&c.cc);
	rc = crawl_args(argc, argv, &c);
	if (rc == 0 && c.filter && pb_cli_regex("crawl", c.filter, &re) < 0)
		rc = 2;
	else if (rc == 0) {
		rc = crawl_run(&c, c.filter ? &re : NULL);
		if (c.filter)
			regfree(&re);
	}
	pb_cli_crawl_free(&c.cc);
	pb_cli_common_free(&c.common);
	return rc < 0 ? 0 : rc;
}
