#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"

static int by_name(const void *a, const void *b)
{
	return strcmp((*(const struct pb_distro *const *)a)->name,
		      (*(const struct pb_distro *const *)b)->name);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: probe-builder plugins [OPTION]...\n"
		   "List every distro this probe-builder can build for, the "
		   "builder plugin that\nbuilds it, and the file it came "
		   "from.\n\n" PB_COMMON_HELP);
}

int pb_cmd_plugins(int argc, char **argv)
{
	static const struct option longopts[] = {PB_COMMON_LONG_OPTS,
						 {NULL, 0, NULL, 0}};
	struct pb_cli_common common = {0};
	const struct pb_distro **sorted;
	struct pb_registry reg;
	size_t i, wd = 6, wb = 7, n;
	struct pb_err err = {0};
	int opt, r;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		r = pb_cli_common_opt(&common, opt, optarg);
		if (r > 0)
			continue;
		if (!r && opt == 'h') {
			usage(stdout);
			pb_cli_common_free(&common);
			return 0;
		}
		if (!r)
			usage(stderr);
		pb_cli_common_free(&common);
		return 2;
	}
	if (optind < argc) {
		pb_error("plugins: unexpected argument '%s'", argv[optind]);
		pb_cli_common_free(&common);
		return 2;
	}
	if (pb_cli_registry(&common, &reg) < 0) {
		pb_cli_common_free(&common);
		return 1;
	}
	n = reg.n_distros;
	sorted = pb_calloc(n + 1, sizeof(*sorted), &err);
	if (!sorted) {
		pb_error("%s", err.msg);
		pb_registry_free(&reg);
		pb_cli_common_free(&common);
		return 1;
	}
	for (i = 0; i < n; i++)
		sorted[i] = &reg.distros[i];
	qsort(sorted, n, sizeof(*sorted), by_name);
	for (i = 0; i < reg.n_distros; i++) {
		if (strlen(reg.distros[i].name) > wd)
			wd = strlen(reg.distros[i].name);
		if (reg.distros[i].builder &&
		    strlen(reg.distros[i].builder->plugin->name) > wb)
			wb = strlen(reg.distros[i].builder->plugin->name);
	}
	printf("%-*s  %-*s  %s\n", (int)wd, "DISTRO", (int)wb, "BUILDER",
	       "SOURCE");
	for (i = 0; i < n; i++)
		printf("%-*s  %-*s  %s\n", (int)wd, sorted[i]->name, (int)wb,
		       sorted[i]->builder ? sorted[i]->builder->plugin->name
					  : "?",
		       sorted[i]->source);
	if (n == 0)
		pb_warn("no plugins found; see --plugin-dir in --help");
	free(sorted);
	pb_registry_free(&reg);
	pb_cli_common_free(&common);
	return n ? 0 : 1;
}
