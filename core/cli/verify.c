#include "config.h"

/* `probe-builder verify`: boot each kernel of an output dir under QEMU and
 * load its probes there (core/verify). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "net/fetch.h"
#include "output/manifest.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/runctl.h"
#include "verify/run.h"

enum {
	OPT_ACCEL = PB_OPT_FIRST_FREE,
	OPT_MEM,
	OPT_TIMEOUT,
	OPT_AGENT,
	OPT_REPORT,
	OPT_REQUIRED,
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: probe-builder verify -o DIR [OPTION]...\n"
		"Boot each kernel whose probes are in the output dir DIR "
		"under QEMU, with an\ninitramfs of ours: insert the module "
		"(then remove it), load every program\nof the eBPF object "
		"through that kernel's verifier and attach those whose "
		"section\nsays how. The results go into DIR/manifest.json "
		"(\"verify\" of each kernel).\nThe kernel comes from its "
		"image package, as the manifest records it: a local\nfile, "
		"or the workspace's download cache, where one that is not "
		"there (a build\nread only its config) is fetched first from "
		"the URL the manifest gives, and\nchecked against its "
		"SHA-256.\n\n"
		"  -o, --output-dir DIR       the output dir of a build "
		"(required)\n"
		"  -w, --workspace DIR        its workspace: the download "
		"cache, and where the VMs'\n"
		"                             files go (default: ./workspace)\n"
		"  -j, --jobs N               N machines at once (default: 1)\n"
		"  -f, --kernel-filter REGEX  only kernel releases matching "
		"REGEX\n"
		"  -s, --source-dir DIR       the probe's source: its verify/"
		"smoke.sh runs in each\n"
		"                             machine after the loads, under "
		"a static busybox\n"
		"                             ($PROBE_BUILDER_BUSYBOX, else "
		"/bin/busybox), with the\n"
		"                             module in, PB_BPF, PB_OUT and "
		"PB_VERIFY set\n"
		"      --accel tcg|kvm        QEMU's accelerator (default: "
		"tcg; "
		"kvm where /dev/kvm\n"
		"                             runs guests)\n"
		"      --vm-memory MB         each machine's memory (default: "
		"512)\n"
		"      --vm-timeout SECONDS   a machine still running then is "
		"stopped and its\n"
		"                             outputs REFUSED (default: 120)\n"
		"      --agent PATH           the in-VM agent (default: "
		"$PROBE_BUILDER_AGENT, else\n"
		"                             " PB_AGENTPATH ")\n"
		"      --report               exit 0 even when an output was "
		"REFUSED\n"
		"      --required             a kernel that could not be "
		"booted "
		"(SKIPPED) fails\n"
		"                             the run too\n" PB_COMMON_HELP
		"\nExit status: 0 when every output LOADED (or was SKIPPED), "
		"1 when one was\nREFUSED or on an error, 2 on bad usage.\n");
}

struct verify_cmd {
	struct pb_cli_common common;
	struct pb_verify_run_opts o;
	const char *output, *workspace, *filter, *source;
	char out_abs[PATH_MAX], ws_abs[PATH_MAX], src_abs[PATH_MAX];
	int report, required;
};

static int number(const char *what, const char *arg, unsigned max,
		  unsigned *out)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (*end || n < 1 || (unsigned long)n > max) {
		pb_error("verify: %s wants a number from 1 to %u, not '%s'",
			 what, max, arg);
		return 2;
	}
	*out = (unsigned)n;
	return 0;
}

static int verify_opt(struct verify_cmd *c, int opt, const char *arg)
{
	switch (opt) {
	case 'o':
		c->output = arg;
		return 0;
	case 'w':
		c->workspace = arg;
		return 0;
	case 'f':
		c->filter = arg;
		return 0;
	case 's':
		c->source = arg;
		return 0;
	case 'j':
		return number("-j", arg, 64, &c->o.jobs);
	case OPT_MEM:
		return number("--vm-memory", arg, 65536, &c->o.mem_mb);
	case OPT_TIMEOUT:
		return number("--vm-timeout", arg, 86400, &c->o.timeout_s);
	case OPT_ACCEL:
		if (strcmp(arg, "tcg") && strcmp(arg, "kvm")) {
			pb_error("verify: --accel wants tcg or kvm, not '%s'",
				 arg);
			return 2;
		}
		c->o.accel = arg;
		return 0;
	case OPT_AGENT:
		c->o.agent = arg;
		return 0;
	case OPT_REPORT:
		c->report = 1;
		return 0;
	case OPT_REQUIRED:
		c->required = 1;
		return 0;
	case 'h':
		usage(stdout);
		return -1;
	default:
		fprintf(stderr, "Try 'probe-builder verify --help'.\n");
		return 2;
	}
}

static int verify_args(int argc, char **argv, struct verify_cmd *c)
{
	static const struct option longopts[] = {
		{"output-dir", required_argument, NULL, 'o'},
		{"workspace", required_argument, NULL, 'w'},
		{"jobs", required_argument, NULL, 'j'},
		{"kernel-filter", required_argument, NULL, 'f'},
		{"source-dir", required_argument, NULL, 's'},
		{"accel", required_argument, NULL, OPT_ACCEL},
		{"vm-memory", required_argument, NULL, OPT_MEM},
		{"vm-timeout", required_argument, NULL, OPT_TIMEOUT},
		{"agent", required_argument, NULL, OPT_AGENT},
		{"report", no_argument, NULL, OPT_REPORT},
		{"required", no_argument, NULL, OPT_REQUIRED},
		PB_COMMON_LONG_OPTS,
		{NULL, 0, NULL, 0}};
	int opt, r;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:w:j:f:s:qh", longopts,
				  NULL)) != -1) {
		r = pb_cli_common_opt(&c->common, opt, optarg);
		if (r < 0)
			return 2;
		if (!r && (r = verify_opt(c, opt, optarg)) != 0)
			return r;
	}
	if (!c->output) {
		pb_error("verify: -o is required");
		return 2;
	}
	if (optind < argc) {
		pb_error("verify: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	return 0;
}

static int verify_main(struct verify_cmd *c, const regex_t *re)
{
	struct pb_fetch_opts fo = PB_FETCH_OPTS_INIT;
	struct pb_err err = {0};
	struct pb_registry reg;
	int rc;

	if (!realpath(c->output, c->out_abs)) {
		pb_error("-o %s: %s", c->output, strerror(errno));
		return 1;
	}
	if (pb_mkdir_p(c->workspace, &err) < 0 ||
	    !realpath(c->workspace, c->ws_abs)) {
		pb_error("-w %s: %s", c->workspace,
			 err.code ? err.msg : strerror(errno));
		return 1;
	}
	if (c->source && !realpath(c->source, c->src_abs)) {
		pb_error("-s %s: %s", c->source, strerror(errno));
		return 1;
	}
	c->o.output_dir = c->out_abs;
	c->o.workspace = c->ws_abs;
	c->o.filter = re;
	c->o.source_dir = c->source ? c->src_abs : NULL;
	c->o.busybox = pb_cli_busybox_path();
	if (pb_signals_install(&err) < 0) {
		pb_error("%s", err.msg);
		return 1;
	}
	if (pb_cli_registry(&c->common, &reg) < 0)
		return 1;
	c->o.reg = &reg;
	fo.stop = &pb_stop_signal;
	fo.quiet = c->common.quiet;
	c->o.fetcher = pb_fetcher_new(&fo, &err);
	if (!c->o.fetcher)
		pb_warn("%s: images not in the workspace are not fetched",
			err.msg);
	rc = pb_cli_verify_run(&c->o, c->report, c->required);
	pb_fetcher_free(c->o.fetcher);
	pb_registry_free(&reg);
	return rc;
}

int pb_cli_verify_run(const struct pb_verify_run_opts *o, int report,
		      int required)
{
	struct pb_verify_counts n;
	struct pb_err err = {0};

	if (access(o->agent, X_OK) < 0) {
		pb_error("the in-VM agent %s: %s (build it, or give --agent)",
			 o->agent, strerror(errno));
		return 1;
	}
	if (pb_verify_run(o, &n, &err) < 0) {
		pb_error("%s", err.msg);
		return 1;
	}
	printf("\n%zu kernel%s verified: %zu loaded, %zu refused, %zu "
	       "skipped\n",
	       n.kernels, n.kernels == 1 ? "" : "s", n.loaded, n.refused,
	       n.skipped);
	if (pb_stop_signal)
		return 128 + pb_stop_signal;
	if ((n.refused && !report) || (n.skipped && required))
		return 1;
	return 0;
}

const char *pb_cli_busybox_path(void)
{
	const char *b = getenv("PROBE_BUILDER_BUSYBOX");

	/* Debian's busybox-static: the initramfs has no libc for another */
	return b && *b ? b : "/bin/busybox";
}

const char *pb_cli_agent_path(void)
{
	return getenv("PROBE_BUILDER_AGENT") ? getenv("PROBE_BUILDER_AGENT")
					     : PB_AGENTPATH;
}

int pb_cmd_verify(int argc, char **argv)
{
	struct verify_cmd c = {.workspace = "workspace"};
	regex_t re;
	int rc;

	c.o.sz = sizeof(c.o);
	c.o.jobs = 1;
	c.o.accel = "tcg";
	c.o.agent = pb_cli_agent_path();
	rc = verify_args(argc, argv, &c);
	if (rc == 0 && c.filter && pb_cli_regex("verify", c.filter, &re) < 0)
		rc = 2;
	else if (rc == 0) {
		rc = verify_main(&c, c.filter ? &re : NULL);
		if (c.filter)
			regfree(&re);
	}
	pb_cli_common_free(&c.common);
	return rc < 0 ? 0 : rc;
}

/* What verify said of result r, as the summary shows it. */
static void verify_cell(json_object *m, struct pb_release_result *r)
{
	static const char *const which[] = {"kmod", "ebpf", "smoke"};
	json_object *key = pb_result_to_json(r), *e, *v, *o, *st;
	char cell[64] = "";
	size_t i;

	e = key ? pb_manifest_find(m, key) : NULL;
	json_object_put(key);
	if (!e || !json_object_object_get_ex(e, "verify", &v))
		return;
	for (i = 0; i < 3; i++)
		snprintf(cell + strlen(cell), sizeof(cell) - strlen(cell),
			 "%s%s", i ? "/" : "",
			 json_object_object_get_ex(v, which[i], &o) &&
					 json_object_object_get_ex(o, "status",
								   &st)
				 ? json_object_get_string(st)
				 : "-");
	pb_result_str(&r->verify_cell, cell, NULL);
}

/* build --verify, before the summary: the kernels of this run that have
 * outputs, booted; the summary shows what it said (a VERIFY column).
 * The exit status is verify's. */
int pb_cli_verify_built(const struct pb_build_opts *b, int mode,
			struct pb_results *rs, const struct pb_registry *reg)
{
	struct pb_verify_run_opts v = {.sz = sizeof(v)};
	struct pb_err err = {0};
	json_object *m = NULL;
	const char **rels;
	size_t i, n = 0;
	int vrc;

	rels = pb_calloc(rs->n + 1, sizeof(*rels), &err);
	if (!rels) {
		pb_error("%s", err.msg);
		return 1;
	}
	for (i = 0; i < rs->n; i++)
		if (rs->r[i].release && rs->r[i].status != PB_STATUS_SKIPPED)
			rels[n++] = rs->r[i].release;
	v.output_dir = b->output_dir;
	v.workspace = b->workspace;
	v.agent = pb_cli_agent_path();
	v.accel = "tcg";
	v.jobs = b->jobs;
	v.probe = b->probe;
	v.probe_version = b->version;
	v.releases = rels;
	v.n_releases = n;
	v.source_dir = b->source_dir;
	v.busybox = pb_cli_busybox_path();
	v.reg = reg;
	v.no_table = 1;
	pb_info("verifying %zu kernel%s under QEMU", n, n == 1 ? "" : "s");
	vrc = pb_cli_verify_run(&v, mode == 2, mode == 3);
	free(rels);
	if (pb_manifest_load(b->output_dir, &m, &err) == 0) {
		for (i = 0; i < rs->n; i++)
			verify_cell(m, &rs->r[i]);
		json_object_put(m);
	}
	return vrc;
}
