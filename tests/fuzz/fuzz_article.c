/* newswatch's article parser (newswatch/article.c) and its RFC 2047
 * decoder (newswatch/rfc2047.c). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "fuzz.h"
#include "rfc2047.h"

static void check_article(const struct nw_article *a)
{
	size_t i;

	if (!a->newsgroups || a->n_newsgroups == 0)
		abort();
	for (i = 0; i < a->n_newsgroups; i++)
		if (!a->newsgroups[i] || !a->newsgroups[i][0])
			abort();
	if (a->newsgroups[a->n_newsgroups])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nw_article a;
	struct pb_err err;
	char *s, *d;

	if (nw_article_parse((const char *)data, size, 0, &a, &err) == 0) {
		check_article(&a);
		nw_article_free(&a);
	}
	/* a small header limit: the -EMSGSIZE paths */
	if (nw_article_parse((const char *)data, size, 64, &a, &err) == 0) {
		check_article(&a);
		nw_article_free(&a);
	}
	s = pb_fuzz_str(data, size);
	d = nw_rfc2047_decode(s);
	free(d);
	free(s);
	return 0;
}
