/* The webhook body: a JSON template whose {placeholders} are replaced by
 * the article's fields, JSON-escaped: {subject} {from} {newsgroups}
 * {group} {message_id} {date} {path} {number}, and {text}, a one-line
 * summary. The default is Slack's incoming webhook: {"text": "{text}"}. */
#ifndef NW_RENDER_H
#define NW_RENDER_H

#include "probe-builder/error.h"

#include "article.h"

#define NW_DEFAULT_TEMPLATE "{\"text\": \"{text}\"}"

struct nw_item {
	const struct nw_article *article;
	const char *group; /* where it was seen */
	const char *path;
	unsigned long number;
};

/* The body, a malloc'd JSON document, in *body: 0, or a negative errno
 * with err filled (-EINVAL: the result is not valid JSON, a template
 * error) and *body NULL. */
int nw_render(const char *tmpl, const struct nw_item *it, char **body,
	      struct pb_err *err);

#endif
