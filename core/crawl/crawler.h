/* The crawler's insides, shared by the files of core/crawl/ and by nothing
 * else (crawl.h is the API). A run goes, one file a phase:
 *   repos.c       the repositories: specs (distro file, plugin, host apt
 *                 sources, --mirror) expanded; --mirror roots of RPM distros
 *   keyrings.c    which keyrings check a repository's signature
 *   mirrorlist.c  phase 0: mirror.list repositories resolved into URLs
 *   signed.c      phases 1-2: InRelease, Release(.gpg), repomd.xml(.asc)
 *   plan.c        phase 3: the signatures checked, the indexes to fetch
 *   indexes.c     phase 4: the indexes fetched and parsed into records
 *   records.c     the package records, merged across mirrors
 *   kernels.c     records grouped into kernels by the distro's plugin
 *   crawl.c       the run (pb_crawl_run) and what it returns
 *   listing.c     a crawl printed, to JSON and back */
#ifndef PB_CRAWLER_H
#define PB_CRAWLER_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "crawl/crawl.h"
#include "crawl/mirror.h"
#include "net/fetch.h"
#include "repo/index.h"

/* What became of a repository. */
enum repo_fate { FATE_PENDING, FATE_OK, FATE_ABSENT, FATE_FAILED };

struct repo_state {
	struct pb_repo *r;
	enum repo_fate fate;
	char why[800];
	char dir[PATH_MAX];	   /* its metadata in the workspace */
	char where[PATH_MAX + 64]; /* how messages name it */
	long f1, f2; /* its signed metadata among the fetch items, or -1 */
	/* the indexes to read, once the signed metadata is checked */
	struct pb_fetch_item *idx;
	char **idx_urls; /* owned, two per index (by-hash, plain) */
	size_t n_idx;
};

struct rec {
	size_t order; /* of its repository: the mirrors' order */
	char *name;   /* base name of the file */
	char *url;
	char **alts;
	size_t n_alts;
	int64_t size;
	char sha256[65];
	char *depends; /* deb: its Depends, NULL when not given */
	char **series; /* the suites (versions) that list it */
	size_t n_series;
};

struct crawler {
	const struct pb_crawl_opts *o;
	const struct pb_plugin *plugin;
	struct pb_repo *repos;
	size_t n_repos;
	struct repo_state *st;
	struct rec *recs;
	size_t n_recs, cap_recs;
	char **keyrings;	 /* the defaults, when --keyring is not given */
	char **missing_keyrings; /* defaults named but not on this host */
	int host_apt;		 /* the mirrors come from the host's sources */
};

/* crawl.c: a repository's fate, and the downloader as the phases use it */
void crawler_fail(struct repo_state *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void crawler_absent(struct repo_state *s, const char *what);
/* 0 when the downloader ran (each item then says how it went: the callers
 * look at each one), else why it could not */
int crawler_fetch(struct crawler *c, struct pb_fetch_item *items, size_t n,
		  struct pb_err *err);
/* the cap on metadata files that no signed index sizes */
int64_t crawler_max_meta(const struct crawler *c);

/* keyrings.c */
const char *const *crawler_keyrings_for(struct crawler *c, struct pb_repo *r,
					size_t *n);
int crawler_missing_key_hint(struct crawler *c, struct repo_state *s,
			     struct pb_err *err);
int crawler_default_keyrings(struct crawler *c, struct pb_err *err);

/* repos.c: c->repos from the specs and options; c->st for the repositories
 * from index from on (-ENOMEM, or -ENAMETOOLONG for a metadata dir) */
int crawler_build_repos(struct crawler *c, struct pb_err *err);
int crawler_new_states(struct crawler *c, size_t from, struct pb_err *err);

/* the phases, in their order */
int crawler_resolve_mirrorlists(struct crawler *c, struct pb_err *err);
int crawler_fetch_signed(struct crawler *c, struct pb_err *err);
int crawler_plan_apt(struct crawler *c, struct repo_state *s, const char *meta,
		     struct pb_err *err);
int crawler_plan_rpm(struct crawler *c, struct repo_state *s, const char *meta,
		     struct pb_err *err);
int crawler_read_indexes(struct crawler *c, struct pb_err *err);

/* records.c */
struct parse_ctx {
	struct crawler *c;
	struct repo_state *s;
	const char *base; /* what locations are relative to */
};
/* The index parsers' callback (data: a parse_ctx); on -ENOMEM the parser
 * fills its err, saying where it stopped. */
int crawler_add_rec(const struct pb_pkg_rec *p, void *data);
void crawler_free_rec(struct rec *r);
/* One record per file name, then sorted by URL for crawler_find_rec. */
int crawler_merge_recs(struct crawler *c, struct pb_err *err);
struct rec *crawler_find_rec(struct crawler *c, const char *url);

/* kernels.c */
int crawler_make_kernels(struct crawler *c, struct pb_crawl *out,
			 struct pb_err *err);

#endif
