/* The command line: one function per subcommand, sharing the options that
 * every command takes (--plugin-dir, -q, --verbose). */
#ifndef PB_CLI_H
#define PB_CLI_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

#include <regex.h>

#include "cli/progress.h"
#include "net/fetch.h"
#include "plugin/registry.h"
#include "plugin/toolchain_defs.h"
#include "util/hashcache.h"

struct pb_crawl;
struct pb_crawl_opts;

struct pb_cli_common {
	const char **plugin_dirs;
	size_t n_plugin_dirs;
	int quiet;
	int verbose;
};

/* Handles a common option (getopt's opt/optarg): 1 when it was one, 0
 * when not, -1 when it could not be kept (said). */
int pb_cli_common_opt(struct pb_cli_common *c, int opt, const char *arg);
void pb_cli_common_free(struct pb_cli_common *c);

/* -f REGEX (POSIX extended); a bad one is said, naming the command. */
int pb_cli_regex(const char *cmd, const char *filter, regex_t *re);

/* Loads the plugins and distro files along the search path. */
int pb_cli_registry(const struct pb_cli_common *c, struct pb_registry *reg);

int pb_cmd_build(int argc, char **argv);
/* build's --help text (build_help.c) */
void pb_cli_build_usage(FILE *f);
int pb_cmd_crawl(int argc, char **argv);
int pb_cmd_plugins(int argc, char **argv);
int pb_cmd_toolchains(int argc, char **argv);
int pb_cmd_verify(int argc, char **argv);
int pb_cmd_manifest(int argc, char **argv);

struct pb_verify_run_opts;
/* Verifies (verify/run.h), says the counts; the exit status: 1 when an
 * output was REFUSED (unless report) or, with required, SKIPPED. */
int pb_cli_verify_run(const struct pb_verify_run_opts *o, int report,
		      int required);
struct pb_build_opts;
struct pb_results;
/* build --verify (mode 1, 2 =report, 3 =required), before the summary:
 * the run's kernels that have outputs verified, what verify said of each
 * put in its result for the summary's VERIFY column; verify's exit
 * status. */
int pb_cli_verify_built(const struct pb_build_opts *b, int mode,
			struct pb_results *rs, const struct pb_registry *reg);
/* $PROBE_BUILDER_BUSYBOX, else /bin/busybox (static, for the VM). */
const char *pb_cli_busybox_path(void);
/* $PROBE_BUILDER_AGENT, else the installed agent. */
const char *pb_cli_agent_path(void);

/* Where builder environments are: --toolchain-dir, --toolchain-mirror. */
struct pb_cli_toolchain {
	const char *dir, *mirror;
	char dir_abs[PATH_MAX];
};

/* 1 when opt was a toolchain option (kept), else 0. */
int pb_cli_toolchain_opt(struct pb_cli_toolchain *t, int opt, const char *arg);
/* The definitions along the registry's path, then PB_TOOLCHAINDIR. */
int pb_cli_toolchain_defs(const struct pb_registry *reg,
			  struct pb_tc_defs *defs);
/* t->dir_abs: the dir given, or the default; created. -1 when said. */
int pb_cli_toolchain_dir(struct pb_cli_toolchain *t);

#define PB_TOOLCHAIN_LONG_OPTS                                            \
	{"toolchain-dir", required_argument, NULL, PB_OPT_TOOLCHAIN_DIR}, \
	{                                                                 \
		"toolchain-mirror", required_argument, NULL,              \
			PB_OPT_TOOLCHAIN_MIRROR                           \
	}

#define PB_TOOLCHAIN_HELP                                                    \
	"      --toolchain-dir DIR    where builder environments are kept, " \
	"shared by every\n"                                                  \
	"                             workspace (default: "                  \
	"$PROBE_BUILDER_TOOLCHAIN_DIR,\n"                                    \
	"                             else ~/.cache/probe-builder/"          \
	"toolchains)\n"                                                      \
	"      --toolchain-mirror URL  make environments from this mirror "  \
	"instead of\n"                                                       \
	"                             their definition's (Debian ones: the " \
	"host's apt\n"                                                       \
	"                             sources)\n"

/* getopt values of the common long options */
enum {
	PB_OPT_PLUGIN_DIR = 0x100,
	PB_OPT_VERBOSE,
	PB_OPT_HELP,
	PB_OPT_MIRROR,
	PB_OPT_SUITE,
	PB_OPT_KEYRING,
	PB_OPT_NO_VERIFY,
	PB_OPT_REQUIRE_SIGNED,
	PB_OPT_ALLOW_PARTIAL,
	PB_OPT_DISTRO_FILTER,
	PB_OPT_ARCH,
	PB_OPT_CONNECT_TIMEOUT,
	PB_OPT_LOW_SPEED_TIME,
	PB_OPT_ALLOW_EXPIRED_RELEASE,
	PB_OPT_ALLOW_FUTURE_RELEASE,
	PB_OPT_IGNORE_RELEASE_DATE,
	PB_OPT_ALLOW_REDIRECT_HOST,
	PB_OPT_MAX_METADATA_SIZE,
	PB_OPT_TOOLCHAIN_DIR,
	PB_OPT_TOOLCHAIN_MIRROR,
	PB_OPT_FIRST_FREE,
};

/* What `crawl` and `build` without packages share: where the kernels are
 * and how to fetch them. */
struct pb_cli_crawl {
	const char **mirrors;
	size_t n_mirrors;
	const char **suites;
	size_t n_suites;
	const char **keyrings;
	size_t n_keyrings;
	int no_verify, require_signed, allow_partial;
	int allow_expired_release, allow_future_release;
	long long max_metadata_size; /* bytes; 0: the default */
	const char *distro_filter;
	const char *arch;
	struct pb_fetch_opts fetch;
	struct pb_fetch_meter meter; /* the progress line's rate */
	/* one for the crawl and the download: its failures per host count
	 * across them */
	struct pb_fetcher *fetcher;
	/* the workspace's digests (meta/hashes), which the fetcher checks
	 * what it has already through, and a build its inputs */
	struct pb_hashcache hashes;
};

void pb_cli_crawl_init(struct pb_cli_crawl *cc);
/* 1 when opt was one of them, 0 when not, -1 on a bad value (said). */
int pb_cli_crawl_opt(struct pb_cli_crawl *cc, int opt, const char *arg);
void pb_cli_crawl_free(struct pb_cli_crawl *cc);
/* cc's fetcher, made on first use with the progress line drawn on a
 * terminal (each of its runs measures its own rate). NULL when it cannot
 * be had (said). */
struct pb_fetcher *pb_cli_fetcher(struct pb_cli_crawl *cc, int quiet);
/* The crawl options of d from the command line's, with cc's fetcher
 * (checking through cc->hashes, the workspace's); -1 (said) when there is
 * none. */
int pb_cli_crawl_setup(struct pb_cli_crawl *cc, const struct pb_distro *d,
		       const regex_t *kernel_filter, const char *workspace,
		       int quiet, struct pb_crawl_opts *o);
/* Warns about the risky options given, for a run that fetches (and, when
 * crawls, checks APT Release files): a run that does not is not told. */
void pb_cli_crawl_warn(const struct pb_cli_crawl *cc, int crawls);
/* Says a failed crawl's error, and each repository it missed. */
void pb_cli_crawl_error(const struct pb_err *err, const struct pb_crawl *c);

#define PB_CRAWL_LONG_OPTS                                                    \
	{"mirror", required_argument, NULL, PB_OPT_MIRROR},                   \
		{"suite", required_argument, NULL, PB_OPT_SUITE},             \
		{"keyring", required_argument, NULL, PB_OPT_KEYRING},         \
		{"no-verify", no_argument, NULL, PB_OPT_NO_VERIFY},           \
		{"require-signed", no_argument, NULL, PB_OPT_REQUIRE_SIGNED}, \
		{"allow-partial", no_argument, NULL, PB_OPT_ALLOW_PARTIAL},   \
		{"distro-filter", required_argument, NULL,                    \
		 PB_OPT_DISTRO_FILTER},                                       \
		{"arch", required_argument, NULL, PB_OPT_ARCH},               \
		{"connect-timeout", required_argument, NULL,                  \
		 PB_OPT_CONNECT_TIMEOUT},                                     \
		{"low-speed-time", required_argument, NULL,                   \
		 PB_OPT_LOW_SPEED_TIME},                                      \
		{"allow-expired-release", no_argument, NULL,                  \
		 PB_OPT_ALLOW_EXPIRED_RELEASE},                               \
		{"allow-future-release", no_argument, NULL,                   \
		 PB_OPT_ALLOW_FUTURE_RELEASE},                                \
		{"ignore-release-date", no_argument, NULL,                    \
		 PB_OPT_IGNORE_RELEASE_DATE},                                 \
		{"allow-redirect-host", no_argument, NULL,                    \
		 PB_OPT_ALLOW_REDIRECT_HOST},                                 \
		{"max-metadata-size", required_argument, NULL,                \
		 PB_OPT_MAX_METADATA_SIZE},                                   \
		{"download-concurrency", required_argument, NULL, 'd'},       \
	{                                                                     \
		"retries", required_argument, NULL, 'r'                       \
	}

#define PB_CRAWL_HELP                                                         \
	"      --mirror URL           crawl URL instead of the default "      \
	"mirrors (repeatable):\n"                                             \
	"                             a mirror root laid out like the "       \
	"distro's, or one\n"                                                  \
	"                             repository (holding dists/ or "         \
	"repodata/)\n"                                                        \
	"      --suite NAME           the APT suites to read (repeatable; "   \
	"default: the\n"                                                      \
	"                             distro's, for Debian the host's apt "   \
	"sources)\n"                                                          \
	"      --distro-filter PREFIX only suites or versions starting with " \
	"PREFIX (jammy, 8)\n"                                                 \
	"      --arch ARCH            x86_64 or aarch64 (default: this "      \
	"machine's)\n"                                                        \
	"      --keyring FILE         check signatures with FILE "            \
	"(repeatable; default: the\n"                                         \
	"                             distro's keys, for Debian the host's "  \
	"trusted ones)\n"                                                     \
	"      --require-signed       fail on an RPM repository without "     \
	"repomd.xml.asc\n"                                                    \
	"      --no-verify            do not check signatures (loudly)\n"     \
	"      --allow-partial        go on without a repository that "       \
	"fails, listing it\n"                                                 \
	"  -d, --download-concurrency N  transfers at once (default: 4)\n"    \
	"  -r, --retries N            retries per file, with backoff "        \
	"(default: 3)\n"                                                      \
	"      --connect-timeout S    give up connecting after S seconds "    \
	"(default: 15)\n"                                                     \
	"      --low-speed-time S     give up a transfer below 1 KiB/s for "  \
	"S seconds\n"                                                         \
	"                             (default: 30)\n"                        \
	"      --allow-expired-release  use an APT Release past its "         \
	"Valid-Until (warns)\n"                                               \
	"      --allow-future-release   use an APT Release whose Date is "    \
	"ahead of this\n"                                                     \
	"                             clock (warns)\n"                        \
	"      --ignore-release-date  both of the above\n"                    \
	"      --allow-redirect-host  follow redirects to another host than " \
	"the mirror's\n"                                                      \
	"      --max-metadata-size N[K|M|G]  the cap on InRelease, Release, " \
	"repomd.xml,\n"                                                       \
	"                             their signatures and mirror.list "      \
	"(default: 64M)\n"                                                    \
	"  HTTP_PROXY, HTTPS_PROXY and NO_PROXY are honoured.\n"

#define PB_COMMON_LONG_OPTS                                         \
	{"plugin-dir", required_argument, NULL, PB_OPT_PLUGIN_DIR}, \
		{"quiet", no_argument, NULL, 'q'},                  \
		{"verbose", no_argument, NULL, PB_OPT_VERBOSE},     \
	{                                                           \
		"help", no_argument, NULL, 'h'                      \
	}

#define PB_COMMON_HELP                                                       \
	"  --plugin-dir DIR    look for plugins and distro files in DIR "    \
	"first "                                                             \
	"(repeatable);\n"                                                    \
	"                      then in $PROBE_BUILDER_PLUGIN_PATH "          \
	"(colon-separated),\n"                                               \
	"                      then in " PB_PLUGINDIR " and " PB_DISTRODIR   \
	"\n"                                                                 \
	"  -q, --quiet         only errors and the summary\n"                \
	"      --verbose       show every step, and the builds' own output " \
	"goes to the logs\n"                                                 \
	"  -h, --help          this help\n"

#endif
