#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "repo/index.h"
#include "repo/xml_push.h"

int pb_xml_push_file(const char *path, xmlSAXHandler *sax, void *user,
		     size_t chunk, const int *stopped, xmlParserCtxtPtr *slot,
		     struct pb_err *err)
{
	struct pb_decomp *d = NULL;
	char *buf = malloc(chunk);
	long n;
	int ret;

	*slot = NULL;
	if (!buf)
		return pb_err_set(err, -ENOMEM, "%s: out of memory", path);
	ret = pb_decomp_open(path, &d, err);
	if (ret)
		goto out;
	xmlInitParser();
	/* the first bytes tell the encoding */
	n = pb_decomp_read(d, buf, 4, err);
	if (n < 0) {
		ret = (int)n;
		goto out;
	}
	*slot = xmlCreatePushParserCtxt(sax, user, buf, (int)n, path);
	if (!*slot) {
		ret = pb_err_set(err, -ENOMEM, "%s: cannot make an XML parser",
				 path);
		goto out;
	}
	/* never the network, never entities substituted (no NOENT), no
	 * external subset (no DTDLOAD) */
	xmlCtxtUseOptions(*slot, XML_PARSE_NONET | XML_PARSE_NOCDATA);
	do {
		n = pb_decomp_read(d, buf, chunk, err);
		if (n < 0) {
			ret = (int)n;
			goto out;
		}
		if (xmlParseChunk(*slot, buf, (int)n, n == 0) != 0 ||
		    *stopped) {
			ret = 1;
			goto out;
		}
	} while (n > 0);
	ret = (*slot)->wellFormed ? 0 : 1;
out:
	if (*slot)
		xmlFreeParserCtxt(*slot);
	*slot = NULL;
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
