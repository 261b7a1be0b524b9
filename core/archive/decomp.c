/* Decompression of repository indexes and package payloads: libarchive's
 * "raw" format behind every filter it knows, so that .xz, .gz, .zst, .bz2
 * and plain files are told apart by their content, never by their name.
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
	struct archive *outer; /* a .deb: the ar archive a reads a member of */
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
	int held;     /* pb_decomp_read_block gave out the head slot */
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

static struct pb_decomp *decomp_new(const char *path, struct pb_err *err)
{
	struct pb_decomp *d = pb_calloc(1, sizeof(*d), err);

	if (!d)
		return NULL;
	d->path = pb_strdup(path, err);
	if (!d->path) {
		free(d);
		return NULL;
	}
	return d;
}

/* d->a: the raw format behind the filters (the RPM lead and header too
 * when rpm is set); open after. */
static int raw_new(struct pb_decomp *d, int rpm, struct pb_err *err)
{
	d->a = archive_read_new(); /* its allocation: libarchive's */
	if (!d->a)
		return pb_err_set(err, -ENOMEM, "%s: out of memory", d->path);
	if (pb_archive_filters(d->a, rpm) != ARCHIVE_OK ||
	    archive_read_support_format_raw(d->a) != ARCHIVE_OK ||
	    archive_read_support_format_empty(d->a) != ARCHIVE_OK)
		return archive_fail(d->a, err, d->path,
				    "cannot set up libarchive", 0);
	return 0;
}

/* d->a is open: its one entry is the stream, read ahead from here on. */
static int decomp_begin(struct pb_decomp *d, struct pb_err *err)
{
	struct archive_entry *e;
	int r = archive_read_next_header(d->a, &e);

	if (r == ARCHIVE_EOF) {
		d->eof = 1; /* an empty file */
	} else if (r < ARCHIVE_WARN) {
		return archive_fail(d->a, err, d->path, "cannot read", 0);
	} else if (start_reader(d) < 0) {
		/* no thread (or no memory for the ring): read in the
		 * caller's thread instead */
		for (int i = 0; i < N_SLOTS; i++) {
			free(d->slots[i].data);
			d->slots[i].data = NULL;
		}
	}
	return 0;
}

int pb_decomp_open(const char *path, struct pb_decomp **out, struct pb_err *err)
{
	struct pb_decomp *d;
	int ret;

	*out = NULL;
	d = decomp_new(path, err);
	if (!d)
		return -ENOMEM;
	ret = raw_new(d, 0, err);
	if (!ret &&
	    archive_read_open_filename(d->a, path, DECOMP_BLOCK) != ARCHIVE_OK)
		ret = archive_fail(d->a, err, path, "cannot open", 1);
	if (!ret)
		ret = decomp_begin(d, err);
	if (ret) {
		pb_decomp_close(d);
		return ret;
	}
	*out = d;
	return 0;
}

/* The data.tar member, straight from the ar archive's buffer. */
static la_ssize_t member_read(struct archive *a, void *data, const void **buf)
{
	struct archive *outer = data;
	const char *s;
	size_t size;
	la_int64_t off;
	int r = archive_read_data_block(outer, buf, &size, &off);

	if (r == ARCHIVE_EOF)
		return 0;
	if (r < ARCHIVE_WARN) {
		s = archive_error_string(outer);
		archive_set_error(
			a,
			archive_errno(outer) > 0 ? archive_errno(outer) : EIO,
			"%s", s ? s : "truncated or corrupt data");
		return -1;
	}
	return (la_ssize_t)size;
}

/* Positions d->outer at the .deb's data.tar member and opens d->a on it. */
static int open_deb_data(struct pb_decomp *d, struct pb_err *err)
{
	struct archive_entry *e;
	const char *name = "data.tar";
	int r;

	d->outer = archive_read_new();
	if (!d->outer)
		return pb_err_set(err, -ENOMEM, "%s: out of memory", d->path);
	archive_read_support_format_ar(d->outer);
	if (archive_read_open_filename(d->outer, d->path, DECOMP_BLOCK) !=
	    ARCHIVE_OK)
		return archive_fail(d->outer, err, d->path, "cannot open", 1);
	while ((r = archive_read_next_header(d->outer, &e)) != ARCHIVE_EOF) {
		if (r < ARCHIVE_WARN)
			return archive_fail(d->outer, err, d->path,
					    "cannot read", 0);
		if (archive_entry_pathname(e) &&
		    strncmp(archive_entry_pathname(e), "data.tar", 8) == 0) {
			name = archive_entry_pathname(e);
			break;
		}
	}
	if (r == ARCHIVE_EOF)
		return pb_err_set(
			err, -EINVAL,
			"%s: no data.tar member: not a Debian package",
			d->path);
	r = raw_new(d, 0, err);
	if (r)
		return r;
	if (archive_read_open(d->a, d->outer, NULL, member_read, NULL) !=
	    ARCHIVE_OK)
		return archive_fail(d->a, err, d->path, name, 0);
	return 0;
}

int pb_decomp_open_payload(const char *pkg, int rpm, struct pb_decomp **out,
			   struct pb_err *err)
{
	struct pb_decomp *d;
	int ret;

	*out = NULL;
	d = decomp_new(pkg, err);
	if (!d)
		return -ENOMEM;
	if (rpm) {
		ret = raw_new(d, 1, err);
		if (!ret && archive_read_open_filename(
				    d->a, pkg, DECOMP_BLOCK) != ARCHIVE_OK)
			ret = archive_fail(d->a, err, pkg, "cannot open", 1);
	} else {
		ret = open_deb_data(d, err);
	}
	if (!ret)
		ret = decomp_begin(d, err);
	if (ret) {
		pb_decomp_close(d);
		return ret;
	}
	*out = d;
	return 0;
}

/* Gives the head slot back to the reader. */
static void release_head(struct pb_decomp *d)
{
	d->pos = 0;
	pthread_mutex_lock(&d->lock);
	d->head = (d->head + 1) % N_SLOTS;
	d->count--;
	pthread_cond_signal(&d->not_full);
	pthread_mutex_unlock(&d->lock);
}

/* The head slot once the thread filled it; NULL when none will come:
 * every good byte is out, and *end is 0 (the end) or the error. */
static struct slot *wait_head(struct pb_decomp *d, long *end)
{
	struct slot *s = NULL;

	pthread_mutex_lock(&d->lock);
	while (d->count == 0 && !d->done)
		pthread_cond_wait(&d->not_empty, &d->lock);
	if (d->count)
		s = &d->slots[d->head];
	else
		*end = d->code < 0 ? d->code : 0;
	pthread_mutex_unlock(&d->lock);
	return s;
}

static long threaded_read(struct pb_decomp *d, void *buf, size_t len)
{
	struct slot *s;
	size_t k;
	long end;

	if (!(s = wait_head(d, &end)))
		return end;

	/* the head slot is the caller's until it gives it back */
	k = s->len - d->pos;
	if (k > len)
		k = len;
	memcpy(buf, s->data + d->pos, k);
	d->pos += k;
	if (d->pos == s->len)
		release_head(d);
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

static long threaded_block(struct pb_decomp *d, const void **buf)
{
	struct slot *s;
	long n, end;

	if (d->held) {
		d->held = 0;
		release_head(d);
	}
	if (!(s = wait_head(d, &end)))
		return end;
	*buf = s->data + d->pos;
	n = (long)(s->len - d->pos);
	d->held = 1;
	return n;
}

/* Without the thread: libarchive's own buffer. */
static long raw_block(struct pb_decomp *d, const void **buf)
{
	struct pb_err mine = {0};
	size_t size;
	la_int64_t off;
	int r = archive_read_data_block(d->a, buf, &size, &off);

	if (r == ARCHIVE_EOF)
		return 0;
	if (r >= ARCHIVE_WARN)
		return (long)size;
	archive_fail(d->a, &mine, d->path,
		     "broken or truncated compressed data", 0);
	d->code = mine.code;
	memcpy(d->msg, mine.msg, sizeof(d->msg));
	return d->code;
}

long pb_decomp_read_block(struct pb_decomp *d, const void **buf,
			  struct pb_err *err)
{
	long n;

	*buf = NULL;
	if (d->failed)
		return pb_err_set(err, d->code, "%s", d->msg);
	if (d->eof)
		return 0;
	n = d->threaded ? threaded_block(d, buf) : raw_block(d, buf);
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
	if (d->outer)
		archive_read_free(d->outer);
	free(d->path);
	free(d);
}
