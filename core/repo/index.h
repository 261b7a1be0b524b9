/* Repository metadata: what the crawler reads from APT and RPM
 * repositories, parsed as streams (memory does not grow with the index).
 *
 *   APT: dists/<suite>/InRelease (or Release) lists the index files with
 *        their size and SHA-256; <component>/binary-<arch>/Packages[.xz|.gz]
 *        holds one stanza per package.
 *   RPM: repodata/repomd.xml names primary.xml[.gz|.xz|.zst] with its size
 *        and SHA-256; primary holds one <package> per package. */
#ifndef PB_INDEX_H
#define PB_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "archive/decomp.h"
#include "probe-builder/error.h"

/* One package of an index. Strings are valid during the callback only. */
struct pb_pkg_rec {
	const char *name;
	const char *version;  /* deb: Version; rpm: [epoch:]ver-rel */
	const char *arch;     /* amd64, all, x86_64, noarch */
	const char *location; /* deb: Filename, relative to the mirror root;
				 rpm: location href, relative to the repo */
	const char *base;     /* rpm: location xml:base when given, else NULL */
	int64_t size;	      /* bytes */
	const char *sha256;   /* lowercase hex, 64 chars */
	const char *depends;  /* deb: Depends, NULL when absent */
};

/* Returns 0 to go on, a negative errno to stop the parse with that error. */
typedef int (*pb_pkg_cb)(const struct pb_pkg_rec *rec, void *ctx);

/* Counts a parse reports, for the log and the tests. */
struct pb_index_stats {
	size_t records; /* packages (stanzas or <package>) seen */
	size_t matched; /* passed to the callback */
	size_t skipped; /* matched by name but unusable (a field missing) */
};

/* ---- APT Release / InRelease (the signed text, signature removed) */
struct pb_release_entry {
	char *path; /* main/binary-amd64/Packages.xz */
	int64_t size;
	char sha256[65];
};

struct pb_deb_release {
	char *suite;
	char *codename;
	char **architectures;		  /* NULL-terminated */
	char **components;		  /* NULL-terminated */
	struct pb_release_entry *entries; /* the SHA256 field */
	size_t n_entries;
	int acquire_by_hash;
	/* "No-Support-for-Architecture-all: Packages": the arch:all packages
	 * are in binary-<arch>; apt never reads binary-all then */
	int no_arch_all_packages;
	int64_t date;	     /* Date, seconds since the epoch; 0: none */
	int64_t valid_until; /* Valid-Until; 0: none */
};

/* text is the content of Release, or of InRelease once gpgv has checked it
 * and given back the signed part. A file without a SHA256 field is an
 * error (nothing could be verified against it), and so is a Date or
 * Valid-Until that is not an RFC 1123 date. */
int pb_deb_release_parse(const char *text, size_t len,
			 struct pb_deb_release *out, struct pb_err *err);
const struct pb_release_entry *
pb_deb_release_find(const struct pb_deb_release *r, const char *path);
void pb_deb_release_free(struct pb_deb_release *r);
/* "Sat, 10 Jun 2023 09:01:04 UTC" (also GMT, Z, +hhmm, -hhmm; the day name
 * optional) to seconds since the epoch; -EINVAL when it is not one. */
int pb_rfc1123_parse(const char *s, size_t len, int64_t *out);

/* ---- APT Packages: stanzas streamed from path (any compression). Only
 * packages whose name matches one of globs (fnmatch; NULL: all) reach cb.
 * Continuation lines, CRLF line ends and unknown fields are fine; a stanza
 * matched by name but lacking Filename, Size or SHA256 is skipped and
 * counted. */
int pb_deb_packages_parse(const char *path, const char *const *globs,
			  pb_pkg_cb cb, void *ctx, struct pb_index_stats *stats,
			  struct pb_err *err);

/* ---- RPM repomd.xml */
struct pb_repomd {
	char *primary_href;	 /* repodata/<hash>-primary.xml.gz */
	int64_t primary_size;	 /* -1 when not given */
	char primary_sha256[65]; /* empty when the checksum is not sha256 */
};

int pb_repomd_parse(const char *path, struct pb_repomd *out,
		    struct pb_err *err);
void pb_repomd_free(struct pb_repomd *r);

/* ---- RPM primary.xml, streamed (SAX, fed by the decompressor). A
 * document with a DOCTYPE (and so any entity declaration: external
 * entities, expansion bombs) is refused before anything is expanded or
 * fetched. Only <package type="rpm"> whose name matches globs reach cb. */
int pb_rpm_primary_parse(const char *path, const char *const *globs,
			 pb_pkg_cb cb, void *ctx, struct pb_index_stats *stats,
			 struct pb_err *err);

#endif
