/* The distro plugin ABI.
 *
 * A plugin is a shared object exporting one function, pb_plugin_entry, that
 * returns a const descriptor. The descriptor starts with the ABI version and
 * its own size: hooks are only ever appended, and the core calls a hook only
 * when the plugin's size says that the plugin was built with it. A change that
 * is not an append bumps PB_PLUGIN_ABI_VERSION and old plugins are refused.
 * A plugin built against a newer SDK (a larger size) is loaded only when
 * every byte past what this core knows is zero: a member set there would
 * be silently ignored, so such a plugin is refused (libbpf's opts rule).
 *
 * What crosses the ABI either carries its size (struct pb_plugin,
 * struct pb_release, struct pb_batch_key: members are appended and read
 * only when the size covers them) or is frozen for the ABI version
 * (struct pb_err, struct pb_pkgname, enum pb_log_level: never changed
 * without bumping PB_PLUGIN_ABI_VERSION); struct pb_batch is opaque. */
#ifndef PROBE_BUILDER_PLUGIN_H
#define PROBE_BUILDER_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "error.h"
#include "release.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PB_PLUGIN_ABI_VERSION 1
#define PB_PLUGIN_ENTRY_SYMBOL "pb_plugin_entry"

struct pb_plugin {
	uint32_t abi_version; /* PB_PLUGIN_ABI_VERSION */
	uint32_t size;	      /* sizeof(struct pb_plugin) */
	const char *name;     /* the builder's name: "debian" */
	const char *description;
	/* distros this builder serves by itself, NULL-terminated; data files
	 * (*.distro) add more that reuse it */
	const char *const *distros;

	/* Required. Groups package files into kernel releases by their
	 * names; files it does not take go to pb_batch_ignore(). */
	int (*batch)(struct pb_batch *batch, const char *const *paths,
		     size_t n_paths, struct pb_err *err);

	/* Optional. Distro repairs once every package of rel is unpacked and
	 * absolute symlinks are re-pointed into rel->root. */
	int (*fixup)(const struct pb_release *rel, struct pb_err *err);

	/* Required. The kernel build directory, relative to rel->root. */
	int (*kernel_dir)(const struct pb_release *rel, char *buf, size_t len,
			  struct pb_err *err);

	/* Required. The kernel config that a host of this release sees
	 * (what `/boot/config-$(uname -r)` holds), relative to rel->root.
	 * Its MD5 goes into the output names. -ENOENT when the packages
	 * given do not carry it. */
	int (*config_file)(const struct pb_release *rel, char *buf, size_t len,
			   struct pb_err *err);

	/* --- the crawler (probe-builder crawl, build without packages).
	 * Data more than hooks; older plugins without them cannot crawl. */

	/* "apt" or "rpm": the kind of repositories the distro publishes */
	const char *repo_kind;
	/* the package names worth reading from an index (fnmatch globs):
	 * what the batch hook may take, nothing else is kept */
	const char *const *index_globs;
	/* default mirrors, NULL-terminated, one spec each (see README,
	 * "Mirror specs"): "apt URL suites=a,b components=main",
	 * "rpm URL versions=8.5.2111 paths=$version/BaseOS/$arch/os/",
	 * "mirrorlist URL versions=2 paths=2/core/latest/$arch/mirror.list" */
	const char *const *mirrors;
	/* keyrings that sign the repositories (paths), NULL-terminated */
	const char *const *keyrings;
	/* PB_PLUGIN_F_* */
	uint32_t flags;

	/* --- the host's apt sources (PB_PLUGIN_F_HOST_APT_SOURCES): what
	 * of them is the distro's. Data; without it a host source is not
	 * the distro's and no host keyring is used. */

	/* the distro's suites by code name ("bookworm", "stable"),
	 * NULL-terminated: a line of the host's sources is crawled when its
	 * suite is one of them, alone or followed by a pocket after a '-' or
	 * a '/' (bookworm-updates, bookworm-security, bookworm-backports,
	 * bookworm/updates); other vendors' lines carry no kernel */
	const char *const *host_apt_suites;
	/* the keyrings apt trusts on the host, used with the host's sources:
	 * paths or glob(3) patterns, NULL-terminated; a plain path is used
	 * when it can be read, a file a pattern finds always (one that
	 * cannot be read is named when a key is missing) */
	const char *const *host_apt_keyrings;

	/* --- probe-builder verify. Optional. Where the kernel image (the
	 * bzImage QEMU boots) of rel is in one of its packages, package
	 * being the file's name: the member's path, relative to the
	 * package's root ("boot/vmlinuz-6.1.0-57-amd64"). -ENOENT when that
	 * package holds none. Without the hook the core tries
	 * boot/vmlinuz-<release> and lib/modules/<release>/vmlinuz. */
	int (*boot_image)(const struct pb_release *rel, const char *package,
			  char *buf, size_t len, struct pb_err *err);

	/* --- a config taken from the head of its package (added in 0.2).
	 * Optional data: the options whose lines the verified tree's
	 * <kernel_dir>/.config has and the config package's config (the
	 * config_file hook's) lacks, NULL-terminated (an empty list: the two
	 * are equal). With it, a build without --verify fetches only the
	 * first bytes of a PB_PKG_CONFIG package and takes its config only
	 * when it is the tree's without those lines ("CONFIG_X=..." or
	 * "# CONFIG_X is not set"); otherwise the whole package, checked
	 * against its SHA-256. NULL: config packages are fetched whole. */
	const char *const *config_rule_drop;

	/* Hooks added later go here, at the end. */
};

/* The default mirrors are the ones in the host's apt sources
 * (/etc/apt/sources.list, sources.list.d): Debian's. */
#define PB_PLUGIN_F_HOST_APT_SOURCES 0x1u

/* The size of the first version of the descriptor: the loader refuses a
 * plugin whose size is below it. */
#define PB_PLUGIN_SIZE_V1                          \
	(offsetof(struct pb_plugin, config_file) + \
	 sizeof(((struct pb_plugin *)0)->config_file))

/* Whether plugin p was built with member `field` (a hook or data), set. */
#define PB_PLUGIN_HAS(p, field)                                         \
	((p)->size >= offsetof(struct pb_plugin, field) +               \
			      sizeof(((struct pb_plugin *)0)->field) && \
	 (p)->field)

#if defined(__GNUC__)
#define PB_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define PB_PLUGIN_EXPORT
#endif

typedef const struct pb_plugin *(*pb_plugin_entry_fn)(void);

/* Defines the entry function of a plugin whose descriptor is `desc`. */
#define PB_PLUGIN_DEFINE(desc)                                          \
	PB_PLUGIN_EXPORT const struct pb_plugin *pb_plugin_entry(void); \
	PB_PLUGIN_EXPORT const struct pb_plugin *pb_plugin_entry(void)  \
	{                                                               \
		return &(desc);                                         \
	}

#ifdef __cplusplus
}
#endif
#endif
