/* Feeding a file to a libxml2 SAX2 push parser, chunk by chunk straight
 * from the decompressor: what the RPM metadata parsers share. */
#ifndef PB_XML_PUSH_H
#define PB_XML_PUSH_H

#include <stddef.h>

#include <libxml/parser.h>

#include "probe-builder/error.h"

/* Parses path (any compression) with sax, user being the handlers' ctx:
 * never the network, never entities substituted, no external subset.
 * *slot holds the parser while it runs (handlers stop it through it) and
 * is NULL again on return. Returns 0 for a whole, well-formed document; 1
 * when the parse failed or a handler made *stopped non-zero (the caller
 * says why, from what its handlers saw); a negative errno, with err
 * filled, when the file could not be read. */
int pb_xml_push_file(const char *path, xmlSAXHandler *sax, void *user,
		     size_t chunk, const int *stopped, xmlParserCtxtPtr *slot,
		     struct pb_err *err);

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
