/* Feeding a file to a libxml2 SAX2 push parser, chunk by chunk straight
 * from the decompressor: what the RPM metadata parsers share. */
#ifndef PB_XML_PUSH_H
#define PB_XML_PUSH_H

#include <stddef.h>

#include <libxml/parser.h>

#include "probe-builder/error.h"

/* What every SAX parser of ours keeps (as createrepo_c's parser data): a
 * parser's own struct starts with it, and its handlers, given that struct
 * as ctx, may take it as this base. */
struct pb_xml_base {
	const char *path;
	struct pb_err *err;
	xmlParserCtxtPtr xml; /* while it runs: handlers stop it through it */
	/* a fault of ours (a refused DOCTYPE, a callback, no memory): the
	 * first one is kept, and it stops the parse */
	int ret;
	int depth; /* elements open, the one starting or ending counted */
	int seen_root;
	/* the parser's element handlers, given the base (its struct) and
	 * an element's local name and attributes (SAX2's 5 pointers each) */
	void (*start)(struct pb_xml_base *b, const char *name,
		      const xmlChar **attrs, int n_attrs);
	void (*end)(struct pb_xml_base *b);
	/* libxml2's first fatal error and first other error, for the
	 * message when the parse fails */
	char fatal[512];
	char error[512];
};

/* Records a fault of ours (the first one counts: code, and the message in
 * b->err) and stops the parser. */
void pb_xml_fail(struct pb_xml_base *b, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Handlers for every parser: any DOCTYPE or entity declaration is refused
 * (-EPERM) as soon as the parser meets it, before an entity can be
 * declared, expanded or fetched; libxml2's errors are kept. */
void pb_xml_on_doctype(void *ctx, const xmlChar *name,
		       const xmlChar *ExternalID, const xmlChar *SystemID);
void pb_xml_on_entity(void *ctx, const xmlChar *name, int type,
		      const xmlChar *publicId, const xmlChar *systemId,
		      xmlChar *content);
void pb_xml_on_error(void *ctx, xmlErrorPtr e);
/* SAX2's element handlers: they keep depth and seen_root and call the
 * base's start and end. */
void pb_xml_on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
		     const xmlChar *URI, int nb_namespaces,
		     const xmlChar **namespaces, int nb_attributes,
		     int nb_defaulted, const xmlChar **attributes);
void pb_xml_on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
		   const xmlChar *URI);

/* The base's part of an xmlSAXHandler initializer. */
#define PB_XML_SAX_BASE                                                      \
	.initialized = XML_SAX2_MAGIC, .internalSubset = pb_xml_on_doctype,  \
	.externalSubset = pb_xml_on_doctype, .entityDecl = pb_xml_on_entity, \
	.serror = pb_xml_on_error, .startElementNs = pb_xml_on_start,        \
	.endElementNs = pb_xml_on_end

/* Parses b->path (any compression) with sax, b being the handlers' ctx:
 * never the network, never entities substituted, no external subset.
 * Returns 0 for a whole, well-formed document the handlers found no fault
 * in; else a negative errno with b->err filled: the handlers' fault
 * (b->ret), -EINVAL with libxml2's first error for a document that does
 * not parse, or why the file could not be read. */
int pb_xml_push_file(struct pb_xml_base *b, xmlSAXHandler *sax, size_t chunk);

/* A SAX2 attribute's value (attributes come as 5 pointers each:
 * localname, prefix, URI, value, end), its length in *len; prefix NULL
 * means an attribute without one. NULL when absent. */
const xmlChar *pb_xml_attr(const xmlChar **attrs, int n, const char *name,
			   const char *prefix, size_t *len);
/* Whether attribute name (no prefix) is there and is want. */
int pb_xml_attr_is(const xmlChar **attrs, int n, const char *name,
		   const char *want);
/* Without entity substitution, libxml2's SAX2 gives a '&' of an attribute
 * value as the five characters "&#38;" (and only that one: a '&' of the
 * document itself cannot be there): back to '&', in place. Returns the new
 * length. */
size_t pb_xml_unescape_amp(char *s, size_t len);

#endif
