#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "bpfwatch.h"
#include "log.h"
#include "util/sign.h"

/* errno as a negative code, never 0 (libbpf may leave errno unset) */
static int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

/* MD5 of the config this kernel runs with, as probe-builder names it:
 * /proc/config.gz when the kernel has it, else /boot/config-<release>. */
static int config_md5(const char *release, char *hex, struct pb_err *err)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	char boot[PATH_MAX];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx;
	gzFile gz;
	int n;

	/* gzread reads a plain file as it is, too */
	gz = gzopen("/proc/config.gz", "rb");
	if (!gz) {
		snprintf(boot, sizeof(boot), "/boot/config-%s", release);
		gz = gzopen(boot, "rb");
	}
	if (!gz) {
		pb_err_set(err, -ENOENT,
			   "no /proc/config.gz and no /boot/config-%s: the "
			   "probe's name needs the kernel config",
			   release);
		return err->code;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_md5(), NULL)) {
		gzclose(gz);
		EVP_MD_CTX_free(ctx);
		pb_err_set(err, -ENOSYS, "MD5 unavailable");
		return err->code;
	}
	while ((n = gzread(gz, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	gzclose(gz);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	if (n < 0) {
		pb_err_set(err, -EIO, "reading the kernel config failed");
		return err->code;
	}
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int nw_bpf_object_name(const struct nw_config *c, char *out, size_t len,
		       struct pb_err *err)
{
	struct utsname u;
	char md5[33];

	if (uname(&u) < 0) {
		pb_err_set(err, neg_errno(), "uname: %s", strerror(errno));
		return err->code;
	}
	if (config_md5(u.release, md5, err) < 0)
		return err->code;
	snprintf(out, len, "%s-bpf-%s-%s-%s-%s.o", c->probe_name,
		 c->probe_version, u.machine, u.release, md5);
	return 0;
}

#define NW_FETCH_MAX (256L * 1024 * 1024)

struct sink {
	FILE *f;
	curl_off_t n;
};

static size_t to_file(char *p, size_t size, size_t n, void *v)
{
	struct sink *k = v;

	k->n += (curl_off_t)(size * n);
	if (k->n > NW_FETCH_MAX)
		return 0; /* endless: stop */
	return fwrite(p, size, n, k->f);
}

/* url into dest (a temporary name of the caller's), whole or removed */
static int download(const char *url, const char *dest, struct pb_err *err)
{
	char eb[CURL_ERROR_SIZE] = "";
	struct sink k = {NULL, 0};
	long code = 0;
	CURLcode rc;
	CURL *e;

	k.f = fopen(dest, "wb");
	if (!k.f) {
		pb_err_set(err, neg_errno(), "%s: %s", dest, strerror(errno));
		return err->code;
	}
	e = curl_easy_init();
	if (!e) {
		fclose(k.f);
		unlink(dest);
		pb_err_set(err, -ENOMEM, "cannot start a download");
		return err->code;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, to_file);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &k);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, eb);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(e);
	if (fclose(k.f) != 0 || rc != CURLE_OK || code != 200) {
		unlink(dest);
		if (rc != CURLE_OK)
			pb_err_set(err, -EIO, "%s: %s", url,
				   eb[0] ? eb : curl_easy_strerror(rc));
		else
			pb_err_set(err, -EIO, "%s: HTTP %ld", url, code);
		return err->code;
	}
	return 0;
}

static int read_all(const char *path, char **data, size_t *len,
		    struct pb_err *err)
{
	struct stat st;
	size_t got = 0;
	FILE *f = fopen(path, "rb");

	*data = NULL;
	if (!f || fstat(fileno(f), &st) < 0 || st.st_size > NW_FETCH_MAX) {
		pb_err_set(err, f ? -EFBIG : neg_errno(), "%s: %s", path,
			   f ? "too big" : strerror(errno));
		if (f)
			fclose(f);
		return err->code;
	}
	*data = malloc((size_t)st.st_size + 1);
	if (*data)
		got = fread(*data, 1, (size_t)st.st_size, f);
	fclose(f);
	if (!*data || got != (size_t)st.st_size) {
		pb_err_set(err, *data ? -EIO : -ENOMEM, "%s: %s", path,
			   *data ? "short read" : "out of memory");
		free(*data);
		*data = NULL;
		return err->code;
	}
	(*data)[got] = '\0';
	*len = got;
	return 0;
}

static int sha256_file(const char *path, char hex[65], struct pb_err *err)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx;
	size_t n;
	int bad;
	FILE *f = fopen(path, "rb");

	if (!f) {
		pb_err_set(err, neg_errno(), "%s: %s", path, strerror(errno));
		return err->code;
	}
	ctx = EVP_MD_CTX_new();
	bad = !ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while (!bad && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		bad = !EVP_DigestUpdate(ctx, buf, n);
	bad = bad || ferror(f) || !EVP_DigestFinal_ex(ctx, md, &mdlen);
	fclose(f);
	EVP_MD_CTX_free(ctx);
	if (bad) {
		pb_err_set(err, -EIO, "%s: cannot compute its sha256", path);
		return err->code;
	}
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* Whether the manifest gives sha256 for a file named name: any object with
 * a "file" or "path" whose last component is name and a "sha256" (the
 * manifest's shape may change: outputs by file name or by a path relative
 * to the output dir, entries in an array or keyed). *seen: an entry named
 * it at all. */
static int manifest_has(json_object *j, const char *name, const char *sha256,
			int *seen)
{
	if (json_object_is_type(j, json_type_object)) {
		json_object *f = NULL, *h = NULL;
		static const char *const keys[] = {"file", "path"};
		size_t i;

		for (i = 0; i < 2; i++)
			if (json_object_object_get_ex(j, keys[i], &f) &&
			    json_object_is_type(f, json_type_string) &&
			    !strcmp(base_name(json_object_get_string(f)),
				    name) &&
			    json_object_object_get_ex(j, "sha256", &h) &&
			    json_object_is_type(h, json_type_string)) {
				*seen = 1;
				if (!strcasecmp(json_object_get_string(h),
						sha256))
					return 1;
			}
		json_object_object_foreach(j, k, v)
		{
			(void)k;
			if (manifest_has(v, name, sha256, seen))
				return 1;
		}
	} else if (json_object_is_type(j, json_type_array)) {
		size_t i, n = json_object_array_length(j);

		for (i = 0; i < n; i++)
			if (manifest_has(json_object_array_get_idx(j, i), name,
					 sha256, seen))
				return 1;
	}
	return 0;
}

int nw_probe_verify(const char *object, const char *name, const char *manifest,
		    const char *sig, const char *pubkey, struct pb_err *err)
{
	char *text = NULL, *sigdata = NULL, hex[65];
	size_t len = 0, siglen = 0;
	json_object *j = NULL;
	int ret = -1, seen = 0;

	if (read_all(manifest, &text, &len, err) < 0)
		goto out;
	if (pubkey && pubkey[0]) {
		struct pb_err e = {0};

		if (read_all(sig, &sigdata, &siglen, err) < 0)
			goto out;
		if (pb_sign_verify(pubkey, text, len, sigdata, siglen, &e) <
		    0) {
			pb_err_set(err, -EBADMSG, "%s: %s", manifest, e.msg);
			goto out;
		}
	}
	j = json_tokener_parse(text);
	if (!j) {
		pb_err_set(err, -EBADMSG, "%s: not JSON", manifest);
		goto out;
	}
	if (sha256_file(object, hex, err) < 0)
		goto out;
	if (!manifest_has(j, name, hex, &seen)) {
		if (seen)
			pb_err_set(err, -EBADMSG,
				   "%s: its sha256 %s is not the one %s "
				   "gives",
				   name, hex, manifest);
		else
			pb_err_set(err, -EBADMSG, "%s gives no sha256 for %s",
				   manifest, name);
		goto out;
	}
	ret = 0;
out:
	json_object_put(j);
	free(text);
	free(sigdata);
	return ret < 0 ? err->code : 0;
}

/* The object for this kernel: in probe_dir, else fetched from probe_url
 * into the state directory with the manifest.json (and its signature when
 * a key is pinned) published beside it, and used only when its sha256 is
 * the manifest's. */
static int find_object(const struct nw_config *c, char *path, size_t len,
		       struct pb_err *err)
{
	static const char *const what[] = {"", ".manifest.json",
					   ".manifest.json.sig"};
	static const char *const remote[] = {NULL, "manifest.json",
					     "manifest.json.sig"};
	char name[512], dir[PATH_MAX], url[PATH_MAX * 2];
	struct pb_err why = {0};
	char got[3][PATH_MAX + 600], part[3][PATH_MAX + 640];
	int keyed = c->probe_pubkey[0] != '\0', i, n = keyed ? 3 : 2;
	size_t ul;

	if (nw_bpf_object_name(c, name, sizeof(name), err) < 0)
		return err->code;
	snprintf(path, len, "%s/%s", c->probe_dir, name);
	if (access(path, R_OK) == 0)
		return 0;
	if (!c->probe_url[0]) {
		pb_err_set(err, -ENOENT,
			   "no %s (and no probe_url to fetch it "
			   "from): build it with probe-builder for this kernel",
			   path);
		return err->code;
	}
	if (!keyed)
		nw_log(NW_WARN,
		       "no probe_pubkey: the probe from %s is checked against "
		       "the sha256 in the manifest.json beside it, which "
		       "catches corruption only, not a forged probe",
		       c->probe_url);
	snprintf(dir, sizeof(dir), "%s/probes", c->state_dir);
	mkdir(dir, 0700);
	for (i = 0; i < 3; i++) {
		snprintf(got[i], sizeof(got[i]), "%s/%s%s", dir, name, what[i]);
		snprintf(part[i], sizeof(part[i]), "%s.part", got[i]);
	}
	snprintf(path, len, "%s", got[0]);
	/* fetched before: used again if it still verifies (the key may have
	 * been pinned since) */
	if (access(got[0], R_OK) == 0 &&
	    nw_probe_verify(got[0], name, got[1], got[2], c->probe_pubkey,
			    &why) == 0)
		return 0;
	ul = strlen(c->probe_url);
	for (i = 0; i < n; i++) {
		snprintf(url, sizeof(url), "%s%s%s", c->probe_url,
			 ul && c->probe_url[ul - 1] == '/' ? "" : "/",
			 remote[i] ? remote[i] : name);
		if (download(url, part[i], err) < 0)
			goto fail;
	}
	if (nw_probe_verify(part[0], name, part[1], keyed ? part[2] : NULL,
			    c->probe_pubkey, err) < 0) {
		pb_err_prefix(err, "probe from %s refused", c->probe_url);
		goto fail;
	}
	/* the object last: present means verified */
	for (i = n - 1; i >= 0; i--)
		if (rename(part[i], got[i]) < 0) {
			pb_err_set(err, neg_errno(), "%s: %s", got[i],
				   strerror(errno));
			goto fail;
		}
	if (!keyed)
		unlink(got[2]);
	nw_log(NW_INFO, "%s: sha256 as in %smanifest.json%s", name,
	       c->probe_url, keyed ? ", whose signature verifies" : "");
	return 0;
fail:
	for (i = 0; i < 3; i++)
		unlink(part[i]);
	return err->code;
}

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
	o = (size_t)snprintf(out, len, "%s", fs_root);
	for (i = (int)ev->ncomps - 1; i >= 0 && o + 2 < len; i--) {
		const char *c = comps + (size_t)i * ev->name_len;
		int n = snprintf(out + o, len - o, "/%.*s", (int)ev->name_len,
				 c);

		if (n < 0 || (size_t)n >= len - o)
			return 0;
		o += (size_t)n;
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

int nw_bpfwatch_open(const struct nw_config *c, struct nw_bpfwatch **out,
		     struct pb_err *err)
{
	struct nw_bpfwatch *w = calloc(1, sizeof(*w));
	struct newswatch_config nc;
	struct bpf_program *prog;
	struct bpf_map *cfg, *events;
	__u32 key = 0;
	int ret;

	*out = NULL;
	if (!w) {
		pb_err_set(err, -ENOMEM, "out of memory");
		return err->code;
	}
	fs_root_of(c->spool, w->fs_root, sizeof(w->fs_root), &w->spool_dev);
	if (find_object(c, w->object, sizeof(w->object), err) < 0)
		goto fail;
	libbpf_set_print(quiet_libbpf);
	w->obj = bpf_object__open_file(w->object, NULL);
	if (!w->obj) {
		pb_err_set(err, neg_errno(), "%s: %s", w->object,
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
		pb_err_set(err, neg_errno(), "setting the process filter: %s",
			   strerror(errno));
		goto fail;
	}
	bpf_object__for_each_program(prog, w->obj)
	{
		struct bpf_link *l;

		/* before attaching: a link with no slot would be leaked */
		if (w->n_links >= NW_MAX_LINKS) {
			pb_err_set(err, -E2BIG,
				   "%s: more than %d programs: not a newswatch "
				   "probe",
				   w->object, NW_MAX_LINKS);
			goto fail;
		}
		l = bpf_program__attach(prog);
		if (!l) {
			pb_err_set(err, neg_errno(), "attaching %s: %s",
				   bpf_program__section_name(prog),
				   strerror(errno));
			goto fail;
		}
		w->links[w->n_links++] = l;
	}
	if (bpf_map__type(events) == BPF_MAP_TYPE_RINGBUF)
		w->rb = ring_buffer__new(bpf_map__fd(events), on_ring, w, NULL);
	else
		w->pb = perf_buffer__new(bpf_map__fd(events), 64, on_perf, NULL,
					 w, NULL);
	if (!w->rb && !w->pb) {
		pb_err_set(err, neg_errno(), "opening the event buffer: %s",
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
	if (find_object(c, path, sizeof(path), err) < 0)
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
