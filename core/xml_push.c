#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "index.h"
#include "xml_push.h"

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
