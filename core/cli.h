/* The command line: one function per subcommand, sharing the options that
 * every command takes (--plugin-dir, -q, --verbose). */
#ifndef PB_CLI_H
#define PB_CLI_H

#include <stddef.h>

#include "registry.h"

struct pb_cli_common {
	const char **plugin_dirs;
	size_t n_plugin_dirs;
	int quiet;
	int verbose;
};

/* Handles a common option (getopt's opt/optarg); 1 when it was one. */
int pb_cli_common_opt(struct pb_cli_common *c, int opt, const char *arg);
void pb_cli_common_free(struct pb_cli_common *c);

/* Loads the plugins and distro files along the search path. */
int pb_cli_registry(const struct pb_cli_common *c, struct pb_registry *reg);

int pb_cmd_build(int argc, char **argv);
int pb_cmd_plugins(int argc, char **argv);

/* getopt values of the common long options */
enum {
	PB_OPT_PLUGIN_DIR = 0x100,
	PB_OPT_VERBOSE,
	PB_OPT_HELP,
	PB_OPT_FIRST_FREE,
};

#define PB_COMMON_LONG_OPTS                                                   \
	{"plugin-dir", required_argument, NULL, PB_OPT_PLUGIN_DIR},           \
		{"quiet", no_argument, NULL, 'q'},                            \
		{"verbose", no_argument, NULL, PB_OPT_VERBOSE},               \
	{                                                                     \
		"help", no_argument, NULL, 'h'                                \
	}

#define PB_COMMON_HELP                                                        \
	"  --plugin-dir DIR    look for plugins and distro files in DIR first " \
	"(repeatable);\n"                                                     \
	"                      then in $PROBE_BUILDER_PLUGIN_PATH "           \
	"(colon-separated),\n"                                                \
	"                      then in " PB_PLUGINDIR " and " PB_DISTRODIR "\n" \
	"  -q, --quiet         only errors and the summary\n"                 \
	"      --verbose       show every step, and the builds' own output "  \
	"goes to the logs\n"                                                  \
	"  -h, --help          this help\n"

#endif
