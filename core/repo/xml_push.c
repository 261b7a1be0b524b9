#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlerror.h>

#include "probe-builder/alloc.h"
#include "repo/index.h"
#include "repo/xml_push.h"

void pb_xml_fail(struct pb_xml_base *b, int code, const char *fmt, ...)
{
	va_list ap;

	if (!b->ret) {
		b->ret = code;
		if (b->err) {
			b->err->code = code;
			va_start(ap, fmt);
			vsnprintf(b->err->msg, sizeof(b->err->msg), fmt, ap);
			va_end(ap);
		}
	}
	if (b->xml)
		xmlStopParser(b->xml);
}

void pb_xml_on_doctype(void *ctx, const xmlChar *name,
		       const xmlChar *ExternalID, const xmlChar *SystemID)
{
	struct pb_xml_base *b = ctx;

	(void)name;
	(void)ExternalID;
	(void)SystemID;
	pb_xml_fail(b, -EPERM, "refused: DOCTYPE/entity in %s", b->path);
}

void pb_xml_on_entity(void *ctx, const xmlChar *name, int type,
		      const xmlChar *publicId, const xmlChar *systemId,
		      xmlChar *content)
{
	(void)type;
	(void)publicId;
	(void)systemId;
	(void)content;
	pb_xml_on_doctype(ctx, name, NULL, NULL);
}

void pb_xml_on_error(void *ctx, xmlErrorPtr e)
{
	struct pb_xml_base *b = ctx;
	char *dst = NULL;
	size_t len;

	if (e->level == XML_ERR_FATAL && !b->fatal[0])
		dst = b->fatal;
	else if (e->level == XML_ERR_ERROR && !b->error[0])
		dst = b->error;
	if (!dst)
		return;
	/* libxml2 2.9 says "Extra content at the end of the document" of
	 * a document cut short or of no document at all: say which */
	if (e->code == XML_ERR_DOCUMENT_END && !b->seen_root)
		snprintf(dst, sizeof(b->fatal),
			 "line %d: no XML document in it", e->line);
	else if (e->code == XML_ERR_DOCUMENT_END && b->depth > 0)
		snprintf(dst, sizeof(b->fatal),
			 "line %d: the document is cut short (%d elements "
			 "not closed)",
			 e->line, b->depth);
	else
		snprintf(dst, sizeof(b->fatal), "line %d: %s", e->line,
			 e->message ? e->message : "XML error");
	len = strlen(dst);
	while (len && strchr(" \t\r\n", dst[len - 1]))
		dst[--len] = '\0';
}

void pb_xml_on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
		     const xmlChar *URI, int nb_namespaces,
		     const xmlChar **namespaces, int nb_attributes,
		     int nb_defaulted, const xmlChar **attributes)
{
	struct pb_xml_base *b = ctx;

	(void)prefix;
	(void)URI;
	(void)nb_namespaces;
	(void)namespaces;
	(void)nb_defaulted;
	b->depth++;
	b->seen_root = 1;
	b->start(b, (const char *)localname, attributes, nb_attributes);
}

void pb_xml_on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
		   const xmlChar *URI)
{
	struct pb_xml_base *b = ctx;

	(void)localname;
	(void)prefix;
	(void)URI;
	b->end(b);
	b->depth--;
}

/* The parse failed: the fault of ours, or libxml2's first error. */
static int parse_failed(struct pb_xml_base *b)
{
	if (b->ret)
		return b->ret;
	return pb_err_set(b->err, -EINVAL, "%s: %s", b->path,
			  b->fatal[0]	? b->fatal
			  : b->error[0] ? b->error
					: "broken XML");
}

int pb_xml_push_file(struct pb_xml_base *b, xmlSAXHandler *sax, size_t chunk)
{
	struct pb_decomp *d = NULL;
	char *buf = pb_malloc(chunk, 1, b->err);
	long n;
	int ret;

	b->xml = NULL;
	if (!buf)
		return -ENOMEM;
	ret = pb_decomp_open(b->path, &d, b->err);
	if (ret)
		goto out;
	xmlInitParser();
	/* the first bytes tell the encoding */
	n = pb_decomp_read(d, buf, 4, b->err);
	if (n < 0) {
		ret = (int)n;
		goto out;
	}
	b->xml = xmlCreatePushParserCtxt(sax, b, buf, (int)n, b->path);
	if (!b->xml) {
		ret = pb_err_set(b->err, -ENOMEM,
				 "%s: cannot make an XML parser", b->path);
		goto out;
	}
	/* never the network, never entities substituted (no NOENT), no
	 * external subset (no DTDLOAD) */
	xmlCtxtUseOptions(b->xml, XML_PARSE_NONET | XML_PARSE_NOCDATA);
	do {
		n = pb_decomp_read(d, buf, chunk, b->err);
		if (n < 0) {
			ret = (int)n;
			goto out;
		}
		if (xmlParseChunk(b->xml, buf, (int)n, n == 0) != 0 || b->ret) {
			ret = parse_failed(b);
			goto out;
		}
	} while (n > 0);
	ret = b->xml->wellFormed ? 0 : parse_failed(b);
out:
	if (b->xml)
		xmlFreeParserCtxt(b->xml);
	b->xml = NULL;
	pb_decomp_close(d);
	free(buf);
	return ret;
}

const xmlChar *pb_xml_attr(const xmlChar **attrs, int n, const char *name,
			   const char *prefix, size_t *len)
{
	for (int i = 0; i < n; i++, attrs += 5) {
		if (strcmp((const char *)attrs[0], name) != 0)
			continue;
		if (prefix ? !attrs[1] || strcmp((const char *)attrs[1], prefix)
			   : attrs[1] != NULL)
			continue;
		*len = (size_t)(attrs[4] - attrs[3]);
		return attrs[3];
	}
	return NULL;
}

int pb_xml_attr_is(const xmlChar **attrs, int n, const char *name,
		   const char *want)
{
	size_t len = 0;
	const xmlChar *s = pb_xml_attr(attrs, n, name, NULL, &len);

	return s && len == strlen(want) && memcmp(s, want, len) == 0;
}

size_t pb_xml_unescape_amp(char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		s[o++] = s[i];
		if (s[i] == '&' && len - i >= 5 &&
		    memcmp(s + i, "&#38;", 5) == 0)
			i += 4;
	}
	s[o] = '\0';
	return o;
}
