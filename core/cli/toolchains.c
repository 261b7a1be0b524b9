#include "config.h"

/* `probe-builder toolchains list|make NAME|remove NAME`, and the toolchain
 * options `build` shares: where definitions are found, where environments
 * are kept. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build/toolchain_env.h"
#include "cli/cli.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"
#include "util/fs.h"
#include "util/path.h"

int pb_cli_toolchain_defs(const struct pb_registry *reg,
			  struct pb_tc_defs *defs)
{
	struct pb_err err = {0};
	const char **dirs;
	size_t i;
	int ret;

	dirs = pb_calloc(reg->n_dirs + 1, sizeof(*dirs), &err);
	if (!dirs) {
		pb_error("%s", err.msg);
		return -ENOMEM;
	}
	for (i = 0; i < reg->n_dirs; i++)
		dirs[i] = reg->dirs[i];
	dirs[i] = PB_TOOLCHAINDIR;
	ret = pb_tc_defs_load(defs, dirs, reg->n_dirs + 1, &err);
	free(dirs);
	if (ret)
		pb_error("%s", err.msg);
	return ret;
}

int pb_cli_toolchain_opt(struct pb_cli_toolchain *t, int opt, const char *arg)
{
	if (opt == PB_OPT_TOOLCHAIN_DIR)
		t->dir = arg;
	else if (opt == PB_OPT_TOOLCHAIN_MIRROR)
		t->mirror = arg;
	else
		return 0;
	return 1;
}

int pb_cli_toolchain_dir(struct pb_cli_toolchain *t)
{
	struct pb_err err = {0};
	const char *given = t->dir;
	char dflt[PATH_MAX];

	if (!given) {
		if (pb_tcenv_default_dir(dflt, sizeof(dflt), &err) < 0) {
			pb_error("%s", err.msg);
			return -1;
		}
		given = dflt;
	}
	if (pb_mkdir_p(given, &err) < 0) {
		pb_error("--toolchain-dir: %s", err.msg);
		return -1;
	}
	if (!realpath(given, t->dir_abs)) {
		pb_error("--toolchain-dir %s: %s", given, strerror(errno));
		return -1;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: probe-builder toolchains [OPTION]... list\n"
		"       probe-builder toolchains [OPTION]... make NAME...\n"
		"       probe-builder toolchains [OPTION]... remove NAME...\n"
		"Builder environments: roots made from a distribution's "
		"packages (mmdebstrap)\nthat hold the compiler a kernel was "
		"built with, when the host lacks it.\n`build` makes the ones "
		"it needs; these commands list, make and remove them.\n\n"
		"  list     every definition (*.toolchain), what it "
		"provides, whether it is made\n"
		"  make     make these environments now\n"
		"  remove   remove these environments\n\n" PB_TOOLCHAIN_HELP
		"\n" PB_COMMON_HELP);
}

static void print_env(const struct pb_tcenv *e)
{
	printf("  made %s in %.0f s, %.0f MB, glibc %d.%d, packages "
	       "SHA-256 %s\n  in %s\n",
	       e->made_at, e->seconds, e->bytes / 1e6, e->glibc_major,
	       e->glibc_minor, e->packages_sha256, e->dir);
}

static int cmd_list(const struct pb_tc_defs *defs, const char *dir)
{
	struct pb_tcenv *envs = NULL;
	struct pb_err err = {0};
	size_t i, j, n = 0;

	if (pb_tcenv_list(dir, &envs, &n, &err) < 0) {
		pb_error("%s", err.msg);
		return 1;
	}
	for (i = 0; i < defs->n; i++) {
		const struct pb_tc_def *d = &defs->defs[i];
		char prov[128] = "";

		for (j = 0; j < d->n_provides; j++)
			snprintf(prov + strlen(prov),
				 sizeof(prov) - strlen(prov), "%s%s-%d",
				 j ? " " : "", d->provides[j].family,
				 d->provides[j].major);
		for (j = 0; j < n && strcmp(envs[j].name, d->name); j++)
			;
		printf("%-24s %-10s %s  (%s)\n", d->name, prov,
		       j < n ? "made" : "not made", d->source);
		if (j < n)
			print_env(&envs[j]);
	}
	for (j = 0; j < n; j++)
		if (!pb_tc_defs_find(defs, envs[j].name)) {
			printf("%-24s %-10s made, no definition found\n",
			       envs[j].name, "");
			print_env(&envs[j]);
		}
	free(envs);
	return 0;
}

static int cmd_make(const struct pb_tc_defs *defs, const char *dir,
		    const char *mirror, char **names, int n)
{
	struct pb_err err = {0};
	struct pb_tcenv env;
	int i, made, rc = 0;

	for (i = 0; i < n; i++) {
		const struct pb_tc_def *d = pb_tc_defs_find(defs, names[i]);

		if (!d) {
			pb_error("toolchains make: no definition named '%s' "
				 "(see probe-builder toolchains list)",
				 names[i]);
			rc = 1;
			continue;
		}
		if (pb_tcenv_make(dir, d, mirror,
				  getenv("PROBE_BUILDER_ETC_APT"), &env, &made,
				  &err) < 0) {
			pb_error("%s", err.msg);
			rc = 1;
			continue;
		}
		printf("%s: %s %s\n", env.name, made ? "made" : "already made",
		       env.dir);
	}
	return rc;
}

static int cmd_remove(const char *dir, char **names, int n)
{
	struct pb_err err = {0};
	int i, rc = 0;

	for (i = 0; i < n; i++) {
		if (pb_tcenv_remove(dir, names[i], &err) < 0) {
			pb_error("toolchains remove: %s", err.msg);
			rc = 1;
		} else {
			printf("%s: removed\n", names[i]);
		}
	}
	return rc;
}

/* The command's arguments: its options, the subcommand, the names. */
static int parse(int argc, char **argv, struct pb_cli_common *common,
		 struct pb_cli_toolchain *t)
{
	static const struct option longopts[] = {PB_TOOLCHAIN_LONG_OPTS,
						 PB_COMMON_LONG_OPTS,
						 {NULL, 0, NULL, 0}};
	int opt, r;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+qh", longopts, NULL)) != -1) {
		r = pb_cli_common_opt(common, opt, optarg);
		if (r > 0 || (!r && pb_cli_toolchain_opt(t, opt, optarg)))
			continue;
		if (!r && opt == 'h') {
			usage(stdout);
			return -1;
		}
		if (!r)
			usage(stderr);
		return 2;
	}
	if (optind >= argc ||
	    (strcmp(argv[optind], "list") && strcmp(argv[optind], "make") &&
	     strcmp(argv[optind], "remove"))) {
		pb_error("toolchains: list, make NAME... or remove NAME...");
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[optind], "list") ? optind + 1 != argc
					  : optind + 1 >= argc) {
		pb_error("toolchains %s: %s", argv[optind],
			 strcmp(argv[optind], "list") ? "which ones?"
						      : "takes no argument");
		return 2;
	}
	return 0;
}

static int run(const char *sub, char **names, int n,
	       const struct pb_cli_common *common, struct pb_cli_toolchain *t)
{
	struct pb_registry reg;
	struct pb_tc_defs defs;
	int rc;

	if (pb_cli_toolchain_dir(t) < 0)
		return 1;
	if (!strcmp(sub, "remove"))
		return cmd_remove(t->dir_abs, names, n);
	if (pb_cli_registry(common, &reg) < 0)
		return 1;
	if (pb_cli_toolchain_defs(&reg, &defs) < 0) {
		pb_registry_free(&reg);
		return 1;
	}
	rc = !strcmp(sub, "list")
		     ? cmd_list(&defs, t->dir_abs)
		     : cmd_make(&defs, t->dir_abs, t->mirror, names, n);
	pb_tc_defs_free(&defs);
	pb_registry_free(&reg);
	return rc;
}

int pb_cmd_toolchains(int argc, char **argv)
{
	struct pb_cli_common common = {0};
	struct pb_cli_toolchain t = {0};
	int rc;

	rc = parse(argc, argv, &common, &t);
	if (!rc)
		rc = run(argv[optind], argv + optind + 1, argc - optind - 1,
			 &common, &t);
	pb_cli_common_free(&common);
	return rc < 0 ? 0 : rc;
}
