/* Mirrors and repositories: where a distro's kernels are published.
 *
 * A mirror spec is one line, from a plugin, a distro file ("mirror = ...")
 * or the host's apt sources:
 *   apt URL suites=a,b [components=main] [archs=x86_64] [keyring=PATH]
 *   rpm URL [versions=7.9.2009,8.5.2111] paths=$version/os/$arch/,...
 *   mirrorlist URL versions=2 paths=2/core/latest/$arch/mirror.list
 * and expands, for one architecture, into repositories: an APT suite of a
 * mirror root, or one RPM repository (the URL holding repodata/). */
#ifndef PB_MIRROR_H
#define PB_MIRROR_H

#include <stddef.h>

#include "probe-builder/error.h"

enum pb_spec_kind { PB_SPEC_APT = 1, PB_SPEC_RPM, PB_SPEC_MIRRORLIST };

struct pb_mirror_spec {
	enum pb_spec_kind kind;
	char *root;	   /* ends with '/' */
	char **suites;	   /* apt */
	char **components; /* apt; default {"main"} */
	char **archs;	   /* only for these machines (uname -m); NULL: all */
	char **versions;   /* rpm, mirrorlist: the values of $version */
	char **paths;	   /* rpm, mirrorlist: relative to root */
	char **keyrings;
};

enum pb_repo_kind { PB_REPO_APT = 1, PB_REPO_RPM, PB_REPO_MIRRORLIST };

struct pb_repo {
	enum pb_repo_kind kind;
	char *mirror; /* the root it is on */
	char *url;    /* apt: the root; rpm: holds repodata/; mirrorlist:
			 the list to read */
	char *suite;  /* apt */
	char **components;
	char *label; /* the suite or version: what --distro-filter sees */
	char **keyrings;
};

int pb_mirror_spec_parse(const char *line, struct pb_mirror_spec *out,
			 struct pb_err *err);
void pb_mirror_spec_free(struct pb_mirror_spec *s);
/* A spec made of its parts, never of a line: --mirror URL (and --suite
 * for apt, whose components are then main). */
int pb_mirror_spec_make(struct pb_mirror_spec *out, enum pb_spec_kind kind,
			const char *url, const char *const *suites,
			size_t n_suites, struct pb_err *err);

/* Repositories of specs for machine arch ("x86_64"), keeping those whose
 * label starts with distro_filter (NULL: all). With roots (--mirror), each
 * spec's layout is used on each of those roots instead of its own. */
int pb_repos_expand(const struct pb_mirror_spec *specs, size_t n_specs,
		    const char *arch, const char *distro_filter,
		    const char *const *roots, size_t n_roots,
		    struct pb_repo **out, size_t *n_out, struct pb_err *err);
void pb_repos_free(struct pb_repo *repos, size_t n);

/* One line of a mirror.list fetched from the network: an http(s) URL and
 * nothing else (no spec keys: a list must not choose keyrings or paths).
 * 0 and *url (malloc'd, ending with '/') for a URL; 1 for a blank or
 * comment line; -EINVAL (err says why) for anything else; -ENOMEM (err
 * filled too). */
int pb_mirrorlist_line(const char *line, char **url, struct pb_err *err);

/* The distro's entries of the host's apt sources (etc_apt: /etc/apt):
 * sources.list and sources.list.d/ (*.list one-line and *.sources deb822
 * files), "deb" lines of the distro's suites only (suites: its code names,
 * the plugin's host_apt_suites; other vendors' repositories carry no
 * kernel of it), with their Signed-By keyrings. */
int pb_apt_host_specs(const char *etc_apt, const char *const *suites,
		      struct pb_mirror_spec **out, size_t *n_out,
		      struct pb_err *err);

/* NULL-terminated string arrays. Those that allocate return NULL only when
 * out of memory, err filled (s NULL or without a word: an empty array). */
char **pb_strv_split(const char *s, const char *seps, struct pb_err *err);
size_t pb_strv_len(char *const *v);
#define pb_strv_len_const(v) pb_strv_len((char *const *)(v))
void pb_strv_free(char **v);
char **pb_strv_dup(char *const *v, struct pb_err *err); /* v NULL: empty */
int pb_strv_has(char *const *v, const char *s);
/* url with a '/' at the end (malloc'd; NULL: out of memory, err filled) */
char *pb_url_slash(const char *url, struct pb_err *err);

#endif
