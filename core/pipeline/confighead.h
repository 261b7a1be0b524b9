/* A kernel config taken from the first bytes of its package (issue 13):
 * the head cannot be checked against the package's SHA-256, so its config
 * is accepted only when the verified tree packages determine it: equal to
 * the tree's <kernel_dir>/.config without the lines of the options the
 * plugin names (struct pb_plugin.config_rule_drop). */
#ifndef PB_PIPELINE_CONFIGHEAD_H
#define PB_PIPELINE_CONFIGHEAD_H

#include <stdint.h>

#include "probe-builder/plugin.h"

struct pb_config_head {
	const struct pb_plugin *plugin; /* with config_rule_drop set */
	const char *distro;
	const char *release;
	const char *arch;
	const char *package;	 /* the config package's name, for messages */
	const char *head;	 /* the file holding its first bytes */
	int64_t head_size;	 /* how many */
	int head_is_whole;	 /* they are the whole package */
	const char *const *tree; /* the kernel's tree packages, verified */
	size_t n_tree;
	const char *workspace; /* scratch space: <workspace>/tmp */
};

/* 0 when the head's config is the tree's by the rule; -EAGAIN when the
 * head ends before its config (more bytes may do); -EBADMSG when it is not
 * the tree's, or the tree has no config to compare it with (the whole
 * package must be fetched and checked); another negative errno on a local
 * failure. err says which line, which file. */
int pb_config_head_check(const struct pb_config_head *h, struct pb_err *err);

/* Whether the head holds its config whole, before the tree is in (tree
 * unused): 0, -EAGAIN (more bytes may do), -EBADMSG (it is the whole
 * package and has none), another negative errno. */
int pb_config_head_holds(const struct pb_config_head *h, struct pb_err *err);

#endif
