/* RPM repomd.xml: where primary.xml is, its size and SHA-256. The file is
 * small but comes from the network like primary.xml, so it is read the
 * same way: SAX2 push parser, no network, no entity substitution, any
 * DOCTYPE refused before its declarations are read. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "probe-builder/alloc.h"
#include "repo/index.h"
#include "repo/xml_push.h"

#define REPOMD_CHUNK (64 * 1024)
#define TEXT_MAX 4096

struct repomd {
	struct pb_xml_base b; /* first: the handlers' ctx is either */
	int data_depth;	      /* depth of <data type="primary">, 0: not in it */
	int done;	      /* the first primary entry was read */
	int found;
	char *text; /* where the text of <checksum> or <size> goes */
	size_t text_len;
	int text_bad;

	char *href;
	char sha256[TEXT_MAX];
	int sha_wanted; /* the checksum type is sha256 */
	char size[TEXT_MAX];
	int size_seen;
};

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void fail(struct repomd *r, int code, const char *what)
{
	pb_xml_fail(&r->b, code, "%s in %s", what, r->b.path);
}

static void start_text(struct repomd *r, char *dst)
{
	r->text = dst;
	r->text_len = 0;
	r->text_bad = 0;
	dst[0] = '\0';
}

static void on_start(struct pb_xml_base *b, const char *name,
		     const xmlChar **attributes, int nb_attributes)
{
	struct repomd *r = (struct repomd *)b;

	if (!r->data_depth) {
		if (!r->done && strcmp(name, "data") == 0 &&
		    pb_xml_attr_is(attributes, nb_attributes, "type",
				   "primary")) {
			r->data_depth = r->b.depth;
			r->found = 1;
		}
		return;
	}
	if (r->b.depth != r->data_depth + 1)
		return;
	if (strcmp(name, "location") == 0 && !r->href) {
		size_t len;
		const xmlChar *s = pb_xml_attr(attributes, nb_attributes,
					       "href", NULL, &len);

		if (s) {
			/* the fault goes through fail(): it stops the parse */
			struct pb_err oom;

			r->href = pb_strndup((const char *)s, len, &oom);
			if (!r->href)
				fail(r, -ENOMEM, oom.msg);
			else
				pb_xml_unescape_amp(r->href, strlen(r->href));
		}
	} else if (strcmp(name, "checksum") == 0) {
		r->sha_wanted = pb_xml_attr_is(attributes, nb_attributes,
					       "type", "sha256");
		start_text(r, r->sha256);
	} else if (strcmp(name, "size") == 0) {
		r->size_seen = 1;
		start_text(r, r->size);
	}
}

static void on_end(struct pb_xml_base *b)
{
	struct repomd *r = (struct repomd *)b;

	if (r->data_depth && r->b.depth == r->data_depth + 1)
		r->text = NULL;
	if (r->data_depth && r->b.depth == r->data_depth) {
		r->data_depth = 0;
		r->done = 1;
	}
}

static void on_text(void *ctx, const xmlChar *ch, int len)
{
	struct repomd *r = ctx;

	if (!r->text || r->text_bad)
		return;
	if ((size_t)len >= TEXT_MAX - r->text_len) {
		r->text_bad = 1;
		fail(r, -EINVAL, "a value too long");
		return;
	}
	memcpy(r->text + r->text_len, ch, (size_t)len);
	r->text_len += (size_t)len;
	r->text[r->text_len] = '\0';
}

static xmlSAXHandler repomd_sax = {
	PB_XML_SAX_BASE,
	.characters = on_text,
	.ignorableWhitespace = on_text,
	.cdataBlock = on_text,
};

/* trims s in place; returns its new length */
static size_t trim(char *s)
{
	size_t b = 0, len = strlen(s);

	while (b < len && is_space(s[b]))
		b++;
	while (len > b && is_space(s[len - 1]))
		len--;
	memmove(s, s + b, len - b);
	s[len - b] = '\0';
	return len - b;
}

static int finish(struct repomd *r, struct pb_repomd *out)
{
	size_t len;

	if (!r->found)
		return pb_err_set(r->b.err, -ENOENT,
				  "%s: no <data type=\"primary\">", r->b.path);
	if (!r->href || !r->href[0])
		return pb_err_set(r->b.err, -EINVAL,
				  "%s: the primary entry has no location",
				  r->b.path);
	out->primary_size = -1;
	if (r->size_seen) {
		int64_t v = 0;

		len = trim(r->size);
		if (!len)
			goto bad_size;
		for (size_t i = 0; i < len; i++) {
			char c = r->size[i];

			if (c < '0' || c > '9' ||
			    v > (INT64_MAX - (c - '0')) / 10)
				goto bad_size;
			v = v * 10 + (c - '0');
		}
		out->primary_size = v;
	}
	out->primary_sha256[0] = '\0';
	if (r->sha_wanted) {
		len = trim(r->sha256);
		if (len != 64)
			goto bad_sha;
		for (size_t i = 0; i < 64; i++) {
			char c = r->sha256[i];

			if (c >= 'A' && c <= 'F')
				c = (char)(c - 'A' + 'a');
			else if (!((c >= '0' && c <= '9') ||
				   (c >= 'a' && c <= 'f')))
				goto bad_sha;
			out->primary_sha256[i] = c;
		}
		out->primary_sha256[64] = '\0';
	}
	out->primary_href = r->href;
	r->href = NULL;
	return 0;
bad_size:
	return pb_err_set(
		r->b.err, -EINVAL,
		"%s: the primary entry's size '%.40s' is not a number",
		r->b.path, r->size);
bad_sha:
	return pb_err_set(r->b.err, -EINVAL,
			  "%s: the primary entry's sha256 '%.80s' is not one",
			  r->b.path, r->sha256);
}

int pb_repomd_parse(const char *path, struct pb_repomd *out, struct pb_err *err)
{
	struct repomd *r;
	int ret;

	memset(out, 0, sizeof(*out));
	out->primary_size = -1;
	r = pb_calloc(1, sizeof(*r), err);
	if (!r)
		return -ENOMEM;
	r->b.path = path;
	r->b.err = err;
	r->b.start = on_start;
	r->b.end = on_end;
	/* plain as a rule, but a compressed one costs nothing */
	ret = pb_xml_push_file(&r->b, &repomd_sax, REPOMD_CHUNK);
	if (ret == 0)
		ret = finish(r, out);
	free(r->href);
	free(r);
	return ret;
}

void pb_repomd_free(struct pb_repomd *r)
{
	if (!r)
		return;
	free(r->primary_href);
	memset(r, 0, sizeof(*r));
	r->primary_size = -1;
}
