/* `probe-builder manifest merge DIR`: the shards' manifests of a plan
 * (build --shard) joined into DIR/manifest.json, with the run's summary:
 * built, existing, failed, missing, by shard. */
#include "config.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "output/manifest_sign.h"
#include "output/merge.h"
#include "probe-builder/log.h"
#include "util/path.h"
#include "util/runctl.h"

enum { OPT_SIGN_KEY = PB_OPT_FIRST_FREE };

static void usage(FILE *f)
{
	fprintf(f, "Usage: probe-builder manifest merge [OPTION]... DIR\n"
		   "Join the manifests the shards of a plan wrote (each build "
		   "of shard I of N\n"
		   "wrote DIR/manifest.d/I-of-N.json) into DIR/manifest.json, "
		   "keeping its entries\n"
		   "of other kernels and probes, and say what the run did: "
		   "built, existing,\n"
		   "skipped, failed and missing kernels, by shard. Merging "
		   "again, or after a shard\n"
		   "reran, gives the same file. Exit status: 0, or 1 when a "
		   "kernel failed or no\n"
		   "shard reported it (missing), or on an error.\n"
		   "\n"
		   "      --sign-key KEY  sign DIR/manifest.json with this PEM "
		   "ed25519 private key\n"
		   "                      (manifest.json.sig, as the build "
		   "command's option does)\n" PB_COMMON_HELP);
}

static void print_report(const struct pb_merge_report *r, const char *dir)
{
	size_t i;

	printf("plan %.12s: %zu kernel%s in %lu shard%s, %zu shard "
	       "manifest%s\n\n",
	       r->plan_id, r->n_plan, r->n_plan == 1 ? "" : "s", r->shards,
	       r->shards == 1 ? "" : "s", r->n_frags,
	       r->n_frags == 1 ? "" : "s");
	printf("%-8s %-28s %6s %9s %8s %7s\n", "SHARD", "MANIFEST", "BUILT",
	       "EXISTING", "SKIPPED", "FAILED");
	for (i = 0; i < r->n_frags; i++) {
		const struct pb_merge_shard *s = &r->frags[i];
		char name[32];

		snprintf(name, sizeof(name), "%lu/%lu", s->shard, s->shards);
		printf("%-8s %-28s %6zu %9zu %8zu %7zu\n", name, s->file,
		       s->n[PB_STATUS_BUILT], s->n[PB_STATUS_EXISTING],
		       s->n[PB_STATUS_SKIPPED], s->n[PB_STATUS_FAILED]);
	}
	for (i = 0; i < r->n_missing; i++) {
		char key[512], *a, *v;

		snprintf(key, sizeof(key), "%s", r->missing[i]);
		a = strchr(key, '\t');
		v = a ? strchr(a + 1, '\t') : NULL;
		if (a)
			*a++ = '\0';
		if (v)
			*v++ = '\0';
		printf("missing: %s (%s, %s): shard %lu of %lu never "
		       "reported it\n",
		       key, a ? a : "", v ? v : "", r->missing_shard[i],
		       r->shards);
	}
	printf("\n%zu kernel%s: %zu built, %zu existing, %zu skipped, %zu "
	       "failed, %zu missing; %s/manifest.json has %zu entr%s\n",
	       r->n_plan, r->n_plan == 1 ? "" : "s", r->n[PB_STATUS_BUILT],
	       r->n[PB_STATUS_EXISTING], r->n[PB_STATUS_SKIPPED],
	       r->n[PB_STATUS_FAILED], r->n_missing, dir, r->n_entries,
	       r->n_entries == 1 ? "y" : "ies");
}

static int merge(const char *dir, const char *sign_key)
{
	struct pb_merge_report rep = {0};
	struct pb_lock lock = {.fd = -1};
	struct pb_err err = {0};
	char path[PATH_MAX];
	int ret;

	/* as build does: one writer of manifest.json at a time */
	ret = pb_path_join(path, sizeof(path), &err, dir, ".manifest.lock",
			   NULL);
	if (!ret)
		ret = pb_lock_take(path, "the output dir's manifest", 1, &lock,
				   &err);
	if (!ret)
		ret = pb_manifest_merge(dir, &rep, &err);
	if (!ret && sign_key)
		ret = pb_manifest_sign(dir, sign_key, &err);
	pb_lock_release(&lock);
	if (ret) {
		pb_error("manifest merge: %s", err.msg);
		pb_merge_report_free(&rep);
		return 1;
	}
	print_report(&rep, dir);
	ret = rep.n[PB_STATUS_FAILED] || rep.n_missing ? 1 : 0;
	pb_merge_report_free(&rep);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		pb_error("manifest merge: cannot write the summary");
		return 1;
	}
	return ret;
}

int pb_cmd_manifest(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"sign-key", required_argument, NULL, OPT_SIGN_KEY},
		PB_COMMON_LONG_OPTS,
		{NULL, 0, NULL, 0}};
	struct pb_cli_common common = {0};
	const char *sign_key = NULL;
	int opt, r;

	if (argc < 2 || strcmp(argv[1], "merge") != 0) {
		if (argc >= 2 &&
		    (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			usage(stdout);
			return 0;
		}
		pb_error("manifest: the command is `manifest merge DIR`");
		usage(stderr);
		return 2;
	}
	optind = 1;
	argc--;
	argv++;
	while ((opt = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		r = pb_cli_common_opt(&common, opt, optarg);
		if (r > 0)
			continue;
		if (!r && opt == OPT_SIGN_KEY) {
			sign_key = optarg;
			continue;
		}
		if (!r && opt == 'h') {
			usage(stdout);
			pb_cli_common_free(&common);
			return 0;
		}
		if (!r)
			fprintf(stderr,
				"Try 'probe-builder manifest --help'.\n");
		pb_cli_common_free(&common);
		return 2;
	}
	pb_cli_common_free(&common);
	if (optind + 1 != argc) {
		pb_error("manifest merge: one DIR, the output dir the shards "
			 "wrote into");
		return 2;
	}
	return merge(argv[optind], sign_key);
}
