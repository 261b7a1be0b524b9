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
#include <unistd.h>

#include "build.h"
#include "cli.h"
#include "crawl.h"
#include "fsutil.h"
#include "manifest.h"
#include "manifest_sign.h"
#include "naming.h"
#include "probe-builder/log.h"
#include "probe-builder/pkgname.h"
#include "sign.h"
#include "summary.h"

enum {
	OPT_IGNORE_LIST = PB_OPT_FIRST_FREE,
	OPT_NEAREST,
	OPT_CLANG,
	OPT_LLC,
	OPT_FROM_JSON,
	OPT_SIGN_KEY,
};

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
		"an output already there is\nEXISTING and not rebuilt. Exit "
		"status: 0 when every kernel is BUILT, EXISTING or\nSKIPPED, 1 "
		"when one FAILED, 2 on bad usage.\n");
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
		{"sign-key", required_argument, NULL, OPT_SIGN_KEY},
		PB_CRAWL_LONG_OPTS,
		PB_COMMON_LONG_OPTS,
		{NULL, 0, NULL, 0}};
	struct pb_cli_common common = {0};
	struct pb_build_opts o = {.sz = sizeof(o), .jobs = 1};
	const char *distro = NULL, *source = NULL, *output = "output",
		   *workspace = "workspace", *filter = NULL,
		   *ignore_file = NULL, *from_json = NULL, *sign_key = NULL;
	char source_abs[PATH_MAX], output_abs[PATH_MAX],
		workspace_abs[PATH_MAX], path[PATH_MAX + 16];
	struct ignore_list ignore = {0};
	struct pkg_list pkgs = {0};
	struct pb_registry reg;
	int have_reg = 0, have_re = 0, opt, rc = 2, ret;
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
				fprintf(stderr,
					"probe-builder build: -j "
					"wants a number from 1 to "
					"1024, not '%s'\n",
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
		fprintf(stderr, "probe-builder build: -k, -p, -v and -s are "
				"required\nTry 'probe-builder build "
				"--help'.\n");
		goto out;
	}
	if (optind < argc && from_json) {
		fprintf(stderr, "probe-builder build: PACKAGE files or "
				"--from-json, not both\n");
		goto out;
	}
	if (!pb_name_part_ok(o.probe) || !pb_name_part_ok(o.version)) {
		fprintf(stderr, "probe-builder build: the probe name and "
				"version go into file names: no '/', not "
				"empty\n");
		goto out;
	}
	if (filter) {
		if (pb_cli_regex("build", filter, &re) < 0)
			goto out;
		have_re = 1;
	}
	o.verbose = common.verbose;
	o.progress = isatty(2) && !common.quiet;
	rc = 1;
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
	if (pb_cli_registry(&common, &reg) < 0)
		goto out;
	have_reg = 1;
	o.distro = pb_registry_find(&reg, distro);
	if (!o.distro || !o.distro->builder) {
		pb_error("unknown distro '%s' (`probe-builder plugins` lists "
			 "the ones found)",
			 distro);
		goto out;
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
			goto out;
		}
		batch = pb_batch_new();
		origins = json_object_new_object();
		if (!batch || !origins)
			goto out;
		cc.fetch.progress = isatty(2) && !common.quiet;
		cc.fetch.quiet = common.quiet;
		if (pb_crawl_download(&crawl, workspace_abs, &cc.fetch, batch,
				      origins, &err) < 0) {
			pb_error("%s", err.msg);
			goto out;
		}
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
		pb_info("%zu kernel release%s left out by -f '%s'", n_filtered,
			n_filtered == 1 ? "" : "s", filter);
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
	if (pb_manifest_update(output_abs, manifest, results, &err) < 0) {
		pb_error("%s", err.msg);
		rc = 1;
		pb_summary_print(stdout, results);
		goto out;
	}
	rc = pb_summary_print(stdout, results) ? 1 : crawl.n_missed ? 3 : 0;
	if (sign_key && pb_manifest_sign(output_abs, sign_key, &err) < 0) {
		pb_error("%s", err.msg);
		rc = 1;
	}
	if (crawl.n_missed)
		pb_warn("the crawl was partial (--allow-partial): %zu "
			"repositor%s missed",
			crawl.n_missed, crawl.n_missed == 1 ? "y" : "ies");
	pb_info("outputs in %s, manifest %s/manifest.json", output_abs,
		output_abs);
out:
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
