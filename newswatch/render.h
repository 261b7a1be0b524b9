/* The webhook body: a JSON template whose {placeholders} are replaced by
 * the article's fields, JSON-escaped: {subject} {from} {newsgroups}
 * {group} {message_id} {date} {path} {number}, and {text}, a one-line
 * summary. The default is Slack's incoming webhook: {"text": "{text}"}. */
#ifndef NW_RENDER_H
#define NW_RENDER_H

#include "article.h"

#define NW_DEFAULT_TEMPLATE "{\"text\": \"{text}\"}"

struct nw_item {
	const struct nw_article *article;
	const char *group; /* where it was seen */
	const char *path;
	unsigned long number;
};

/* A malloc'd JSON document, or NULL with a message when the result is not
 * valid JSON (a template error). */
char *nw_render(const char *tmpl, const struct nw_item *it, char *err,
		size_t errlen);

#endif
