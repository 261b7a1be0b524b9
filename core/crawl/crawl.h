/* The crawler: distro -> mirrors -> repositories -> kernel releases ->
 * package URLs, each with size and SHA-256 from metadata verified from a
 * signature down. Only index files are fetched, never packages. */
#ifndef PB_CRAWL_H
#define PB_CRAWL_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "net/fetch.h"
#include "plugin/registry.h"
#include "probe-builder/batch.h"
#include "probe-builder/error.h"

struct pb_crawl_opts {
	size_t sz;
	const struct pb_distro *distro;
	const char *arch; /* machine (uname -m) the kernels run on */
	const char
		*distro_filter; /* --distro-filter: suite or version prefix */
	const regex_t *kernel_filter; /* -f */
	const char *const *mirrors;   /* --mirror: replace the default roots */
	size_t n_mirrors;
	const char *const *suites; /* --suite: replace the APT suites */
	size_t n_suites;
	const char *const *keyrings; /* --keyring: replace the default ones */
	size_t n_keyrings;
	int no_verify;	    /* signatures are not checked */
	int require_signed; /* an unsigned repomd.xml is a failure */
	int allow_partial;  /* a failed repository is a warning */
	const char *workspace;
	const char *etc_apt; /* the host's apt config; NULL: /etc/apt */
	/* the downloader, shared with the package download: its failures
	 * per host count across the phases */
	struct pb_fetcher *fetcher;
	/* the cap on a metadata file that no signed index sizes (InRelease,
	 * Release, Release.gpg, repomd.xml and .asc, mirror.list); 0: 64 MiB */
	int64_t max_metadata_size;
	int allow_expired_release; /* a Release past its Valid-Until: warn */
	int allow_future_release;  /* a Release whose Date is ahead: warn */
};

#define PB_CRAWL_MAX_METADATA_DEFAULT (64LL * 1024 * 1024)

struct pb_crawl_pkg {
	char *name; /* the file name */
	char *url;
	char **alts; /* the same file on other mirrors, NULL-terminated */
	int64_t size;
	char sha256[65];
	enum pb_pkg_role role;
};

struct pb_crawl_kernel {
	char *release;
	char *flavor;
	char *arch;
	char *error; /* why it cannot be built (a package missing) */
	struct pb_crawl_pkg *pkgs;
	size_t n_pkgs;
	/* with release and arch, its key: the version of its primary
	 * package ("" when unknown) and the series (suites, versions) whose
	 * index lists it, NULL-terminated, sorted */
	char *version;
	char **series;
};

struct pb_crawl {
	char *distro;
	struct pb_crawl_kernel *kernels; /* sorted by release */
	size_t n_kernels;
	char **missed; /* repositories that failed (--allow-partial) */
	size_t n_missed;
};

/* Crawls. A repository that fails after its retries fails the crawl
 * (-EIO), unless allow_partial and another one was read (then it is in
 * out->missed). On that -EIO, out->missed still lists each failed
 * repository once with its reason ("URL: why"), for the caller to say
 * after err's message (which a long list would not fit); pb_crawl_free
 * frees it. On any other error out is empty. */
int pb_crawl_run(const struct pb_crawl_opts *o, struct pb_crawl *out,
		 struct pb_err *err);
void pb_crawl_free(struct pb_crawl *c);

/* Before anything is downloaded: drops the kernels of another arch than
 * arch (NULL: any) or whose release kernel_filter (-f; NULL: none) does
 * not match; returns how many went. */
size_t pb_crawl_select(struct pb_crawl *c, const regex_t *kernel_filter,
		       const char *arch);
/* Keeps the kernels i of c with keep[i] set, in their order; returns how
 * many went. */
size_t pb_crawl_keep(struct pb_crawl *c, const unsigned char *keep);
/* Forgets a kernel's packages (one skipped on purpose: nothing of it is
 * downloaded). */
void pb_crawl_drop_packages(struct pb_crawl_kernel *k);

/* The original tool's listing: "=== release ===" then a URL a line. */
void pb_crawl_print(FILE *f, const struct pb_crawl *c);
/* A plan's identity (planid.c): a kernel's key "release\tarch\tversion"
 * (the manifest's key without probe and distro; NULL: -ENOMEM with err
 * filled); the keys of c's kernels, sorted bytewise (*keys has
 * c->n_kernels, pb_crawl_keys_free them); the plan id, the SHA-256 (hex)
 * of "distro\n" and the sorted keys, each line ending in "\n". */
#define PB_PLAN_ID_LEN 64
char *pb_crawl_kernel_key(const struct pb_crawl_kernel *k, struct pb_err *err);
int pb_crawl_plan_keys(const struct pb_crawl *c, char ***keys,
		       struct pb_err *err);
void pb_crawl_keys_free(char **keys, size_t n);
int pb_crawl_plan_id_of(const char *distro, char *const *keys, size_t n,
			char hex[PB_PLAN_ID_LEN + 1], struct pb_err *err);
int pb_crawl_plan_id(const struct pb_crawl *c, char hex[PB_PLAN_ID_LEN + 1],
		     struct pb_err *err);

/* {"format": PB_CRAWL_JSON_FORMAT, "distro":..., "plan_id":...,
 * "kernels":[{release,
 * flavor, arch, version, series:[...], packages:[{name, url, size, sha256,
 * role[, mirrors]}][, error]}][, "missed":[...]]}. A listing without
 * "format" is read as format 1 (no version nor series); one whose major
 * format is newer than ours is refused. */
#define PB_CRAWL_JSON_FORMAT 2
json_object *pb_crawl_to_json(const struct pb_crawl *c); /* NULL: ENOMEM */
int pb_crawl_from_json(json_object *j, const char *what, struct pb_crawl *out,
		       struct pb_err *err);

#endif
