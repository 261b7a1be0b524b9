/* RPM primary.xml, streamed: the libxml2 SAX2 push parser is fed chunks
 * straight from the decompressor, and a small state table keeps the few
 * fields of each <package type="rpm"> that name a package file. Text is
 * copied only inside the elements kept; a package whose name fails the
 * globs is only walked through. Any DOCTYPE is refused as soon as the
 * parser meets it, before an entity can be declared, expanded or
 * fetched. */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "probe-builder/alloc.h"
#include "repo/index.h"
#include "repo/xml_push.h"

/* what is read from the decompressor and pushed at a time */
#define PRIMARY_CHUNK (256 * 1024)
/* a value kept longer than this makes the package unusable */
#define VAL_MAX 4096

struct val {
	size_t len;
	int set;
	int bad; /* too long, given twice */
	char s[VAL_MAX];
};

enum vid {
	V_NAME,
	V_ARCH,
	V_VERSION, /* [epoch:]ver-rel, built from the attributes */
	V_SHA256,
	V_HREF,
	V_BASE,
	V_N,
};

struct primary {
	struct pb_xml_base b;	  /* first: the handlers' ctx is either */
	const char *const *globs; /* NULL: every name */
	pb_pkg_cb cb;
	void *ctx;
	struct pb_index_stats st;

	int pkg_depth;	  /* depth of the <package> we are in, 0: none */
	int pkg_rpm;	  /* its type is "rpm" */
	int skip;	  /* its name fails the globs */
	struct val *text; /* the value that text goes to, or NULL */
	int text_depth;
	int64_t size;
	int size_set;
	int size_bad;
	struct val v[V_N];
};

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int name_matches(const char *const *globs, const char *name)
{
	if (!globs)
		return 1;
	for (; *globs; globs++)
		if (fnmatch(*globs, name, 0) == 0)
			return 1;
	return 0;
}

/* ------------------------------------------------- values and packages */

static void val_set(struct val *v, const char *s, size_t len)
{
	if (v->set) {
		v->bad = 1;
		return;
	}
	v->set = 1;
	if (len >= VAL_MAX) {
		v->bad = 1;
		len = 0;
	}
	memcpy(v->s, s, len);
	v->len = len;
	v->s[len] = '\0';
}

static void val_append(struct val *v, const char *s, size_t len)
{
	if (v->bad)
		return;
	if (len >= VAL_MAX - v->len) {
		v->bad = 1;
		return;
	}
	memcpy(v->s + v->len, s, len);
	v->len += len;
	v->s[v->len] = '\0';
}

static void val_trim(struct val *v)
{
	size_t b = 0;

	while (b < v->len && is_space(v->s[b]))
		b++;
	while (v->len > b && is_space(v->s[v->len - 1]))
		v->len--;
	if (b)
		memmove(v->s, v->s + b, v->len - b);
	v->len -= b;
	v->s[v->len] = '\0';
}

static void new_package(struct primary *p, int rpm)
{
	p->pkg_depth = p->b.depth;
	p->pkg_rpm = rpm;
	p->skip = 0;
	p->text = NULL;
	p->size_set = 0;
	p->size_bad = 0;
	for (int i = 0; i < V_N; i++) {
		p->v[i].set = 0;
		p->v[i].bad = 0;
		p->v[i].len = 0;
		p->v[i].s[0] = '\0';
	}
}

static int check_sha256(struct val *v)
{
	if (v->len != 64)
		return -EINVAL;
	for (size_t i = 0; i < 64; i++) {
		char c = v->s[i];

		if (c >= 'A' && c <= 'F')
			v->s[i] = (char)(c - 'A' + 'a');
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -EINVAL;
	}
	return 0;
}

static void end_package(struct primary *p)
{
	struct pb_pkg_rec rec = {0};
	struct val *v = p->v;
	int ret;

	p->pkg_depth = 0;
	p->text = NULL;
	if (!p->pkg_rpm || p->skip)
		return;
	if (!v[V_NAME].set && p->globs)
		return; /* no name to match */
	for (int i = 0; i < V_N; i++) {
		if (i == V_BASE)
			continue;
		if (!v[i].set || v[i].bad || !v[i].len)
			goto unusable;
	}
	if (v[V_BASE].bad || !p->size_set || p->size_bad ||
	    check_sha256(&v[V_SHA256]))
		goto unusable;
	rec.name = v[V_NAME].s;
	rec.version = v[V_VERSION].s;
	rec.arch = v[V_ARCH].s;
	rec.location = v[V_HREF].s;
	rec.base = v[V_BASE].set && v[V_BASE].len ? v[V_BASE].s : NULL;
	rec.size = p->size;
	rec.sha256 = v[V_SHA256].s;
	p->st.matched++;
	ret = p->cb(&rec, p->ctx);
	if (ret < 0)
		pb_xml_fail(&p->b, ret, "%s: package %s-%s.%s: stopped: %s",
			    p->b.path, rec.name, rec.version, rec.arch,
			    strerror(-ret));
	return;
unusable:
	p->st.skipped++;
}

/* ------------------------------------------------------------ SAX2 */

static void version_attrs(struct primary *p, const xmlChar **attrs, int n)
{
	const xmlChar *e, *ver, *rel;
	size_t elen = 0, vlen = 0, rlen = 0;
	struct val *v = &p->v[V_VERSION];

	e = pb_xml_attr(attrs, n, "epoch", NULL, &elen);
	ver = pb_xml_attr(attrs, n, "ver", NULL, &vlen);
	rel = pb_xml_attr(attrs, n, "rel", NULL, &rlen);
	if (!ver || !vlen) {
		val_set(v, "", 0); /* set, empty: unusable */
		return;
	}
	val_set(v, "", 0);
	if (v->bad)
		return;
	if (e && !(elen == 0 || (elen == 1 && e[0] == '0'))) {
		val_append(v, (const char *)e, elen);
		val_append(v, ":", 1);
	}
	val_append(v, (const char *)ver, vlen);
	if (rel && rlen) {
		val_append(v, "-", 1);
		val_append(v, (const char *)rel, rlen);
	}
}

static void size_attr(struct primary *p, const xmlChar **attrs, int n)
{
	size_t len = 0;
	const xmlChar *s = pb_xml_attr(attrs, n, "package", NULL, &len);
	int64_t v = 0;

	if (p->size_set) {
		p->size_bad = 1;
		return;
	}
	p->size_set = 1;
	if (!s || !len) {
		p->size_bad = 1;
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' ||
		    v > (INT64_MAX - (s[i] - '0')) / 10) {
			p->size_bad = 1;
			return;
		}
		v = v * 10 + (s[i] - '0');
	}
	p->size = v;
}

static void location_attrs(struct primary *p, const xmlChar **attrs, int n)
{
	size_t len = 0;
	const xmlChar *s = pb_xml_attr(attrs, n, "href", NULL, &len);

	val_set(&p->v[V_HREF], s ? (const char *)s : "", s ? len : 0);
	p->v[V_HREF].len =
		pb_xml_unescape_amp(p->v[V_HREF].s, p->v[V_HREF].len);
	s = pb_xml_attr(attrs, n, "base", "xml", &len);
	if (s) {
		val_set(&p->v[V_BASE], (const char *)s, len);
		p->v[V_BASE].len =
			pb_xml_unescape_amp(p->v[V_BASE].s, p->v[V_BASE].len);
	}
}

static void text_into(struct primary *p, struct val *v)
{
	if (v->set) {
		v->bad = 1;
		return;
	}
	v->set = 1;
	v->len = 0;
	v->s[0] = '\0';
	p->text = v;
	p->text_depth = p->b.depth;
}

static void on_start(struct pb_xml_base *b, const char *name,
		     const xmlChar **attributes, int nb_attributes)
{
	struct primary *p = (struct primary *)b;

	if (!p->pkg_depth) {
		if (strcmp(name, "package") == 0) {
			p->st.records++;
			new_package(p, pb_xml_attr_is(attributes, nb_attributes,
						      "type", "rpm"));
		}
		return;
	}
	/* only the package's own children, never <format>'s */
	if (!p->pkg_rpm || p->skip || p->b.depth != p->pkg_depth + 1)
		return;
	switch (name[0]) {
	case 'n':
		if (strcmp(name, "name") == 0)
			text_into(p, &p->v[V_NAME]);
		break;
	case 'a':
		if (strcmp(name, "arch") == 0)
			text_into(p, &p->v[V_ARCH]);
		break;
	case 'v':
		if (strcmp(name, "version") == 0)
			version_attrs(p, attributes, nb_attributes);
		break;
	case 'c':
		if (strcmp(name, "checksum") == 0 &&
		    pb_xml_attr_is(attributes, nb_attributes, "type", "sha256"))
			text_into(p, &p->v[V_SHA256]);
		break;
	case 's':
		if (strcmp(name, "size") == 0)
			size_attr(p, attributes, nb_attributes);
		break;
	case 'l':
		if (strcmp(name, "location") == 0)
			location_attrs(p, attributes, nb_attributes);
		break;
	}
}

static void on_end(struct pb_xml_base *b)
{
	struct primary *p = (struct primary *)b;

	if (p->text && p->b.depth == p->text_depth) {
		struct val *v = p->text;

		p->text = NULL;
		val_trim(v);
		if (v == &p->v[V_NAME] && !v->bad &&
		    !name_matches(p->globs, v->s))
			p->skip = 1;
	}
	if (p->pkg_depth && p->b.depth == p->pkg_depth)
		end_package(p);
}

static void on_text(void *ctx, const xmlChar *ch, int len)
{
	struct primary *p = ctx;

	if (!p->text)
		return;
	val_append(p->text, (const char *)ch, (size_t)len);
}

static xmlSAXHandler primary_sax = {
	PB_XML_SAX_BASE,
	.characters = on_text,
	.ignorableWhitespace = on_text,
	.cdataBlock = on_text,
};

/* ------------------------------------------------------------ driver */

int pb_rpm_primary_parse(const char *path, const char *const *globs,
			 pb_pkg_cb cb, void *ctx, struct pb_index_stats *stats,
			 struct pb_err *err)
{
	struct primary *p;
	int ret;

	if (stats)
		memset(stats, 0, sizeof(*stats));
	p = pb_calloc(1, sizeof(*p), err);
	if (!p)
		return -ENOMEM;
	p->b.path = path;
	p->b.err = err;
	p->b.start = on_start;
	p->b.end = on_end;
	p->globs = globs;
	p->cb = cb;
	p->ctx = ctx;
	ret = pb_xml_push_file(&p->b, &primary_sax, PRIMARY_CHUNK);
	if (stats)
		*stats = p->st;
	free(p);
	return ret;
}
