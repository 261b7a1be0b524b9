/* newswatch: a webhook notification for every new article in INN's spool.
 *
 * Events (eBPF probe built per kernel by probe-builder, or fanotify) name
 * files created under the spool; an article (a numeric name under the
 * group hierarchy) is read once complete, parsed, rendered, and queued on
 * disk; a deliverer thread POSTs the queue in order, with retries. The
 * checkpoint lets a restart catch up on what arrived meanwhile; the sent
 * list keeps every article to one notification. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "article.h"
#include "bpfwatch.h"
#include "conf.h"
#include "fanwatch.h"
#include "log.h"
#include "queue.h"
#include "render.h"
#include "spool.h"
#include "util/clock.h"
#include "webhook.h"

#define MAX_HEADER (256 * 1024)

struct pending {
	char *path;
	double seen;	/* when it was first named */
	double changed; /* when its size last changed */
	off_t size;
	int complete; /* closed by its writer or renamed into place */
};

struct daemon {
	struct nw_config cfg;
	struct nw_queue *q;
	struct pending *p;
	size_t n_p, cap_p;
	unsigned long n_notified, n_skipped;
};

/* ------------------------------------------------------ one article */

/* The checkpoint says "everything up to N in this group is taken": it may
 * not pass an article of the group still waiting to be complete, or a
 * restart would skip it. */
static void advance(struct daemon *d, const char *group, unsigned long number)
{
	char g[512];
	unsigned long n;
	size_t i;

	for (i = 0; i < d->n_p; i++)
		if (nw_spool_article(d->cfg.spool, d->p[i].path, g, sizeof(g),
				     &n) &&
		    n < number && !strcmp(g, group))
			return;
	nw_checkpoint_set(d->q, group, number);
}

/* 1 when it was handled (queued, skipped or bad), 0 when it should be
 * looked at again later (not readable yet). */
static int take(struct daemon *d, const char *path)
{
	char group[512], err[512], *data = NULL, *body = NULL, *key = NULL,
				   idbuf[600];
	struct pb_err perr = {0};
	struct nw_article a;
	unsigned long number;
	const char *id;
	size_t len = 0;
	FILE *f;

	if (!nw_spool_article(d->cfg.spool, path, group, sizeof(group),
			      &number))
		return 1;
	if (!nw_group_wanted(group, d->cfg.include, d->cfg.exclude)) {
		advance(d, group, number);
		return 1;
	}
	f = fopen(path, "rb");
	if (!f)
		return errno == ENOENT ? 1 : 0; /* cancelled, or not yet */
	data = malloc(MAX_HEADER + 1);
	if (data)
		len = fread(data, 1, MAX_HEADER, f);
	fclose(f);
	if (!data)
		return 0;
	if (nw_article_parse(data, len, MAX_HEADER, &a, err, sizeof(err)) < 0) {
		nw_log(NW_WARN, "%s: not an article we can read: %s", path,
		       err);
		free(data);
		advance(d, group, number);
		d->n_skipped++;
		return 1;
	}
	free(data);
	/* a cross-post is one article in several groups: one notification */
	if (a.message_id) {
		id = a.message_id;
	} else {
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

		body = nw_render(d->cfg.template_, &it, err, sizeof(err));
	}
	key = body ? nw_idempotency_key(id, group) : NULL;
	if (body && !key)
		snprintf(err, sizeof(err), "out of memory");
	if (key && nw_queue_put(d->q, id, key, body, &perr) < 0)
		snprintf(err, sizeof(err), "%s", perr.msg);
	if (!key || perr.code) {
		nw_log(NW_ERR, "%s: %s", path, err);
		free(body);
		free(key);
		nw_article_free(&a);
		return body ? 0 : 1;
	}
	nw_log(NW_INFO, "%s: %s in %s queued", path, id, group);
	d->n_notified++;
	free(body);
	free(key);
	nw_article_free(&a);
	advance(d, group, number);
	return 1;
}

/* ---------------------------------------------- events to articles */

static void on_path(void *ctx, const char *path, int complete)
{
	struct daemon *d = ctx;
	char group[512];
	unsigned long number;
	size_t i;

	if (!nw_spool_article(d->cfg.spool, path, group, sizeof(group),
			      &number))
		return;
	for (i = 0; i < d->n_p; i++)
		if (!strcmp(d->p[i].path, path)) {
			d->p[i].complete |= complete;
			return;
		}
	if (d->n_p == d->cap_p) {
		size_t cap = d->cap_p ? d->cap_p * 2 : 64;
		struct pending *g = realloc(d->p, cap * sizeof(*g));

		if (!g)
			return;
		d->p = g;
		d->cap_p = cap;
	}
	memset(&d->p[d->n_p], 0, sizeof(d->p[0]));
	d->p[d->n_p].path = strdup(path);
	d->p[d->n_p].seen = d->p[d->n_p].changed = pb_now_s();
	d->p[d->n_p].size = -1;
	d->p[d->n_p].complete = complete;
	if (d->p[d->n_p].path)
		d->n_p++;
}

/* Articles are taken once complete: closed by their writer, or (links of
 * cross-posts, events without a close) unchanged for settle_ms. */
static void settle(struct daemon *d)
{
	double t = pb_now_s(), wait = (double)d->cfg.settle_ms / 1000.0;
	size_t i = 0;

	while (i < d->n_p) {
		struct pending *p = &d->p[i];
		struct stat st;
		int done = 0;

		if (stat(p->path, &st) < 0) {
			done = 1; /* gone */
		} else if (st.st_size != p->size) {
			p->size = st.st_size;
			p->changed = t;
		}
		if (!done && (p->complete || t - p->changed >= wait))
			done = take(d, p->path);
		if (!done && t - p->seen > 3600) {
			nw_log(NW_WARN, "%s: unreadable for an hour, dropped",
			       p->path);
			done = 1;
		}
		if (done) {
			/* in order: older articles are taken first */
			free(p->path);
			memmove(&d->p[i], &d->p[i + 1],
				(d->n_p - i - 1) * sizeof(*d->p));
			d->n_p--;
			continue;
		}
		i++;
	}
}

/* ------------------------------------------------------- catching up */

struct scan {
	struct daemon *d;
	char **paths;
	size_t n, cap;
	int first; /* no checkpoint yet: only note where the spool is */
	unsigned long n_existing;
};

static struct scan *the_scan;

static int scan_one(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	struct scan *s = the_scan;
	char group[512];
	unsigned long number;

	(void)st;
	(void)ftw;
	if (flag != FTW_F || !nw_spool_article(s->d->cfg.spool, path, group,
					       sizeof(group), &number))
		return 0;
	if (s->first) {
		nw_checkpoint_set(s->d->q, group, number);
		s->n_existing++;
		return 0;
	}
	if (number <= nw_checkpoint_get(s->d->q, group))
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		char **g = realloc(s->paths, cap * sizeof(*g));

		if (!g)
			return 0;
		s->paths = g;
		s->cap = cap;
	}
	s->paths[s->n] = strdup(path);
	if (s->paths[s->n])
		s->n++;
	return 0;
}

static unsigned long path_number(const char *p)
{
	const char *b = strrchr(p, '/');

	return strtoul(b ? b + 1 : p, NULL, 10);
}

/* in arrival order: by group, then number */
static int by_article(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	const char *bx = strrchr(x, '/'), *by = strrchr(y, '/');
	int c = strncmp(x, y, (size_t)((bx - x) < (by - y) ? bx - x : by - y));
	unsigned long nx = path_number(x), ny = path_number(y);

	if (c || (bx - x) != (by - y))
		return c ? c : (int)((bx - x) - (by - y));
	return nx < ny ? -1 : nx > ny;
}

/* What arrived while newswatch was not running (or while events were
 * lost): every article newer than the checkpoint of its group. */
static void catch_up(struct daemon *d)
{
	struct scan s = {.d = d};
	size_t i;

	s.first = !nw_checkpoint_exists(d->q);
	the_scan = &s;
	nftw(d->cfg.spool, scan_one, 32, FTW_PHYS);
	the_scan = NULL;
	if (s.first) {
		nw_checkpoint_save(d->q);
		nw_log(NW_INFO,
		       "first start: %lu articles already in %s are not "
		       "notified; new ones will be",
		       s.n_existing, d->cfg.spool);
		return;
	}
	qsort(s.paths, s.n, sizeof(*s.paths), by_article);
	if (s.n)
		nw_log(NW_INFO, "catching up on %zu articles", s.n);
	for (i = 0; i < s.n; i++) {
		on_path(d, s.paths[i], 0);
		free(s.paths[i]);
	}
	free(s.paths);
}

/* ---------------------------------------------------------- delivery */

static void *deliverer(void *arg)
{
	struct daemon *d = arg;
	unsigned long long seq;
	char *id, *key, *body;
	void *web = nw_webhook_new();

	while (nw_queue_next(d->q, &seq, &id, &key, &body)) {
		double pause = 1;

		if (body)
			nw_queue_inflight(d->q, seq);
		for (;;) {
			char why[512];
			enum nw_post_result r;

			if (!body) {
				nw_log(NW_ERR,
				       "queue entry %llu unreadable, "
				       "kept in failed/",
				       seq);
				nw_queue_done(d->q, seq, NULL, 0);
				break;
			}
			r = nw_webhook_post(web, d->cfg.webhook, key, body,
					    d->cfg.timeout_s, why, sizeof(why));
			if (r == NW_POST_OK) {
				int ret = nw_queue_done(d->q, seq, id, 1);

				if (ret < 0)
					nw_log(NW_ERR,
					       "%s delivered, but recording it "
					       "failed: %s",
					       id, strerror(-ret));
				else
					nw_log(NW_INFO, "%s delivered", id);
				break;
			}
			if (r == NW_POST_REFUSED) {
				int ret = nw_queue_done(d->q, seq, id, 0);

				nw_log(NW_ERR, "%s: %s; kept in failed/%s%s",
				       id, why, ret < 0 ? ": " : "",
				       ret < 0 ? strerror(-ret) : "");
				break;
			}
			nw_log(NW_WARN,
			       "%s: %s; retrying in %.0fs (%zu "
			       "queued)",
			       id, why, pause, nw_queue_pending(d->q));
			if (nw_queue_sleep(d->q, pause)) {
				/* stopped after a failed attempt: the
				 * receiver has not got it */
				nw_queue_inflight(d->q, 0);
				break;
			}
			pause *= 2;
			if (pause > (double)d->cfg.retry_max_s)
				pause = (double)d->cfg.retry_max_s;
		}
		free(id);
		free(key);
		free(body);
	}
	nw_webhook_free(web);
	return NULL;
}

/* ------------------------------------------------------------- main */

static void usage(FILE *f)
{
	fprintf(f, "Usage: newswatch [OPTION]...\n"
		   "Post a webhook notification for every new article in INN's "
		   "spool.\n\n"
		   "  -c, --config FILE   the configuration (default: "
		   "/etc/newswatch/newswatch.conf)\n"
		   "  -f, --foreground    stay in the foreground (systemd, "
		   "tests)\n"
		   "      --check-config  check the configuration, print it, "
		   "exit\n"
		   "      --backend B     auto, bpf or fanotify (overrides the "
		   "file)\n"
		   "  -v, --verbose       debug messages too\n"
		   "  -h, --help          this help\n"
		   "      --version       the version\n\n"
		   "See newswatch(8).\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"foreground", no_argument, NULL, 'f'},
		{"check-config", no_argument, NULL, 'C'},
		{"backend", required_argument, NULL, 'B'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	const char *conf = "/etc/newswatch/newswatch.conf", *backend = NULL;
	int opt, foreground = 0, check = 0, verbose = 0, rc = 1, sfd = -1,
		 tfd = -1;
	struct daemon d;
	struct nw_fanwatch fw = {-1, -1, 0};
	struct nw_bpfwatch *bw = NULL;
	pthread_t thr;
	int have_thr = 0;
	struct pb_err perr = {0};
	char err[1024];
	sigset_t mask;

	memset(&d, 0, sizeof(d));
	while ((opt = getopt_long(argc, argv, "c:fvh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			conf = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'C':
			check = 1;
			break;
		case 'B':
			backend = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("newswatch %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	nw_log_init(verbose);
	if (nw_config_load(conf, &d.cfg, err, sizeof(err)) < 0) {
		nw_log(NW_ERR, "%s", err);
		return 1;
	}
	if (backend) {
		free(d.cfg.backend);
		d.cfg.backend = strdup(backend);
	}
	if (nw_config_check(&d.cfg, err, sizeof(err)) < 0) {
		nw_log(NW_ERR, "%s", err);
		nw_config_free(&d.cfg);
		return 1;
	}
	if (check) {
		nw_config_print(&d.cfg);
		printf("# %s: OK\n", conf);
		nw_config_free(&d.cfg);
		return 0;
	}
	if (!foreground && daemon(0, 1) < 0) {
		nw_log(NW_ERR, "cannot go to the background: %s",
		       strerror(errno));
		goto out;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (nw_queue_open(d.cfg.state_dir, &d.q, &perr) < 0) {
		nw_log(NW_ERR, "%s", perr.msg);
		goto out;
	}
	/* signals through a file descriptor: the loop stays simple */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (sfd < 0 || tfd < 0) {
		nw_log(NW_ERR, "signalfd/timerfd: %s", strerror(errno));
		goto out;
	}
	{
		struct itimerspec its = {{0, 50000000}, {0, 50000000}};

		timerfd_settime(tfd, 0, &its, NULL);
	}
	/* the watch first, then the catch-up: nothing falls in between */
	if (strcmp(d.cfg.backend, "fanotify")) {
		if (nw_bpfwatch_open(&d.cfg, &bw, &perr) == 0) {
			nw_log(NW_INFO, "watching %s with the eBPF probe (%s)",
			       d.cfg.spool, nw_bpfwatch_object(bw));
		} else if (!strcmp(d.cfg.backend, "bpf")) {
			nw_log(NW_ERR, "eBPF: %s", perr.msg);
			goto out;
		} else {
			nw_log(NW_WARN,
			       "eBPF unavailable (%s): falling back "
			       "to fanotify",
			       perr.msg);
		}
	}
	if (!bw) {
		if (nw_fanwatch_open(d.cfg.spool, &fw, err, sizeof(err)) < 0) {
			nw_log(NW_ERR, "%s", err);
			goto out;
		}
		nw_log(NW_INFO, "watching %s with fanotify", d.cfg.spool);
	}
	if (pthread_create(&thr, NULL, deliverer, &d) != 0) {
		nw_log(NW_ERR, "cannot start the deliverer");
		goto out;
	}
	have_thr = 1;
	catch_up(&d);
	for (;;) {
		struct pollfd pfd[3] = {
			{sfd, POLLIN, 0},
			{tfd, POLLIN, 0},
			{bw ? nw_bpfwatch_fd(bw) : fw.fd, POLLIN, 0}};

		if (poll(pfd, 3, -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				si.ssi_signo = 0;
			if (si.ssi_signo == SIGHUP) {
				nw_log(NW_INFO, "SIGHUP: rescanning the spool");
				catch_up(&d);
			} else if (si.ssi_signo) {
				nw_log(NW_INFO,
				       "signal %u: stopping (%zu "
				       "queued, kept for the next start)",
				       si.ssi_signo, nw_queue_pending(d.q));
				rc = 0;
				break;
			}
		}
		if (pfd[2].revents) {
			if (bw)
				nw_bpfwatch_read(bw, on_path, &d);
			else
				nw_fanwatch_read(&fw, on_path, &d);
			if (fw.overflow) {
				nw_log(NW_WARN, "fanotify lost events: "
						"rescanning the spool");
				fw.overflow = 0;
				catch_up(&d);
			}
		}
		if (pfd[1].revents) {
			uint64_t ticks;

			if (read(tfd, &ticks, sizeof(ticks)) < 0)
				ticks = 0;
			settle(&d);
		}
	}
out:
	if (have_thr) {
		nw_queue_stop(d.q);
		pthread_join(thr, NULL);
	}
	nw_fanwatch_close(&fw);
	nw_bpfwatch_close(bw);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	while (d.n_p)
		free(d.p[--d.n_p].path);
	free(d.p);
	nw_queue_close(d.q);
	nw_config_free(&d.cfg);
	return rc;
}
