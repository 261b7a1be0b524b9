/* The queue in the state directory (see queue.h): one file per entry,
 * named by its sequence number; the message-ids known in memory. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "log.h"
#include "probe-builder/alloc.h"
#include "queue.h"
#include "strset.h"
#include "util/path.h"

#define KEY_PREFIX "Idempotency-Key: "

struct nw_queue {
	char dir[PATH_MAX];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct nw_strset known;	  /* delivered or queued */
	unsigned long long *seqs; /* queued, sorted */
	size_t n_seqs, cap_seqs;
	unsigned long long next_seq;
	int stopped;
	FILE *sent;
	int inflight_fd;
};

static int cmp_seq(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a,
			   y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

static int push_seq(struct nw_queue *q, unsigned long long seq,
		    struct pb_err *err)
{
	if (q->n_seqs == q->cap_seqs) {
		size_t cap = q->cap_seqs ? q->cap_seqs * 2 : 64;
		unsigned long long *g =
			pb_reallocarray(q->seqs, cap, sizeof(*g), err);

		if (!g)
			return -ENOMEM;
		q->seqs = g;
		q->cap_seqs = cap;
	}
	q->seqs[q->n_seqs++] = seq;
	return 0;
}

static char *first_line(const char *path)
{
	char buf[1024];
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return pb_strdup(buf, NULL); /* NULL: as an unreadable file */
}

/* The seq in the inflight file: 0 when none. */
static unsigned long long read_inflight(struct nw_queue *q)
{
	char path[PATH_MAX + 16], *line;
	unsigned long long seq;

	line = pb_path_join(path, sizeof(path), NULL, q->dir, "inflight", NULL)
		       ? NULL
		       : first_line(path);
	seq = line ? strtoull(line, NULL, 10) : 0;
	free(line);
	return seq;
}

/* The state directory and its queue/ and failed/ */
static int make_dirs(const char *dir, struct pb_err *err)
{
	char sub[PATH_MAX + 16];

	if (pb_path_join(sub, sizeof(sub), err, dir, "queue", NULL))
		return err->code;
	if ((mkdir(dir, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(sub, 0700) < 0 && errno != EEXIST))
		return pb_err_set(err, -errno, "state directory %s: %s", sub,
				  strerror(errno));
	if (pb_path_join(sub, sizeof(sub), err, dir, "failed", NULL))
		return err->code;
	if (mkdir(sub, 0700) < 0 && errno != EEXIST)
		return pb_err_set(err, -errno, "%s: %s", sub, strerror(errno));
	return 0;
}

/* What was delivered: read, then opened to append to */
static int open_sent(struct nw_queue *q, struct pb_err *err)
{
	char path[PATH_MAX + 16], line[2048];
	int ret = 0;
	FILE *f;

	if (pb_path_join(path, sizeof(path), err, q->dir, "sent", NULL))
		return err->code;
	f = fopen(path, "r");
	while (f && !ret && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] && nw_strset_add(&q->known, line, err) < 0)
			ret = -ENOMEM;
	}
	if (f)
		fclose(f);
	else if (errno != ENOENT)
		ret = pb_err_set(err, -errno, "%s: %s", path, strerror(errno));
	if (ret)
		return ret;
	q->sent = fopen(path, "a");
	if (!q->sent)
		return pb_err_set(err, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

/* One file of queue/: kept (0), dropped when sent already, or -ENOMEM
 * (err filled) */
static int load_entry(struct nw_queue *q, const char *sub, const char *name,
		      unsigned long long seq, unsigned long long inflight,
		      struct pb_err *err)
{
	char path[PATH_MAX * 2], *id;
	int ret;

	ret = pb_path_join(path, sizeof(path), err, sub, name, NULL);
	if (ret)
		return ret;
	id = first_line(path);
	/* in sent already: a crash came between its record and its
	 * removal; it was delivered, not to be POSTed again */
	if (id && nw_strset_has(&q->known, id)) {
		nw_log(NW_INFO,
		       "queue entry %llu (%s) was delivered before the "
		       "stop: removed",
		       seq, id);
		unlink(path);
		free(id);
		return 0;
	}
	if (seq == inflight)
		nw_log(NW_WARN,
		       "%s was being delivered when newswatch stopped: "
		       "it is POSTed again with the same "
		       "Idempotency-Key (the receiver may have it)",
		       id ? id : name);
	if ((id && nw_strset_add(&q->known, id, err) < 0) ||
	    push_seq(q, seq, err) < 0)
		ret = -ENOMEM;
	free(id);
	if (!ret && seq >= q->next_seq)
		q->next_seq = seq + 1;
	return ret;
}

/* What is still to deliver, in order */
static int load_queue(struct nw_queue *q, struct pb_err *err)
{
	char sub[PATH_MAX + 16], *end;
	unsigned long long inflight = read_inflight(q), seq;
	struct dirent *de;
	int ret = 0;
	DIR *d;

	if (pb_path_join(sub, sizeof(sub), err, q->dir, "queue", NULL))
		return err->code;
	d = opendir(sub);
	if (!d)
		return pb_err_set(err, -errno, "%s: %s", sub, strerror(errno));
	while (!ret && (de = readdir(d)) != NULL) {
		seq = strtoull(de->d_name, &end, 10);
		if (de->d_name[0] == '.' || *end || !seq)
			continue;
		ret = load_entry(q, sub, de->d_name, seq, inflight, err);
	}
	closedir(d);
	/* qsort's pointer must not be NULL, even for no element */
	if (!ret && q->n_seqs)
		qsort(q->seqs, q->n_seqs, sizeof(*q->seqs), cmp_seq);
	return ret;
}

int nw_queue_open(const char *dir, struct nw_queue **out, struct pb_err *err)
{
	struct nw_queue *q = pb_calloc(1, sizeof(*q), err);
	char path[PATH_MAX + 16];
	int ret;

	*out = NULL;
	if (!q)
		return -ENOMEM;
	q->inflight_fd = -1;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->next_seq = 1;
	ret = pb_path_fmt(q->dir, sizeof(q->dir), err, "%s", dir);
	if (!ret)
		ret = make_dirs(dir, err);
	if (!ret)
		ret = open_sent(q, err);
	if (!ret)
		ret = load_queue(q, err);
	if (!ret)
		ret = pb_path_join(path, sizeof(path), err, dir, "inflight",
				   NULL);
	if (!ret) {
		q->inflight_fd =
			open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (q->inflight_fd < 0)
			ret = pb_err_set(err, -errno, "%s: %s", path,
					 strerror(errno));
	}
	if (ret) {
		nw_queue_close(q);
		return ret;
	}
	*out = q;
	return 0;
}

void nw_queue_close(struct nw_queue *q)
{
	if (!q)
		return;
	if (q->sent)
		fclose(q->sent);
	if (q->inflight_fd >= 0)
		close(q->inflight_fd);
	nw_strset_free(&q->known);
	free(q->seqs);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	free(q);
}

int nw_queue_known(struct nw_queue *q, const char *msgid)
{
	int k;

	pthread_mutex_lock(&q->lock);
	k = nw_strset_has(&q->known, msgid);
	pthread_mutex_unlock(&q->lock);
	return k;
}

char *nw_idempotency_key(const char *msgid, const char *group,
			 struct pb_err *err)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 3 + 4 * (strlen(msgid) + strlen(group)) + 1, o = 0;
	char *out = pb_malloc(n, 1, err);
	const unsigned char *p;
	int part;

	if (!out)
		return NULL;
	out[o++] = '"';
	for (part = 0; part < 2; part++) {
		if (part)
			out[o++] = ' ';
		for (p = (const unsigned char *)(part ? group : msgid); *p;
		     p++) {
			if (*p < 0x20 || *p > 0x7e || *p == '%') {
				out[o++] = '%';
				out[o++] = hex[*p >> 4];
				out[o++] = hex[*p & 15];
			} else {
				if (*p == '"' || *p == '\\')
					out[o++] = '\\';
				out[o++] = (char)*p;
			}
		}
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

int nw_queue_put(struct nw_queue *q, const char *msgid, const char *key,
		 const char *body, struct pb_err *err)
{
	char sub[PATH_MAX + 16], name[32], *head = NULL;
	unsigned long long seq;
	int ret;

	if (strchr(msgid, '\n') || strchr(key, '\n'))
		return pb_err_set(err, -EINVAL, "a message-id with a newline");
	pthread_mutex_lock(&q->lock);
	seq = q->next_seq++;
	pthread_mutex_unlock(&q->lock);
	if (pb_path_join(sub, sizeof(sub), err, q->dir, "queue", NULL))
		return err->code;
	snprintf(name, sizeof(name), "%016llu", seq); /* fits: 20 digits */
	head = pb_asprintf(err, "%s\n" KEY_PREFIX "%s\n", msgid, key);
	if (!head)
		return -ENOMEM;
	ret = nw_write_atomic(sub, name, head, body);
	free(head);
	if (ret)
		return pb_err_set(err, ret, "%s/%s: %s", sub, name,
				  strerror(-ret));
	pthread_mutex_lock(&q->lock);
	ret = nw_strset_add(&q->known, msgid, err);
	if (!ret)
		ret = push_seq(q, seq, err);
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	/* -ENOMEM: on disk all the same, the next start delivers it */
	return ret;
}

/* The entry's text: "msgid\n[Idempotency-Key: key\n]body"; -EBADMSG or
 * -ENOMEM with err filled. */
static int split_entry(char *text, char **msgid, char **key, char **body,
		       struct pb_err *err)
{
	char *nl = strchr(text, '\n'), *rest;

	if (!nl)
		return pb_err_set(err, -EBADMSG, "no message-id line");
	*nl = '\0';
	rest = nl + 1;
	*msgid = pb_strdup(text, err);
	if (!strncmp(rest, KEY_PREFIX, strlen(KEY_PREFIX)) &&
	    (nl = strchr(rest, '\n')) != NULL) {
		*nl = '\0';
		*key = pb_strdup(rest + strlen(KEY_PREFIX), err);
		rest = nl + 1;
	} else {
		/* queued by a newswatch without keys: the message-id alone */
		*key = nw_idempotency_key(text, "", err);
		if (*key) /* no group: no separating space either */
			memmove(*key + strlen(*key) - 2, "\"", 2);
	}
	*body = pb_strdup(rest, err);
	if (!*msgid || !*key || !*body) {
		free(*msgid);
		free(*key);
		free(*body);
		*msgid = *key = *body = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* The whole of a file, NUL-terminated; NULL when unreadable or out of
 * memory (err says which) */
static char *read_text(const char *path, struct pb_err *err)
{
	char buf[4096], *text = NULL, *g;
	size_t len = 0, cap = 0, r;
	FILE *f = fopen(path, "r");

	if (!f) {
		pb_err_set(err, -errno, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((r = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (len + r + 1 > cap) {
			cap = (len + r + 1) * 2;
			g = pb_reallocarray(text, cap, 1, err);
			if (!g) {
				free(text);
				fclose(f);
				return NULL;
			}
			text = g;
		}
		memcpy(text + len, buf, r);
		len += r;
	}
	fclose(f);
	if (!text) /* empty: split_entry says so */
		return pb_strdup("", err);
	text[len] = '\0';
	return text;
}

int nw_queue_next(struct nw_queue *q, unsigned long long *seq, char **msgid,
		  char **key, char **body)
{
	char path[PATH_MAX + 48], *text;
	struct pb_err err = {0};
	unsigned long long s;

	pthread_mutex_lock(&q->lock);
	while (!q->stopped && q->n_seqs == 0)
		pthread_cond_wait(&q->cond, &q->lock);
	if (q->stopped) {
		pthread_mutex_unlock(&q->lock);
		return 0;
	}
	s = q->seqs[0];
	pthread_mutex_unlock(&q->lock);
	*msgid = *key = *body = NULL;
	text = pb_path_fmt(path, sizeof(path), &err, "%s/queue/%016llu", q->dir,
			   s)
		       ? NULL
		       : read_text(path, &err);
	if (!text)
		nw_log(NW_ERR, "%s", err.msg);
	else if (split_entry(text, msgid, key, body, &err) < 0)
		nw_log(NW_ERR, "%s: %s", path, err.msg);
	free(text);
	*seq = s;
	return 1;
}

void nw_queue_inflight(struct nw_queue *q, unsigned long long seq)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "%016llu\n", seq);

	/* fixed width, written in place: whole after a crash of newswatch
	 * (not fsync'd: after a power loss only the log line is lost, the
	 * resend carries its key all the same) */
	if (pwrite(q->inflight_fd, line, (size_t)n, 0) != n)
		nw_log(NW_WARN, "%s/inflight: %s", q->dir,
		       strerror(errno ? errno : EIO));
}

/* Appends msgid to sent, durably, at once (not batched) */
static int record_sent(struct nw_queue *q, const char *msgid,
		       struct pb_err *err)
{
	int ret = 0;

	if (fprintf(q->sent, "%s\n", msgid) < 0 || fflush(q->sent) != 0 ||
	    fsync(fileno(q->sent)) != 0)
		ret = pb_err_set(err, -(errno ? errno : EIO), "%s/sent: %s",
				 q->dir, strerror(errno ? errno : EIO));
	pthread_mutex_lock(&q->lock);
	if (nw_strset_add(&q->known, msgid, ret ? NULL : err) < 0 && !ret)
		ret = -ENOMEM;
	pthread_mutex_unlock(&q->lock);
	return ret;
}

int nw_queue_done(struct nw_queue *q, unsigned long long seq, const char *msgid,
		  int delivered, struct pb_err *err)
{
	char path[PATH_MAX + 48], to[PATH_MAX + 48];
	struct pb_err e = {0};
	int ret = 0;
	size_t i;

	/* first say it was sent: a crash after this resends nothing; only
	 * then forget it */
	if (msgid)
		ret = record_sent(q, msgid, err);
	if (pb_path_fmt(path, sizeof(path), &e, "%s/queue/%016llu", q->dir,
			seq) < 0 ||
	    pb_path_fmt(to, sizeof(to), &e, "%s/failed/%016llu", q->dir, seq) <
		    0) {
		if (!ret)
			ret = pb_err_set(err, e.code, "%s", e.msg);
	} else if (delivered) {
		if (unlink(path) < 0 && errno != ENOENT && !ret)
			ret = pb_err_set(err, -errno, "%s: %s", path,
					 strerror(errno));
	} else if (rename(path, to) < 0 && !ret) {
		ret = pb_err_set(err, -errno, "%s: %s", to, strerror(errno));
	}
	pthread_mutex_lock(&q->lock);
	for (i = 0; i < q->n_seqs; i++)
		if (q->seqs[i] == seq) {
			memmove(&q->seqs[i], &q->seqs[i + 1],
				(q->n_seqs - i - 1) * sizeof(*q->seqs));
			q->n_seqs--;
			break;
		}
	pthread_mutex_unlock(&q->lock);
	return ret;
}

int nw_queue_sleep(struct nw_queue *q, double seconds)
{
	struct timespec ts;
	int stopped;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)seconds;
	ts.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&q->lock);
	while (!q->stopped &&
	       pthread_cond_timedwait(&q->cond, &q->lock, &ts) != ETIMEDOUT)
		;
	stopped = q->stopped;
	pthread_mutex_unlock(&q->lock);
	return stopped;
}

void nw_queue_stop(struct nw_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->stopped = 1;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

size_t nw_queue_pending(struct nw_queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->n_seqs;
	pthread_mutex_unlock(&q->lock);
	return n;
}
