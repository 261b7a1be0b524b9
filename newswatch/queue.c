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

#include "queue.h"

struct strset {
	char **slot;
	size_t cap, n;
};

struct mark {
	char *group;
	unsigned long number;
};

struct nw_queue {
	char dir[PATH_MAX];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct strset known;
	unsigned long long *seqs; /* queued, sorted */
	size_t n_seqs, cap_seqs;
	unsigned long long next_seq;
	struct mark *marks;
	size_t n_marks;
	int have_checkpoint;
	int stopped;
	FILE *sent;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static int set_add(struct strset *s, const char *v)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024, k;
		char **slot = calloc(cap, sizeof(*slot));

		if (!slot)
			return -ENOMEM;
		for (k = 0; k < s->cap; k++) {
			if (!s->slot[k])
				continue;
			for (i = hash(s->slot[k]) % cap; slot[i];
			     i = (i + 1) % cap)
				;
			slot[i] = s->slot[k];
		}
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
	for (i = hash(v) % s->cap; s->slot[i]; i = (i + 1) % s->cap)
		if (!strcmp(s->slot[i], v))
			return 0;
	s->slot[i] = strdup(v);
	if (!s->slot[i])
		return -ENOMEM;
	s->n++;
	return 0;
}

static int set_has(const struct strset *s, const char *v)
{
	size_t i;

	if (!s->cap)
		return 0;
	for (i = hash(v) % s->cap; s->slot[i]; i = (i + 1) % s->cap)
		if (!strcmp(s->slot[i], v))
			return 1;
	return 0;
}

static void set_free(struct strset *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
}

/* write then rename, with the directory synced: the new file is whole or
 * not there */
static int write_atomic(const char *dir, const char *name, const char *a,
			const char *b)
{
	char tmp[PATH_MAX + 64], path[PATH_MAX + 64];
	int fd, dfd, ret = 0;
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -errno;
	}
	if ((a && fputs(a, f) == EOF) || (b && fputs(b, f) == EOF) ||
	    fflush(f) != 0 || fsync(fd) != 0)
		ret = -EIO;
	if (fclose(f) != 0 && !ret)
		ret = -EIO;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return ret;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

static int cmp_seq(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a,
			   y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

static int push_seq(struct nw_queue *q, unsigned long long seq)
{
	if (q->n_seqs == q->cap_seqs) {
		size_t cap = q->cap_seqs ? q->cap_seqs * 2 : 64;
		unsigned long long *g = realloc(q->seqs, cap * sizeof(*g));

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
	return strdup(buf);
}

static int load_checkpoint(struct nw_queue *q)
{
	char path[PATH_MAX + 16], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/checkpoint", q->dir);
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		char group[512];
		unsigned long n;

		if (sscanf(line, "%511s %lu", group, &n) == 2)
			nw_checkpoint_set(q, group, n);
	}
	fclose(f);
	q->have_checkpoint = 1;
	return 0;
}

int nw_queue_open(const char *dir, struct nw_queue **out, char *err,
		  size_t errlen)
{
	struct nw_queue *q = calloc(1, sizeof(*q));
	char sub[PATH_MAX + 16], line[2048];
	struct dirent *de;
	DIR *d;
	FILE *f;

	*out = NULL;
	if (!q) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(q->dir, sizeof(q->dir), "%s", dir);
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->next_seq = 1;
	snprintf(sub, sizeof(sub), "%s/queue", dir);
	if ((mkdir(dir, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(sub, 0700) < 0 && errno != EEXIST)) {
		snprintf(err, errlen, "state directory %s: %s", sub,
			 strerror(errno));
		nw_queue_close(q);
		return -1;
	}
	snprintf(sub, sizeof(sub), "%s/failed", dir);
	mkdir(sub, 0700);
	/* what was delivered */
	snprintf(sub, sizeof(sub), "%s/sent", dir);
	f = fopen(sub, "r");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0])
			set_add(&q->known, line);
	}
	if (f)
		fclose(f);
	q->sent = fopen(sub, "a");
	if (!q->sent) {
		snprintf(err, errlen, "%s: %s", sub, strerror(errno));
		nw_queue_close(q);
		return -1;
	}
	/* what is still to deliver, in order */
	snprintf(sub, sizeof(sub), "%s/queue", dir);
	d = opendir(sub);
	while (d && (de = readdir(d)) != NULL) {
		char path[PATH_MAX * 2], *id, *end;
		unsigned long long seq = strtoull(de->d_name, &end, 10);

		if (de->d_name[0] == '.' || *end || !seq)
			continue;
		snprintf(path, sizeof(path), "%s/%s", sub, de->d_name);
		id = first_line(path);
		if (id)
			set_add(&q->known, id);
		free(id);
		push_seq(q, seq);
		if (seq >= q->next_seq)
			q->next_seq = seq + 1;
	}
	if (d)
		closedir(d);
	if (q->n_seqs) /* seqs is NULL then: qsort wants an array */
		qsort(q->seqs, q->n_seqs, sizeof(*q->seqs), cmp_seq);
	if (load_checkpoint(q) < 0) {
		snprintf(err, errlen, "%s/checkpoint: %s", dir,
			 strerror(errno));
		nw_queue_close(q);
		return -1;
	}
	*out = q;
	return 0;
}

void nw_queue_close(struct nw_queue *q)
{
	size_t i;

	if (!q)
		return;
	if (q->sent)
		fclose(q->sent);
	set_free(&q->known);
	free(q->seqs);
	for (i = 0; i < q->n_marks; i++)
		free(q->marks[i].group);
	free(q->marks);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	free(q);
}

int nw_queue_known(struct nw_queue *q, const char *msgid)
{
	int k;

	pthread_mutex_lock(&q->lock);
	k = set_has(&q->known, msgid);
	pthread_mutex_unlock(&q->lock);
	return k;
}

int nw_queue_put(struct nw_queue *q, const char *msgid, const char *body,
		 char *err, size_t errlen)
{
	char sub[PATH_MAX + 16], name[32], *head = NULL;
	unsigned long long seq;
	int ret;

	if (strchr(msgid, '\n')) {
		snprintf(err, errlen, "a message-id with a newline");
		return -1;
	}
	pthread_mutex_lock(&q->lock);
	seq = q->next_seq++;
	pthread_mutex_unlock(&q->lock);
	snprintf(sub, sizeof(sub), "%s/queue", q->dir);
	snprintf(name, sizeof(name), "%016llu", seq);
	if (asprintf(&head, "%s\n", msgid) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ret = write_atomic(sub, name, head, body);
	free(head);
	if (ret) {
		snprintf(err, errlen, "%s/%s: %s", sub, name, strerror(-ret));
		return -1;
	}
	pthread_mutex_lock(&q->lock);
	set_add(&q->known, msgid);
	push_seq(q, seq);
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

int nw_queue_next(struct nw_queue *q, unsigned long long *seq, char **msgid,
		  char **body)
{
	char path[PATH_MAX + 48];
	unsigned long long s;
	FILE *f;

	pthread_mutex_lock(&q->lock);
	while (!q->stopped && q->n_seqs == 0)
		pthread_cond_wait(&q->cond, &q->lock);
	if (q->stopped) {
		pthread_mutex_unlock(&q->lock);
		return 0;
	}
	s = q->seqs[0];
	pthread_mutex_unlock(&q->lock);
	snprintf(path, sizeof(path), "%s/queue/%016llu", q->dir, s);
	f = fopen(path, "r");
	*msgid = NULL;
	*body = NULL;
	if (f) {
		char *text = NULL;
		size_t len = 0, cap = 0;
		char buf[4096];
		size_t r;

		while ((r = fread(buf, 1, sizeof(buf), f)) > 0) {
			if (len + r + 1 > cap) {
				char *g;

				cap = (len + r + 1) * 2;
				g = realloc(text, cap);
				if (!g)
					break;
				text = g;
			}
			memcpy(text + len, buf, r);
			len += r;
		}
		fclose(f);
		if (text) {
			char *nl;

			text[len] = '\0';
			nl = strchr(text, '\n');
			if (nl) {
				*nl = '\0';
				*msgid = strdup(text);
				*body = strdup(nl + 1);
			}
			free(text);
		}
	}
	*seq = s;
	return 1;
}

int nw_queue_done(struct nw_queue *q, unsigned long long seq, const char *msgid,
		  int delivered)
{
	char path[PATH_MAX + 48], to[PATH_MAX + 48];
	size_t i;

	/* first say it was sent, durably; only then forget it */
	if (msgid) {
		fprintf(q->sent, "%s\n", msgid);
		fflush(q->sent);
		fsync(fileno(q->sent));
	}
	snprintf(path, sizeof(path), "%s/queue/%016llu", q->dir, seq);
	if (delivered) {
		unlink(path);
	} else {
		snprintf(to, sizeof(to), "%s/failed/%016llu", q->dir, seq);
		rename(path, to);
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
	return 0;
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

int nw_checkpoint_exists(struct nw_queue *q)
{
	return q->have_checkpoint;
}

unsigned long nw_checkpoint_get(struct nw_queue *q, const char *group)
{
	size_t i;

	for (i = 0; i < q->n_marks; i++)
		if (!strcmp(q->marks[i].group, group))
			return q->marks[i].number;
	return 0;
}

int nw_checkpoint_save(struct nw_queue *q)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *m = open_memstream(&text, &len);
	int ret;

	if (!m)
		return -ENOMEM;
	for (i = 0; i < q->n_marks; i++)
		fprintf(m, "%s %lu\n", q->marks[i].group, q->marks[i].number);
	fclose(m);
	ret = write_atomic(q->dir, "checkpoint", text, NULL);
	free(text);
	if (!ret)
		q->have_checkpoint = 1;
	return ret;
}

int nw_checkpoint_set(struct nw_queue *q, const char *group,
		      unsigned long number)
{
	struct mark *g;
	size_t i;

	for (i = 0; i < q->n_marks; i++)
		if (!strcmp(q->marks[i].group, group)) {
			if (number <= q->marks[i].number)
				return 0;
			q->marks[i].number = number;
			return q->have_checkpoint ? nw_checkpoint_save(q) : 0;
		}
	g = realloc(q->marks, (q->n_marks + 1) * sizeof(*g));
	if (!g)
		return -ENOMEM;
	q->marks = g;
	g[q->n_marks].group = strdup(group);
	if (!g[q->n_marks].group)
		return -ENOMEM;
	g[q->n_marks++].number = number;
	return q->have_checkpoint ? nw_checkpoint_save(q) : 0;
}
