/* APT Packages indexes, streamed: lines are cut in a fixed buffer filled
 * from the decompressor, so memory does not grow with the file. Most
 * stanzas are not kernels: once a stanza's Package field fails the name
 * globs, its lines are only looked at for the blank line that ends it. */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "probe-builder/alloc.h"
#include "repo/index.h"

/* The read buffer; a line longer than it is cut there and the rest of it
 * thrown away (a 1 MiB Description line costs nothing more). */
#define PKG_BUF (256 * 1024)
/* A value kept (name, version, file name...) longer than this is bad. */
#define FIELD_MAX 4096

enum fid {
	F_PACKAGE,
	F_VERSION,
	F_ARCH,
	F_FILENAME,
	F_SIZE,
	F_SHA256,
	F_N_REQUIRED,
	F_DEPENDS = F_N_REQUIRED, /* optional: a kernel's closure follows it */
	F_N,
	F_NONE = -1, /* a field we do not keep, or no field yet */
};

static const char *const field_names[F_N] = {
	"Package", "Version", "Architecture", "Filename",
	"Size",	   "SHA256",  "Depends",
};

struct field {
	size_t len;
	int set;
	int bad; /* too long, a NUL byte, given twice, continued */
	char s[FIELD_MAX];
};

struct glob {
	const char *pat;
	size_t prefix; /* its literal head: a name that lacks it cannot match */
};

struct pkgs {
	const char *path;
	struct glob *globs; /* NULL: every name */
	size_t n_globs;
	pb_pkg_cb cb;
	void *ctx;
	struct pb_index_stats st;
	struct pb_err *err;

	/* the stanza being read */
	int in_stanza;
	int skip;     /* its name does not match: wait for the blank line */
	enum fid cur; /* the field continuation lines belong to */
	struct field f[F_N];

	char buf[PKG_BUF];
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int name_matches(const struct pkgs *p, const char *name, size_t len)
{
	if (!p->globs)
		return 1;
	for (size_t i = 0; i < p->n_globs; i++) {
		const struct glob *g = &p->globs[i];

		if (g->prefix > len || memcmp(g->pat, name, g->prefix) != 0)
			continue;
		if (fnmatch(g->pat, name, 0) == 0)
			return 1;
	}
	return 0;
}

static enum fid field_id(const char *name, size_t len)
{
	int i;

	switch (len) {
	case 4:
		i = F_SIZE;
		break;
	case 6:
		i = F_SHA256;
		break;
	case 7:
		if (name[0] == 'P' || name[0] == 'p')
			i = F_PACKAGE;
		else if (name[0] == 'D' || name[0] == 'd')
			i = F_DEPENDS;
		else
			i = F_VERSION;
		break;
	case 8:
		i = F_FILENAME;
		break;
	case 12:
		i = F_ARCH;
		break;
	default:
		return F_NONE;
	}
	/* field names are case-insensitive */
	if (strncasecmp(name, field_names[i], len) != 0)
		return F_NONE;
	return (enum fid)i;
}

static void reset_stanza(struct pkgs *p)
{
	p->in_stanza = 0;
	p->skip = 0;
	p->cur = F_NONE;
	for (int i = 0; i < F_N; i++) {
		p->f[i].set = 0;
		p->f[i].bad = 0;
		p->f[i].len = 0;
	}
}

static int parse_size(const char *s, int64_t *out)
{
	int64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (INT64_MAX - (*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

/* 64 hex digits, made lowercase in place */
static int check_sha256(char *s, size_t len)
{
	if (len != 64)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'F')
			s[i] = (char)(c - 'A' + 'a');
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -EINVAL;
	}
	return 0;
}

static int end_stanza(struct pkgs *p)
{
	struct field *f = p->f;
	struct pb_pkg_rec rec = {0};
	int ret;

	if (!p->in_stanza)
		return 0;
	p->st.records++;
	if (p->skip)
		goto out;
	if (!f[F_PACKAGE].set && p->globs)
		goto out; /* no name to match */
	for (int i = 0; i < F_N_REQUIRED; i++) {
		if (!f[i].set || f[i].bad || !f[i].len) {
			p->st.skipped++;
			goto out;
		}
	}
	if (parse_size(f[F_SIZE].s, &rec.size) ||
	    check_sha256(f[F_SHA256].s, f[F_SHA256].len)) {
		p->st.skipped++;
		goto out;
	}
	rec.name = f[F_PACKAGE].s;
	rec.version = f[F_VERSION].s;
	rec.arch = f[F_ARCH].s;
	rec.location = f[F_FILENAME].s;
	rec.base = NULL;
	rec.sha256 = f[F_SHA256].s;
	/* a Depends too long or continued is not guessed at: unknown */
	rec.depends =
		f[F_DEPENDS].set && !f[F_DEPENDS].bad ? f[F_DEPENDS].s : NULL;
	p->st.matched++;
	ret = p->cb(&rec, p->ctx);
	if (ret < 0) {
		pb_err_set(p->err, ret, "%s: package %s %s: stopped: %s",
			   p->path, rec.name, rec.version, strerror(-ret));
		return ret;
	}
out:
	reset_stanza(p);
	return 0;
}

/* A "Name: value" line; cut: the line was longer than the buffer and this
 * is only its head. */
static void field_line(struct pkgs *p, const char *s, size_t len, int cut)
{
	const char *colon = memchr(s, ':', len);
	const char *v, *end = s + len;
	size_t nlen;
	struct field *f;
	enum fid id;

	p->cur = F_NONE;
	if (!colon)
		return; /* not a field: nothing to keep from it */
	nlen = (size_t)(colon - s);
	while (nlen && is_blank(s[nlen - 1]))
		nlen--;
	id = field_id(s, nlen);
	if (id == F_NONE)
		return;
	p->cur = id;
	f = &p->f[id];
	if (f->set) {
		f->bad = 1; /* twice in one stanza: which one to believe? */
		return;
	}
	f->set = 1;
	v = colon + 1;
	while (v < end && is_blank(*v))
		v++;
	while (end > v && is_blank(end[-1]))
		end--;
	f->len = (size_t)(end - v);
	if (cut || f->len >= FIELD_MAX || memchr(v, '\0', f->len)) {
		f->bad = 1;
		f->len = 0;
	} else {
		memcpy(f->s, v, f->len);
	}
	f->s[f->len] = '\0';
	if (id == F_PACKAGE && !name_matches(p, f->s, f->len) && !f->bad)
		p->skip = 1;
}

/* One line, without its '\n' (a '\r' before it is dropped here). */
static int line(struct pkgs *p, const char *s, size_t len, int cut)
{
	size_t i;

	if (len && s[len - 1] == '\r')
		len--;
	if (len == 0)
		return end_stanza(p);
	if (is_blank(s[0])) {
		/* a continuation line, or a blank one made of spaces */
		for (i = 1; i < len && is_blank(s[i]); i++)
			;
		if (i == len && !cut)
			return end_stanza(p);
		if (!p->in_stanza)
			return 0; /* continuing nothing: ignore it */
		/* the fields kept are one line each */
		if (!p->skip && p->cur != F_NONE)
			p->f[p->cur].bad = 1;
		return 0;
	}
	p->in_stanza = 1;
	if (p->skip)
		return 0;
	field_line(p, s, len, cut);
	return 0;
}

static int run(struct pkgs *p, struct pb_decomp *d)
{
	size_t have = 0; /* bytes in buf */
	int discard = 0; /* dropping the tail of a line too long */
	int eof = 0, ret;

	while (!eof) {
		const char *s, *end, *nl;
		long n = pb_decomp_read(d, p->buf + have, PKG_BUF - have,
					p->err);

		if (n < 0)
			return (int)n;
		if (n == 0)
			eof = 1;
		s = p->buf;
		end = p->buf + have + n;
		if (discard) {
			nl = memchr(s, '\n', (size_t)(end - s));
			if (!nl) {
				have = 0;
				continue;
			}
			discard = 0;
			s = nl + 1;
		}
		while ((nl = memchr(s, '\n', (size_t)(end - s)))) {
			ret = line(p, s, (size_t)(nl - s), 0);
			if (ret)
				return ret;
			s = nl + 1;
		}
		have = (size_t)(end - s);
		if (have == PKG_BUF) {
			/* a line as long as the buffer: keep its head only */
			ret = line(p, s, have, 1);
			if (ret)
				return ret;
			discard = 1;
			have = 0;
		} else if (eof && have) {
			/* the last line without its '\n' */
			ret = line(p, s, have, 0);
			if (ret)
				return ret;
		} else if (have && s != p->buf) {
			memmove(p->buf, s, have);
		}
	}
	/* the last stanza, without a blank line after it */
	return end_stanza(p);
}

int pb_deb_packages_parse(const char *path, const char *const *globs,
			  pb_pkg_cb cb, void *ctx, struct pb_index_stats *stats,
			  struct pb_err *err)
{
	struct pb_decomp *d = NULL;
	struct pkgs *p;
	size_t n = 0;
	int ret;

	if (stats)
		memset(stats, 0, sizeof(*stats));
	p = pb_malloc(1, sizeof(*p), err);
	if (!p)
		return -ENOMEM;
	memset(p, 0, offsetof(struct pkgs, buf));
	p->path = path;
	p->cb = cb;
	p->ctx = ctx;
	p->err = err;
	reset_stanza(p);
	if (globs) {
		while (globs[n])
			n++;
		p->globs = pb_calloc(n, sizeof(*p->globs), err);
		if (!p->globs) {
			ret = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			p->globs[i].pat = globs[i];
			p->globs[i].prefix = strcspn(globs[i], "*?[\\");
		}
		p->n_globs = n;
	}
	ret = pb_decomp_open(path, &d, err);
	if (ret)
		goto out;
	ret = run(p, d);
	if (stats)
		*stats = p->st;
out:
	pb_decomp_close(d);
	free(p->globs);
	free(p);
	return ret;
}
