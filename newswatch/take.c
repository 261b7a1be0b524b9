/* One article into the queue (see take.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "daemon.h"
#include "log.h"
#include "probe-builder/alloc.h"
#include "render.h"
#include "spool.h"
#include "take.h"

#define MAX_HEADER (256 * 1024)

/* The checkpoint says "everything up to N in this group is taken": it may
 * not pass an article of the group still waiting to be complete, or a
 * restart would skip it. */
static void advance(struct nw_daemon *d, const char *group,
		    unsigned long number)
{
	struct pb_err err = {0};

	if (nw_pending_before(d, group, number))
		return;
	if (nw_checkpoint_set(d->cp, group, number, &err) < 0)
		nw_log(NW_WARN, "checkpoint not moved past %s %lu: %s", group,
		       number, err.msg);
}

/* The beginning of path, where its header block is (malloc'd): 0, or a
 * negative errno (-ENOENT: gone, cancelled) */
static int read_head(const char *path, char **data, size_t *len,
		     struct pb_err *err)
{
	FILE *f = fopen(path, "rb");

	*data = NULL;
	*len = 0;
	if (!f)
		return pb_err_set(err, -errno, "%s: %s", path, strerror(errno));
	*data = pb_malloc(MAX_HEADER + 1, 1, err);
	if (*data)
		*len = fread(*data, 1, MAX_HEADER, f);
	fclose(f);
	return *data ? 0 : -ENOMEM;
}

/* The notification of a (id: its Message-ID or one made up), queued */
static int enqueue(struct nw_daemon *d, const char *id, const char *body,
		   const char *group, struct pb_err *err)
{
	char *key = nw_idempotency_key(id, group, err);
	int ret;

	if (!key)
		return -ENOMEM;
	ret = nw_queue_put(d->q, id, key, body, err);
	free(key);
	return ret;
}

/* Whether the header block is all there: its blank line, or as much as
 * is ever read of it. */
static int head_whole(const char *data, size_t len)
{
	size_t i;

	if (len >= MAX_HEADER)
		return 1;
	for (i = 0; i + 1 < len; i++)
		if (data[i] == '\n' && (data[i + 1] == '\n' ||
					(data[i + 1] == '\r' && i + 2 < len &&
					 data[i + 2] == '\n')))
			return 1;
	return 0;
}

int nw_take(struct nw_daemon *d, const char *path, int complete)
{
	char group[512], idbuf[600], *data, *body = NULL;
	struct pb_err err = {0};
	struct nw_article a;
	unsigned long number;
	const char *id;
	size_t len;
	int ret;

	if (!nw_spool_article(d->cfg.spool, path, group, sizeof(group),
			      &number))
		return 1;
	if (!nw_group_wanted(group, d->cfg.include, d->cfg.exclude)) {
		advance(d, group, number);
		return 1;
	}
	ret = read_head(path, &data, &len, &err);
	if (ret < 0 && ret != -ENOENT)
		nw_log(NW_DEBUG, "%s; looked at again later", err.msg);
	if (ret < 0)
		return ret == -ENOENT; /* cancelled, or not yet */
	/* unchanged for settle_ms but no whole header block, and its writer
	 * has not said it is done (the eBPF backend sees a creation, not a
	 * close): a writer slower than settle_ms, looked at again later */
	if (!complete && !head_whole(data, len)) {
		free(data);
		nw_log(NW_DEBUG, "%s: headers not all there yet", path);
		return 0;
	}
	ret = nw_article_parse(data, len, MAX_HEADER, &a, &err);
	free(data);
	if (ret < 0) {
		nw_log(NW_WARN, "%s: not an article we can read: %s", path,
		       err.msg);
		advance(d, group, number);
		d->n_skipped++;
		return 1;
	}
	/* a cross-post is one article in several groups: one notification */
	id = a.message_id;
	if (!id) {
		snprintf(idbuf, sizeof(idbuf), "<%s/%lu@newswatch>", group,
			 number);
		id = idbuf;
	}
	if (nw_queue_known(d->q, id)) {
		nw_log(NW_DEBUG, "%s: %s already notified", path, id);
		nw_article_free(&a);
		advance(d, group, number);
		return 1;
	}
	{
		struct nw_item it = {&a, group, path, number};

		ret = nw_render(d->cfg.template_, &it, &body, &err);
	}
	/* a template that fails never will: dropped; a queue that fails may
	 * take it later */
	if (ret < 0) {
		nw_log(NW_ERR, "%s: %s", path, err.msg);
		nw_article_free(&a);
		return 1;
	}
	ret = enqueue(d, id, body, group, &err);
	if (ret < 0)
		nw_log(NW_ERR, "%s: %s", path, err.msg);
	else
		nw_log(NW_INFO, "%s: %s in %s queued", path, id, group);
	free(body);
	if (ret < 0) {
		nw_article_free(&a);
		return 0;
	}
	d->n_notified++;
	advance(d, group, number);
	nw_article_free(&a);
	return 1;
}
