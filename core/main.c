#include "config.h"

#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

#include "cli/cli.h"
#include "net/fetch.h"
#include "probe-builder/log.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: probe-builder COMMAND [OPTION]...\n"
		"Build kernel probes (a kernel module and an eBPF object) "
		"ahead of time for every\n"
		"kernel of a Linux distribution, from its kernel packages.\n\n"
		"Commands:\n"
		"  build     build a probe for the kernels in a set of "
		"package files, or for\n"
		"            every kernel of a distribution\n"
		"  crawl     list every kernel of a distribution and the "
		"packages it needs\n"
		"  plugins   list the distros, their builder plugin and where "
		"it came from\n"
		"  verify    boot each kernel of an output dir under QEMU and "
		"load its probes\n"
		"  toolchains  list, make and remove the builder environments "
		"(the compilers\n"
		"            kernels were built with, when the host lacks "
		"them)\n"
		"  manifest merge  join the manifests of a plan's shards "
		"(build --shard)\n\n"
		"  probe-builder COMMAND --help   the options of a command\n"
		"  probe-builder --version        the version\n");
}

int main(int argc, char **argv)
{
	struct pb_err err = {0};

	/* once, before any thread: their first calls are not thread-safe */
	xmlInitParser();
	if (pb_fetch_global_init(&err) < 0) {
		pb_error("%s", err.msg);
		return 1;
	}
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("%s\n", PACKAGE_STRING);
		return 0;
	}
	if (!strcmp(argv[1], "build"))
		return pb_cmd_build(argc - 1, argv + 1);
	if (!strcmp(argv[1], "crawl"))
		return pb_cmd_crawl(argc - 1, argv + 1);
	if (!strcmp(argv[1], "plugins"))
		return pb_cmd_plugins(argc - 1, argv + 1);
	if (!strcmp(argv[1], "toolchains"))
		return pb_cmd_toolchains(argc - 1, argv + 1);
	if (!strcmp(argv[1], "verify"))
		return pb_cmd_verify(argc - 1, argv + 1);
	if (!strcmp(argv[1], "manifest"))
		return pb_cmd_manifest(argc - 1, argv + 1);
	pb_error("unknown command '%s'", argv[1]);
	usage(stderr);
	return 2;
}
