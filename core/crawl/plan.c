/* Phase 3: a repository's signed metadata checked and read into the
 * indexes to fetch (Packages of each component, primary.xml). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crawl/crawler.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"
#include "probe-builder/pkgname.h"
#include "repo/gpg.h"
#include "repo/index.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/str.h"

/* The signed text of an InRelease, without checking the signature
 * (--no-verify): between the armor headers, dash-escaping undone. */
static int strip_clearsign(const char *in, const char *out, struct pb_err *err)
{
	char *text = NULL, *p, *end, *buf;
	size_t len, o = 0;
	int ret;

	ret = pb_read_file(in, &text, &len, err);
	if (ret)
		return ret;
	p = strstr(text, "-----BEGIN PGP SIGNED MESSAGE-----");
	p = p ? strstr(p, "\n\n") : NULL;
	end = p ? strstr(p, "\n-----BEGIN PGP SIGNATURE-----") : NULL;
	if (!p || !end) {
		free(text);
		return pb_err_set(err, -EINVAL, "%s: not a clearsigned file",
				  in);
	}
	buf = pb_malloc(len + 1, 1, err);
	if (!buf) {
		free(text);
		return -ENOMEM;
	}
	for (p += 2; p < end;) {
		size_t l = strcspn(p, "\n");

		if (p[0] == '-' && p[1] == ' ')
			p += 2, l -= 2;
		memcpy(buf + o, p, l);
		o += l;
		buf[o++] = '\n';
		p += l + 1;
	}
	ret = pb_write_file_atomic(out, buf, o, err);
	free(text);
	free(buf);
	return ret;
}

static int add_index(struct repo_state *s, const char *meta, const char *url,
		     const char *by_hash, int64_t size, const char *sha256,
		     const char *signed_by, struct pb_err *err)
{
	struct pb_fetch_item *g;
	char path[PATH_MAX], **u, *first, *second = NULL, *dest, *sha;
	int ret;

	/* named by its SHA-256: one file for every mirror that has it */
	ret = pb_path_join(path, sizeof(path), err, meta, sha256, NULL);
	if (ret)
		return ret;
	g = pb_reallocarray(s->idx, s->n_idx + 1, sizeof(*g), err);
	if (!g)
		return -ENOMEM;
	s->idx = g;
	u = pb_reallocarray(s->idx_urls, 2 * s->n_idx + 2, sizeof(*u), err);
	if (!u)
		return -ENOMEM;
	s->idx_urls = u;
	/* by-hash first: it cannot change under us while a mirror syncs */
	first = pb_strdup(by_hash ? by_hash : url, err);
	if (by_hash)
		second = pb_strdup(url, err);
	sha = pb_strdup(sha256, err);
	dest = pb_strdup(path, err);
	/* every part or none: an index without its SHA-256 would be
	 * fetched unverified */
	if (!first || (by_hash && !second) || !sha || !dest) {
		free(first);
		free(second);
		free(sha);
		free(dest);
		return -ENOMEM;
	}
	u[2 * s->n_idx] = first;
	u[2 * s->n_idx + 1] = second;
	memset(&g[s->n_idx], 0, sizeof(*g));
	g[s->n_idx].n_urls = by_hash ? 2 : 1;
	g[s->n_idx].dest = dest;
	g[s->n_idx].size = size;
	g[s->n_idx].sha256 = sha;
	g[s->n_idx].signed_by = signed_by;
	s->n_idx++;
	return 0;
}

/* Whether binary-all is to be read (see crawler_plan_apt). */
static int read_binary_all(const struct pb_deb_release *r)
{
	size_t i;

	if (r->no_arch_all_packages)
		return 0;
	if (!r->architectures)
		return 1;
	for (i = 0; r->architectures[i]; i++)
		if (!strcmp(r->architectures[i], "all"))
			return 1;
	return 0;
}

/* Valid-Until and Date, as apt checks them: an expired Release may be a
 * mirror that stopped syncing or a replay of old (vulnerable) indexes. */
static int check_dates(struct crawler *c, struct repo_state *s,
		       const struct pb_deb_release *r, struct pb_err *err)
{
	time_t now = time(NULL);
	char when[64], clock[64];
	struct tm tm;
	time_t t;

	t = (time_t)now;
	strftime(clock, sizeof(clock), "%Y-%m-%d %H:%M:%S UTC",
		 gmtime_r(&t, &tm));
	if (r->valid_until && (int64_t)now > r->valid_until) {
		t = (time_t)r->valid_until;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC",
			 gmtime_r(&t, &tm));
		if (!c->o->allow_expired_release)
			return pb_err_set(err, -ESTALE,
					  "%s: the Release expired on %s "
					  "(Valid-Until; now is %s): a stale "
					  "or replayed mirror? "
					  "(--allow-expired-release uses it "
					  "anyway)",
					  s->where, when, clock);
		pb_warn("%s: the Release EXPIRED on %s (Valid-Until; now is "
			"%s); used anyway because of --allow-expired-release: "
			"its indexes may be stale or replayed",
			s->where, when, clock);
	}
	if (r->date && r->date > (int64_t)now) {
		t = (time_t)r->date;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC",
			 gmtime_r(&t, &tm));
		if (!c->o->allow_future_release)
			return pb_err_set(err, -ESTALE,
					  "%s: the Release is dated %s, in "
					  "the future (now is %s): is this "
					  "clock wrong? "
					  "(--allow-future-release uses it "
					  "anyway)",
					  s->where, when, clock);
		pb_warn("%s: the Release is dated %s, IN THE FUTURE (now is "
			"%s); used anyway because of --allow-future-release",
			s->where, when, clock);
	}
	return 0;
}

/* The Release of an APT suite, its signature checked (or not, with
 * --no-verify), into text_path. */
static int verify_release(struct crawler *c, struct repo_state *s,
			  const char *text_path, struct pb_err *err)
{
	char inrel[PATH_MAX + 32], rel[PATH_MAX + 32], sig[PATH_MAX + 32];
	size_t nkr;
	const char *const *kr = crawler_keyrings_for(c, s->r, &nkr);
	int ret;

	if ((ret = pb_path_join(inrel, sizeof(inrel), err, s->dir, "InRelease",
				NULL)) ||
	    (ret = pb_path_join(rel, sizeof(rel), err, s->dir, "Release",
				NULL)) ||
	    (ret = pb_path_join(sig, sizeof(sig), err, s->dir, "Release.gpg",
				NULL)))
		return ret;
	if (pb_is_file(inrel)) {
		ret = c->o->no_verify ? strip_clearsign(inrel, text_path, err)
				      : pb_gpg_verify(inrel, NULL, kr, nkr,
						      s->dir, text_path, err);
	} else if (c->o->no_verify) {
		ret = pb_copy_file_atomic(rel, text_path, err);
	} else if (!pb_is_file(sig)) {
		ret = pb_err_set(err, PB_EBADSIG,
				 "%s: Release is not signed (no InRelease, no "
				 "Release.gpg)",
				 s->where);
	} else {
		ret = pb_gpg_verify(sig, rel, kr, nkr, s->dir, NULL, err);
		if (!ret)
			ret = pb_copy_file_atomic(rel, text_path, err);
	}
	if (ret == PB_ENOKEY)
		crawler_missing_key_hint(c, s, err);
	return ret;
}

/* The Packages index of one component for binary-<bin>, the first of the
 * compressions the Release lists. */
static int add_packages(struct crawler *c, struct repo_state *s,
			const char *meta, const struct pb_deb_release *r,
			const char *comp, const char *bin, struct pb_err *err)
{
	static const char *const exts[] = {".xz", ".gz", ""};
	size_t e;
	int ret;

	for (e = 0; e < PB_ARRAY_SIZE(exts); e++) {
		const struct pb_release_entry *en;
		char path[512], url[PATH_MAX * 2], byhash[PATH_MAX * 2];

		ret = pb_path_fmt(path, sizeof(path), err,
				  "%s/binary-%s/Packages%s", comp, bin,
				  exts[e]);
		if (ret)
			return ret;
		en = pb_deb_release_find(r, path);
		if (!en)
			continue;
		if ((ret = pb_path_fmt(url, sizeof(url), err, "%sdists/%s/%s",
				       s->r->url, s->r->suite, path)) ||
		    (ret = pb_path_fmt(
			     byhash, sizeof(byhash), err,
			     "%sdists/%s/%s/binary-%s/by-hash/SHA256/%s",
			     s->r->url, s->r->suite, comp, bin, en->sha256)))
			return ret;
		return add_index(
			s, meta, url, r->acquire_by_hash ? byhash : NULL,
			en->size, en->sha256,
			c->o->no_verify ? "the Release" : "the signed Release",
			err);
	}
	return 0;
}

int crawler_plan_apt(struct crawler *c, struct repo_state *s, const char *meta,
		     struct pb_err *err)
{
	char text_path[PATH_MAX + 32];
	struct pb_deb_release r;
	const char *arch = pb_arch_deb(c->o->arch);
	const char *bins[2] = {arch, "all"};
	char *text = NULL;
	size_t len, k, b, n_bins;
	int ret;

	ret = pb_path_join(text_path, sizeof(text_path), err, s->dir,
			   "Release.checked", NULL);
	if (!ret)
		ret = verify_release(c, s, text_path, err);
	if (ret)
		return ret;
	ret = pb_read_file(text_path, &text, &len, err);
	if (ret)
		return ret;
	ret = pb_deb_release_parse(text, len, &r, err);
	free(text);
	if (ret)
		return pb_err_prefix(err, "%s", s->where);
	ret = check_dates(c, s, &r, err);
	if (ret) {
		pb_deb_release_free(&r);
		return ret;
	}
	/* as apt: binary-all is read only when the Release lists "all" among
	 * its Architectures (or lists none) and does not say the arch:all
	 * packages are in binary-<arch> already; a mirror may leave an unread
	 * binary-all stale */
	n_bins = read_binary_all(&r) ? 2 : 1;
	for (k = 0; s->r->components[k] && !ret; k++)
		for (b = 0; b < n_bins && !ret; b++)
			ret = add_packages(c, s, meta, &r, s->r->components[k],
					   bins[b], err);
	pb_deb_release_free(&r);
	if (!ret && s->n_idx == 0)
		pb_info("%s: no Packages index for %s in its Release", s->where,
			arch);
	return ret;
}

int crawler_plan_rpm(struct crawler *c, struct repo_state *s, const char *meta,
		     struct pb_err *err)
{
	char repomd[PATH_MAX + 32], asc[PATH_MAX + 32], url[PATH_MAX * 2];
	struct pb_repomd md;
	size_t nkr;
	const char *const *kr = crawler_keyrings_for(c, s->r, &nkr);
	int ret;

	if ((ret = pb_path_join(repomd, sizeof(repomd), err, s->dir,
				"repomd.xml", NULL)) ||
	    (ret = pb_path_join(asc, sizeof(asc), err, s->dir, "repomd.xml.asc",
				NULL)))
		return ret;
	if (pb_is_file(asc) && !c->o->no_verify) {
		ret = pb_gpg_verify(asc, repomd, kr, nkr, s->dir, NULL, err);
		if (ret == PB_ENOKEY)
			crawler_missing_key_hint(c, s, err);
		if (ret)
			return ret;
	} else if (!pb_is_file(asc) && c->o->require_signed) {
		return pb_err_set(err, PB_EBADSIG,
				  "%srepodata/repomd.xml is not signed (no "
				  "repomd.xml.asc) and --require-signed is on",
				  s->r->url);
	}
	ret = pb_repomd_parse(repomd, &md, err);
	if (ret)
		return ret;
	if (!md.primary_sha256[0]) {
		pb_repomd_free(&md);
		return pb_err_set(err, PB_EBADMETA,
				  "%srepodata/repomd.xml: primary has no "
				  "SHA-256 checksum to check it with",
				  s->r->url);
	}
	ret = pb_path_fmt(url, sizeof(url), err, "%s%s", s->r->url,
			  md.primary_href);
	if (!ret)
		ret = add_index(s, meta, url, NULL, md.primary_size,
				md.primary_sha256,
				pb_is_file(asc) && !c->o->no_verify
					? "the signed repomd.xml"
					: "repomd.xml",
				err);
	pb_repomd_free(&md);
	return ret;
}
