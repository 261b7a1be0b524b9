#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"

int pb_cli_common_opt(struct pb_cli_common *c, int opt, const char *arg)
{
	struct pb_err err = {0};
	const char **grown;

	switch (opt) {
	case PB_OPT_PLUGIN_DIR:
		grown = pb_reallocarray(c->plugin_dirs, c->n_plugin_dirs + 1,
					sizeof(*grown), &err);
		if (!grown) {
			pb_error("--plugin-dir %s: %s", arg, err.msg);
			return -1;
		}
		c->plugin_dirs = grown;
		c->plugin_dirs[c->n_plugin_dirs++] = arg;
		return 1;
	case 'q':
		c->quiet = 1;
		pb_log_set_level(PB_LOG_WARN);
		return 1;
	case PB_OPT_VERBOSE:
		c->verbose = 1;
		pb_log_set_level(PB_LOG_DEBUG);
		return 1;
	default:
		return 0;
	}
}

void pb_cli_common_free(struct pb_cli_common *c)
{
	free(c->plugin_dirs);
	c->plugin_dirs = NULL;
	c->n_plugin_dirs = 0;
}

int pb_cli_registry(const struct pb_cli_common *c, struct pb_registry *reg)
{
	struct pb_registry_opts ro = {
		.sz = sizeof(ro),
		.plugin_dirs = c->plugin_dirs,
		.n_plugin_dirs = c->n_plugin_dirs,
		.env_path = getenv("PROBE_BUILDER_PLUGIN_PATH"),
		.plugin_dir = PB_PLUGINDIR,
		.distro_dir = PB_DISTRODIR,
	};
	struct pb_err err = {0};
	int ret = pb_registry_load(reg, &ro, &err);

	if (ret)
		pb_error("%s", err.msg);
	return ret;
}

int pb_cli_regex(const char *cmd, const char *filter, regex_t *re)
{
	char msg[256];
	int r = regcomp(re, filter, REG_EXTENDED | REG_NOSUB);

	if (!r)
		return 0;
	regerror(r, re, msg, sizeof(msg));
	pb_error("%s: -f '%s': %s", cmd, filter, msg);
	return -1;
}
