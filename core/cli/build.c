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

#include "build/build.h"
#include "build/naming.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "crawl/crawl.h"
#include "output/manifest.h"
#include "output/manifest_sign.h"
#include "output/summary.h"
#include "probe-builder/log.h"
#include "probe-builder/pkgname.h"
#include "repo/debcontrol.h"
#include "util/fs.h"
#include "util/runctl.h"
#include "util/sign.h"
#include "util/str.h"

enum {
	OPT_IGNORE_LIST = PB_OPT_FIRST_FREE,
	OPT_NEAREST,
	OPT_CLANG,
	OPT_LLC,
	OPT_FROM_JSON,
	OPT_MAX_UNPACKED,
	OPT_WAIT_LOCK,
	OPT_SIGN_KEY,
};

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

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: probe-builder build -k DISTRO -p NAME -v VERSION -s "
		"DIR "
		"[OPTION]... PACKAGE...\n"
		"Build a kernel module and an eBPF object from the probe "
		"source in DIR for every\n"
		"kernel release among the PACKAGE files (kernel header, "
		"image, kbuild... packages\n"
		"of DISTRO; a directory stands for the .deb and .rpm files in "
		"it).\n\n"
		"  -k, --kernel-type DISTRO   the distribution the packages "
		"come from\n"
		"                             (`probe-builder plugins` lists "
		"them)\n"
		"  -p, --probe-name NAME      the probe's name: the module is "
		"$(PROBE_NAME).ko\n"
		"  -v, --probe-version VER    the probe's version, part of the "
		"output names\n"
		"  -s, --source-dir DIR       the probe source: a kbuild "
		"Makefile or Kbuild for the\n"
		"                             module, bpf/ with a Makefile "
		"making bpf/probe.o for eBPF\n"
		"  -o, --output-dir DIR       where outputs and manifest.json "
		"go (default: ./output)\n"
		"  -w, --workspace DIR        unpacked packages, build copies "
		"and logs\n"
		"                             (default: ./workspace)\n"
		"  -j, --jobs N               build N kernels at once "
		"(default: 1)\n"
		"  -f, --kernel-filter REGEX  only kernel releases matching "
		"REGEX (POSIX extended)\n"
		"      --ignore-list FILE     releases to skip, one per line "
		"(shell globs, # comments)\n"
		"      --nearest-compiler     when the compiler a kernel was "
		"built with is missing,\n"
		"                             use the installed one nearest "
		"in version\n"
		"      --clang PATH           clang for eBPF objects (default: "
		"$CLANG or clang)\n"
		"      --llc PATH             llc for eBPF objects (default: "
		"$LLC or llc)\n"
		"      --from-json FILE       build the kernels listed in FILE "
		"(crawl --json)\n"
		"      --max-unpacked-size SIZE  fail a kernel whose packages "
		"unpack to more than\n"
		"                             SIZE bytes (K, M, G suffixes; "
		"default: 4G)\n"
		"      --wait-lock            wait for another run using the "
		"workspace to end\n"
		"                             (default: fail at once, naming "
		"it)\n"
		"      --sign-key KEY         sign manifest.json with this PEM "
		"ed25519 private key\n"
		"                             (manifest.json.sig, detached, "
		"for newswatch's probe_pubkey)\n"
		"\nWithout PACKAGE files (packages are cached in the "
		"workspace):\n" PB_CRAWL_HELP "\n" PB_COMMON_HELP
		"\nOutputs are named "
		"<probe>-<version>-<arch>-<release>-<md5 of the kernel "
		"config>.ko\nand "
		"<probe>-bpf-<version>-<arch>-<release>-<md5>.o; "
		"an output already there is\nEXISTING and not rebuilt. One run "
		"at a time uses a workspace (it is locked);\nseveral runs, on "
		"several machines, may share an output dir.\n\nExit "
		"status: 0 when every kernel is BUILT, EXISTING or\nSKIPPED, 1 "
		"when one FAILED or on an error, 2 on bad usage, 3 when every "
		"kernel\nbuilt but the crawl was partial (--allow-partial), "
		"130 "
		"or 143 when stopped by\nSIGINT or SIGTERM (the kernels "
		"finished by then are in the manifest).\n");
}

struct pkg_list {
	char **paths;
	size_t n;
};

static int pkg_add(struct pkg_list *l, const char *path)
{
	char **g = realloc(l->paths, (l->n + 1) * sizeof(*g));

	if (!g)
		return -ENOMEM;
	l->paths = g;
	l->paths[l->n] = strdup(path);
	if (!l->paths[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_base(const void *a, const void *b)
{
	int c = strcmp(pb_basename(*(char *const *)a),
		       pb_basename(*(char *const *)b));

	return c ? c : strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory argument stands for its .deb and .rpm files. */
static int expand_arg(struct pkg_list *l, const char *arg)
{
	struct dirent *de;
	size_t first = l->n;
	DIR *d;

	if (!pb_is_dir(arg)) {
		if (access(arg, R_OK) < 0) {
			pb_error("%s: %s", arg, strerror(errno));
			return -errno;
		}
		return pkg_add(l, arg);
	}
	d = opendir(arg);
	if (!d) {
		pb_error("%s: %s", arg, strerror(errno));
		return -errno;
	}
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char path[PATH_MAX];

		if (n < 5 || de->d_name[0] == '.' ||
		    (strcmp(de->d_name + n - 4, ".deb") &&
		     strcmp(de->d_name + n - 4, ".rpm")))
			continue;
		snprintf(path, sizeof(path), "%s/%s", arg, de->d_name);
		if (pkg_add(l, path) < 0) {
			closedir(d);
			return -ENOMEM;
		}
	}
	closedir(d);
	qsort(l->paths + first, l->n - first, sizeof(*l->paths), cmp_str);
	if (l->n == first)
		pb_warn("%s: no .deb or .rpm file in this directory", arg);
	return 0;
}

struct ignore_list {
	char **globs;
	size_t n;
};

static int load_ignore(const char *file, struct ignore_list *ig)
{
	char line[1024];
	FILE *f = fopen(file, "r");

	if (!f) {
		pb_error("--ignore-list %s: %s", file, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *e, **g;

		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strcspn(s, "#\r\n");
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		*e = '\0';
		if (!*s)
			continue;
		g = realloc(ig->globs, (ig->n + 1) * sizeof(*g));
		if (!g)
			break;
		ig->globs = g;
		ig->globs[ig->n] = strdup(s);
		if (ig->globs[ig->n])
			ig->n++;
	}
	fclose(f);
	return 0;
}

static const char *ignored_by(const struct ignore_list *ig, const char *rel)
{
	size_t i;

	for (i = 0; i < ig->n; i++)
		if (fnmatch(ig->globs[i], rel, 0) == 0)
			return ig->globs[i];
	return NULL;
}

static int absolute(const char *path, char *out, size_t len, int create)
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
	(void)len;
	return 0;
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

	for (i = 0; i < PB_ARRAY_SIZE(ws); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", workspace, ws[i].sub);
		n += pb_clean_leftovers(dir, ws[i].depth);
	}
	if (n)
		pb_info("removed %d file%s left by an interrupted run", n,
			n == 1 ? "" : "s");
}

/* The manifest's read-merge-write, under the output dir's lock: runs that
 * share the dir (other workspaces, other machines) lose no entry. The
 * manifest read at the start is replaced by the one read under the lock. */
static int record(const char *output, json_object **manifest,
		  json_object *results, const char *run_time,
		  const char *sign_key, struct pb_lock *lock)
{
	char path[PATH_MAX];
	struct pb_err err = {0};
	json_object *fresh = NULL;
	int ret;

	snprintf(path, sizeof(path), "%s/.manifest.lock", output);
	/* short: another run holds it only for its own merge */
	do /* a second ^C must not lose what was built */
		ret = pb_lock_take(path, "the output dir's manifest", 1, lock,
				   &err);
	while (ret == -EINTR);
	if (ret < 0)
		goto out;
	ret = pb_manifest_load(output, &fresh, &err);
	if (ret < 0)
		goto out;
	json_object_put(*manifest);
	*manifest = fresh;
	ret = pb_manifest_update(output, *manifest, results, run_time, &err);
	/* signed under the lock: the signature is of the manifest as
	 * written, not of one another run wrote after it */
	if (!ret && sign_key)
		ret = pb_manifest_sign(output, sign_key, &err);
out:
	pb_lock_release(lock);
	if (ret < 0)
		pb_error("%s", err.msg);
	return ret;
}

/* The kernels among local package files, by their names. */
static int local_batch(const struct pb_build_opts *o, char **args, size_t n,
		       struct pkg_list *pkgs, struct pb_batch **out)
{
	struct pb_err err = {0};
	struct pb_batch *batch;
	size_t i;
	int ret;

	for (i = 0; i < n; i++)
		if (expand_arg(pkgs, args[i]) < 0)
			return -1;
	/* the same files in another order must give the same run */
	qsort(pkgs->paths, pkgs->n, sizeof(*pkgs->paths), cmp_base);
	batch = pb_batch_new();
	if (!batch)
		return -1;
	*out = batch;
	/* the plugin follows the packages' own Depends, as a crawl does */
	for (i = 0; i < pkgs->n; i++) {
		size_t bl = strlen(pkgs->paths[i]);
		char *deps = NULL;

		if (bl < 4 || strcmp(pkgs->paths[i] + bl - 4, ".deb"))
			continue;
		if (pb_deb_control_field(pkgs->paths[i], "Depends", &deps,
					 &err) < 0) {
			pb_warn("%s", err.msg);
			pb_err_clear(&err);
			continue;
		}
		ret = deps ? pb_batch_set_depends(batch, pkgs->paths[i], deps,
						  &err)
			   : 0;
		free(deps);
		if (ret) {
			pb_error("%s", err.msg);
			return -1;
		}
	}
	ret = o->distro->builder->plugin->batch(
		batch, (const char *const *)pkgs->paths, pkgs->n, &err);
	if (ret) {
		pb_error("%s builder: %s", o->distro->builder->plugin->name,
			 err.msg);
		return -1;
	}
	for (i = 0; i < pb_batch_n_ignored(batch); i++) {
		const char *why;
		const char *p = pb_batch_ignored(batch, i, &why);

		pb_warn("ignored %s: %s", p, why);
	}
	if (pb_batch_n_releases(batch) == 0) {
		pb_error("no %s kernel release among the %zu package files",
			 o->distro->name, pkgs->n);
		return -1;
	}
	return 0;
}

int pb_cmd_build(int argc, char **argv)
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
		{"max-unpacked-size", required_argument, NULL,
		 OPT_MAX_UNPACKED},
		{"wait-lock", no_argument, NULL, OPT_WAIT_LOCK},
		{"sign-key", required_argument, NULL, OPT_SIGN_KEY},
		PB_CRAWL_LONG_OPTS,
		PB_COMMON_LONG_OPTS,
		{NULL, 0, NULL, 0}};
	struct pb_cli_common common = {0};
	struct pb_build_opts o = {.sz = sizeof(o), .jobs = 1};
	const char *distro = NULL, *source = NULL, *output = "output",
		   *workspace = "workspace", *filter = NULL,
		   *ignore_file = NULL, *from_json = NULL, *sign_key = NULL;
	char run_id[64], run_time[32];
	char source_abs[PATH_MAX], output_abs[PATH_MAX],
		workspace_abs[PATH_MAX], path[PATH_MAX + 16];
	struct ignore_list ignore = {0};
	struct pkg_list pkgs = {0};
	struct pb_registry reg;
	int have_reg = 0, have_re = 0, opt, rc = 2, ret, wait_lock = 0;
	struct pb_lock ws_lock = {.fd = -1}, out_lock = {.fd = -1};
	json_object *manifest = NULL, *results = NULL, *skipped = NULL;
	struct pb_batch *batch = NULL;
	struct pb_cli_crawl cc;
	struct pb_crawl crawl = {0};
	json_object *origins = NULL;
	struct pb_err err = {0};
	size_t *idx = NULL, n_idx = 0, i, n_filtered = 0;
	regex_t re;

	o.clang = getenv("CLANG") ? getenv("CLANG") : "clang";
	o.llc = getenv("LLC") ? getenv("LLC") : "llc";
	pb_cli_crawl_init(&cc);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "k:p:v:s:o:w:j:f:d:r:qh",
				  longopts, NULL)) != -1) {
		char *end;
		long n;
		int r;

		if (pb_cli_common_opt(&common, opt, optarg))
			continue;
		r = pb_cli_crawl_opt(&cc, opt, optarg);
		if (r < 0)
			goto out;
		if (r)
			continue;
		switch (opt) {
		case 'k':
			distro = optarg;
			break;
		case 'p':
			o.probe = optarg;
			break;
		case 'v':
			o.version = optarg;
			break;
		case 's':
			source = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'w':
			workspace = optarg;
			break;
		case 'j':
			n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 1024) {
				pb_error("build: -j wants a number from 1 to "
					 "1024, not '%s'",
					 optarg);
				goto out;
			}
			o.jobs = (unsigned)n;
			break;
		case 'f':
			filter = optarg;
			break;
		case OPT_IGNORE_LIST:
			ignore_file = optarg;
			break;
		case OPT_NEAREST:
			o.nearest_compiler = 1;
			break;
		case OPT_CLANG:
			o.clang = optarg;
			break;
		case OPT_LLC:
			o.llc = optarg;
			break;
		case OPT_FROM_JSON:
			from_json = optarg;
			break;
		case OPT_MAX_UNPACKED:
			if (parse_size(optarg, &o.max_unpacked) < 0) {
				fprintf(stderr,
					"probe-builder build: "
					"--max-unpacked-size wants a size "
					"above 0 (K, M, G suffixes), not "
					"'%s'\n",
					optarg);
				goto out;
			}
			break;
		case OPT_WAIT_LOCK:
			wait_lock = 1;
			break;
		case OPT_SIGN_KEY:
			sign_key = optarg;
			break;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		default:
			fprintf(stderr, "Try 'probe-builder build --help'.\n");
			goto out;
		}
	}
	if (!distro || !o.probe || !o.version || !source) {
		pb_error("build: -k, -p, -v and -s are required");
		fprintf(stderr, "Try 'probe-builder build --help'.\n");
		goto out;
	}
	if (optind < argc && from_json) {
		pb_error("build: PACKAGE files or --from-json, not both");
		goto out;
	}
	if (!pb_name_part_ok(o.probe) || !pb_name_part_ok(o.version)) {
		pb_error("build: the probe name and version go into file "
			 "names: no '/', not empty");
		goto out;
	}
	if (filter) {
		if (pb_cli_regex("build", filter, &re) < 0)
			goto out;
		have_re = 1;
	}
	o.verbose = common.verbose;
	o.progress = isatty(2) && !common.quiet;
	o.on_progress = pb_progress_build;
	rc = 1;
	if (pb_cli_registry(&common, &reg) < 0)
		goto out;
	have_reg = 1;
	o.distro = pb_registry_find(&reg, distro);
	if (!o.distro || !o.distro->builder) {
		pb_error("unknown distro '%s' (`probe-builder plugins` lists "
			 "the ones found)",
			 distro);
		rc = 2; /* bad usage */
		goto out;
	}
	/* from here an interrupt stops the run cleanly: the kernels built
	 * are recorded, the workers stopped, the exit status 128+signal */
	if (pb_signals_install(&err) < 0) {
		pb_error("%s", err.msg);
		goto out;
	}
	if (ignore_file && load_ignore(ignore_file, &ignore) < 0)
		goto out;
	/* a key that cannot sign is found before anything is built */
	if (sign_key && pb_sign_key_check(sign_key, &err) < 0) {
		pb_error("--sign-key %s", err.msg);
		goto out;
	}
	if (!pb_is_dir(source)) {
		pb_error("-s %s: not a directory", source);
		goto out;
	}
	if (absolute(source, source_abs, sizeof(source_abs), 0) < 0 ||
	    absolute(output, output_abs, sizeof(output_abs), 1) < 0 ||
	    absolute(workspace, workspace_abs, sizeof(workspace_abs), 1) < 0)
		goto out;
	o.source_dir = source_abs;
	o.output_dir = output_abs;
	o.workspace = workspace_abs;
	/* before any download or build: a read-only output dir is said
	 * now, not after an hour of work */
	if (pb_dir_writable(output_abs, "the output dir", &err) < 0) {
		pb_error("%s", err.msg);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/.lock", workspace_abs);
	if (pb_lock_take(path, "the workspace", wait_lock, &ws_lock, &err) <
	    0) {
		pb_error("%s%s", err.msg,
			 err.code == -EWOULDBLOCK ? " (--wait-lock waits)"
						  : "");
		goto stopped;
	}
	clean_leftovers(workspace_abs, output_abs);
	snprintf(path, sizeof(path), "%s/Makefile", source_abs);
	o.want_kmod = pb_is_file(path);
	snprintf(path, sizeof(path), "%s/Kbuild", source_abs);
	o.want_kmod = o.want_kmod || pb_is_file(path);
	snprintf(path, sizeof(path), "%s/bpf/Makefile", source_abs);
	o.want_ebpf = pb_is_file(path);
	if (!o.want_kmod && !o.want_ebpf) {
		pb_error("%s: no Makefile or Kbuild for a module and no "
			 "bpf/Makefile for an eBPF object: nothing to build",
			 source_abs);
		goto out;
	}
	if (pb_manifest_load(output_abs, &manifest, &err) < 0) {
		pb_error("%s", err.msg);
		goto out;
	}
	o.manifest = manifest;
	{
		/* the run's id names its logs: a later run keeps them */
		time_t t = time(NULL);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(run_time, sizeof(run_time), "%Y-%m-%dT%H:%M:%SZ", &tm);
		strftime(run_id, sizeof(run_id), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(run_id + strlen(run_id),
			 sizeof(run_id) - strlen(run_id), "-%ld",
			 (long)getpid());
		o.run_id = run_id;
		o.run_time = run_time;
	}
	if (optind < argc) {
		if (local_batch(&o, argv + optind, (size_t)(argc - optind),
				&pkgs, &batch) < 0)
			goto out;
	} else {
		/* every kernel of the distro: crawled, or listed in a file
		 * from `probe-builder crawl --json` */
		if (from_json) {
			json_object *j = json_object_from_file(from_json);

			if (!j) {
				pb_error("--from-json %s: %s", from_json,
					 json_util_get_last_err()
						 ? json_util_get_last_err()
						 : "not JSON");
				goto out;
			}
			ret = pb_crawl_from_json(j, from_json, &crawl, &err);
			json_object_put(j);
			if (ret) {
				pb_error("%s", err.msg);
				goto out;
			}
			if (crawl.distro[0] && strcmp(crawl.distro, distro)) {
				pb_error("--from-json %s lists %s kernels, not "
					 "%s ones",
					 from_json, crawl.distro, distro);
				goto out;
			}
		} else if (pb_cli_crawl_run(&cc, o.distro, have_re ? &re : NULL,
					    workspace_abs, common.quiet,
					    &crawl) < 0) {
			goto stopped;
		}
		/* -f, --arch and --ignore-list before anything is
		 * downloaded: a kernel left out costs no byte */
		n_filtered =
			pb_crawl_select(&crawl, have_re ? &re : NULL, cc.arch);
		for (i = 0; i < crawl.n_kernels; i++)
			if (ignored_by(&ignore, crawl.kernels[i].release))
				pb_crawl_drop_packages(&crawl.kernels[i]);
		batch = pb_batch_new();
		origins = json_object_new_object();
		if (!batch || !origins)
			goto out;
		if (!pb_cli_fetcher(&cc, common.quiet))
			goto out;
		if (pb_crawl_download(&crawl, workspace_abs, cc.fetcher, batch,
				      origins, &err) < 0) {
			pb_error("%s", err.msg);
			goto stopped;
		}
		if (pb_stop_signal)
			goto stopped;
		o.origins = origins;
		if (pb_batch_n_releases(batch) == 0) {
			pb_error("the crawl found no %s kernel", distro);
			goto out;
		}
	}
	idx = calloc(pb_batch_n_releases(batch), sizeof(*idx));
	skipped = json_object_new_array();
	if (!idx || !skipped)
		goto out;
	for (i = 0; i < pb_batch_n_releases(batch); i++) {
		const char *rel = pb_batch_release(batch, i), *glob;

		/* (local files: crawled kernels were selected already) */
		if (have_re && regexec(&re, rel, 0, NULL, 0) != 0) {
			n_filtered++;
			continue;
		}
		glob = ignored_by(&ignore, rel);
		if (glob) {
			char why[1200];

			snprintf(why, sizeof(why), "in the ignore list (%s)",
				 glob);
			json_object_array_add(
				skipped, pb_entry_skipped(&o, batch, i, why));
			continue;
		}
		idx[n_idx++] = i;
	}
	if (n_filtered)
		pb_info("%zu kernel%s left out by -f '%s'%s%s", n_filtered,
			n_filtered == 1 ? "" : "s", filter ? filter : "",
			optind < argc ? "" : " or --arch ",
			optind < argc ? "" : cc.arch);
	if (n_idx + json_object_array_length(skipped) == 0) {
		pb_error("no kernel release matches -f '%s'", filter);
		goto out;
	}
	pb_info("building %s %s for %zu %s kernel%s, %u at a time", o.probe,
		o.version, n_idx, distro, n_idx == 1 ? "" : "s", o.jobs);
	results = pb_build_all(&o, batch, idx, n_idx);
	if (!results)
		goto out;
	for (i = 0; i < json_object_array_length(skipped); i++)
		json_object_array_add(
			results,
			json_object_get(json_object_array_get_idx(skipped, i)));
	if (record(output_abs, &manifest, results, run_time, sign_key,
		   &out_lock) < 0) {
		rc = 1;
		pb_summary_print(stdout, results);
		goto out;
	}
	if (pb_stop_signal) {
		size_t built = json_object_array_length(results) -
			       json_object_array_length(skipped);

		pb_summary_print(stdout, results);
		fflush(stdout);
		pb_error("interrupted: %zu built, %zu not started", built,
			 n_idx - built);
		rc = 128 + pb_stop_signal;
		goto out;
	}
	rc = pb_summary_print(stdout, results) ? 1 : crawl.n_missed ? 3 : 0;
	if (crawl.n_missed)
		pb_warn("the crawl was partial (--allow-partial): %zu "
			"repositor%s missed",
			crawl.n_missed, crawl.n_missed == 1 ? "y" : "ies");
	pb_info("outputs in %s, manifest %s/manifest.json", output_abs,
		output_abs);
	goto out;
stopped:
	if (pb_stop_signal && rc == 1) {
		/* stopped before any kernel was built */
		pb_error("interrupted: 0 built, %zu not started",
			 batch ? pb_batch_n_releases(batch) : (size_t)0);
		rc = 128 + pb_stop_signal;
	}
out:
	pb_lock_release(&out_lock);
	pb_lock_release(&ws_lock);
	if (have_re)
		regfree(&re);
	for (i = 0; i < ignore.n; i++)
		free(ignore.globs[i]);
	free(ignore.globs);
	for (i = 0; i < pkgs.n; i++)
		free(pkgs.paths[i]);
	free(pkgs.paths);
	free(idx);
	pb_crawl_free(&crawl);
	pb_cli_crawl_free(&cc);
	json_object_put(origins);
	json_object_put(results);
	json_object_put(skipped);
	json_object_put(manifest);
	pb_batch_free(batch);
	if (have_reg)
		pb_registry_free(&reg);
	pb_cli_common_free(&common);
	return rc;
}
