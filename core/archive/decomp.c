/* Decompression of repository indexes: libarchive's "raw" format behind
 * every filter it knows, so that .xz, .gz, .zst, .bz2 and plain files are
 * told apart by their content, never by their name.
 *
 * A reader thread decompresses ahead into a small ring of blocks while the
 * caller parses the previous ones: on two cores a parse then costs about
 * what the slower of the two costs, not their sum. Data come out in order
 * and an error comes out only after every good byte before it. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "archive/decomp.h"
#include "archive/filters.h"
#include "probe-builder/alloc.h"

/* what libarchive reads from the file at a time */
#define DECOMP_BLOCK (128 * 1024)
/* the ring: at most this much decompressed ahead of the caller */
#define SLOT_SIZE (256 * 1024)
#define N_SLOTS 4

struct slot {
	char *data;
	size_t len;
};

struct pb_decomp {
	struct archive *a;
	char *path;

	/* the stream's end (or its error), as the caller sees it */
	int eof;
	int failed;
	int code;
	char msg[PB_ERR_MSG_MAX];

	/* read-ahead; without it (no thread could be made) reads are made
	 * by the caller straight from libarchive */
	int threaded;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	struct slot slots[N_SLOTS];
	size_t head;  /* the oldest filled slot */
	size_t count; /* filled slots */
	size_t pos;   /* bytes of the head slot already given out */
	int done;     /* the reader met the end or an error (code, msg) */
	int stop;     /* close asks the reader to go */
};

/* libarchive leaves the string NULL for some failures (a gzip stream cut
 * in its trailer). keep_errno: the errno of a failed open (ENOENT,
 * EACCES) is the caller's business; a broken stream is EIO. */
static int archive_fail(struct archive *a, struct pb_err *err, const char *path,
			const char *what, int keep_errno)
{
	const char *s = archive_error_string(a);
	int e = archive_errno(a);

	return pb_err_set(err, keep_errno && e > 0 ? -e : -EIO, "%s: %s: %s",
			  path, what, s ? s : "truncated or corrupt data");
}

/* One read from libarchive; on an error, code and msg are set. */
static long raw_read(struct pb_decomp *d, void *buf, size_t len)
{
	struct pb_err mine = {0};
	la_ssize_t n = archive_read_data(d->a, buf, len);

	if (n >= 0)
		return (long)n;
	archive_fail(d->a, &mine, d->path,
		     "broken or truncated compressed data", 0);
	d->code = mine.code;
	memcpy(d->msg, mine.msg, sizeof(d->msg));
	return d->code;
}

static void *reader(void *arg)
{
	struct pb_decomp *d = arg;

	for (;;) {
		struct slot *s;
		long n;

		pthread_mutex_lock(&d->lock);
		while (d->count == N_SLOTS && !d->stop)
			pthread_cond_wait(&d->not_full, &d->lock);
		if (d->stop) {
			pthread_mutex_unlock(&d->lock);
			return NULL;
		}
		/* the slot after the filled ones is the reader's alone */
		s = &d->slots[(d->head + d->count) % N_SLOTS];
		pthread_mutex_unlock(&d->lock);

		n = raw_read(d, s->data, SLOT_SIZE);

		pthread_mutex_lock(&d->lock);
		if (n > 0) {
			s->len = (size_t)n;
			d->count++;
		} else {
			d->done = 1; /* code and msg are set on an error */
		}
		pthread_cond_signal(&d->not_empty);
		pthread_mutex_unlock(&d->lock);
		if (n <= 0)
			return NULL;
	}
}

/* 0 when the reader thread runs; -1 when it cannot (no thread, or no
 * memory for the ring), which is no error: the caller then reads in its
 * own thread, so nothing is said. */
static int start_reader(struct pb_decomp *d)
{
	sigset_t all, old;
	int i, ret;

	for (i = 0; i < N_SLOTS; i++) {
		d->slots[i].data = pb_malloc(SLOT_SIZE, 1, NULL);
		if (!d->slots[i].data)
			return -1;
	}
	if (pthread_mutex_init(&d->lock, NULL))
		return -1;
	if (pthread_cond_init(&d->not_empty, NULL)) {
		pthread_mutex_destroy(&d->lock);
		return -1;
	}
	if (pthread_cond_init(&d->not_full, NULL)) {
		pthread_cond_destroy(&d->not_empty);
		pthread_mutex_destroy(&d->lock);
		return -1;
	}
	/* the reader takes no signal: they stay the caller's */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&d->thread, NULL, reader, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		pthread_cond_destroy(&d->not_full);
		pthread_cond_destroy(&d->not_empty);
		pthread_mutex_destroy(&d->lock);
		return -1;
	}
	d->threaded = 1;
	return 0;
}

int pb_decomp_open(const char *path, struct pb_decomp **out, struct pb_err *err)
{
	struct archive_entry *e;
	struct pb_decomp *d;
	int r, ret;

	*out = NULL;
	d = pb_calloc(1, sizeof(*d), err);
	if (!d)
		return -ENOMEM;
	d->path = pb_strdup(path, err);
	if (!d->path) {
		ret = -ENOMEM;
		goto fail;
	}
	d->a = archive_read_new(); /* its allocation: libarchive's */
	if (!d->a) {
		ret = pb_err_set(err, -ENOMEM, "%s: out of memory", path);
		goto fail;
	}
	if (pb_archive_filters(d->a, 0) != ARCHIVE_OK ||
	    archive_read_support_format_raw(d->a) != ARCHIVE_OK ||
	    archive_read_support_format_empty(d->a) != ARCHIVE_OK) {
		ret = archive_fail(d->a, err, path, "cannot set up libarchive",
				   0);
		goto fail;
	}
	if (archive_read_open_filename(d->a, path, DECOMP_BLOCK) !=
	    ARCHIVE_OK) {
		ret = archive_fail(d->a, err, path, "cannot open", 1);
		goto fail;
	}
	r = archive_read_next_header(d->a, &e);
	if (r == ARCHIVE_EOF) {
		d->eof = 1; /* an empty file */
	} else if (r < ARCHIVE_WARN) {
		ret = archive_fail(d->a, err, path, "cannot read", 0);
		goto fail;
	} else if (start_reader(d) < 0) {
		/* no thread (or no memory for the ring): read in the
		 * caller's thread instead */
		for (int i = 0; i < N_SLOTS; i++) {
			free(d->slots[i].data);
			d->slots[i].data = NULL;
		}
	}
	*out = d;
	return 0;
fail:
	pb_decomp_close(d);
	return ret;
}

static long threaded_read(struct pb_decomp *d, void *buf, size_t len)
{
	struct slot *s;
	size_t k;

	pthread_mutex_lock(&d->lock);
	while (d->count == 0 && !d->done)
		pthread_cond_wait(&d->not_empty, &d->lock);
	if (d->count == 0) {
		pthread_mutex_unlock(&d->lock);
		/* every good byte is out: now the end, or the error */
		return d->code < 0 ? d->code : 0;
	}
	s = &d->slots[d->head];
	pthread_mutex_unlock(&d->lock);

	/* the head slot is the caller's until it gives it back */
	k = s->len - d->pos;
	if (k > len)
		k = len;
	memcpy(buf, s->data + d->pos, k);
	d->pos += k;
	if (d->pos == s->len) {
		d->pos = 0;
		pthread_mutex_lock(&d->lock);
		d->head = (d->head + 1) % N_SLOTS;
		d->count--;
		pthread_cond_signal(&d->not_full);
		pthread_mutex_unlock(&d->lock);
	}
	return (long)k;
}

long pb_decomp_read(struct pb_decomp *d, void *buf, size_t len,
		    struct pb_err *err)
{
	long n;

	if (d->failed)
		return pb_err_set(err, d->code, "%s", d->msg);
	if (d->eof || len == 0)
		return 0;
	n = d->threaded ? threaded_read(d, buf, len) : raw_read(d, buf, len);
	if (n == 0)
		d->eof = 1;
	if (n < 0) {
		d->failed = 1;
		return pb_err_set(err, d->code, "%s", d->msg);
	}
	return n;
}

void pb_decomp_close(struct pb_decomp *d)
{
	if (!d)
		return;
	if (d->threaded) {
		pthread_mutex_lock(&d->lock);
		d->stop = 1;
		pthread_cond_signal(&d->not_full);
		pthread_mutex_unlock(&d->lock);
		pthread_join(d->thread, NULL);
		pthread_cond_destroy(&d->not_full);
		pthread_cond_destroy(&d->not_empty);
		pthread_mutex_destroy(&d->lock);
	}
	for (int i = 0; i < N_SLOTS; i++)
		free(d->slots[i].data);
	if (d->a)
		archive_read_free(d->a);
	free(d->path);
	free(d);
}
