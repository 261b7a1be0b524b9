/* The eBPF backend (see bpfwatch.h): the probe's events read from its
 * ring (or perf) buffer, each made into the path of the file it names. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "bpfwatch.h"
#include "probe-builder/alloc.h"
#include "probe.h"
#include "util/path.h"

#include "newswatch_event.h"

#ifdef NEWSWATCH_EVENT_COMP_OFFSET
/* The components come leaf first, up to the root of the filesystem the
 * file is on: the path is them in reverse, under that filesystem's mount
 * point. The object may have been built with another depth than this
 * header's: the event says its own. */
int nw_bpf_event_path(const void *data, size_t size, const char *fs_root,
		      uint32_t dev, char *out, size_t len)
{
	const struct newswatch_event *ev = data;
	const char *comps = (const char *)data + NEWSWATCH_EVENT_COMP_OFFSET;
	size_t o;
	int i;

	if (size < NEWSWATCH_EVENT_COMP_OFFSET ||
	    ev->magic != NEWSWATCH_EVENT_MAGIC || ev->name_len == 0 ||
	    ev->ncomps > ev->depth ||
	    NEWSWATCH_EVENT_COMP_OFFSET + (size_t)ev->depth * ev->name_len >
		    size)
		return 0;
	/* deeper than the walk, or another filesystem: not the spool */
	if (ev->flags & (NEWSWATCH_F_TRUNCATED | NEWSWATCH_F_READ_ERROR |
			 NEWSWATCH_F_NAME_TRUNCATED) ||
	    ev->dev != dev || ev->ncomps == 0)
		return 0;
	/* a path that does not fit is not taken, never a cut one */
	if (pb_path_fmt(out, len, NULL, "%s", fs_root) < 0)
		return 0;
	o = strlen(out);
	for (i = (int)ev->ncomps - 1; i >= 0; i--) {
		const char *c = comps + (size_t)i * ev->name_len;

		if (pb_path_fmt(out + o, len - o, NULL, "/%.*s",
				(int)ev->name_len, c) < 0)
			return 0;
		o += strlen(out + o);
	}
	return 1;
}
#else
int nw_bpf_event_path(const void *data, size_t size, const char *fs_root,
		      uint32_t dev, char *out, size_t len)
{
	(void)data, (void)size, (void)fs_root, (void)dev, (void)out, (void)len;
	return 0;
}
#endif

/* the probe's event layout this daemon reads (version 1, with the
 * components' offset) */
#if defined(HAVE_LIBBPF) && defined(NEWSWATCH_EVENT_COMP_OFFSET)
#define NW_WITH_BPF 1
#define NW_MAX_LINKS 4
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

struct nw_bpfwatch {
	struct bpf_object *obj;
	struct bpf_link *links[NW_MAX_LINKS];
	size_t n_links;
	struct ring_buffer *rb;
	struct perf_buffer *pb;
	char object[PATH_MAX];
	nw_path_cb cb;
	void *ctx;
	char fs_root[PATH_MAX]; /* mount point of the spool's filesystem */
	uint32_t spool_dev;	/* its device, as the kernel encodes it */
};

/* The mount point of path's filesystem: the last directory up from path
 * on the same device. */
static void fs_root_of(const char *path, char *out, size_t len, uint32_t *kdev)
{
	char cur[PATH_MAX], *slash;
	struct stat st, up;

	if (!realpath(path, cur) || stat(cur, &st) < 0) {
		snprintf(out, len, "%s", path);
		*kdev = 0;
		return;
	}
	*kdev = (major(st.st_dev) << 20) | minor(st.st_dev);
	for (;;) {
		slash = strrchr(cur, '/');
		if (!slash || slash == cur) {
			/* up is "/" */
			if (stat("/", &up) == 0 && up.st_dev == st.st_dev)
				cur[0] = '\0'; /* the root filesystem */
			break;
		}
		*slash = '\0';
		if (stat(cur, &up) < 0 || up.st_dev != st.st_dev) {
			*slash = '/';
			break;
		}
	}
	snprintf(out, len, "%s", cur);
}

static void deliver(struct nw_bpfwatch *w, const void *data, size_t size)
{
	char path[PATH_MAX];

	if (nw_bpf_event_path(data, size, w->fs_root, w->spool_dev, path,
			      sizeof(path)))
		w->cb(w->ctx, path, 0);
}

static int on_ring(void *ctx, void *data, size_t size)
{
	deliver(ctx, data, size);
	return 0;
}

static void on_perf(void *ctx, int cpu, void *data, __u32 size)
{
	(void)cpu;
	deliver(ctx, data, size);
}

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* Every program of the object, attached */
static int attach_all(struct nw_bpfwatch *w, struct pb_err *err)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, w->obj)
	{
		struct bpf_link *l;

		/* before attaching: a link with no slot would be leaked */
		if (w->n_links >= NW_MAX_LINKS) {
			pb_err_set(err, -E2BIG,
				   "%s: more than %d programs: not a newswatch "
				   "probe",
				   w->object, NW_MAX_LINKS);
			return err->code;
		}
		l = bpf_program__attach(prog);
		if (!l) {
			pb_err_set(err, nw_neg_errno(), "attaching %s: %s",
				   bpf_program__section_name(prog),
				   strerror(errno));
			return err->code;
		}
		w->links[w->n_links++] = l;
	}
	return 0;
}

int nw_bpfwatch_open(const struct nw_config *c, struct nw_bpfwatch **out,
		     struct pb_err *err)
{
	struct nw_bpfwatch *w = pb_calloc(1, sizeof(*w), err);
	struct newswatch_config nc;
	struct bpf_map *cfg, *events;
	__u32 key = 0;
	int ret;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	fs_root_of(c->spool, w->fs_root, sizeof(w->fs_root), &w->spool_dev);
	if (nw_probe_find(c, w->object, sizeof(w->object), err) < 0)
		goto fail;
	libbpf_set_print(quiet_libbpf);
	w->obj = bpf_object__open_file(w->object, NULL);
	if (!w->obj) {
		pb_err_set(err, nw_neg_errno(), "%s: %s", w->object,
			   strerror(errno));
		goto fail;
	}
	ret = bpf_object__load(w->obj);
	if (ret) {
		pb_err_set(err, ret, "%s: the kernel refused it: %s", w->object,
			   strerror(-ret));
		goto fail;
	}
	cfg = bpf_object__find_map_by_name(w->obj, "nw_config");
	events = bpf_object__find_map_by_name(w->obj, "nw_events");
	if (!cfg || !events) {
		pb_err_set(err, -ENOENT, "%s: no nw_config or nw_events map",
			   w->object);
		goto fail;
	}
	memset(&nc, 0, sizeof(nc));
	snprintf(nc.comm, sizeof(nc.comm), "%s", c->process);
	if (bpf_map_update_elem(bpf_map__fd(cfg), &key, &nc, BPF_ANY) < 0) {
		pb_err_set(err, nw_neg_errno(),
			   "setting the process filter: %s", strerror(errno));
		goto fail;
	}
	if (attach_all(w, err) < 0)
		goto fail;
	if (bpf_map__type(events) == BPF_MAP_TYPE_RINGBUF)
		w->rb = ring_buffer__new(bpf_map__fd(events), on_ring, w, NULL);
	else
		w->pb = perf_buffer__new(bpf_map__fd(events), 64, on_perf, NULL,
					 w, NULL);
	if (!w->rb && !w->pb) {
		pb_err_set(err, nw_neg_errno(), "opening the event buffer: %s",
			   strerror(errno));
		goto fail;
	}
	*out = w;
	return 0;
fail:
	nw_bpfwatch_close(w);
	return err->code;
}

int nw_bpfwatch_fd(struct nw_bpfwatch *w)
{
	return w->rb ? ring_buffer__epoll_fd(w->rb)
		     : perf_buffer__epoll_fd(w->pb);
}

int nw_bpfwatch_read(struct nw_bpfwatch *w, nw_path_cb cb, void *ctx)
{
	w->cb = cb;
	w->ctx = ctx;
	return w->rb ? ring_buffer__consume(w->rb)
		     : perf_buffer__consume(w->pb);
}

void nw_bpfwatch_close(struct nw_bpfwatch *w)
{
	size_t i;

	if (!w)
		return;
	ring_buffer__free(w->rb);
	perf_buffer__free(w->pb);
	for (i = 0; i < w->n_links; i++)
		bpf_link__destroy(w->links[i]);
	bpf_object__close(w->obj);
	free(w);
}

#else /* without libbpf: the fanotify backend only */

struct nw_bpfwatch {
	int unused;
};

int nw_bpfwatch_open(const struct nw_config *c, struct nw_bpfwatch **out,
		     struct pb_err *err)
{
	char path[PATH_MAX];

	*out = NULL;
	if (nw_probe_find(c, path, sizeof(path), err) < 0)
		return err->code;
	pb_err_set(err, -ENOTSUP,
		   "%s: newswatch was built without its eBPF "
		   "backend (libbpf and the probe's event header)",
		   path);
	return err->code;
}

int nw_bpfwatch_fd(struct nw_bpfwatch *w)
{
	(void)w;
	return -1;
}

int nw_bpfwatch_read(struct nw_bpfwatch *w, nw_path_cb cb, void *ctx)
{
	(void)w;
	(void)cb;
	(void)ctx;
	return 0;
}

void nw_bpfwatch_close(struct nw_bpfwatch *w)
{
	(void)w;
}
#endif

const char *nw_bpfwatch_object(struct nw_bpfwatch *w)
{
#ifdef NW_WITH_BPF
	return w ? w->object : "";
#else
	(void)w;
	return "";
#endif
}
