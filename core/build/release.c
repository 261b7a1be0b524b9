#include "config.h"

/* One kernel, end to end: its log, its inputs' digests, its root, its
 * config and output names, what is already in the output dir, the
 * compiler, then kbuild for what is missing (DESIGN.md, "build"). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "build/naming.h"
#include "build/release.h"
#include "output/manifest.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/path.h"

struct pb_output_result *pb_rel_output(struct rel_ctx *c, const char *which)
{
	return strcmp(which, "kmod") ? &c->res->ebpf : &c->res->kmod;
}

static void record_failure(struct rel_ctx *c, struct pb_output_result *out,
			   const char *msg)
{
	struct pb_err err = {0};

	out->status = PB_STATUS_FAILED;
	if (pb_result_str(&out->error, msg, &err) ||
	    (c->log_rel[0] && pb_result_str(&out->log, c->log_rel, &err)))
		c->oom = 1;
}

void pb_rel_fail_output(struct rel_ctx *c, const char *which, const char *msg)
{
	record_failure(c, pb_rel_output(c, which), msg);
	pb_error("%s: %s: %s", c->rel.name, which, msg);
}

/* Fails whatever output has no status yet, with one message. */
static void fail_rest(struct rel_ctx *c, const char *msg)
{
	struct pb_err err = {0};

	pb_error("%s: %s", c->rel.name, msg);
	if (!c->res->error && pb_result_str(&c->res->error, msg, &err))
		c->oom = 1;
	if (c->res->kmod.status == PB_STATUS_NONE)
		record_failure(c, &c->res->kmod, msg);
	if (c->res->ebpf.status == PB_STATUS_NONE)
		record_failure(c, &c->res->ebpf, msg);
}

int pb_kernel_key_name(const struct pb_batch *b, size_t i, char *buf,
		       size_t len)
{
	const char *arch = pb_batch_release_arch(b, i),
		   *ver = pb_batch_release_version(b, i);
	char *p;
	int n;

	n = snprintf(buf, len, "%s_%s%s%s", pb_batch_release(b, i),
		     arch && *arch ? arch : "noarch", ver && *ver ? "_" : "",
		     ver && *ver ? ver : "");
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	/* epochs (1:), slashes can not be in a version, but who knows */
	for (p = buf; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("._+~-", *p)))
			*p = '_';
	return 0;
}

int pb_result_for(const struct pb_build_opts *o, const struct pb_batch *b,
		  size_t i, struct pb_release_result *r, struct pb_err *err)
{
	const char *arch = pb_batch_release_arch(b, i),
		   *ver = pb_batch_release_version(b, i);
	size_t k, n = pb_batch_n_series(b, i);
	int ret;

	pb_result_init(r);
	ret = pb_result_str(&r->probe, o->probe, err);
	if (!ret)
		ret = pb_result_str(&r->probe_version, o->version, err);
	if (!ret)
		ret = pb_result_str(&r->distro, o->distro->name, err);
	if (!ret)
		ret = pb_result_str(&r->release, pb_batch_release(b, i), err);
	if (!ret)
		ret = pb_result_str(&r->arch, arch ? arch : "", err);
	if (!ret)
		ret = pb_result_str(&r->version, ver ? ver : "", err);
	if (!ret && !(r->series = pb_calloc(n + 1, sizeof(*r->series), err)))
		ret = -ENOMEM;
	for (k = 0; k < n && !ret; k++, r->n_series++)
		ret = pb_result_str(&r->series[k], pb_batch_series(b, i, k),
				    err);
	if (ret)
		pb_result_free(r);
	return ret;
}

int pb_result_skipped(const struct pb_build_opts *o, const struct pb_batch *b,
		      size_t i, const char *why, struct pb_release_result *r,
		      struct pb_err *err)
{
	int ret = pb_result_for(o, b, i, r, err);

	if (!ret)
		ret = pb_result_str(&r->reason, why, err);
	if (ret) {
		pb_result_free(r);
		return ret;
	}
	r->kmod.status = r->ebpf.status = PB_STATUS_SKIPPED;
	pb_result_settle(r);
	return 0;
}

/* The host machine when it is not arch (a cross build), else NULL. */
static const char *cross_host(const char *arch)
{
	static struct utsname u;

	if (!u.machine[0])
		uname(&u);
	return strcmp(arch, u.machine) == 0 ? NULL : u.machine;
}

/* Whether output `which` (file name in the output dir) must be built: it
 * is not there, or it no longer is what the manifest says was built (its
 * SHA-256 differs). Otherwise it is recorded EXISTING, with its SHA-256. */
static int check_existing(struct rel_ctx *c, const char *which,
			  const char *name)
{
	struct pb_output_result *out = pb_rel_output(c, which);
	char path[PATH_MAX * 2], hex[PB_HEX_MAX];
	struct pb_err err = {0};
	json_object *old, *o, *v, *key;

	if (pb_path_join(path, sizeof(path), &err, c->o->output_dir, name,
			 NULL) < 0 ||
	    !pb_is_file(path))
		return 1;
	/* through the cache: an output changed since shows in its ctime */
	if (pb_hash_file_cached(c->o->hash_cache, path, "sha256", hex, &err) <
	    0) {
		pb_warn("%s: %s: %s: building it again", c->rel.name, which,
			err.msg);
		return 1;
	}
	key = pb_result_to_json(c->res);
	old = key ? pb_manifest_find(c->o->manifest, key) : NULL;
	json_object_put(key);
	if (old && json_object_object_get_ex(old, which, &o) &&
	    json_object_object_get_ex(o, "file", &v) &&
	    !strcmp(json_object_get_string(v), name) &&
	    json_object_object_get_ex(o, "sha256", &v) &&
	    strcmp(json_object_get_string(v), hex) != 0) {
		pb_warn("%s: %s: %s is not the file that was built (SHA-256 "
			"%s, the manifest says %s): building it again",
			c->rel.name, which, path, hex,
			json_object_get_string(v));
		snprintf(c->replaced[out == &c->res->ebpf],
			 sizeof(c->replaced[0]), "%s", hex);
		return 1;
	}
	if (pb_result_str(&out->file, name, &err) ||
	    pb_result_str(&out->sha256, hex, &err))
		c->oom = 1;
	out->status = PB_STATUS_EXISTING;
	return 0;
}

/* The root, the config and the output names; then whether anything must
 * be built (*need_kmod, *need_ebpf). */
static int plan_outputs(struct rel_ctx *c, int *tree_ready, char *kname,
			char *ename, size_t len, int *need_kmod, int *need_ebpf,
			struct pb_err *err)
{
	int remembered = 0, ret;

	*tree_ready = pb_rel_root_is_ready(c);
	if (*tree_ready)
		pb_info("%s: reusing the unpacked tree in %s", c->rel.name,
			c->root);
	else if (pb_rel_recall_config(c))
		/* no root yet: find_kdir makes one if a build needs it */
		remembered = 1;
	else if ((ret = pb_rel_root_for_build(c, err)) < 0)
		return ret;
	if (!remembered) {
		ret = pb_rel_find_config(c, tree_ready, err);
		if (ret)
			return ret;
		pb_rel_remember_config(c);
	}
	if (pb_output_name(kname, len, PB_OUT_KMOD, c->o->probe, c->o->version,
			   c->rel.arch, c->rel.name, c->md5) < 0 ||
	    pb_output_name(ename, len, PB_OUT_EBPF, c->o->probe, c->o->version,
			   c->rel.arch, c->rel.name, c->md5) < 0)
		return pb_err_set(err, -ENAMETOOLONG,
				  "cannot make an output file name from this "
				  "release");
	*need_kmod = c->o->want_kmod ? check_existing(c, "kmod", kname) : 0;
	*need_ebpf = c->o->want_ebpf ? check_existing(c, "ebpf", ename) : 0;
	if (!c->o->want_kmod)
		c->res->kmod.status = PB_STATUS_SKIPPED;
	if (!c->o->want_ebpf)
		c->res->ebpf.status = PB_STATUS_SKIPPED;
	return 0;
}

/* The unpacked tree, its kernel build dir, and no cross build. */
static int find_kdir(struct rel_ctx *c, int tree_ready, struct pb_err *err)
{
	char kdir_rel[PATH_MAX], path[PATH_MAX * 2];
	const char *host = cross_host(c->rel.arch);
	int ret;

	if (host)
		return pb_err_set(err, -ENOTSUP,
				  "release is %s and this machine %s: cross "
				  "builds are not supported",
				  c->rel.arch, host);
	if (!tree_ready) {
		/* the config was remembered: the root is made now */
		ret = c->root_fd < 0 ? pb_rel_root_for_build(c, err) : 0;
		if (!ret)
			ret = pb_rel_prepare_tree(c, err);
		if (ret)
			return ret;
	}
	ret = c->plugin->kernel_dir(&c->rel, kdir_rel, sizeof(kdir_rel), err);
	if (!ret)
		ret = pb_path_join(c->kdir, sizeof(c->kdir), err, c->root,
				   kdir_rel, NULL);
	if (!ret)
		ret = pb_path_join(path, sizeof(path), err, c->kdir, "Makefile",
				   NULL);
	if (!ret && !pb_is_file(path))
		ret = pb_err_set(err, -ENOENT,
				 "no kernel build tree: %s/Makefile is missing "
				 "from the packages",
				 kdir_rel);
	return ret;
}

static void build_outputs(struct rel_ctx *c)
{
	char kname[PATH_MAX], ename[PATH_MAX];
	struct pb_err err = {0};
	struct pb_kcc kcc;
	int tree_ready, need_kmod = 0, need_ebpf = 0, ret;

	ret = plan_outputs(c, &tree_ready, kname, ename, sizeof(kname),
			   &need_kmod, &need_ebpf, &err);
	if (!ret && !need_kmod && !need_ebpf)
		return;
	if (!ret)
		ret = find_kdir(c, tree_ready, &err);
	if (ret) {
		fail_rest(c, err.msg);
		return;
	}
	ret = pb_kcc_from_tree(c->kdir, &kcc, &err);
	if (!ret)
		ret = pb_rel_toolchain(c, &kcc, &err);
	if (ret) {
		/* the compiler of the kernel is for the module only: the
		 * eBPF object is built with clang all the same */
		c->cc.path[0] = '\0';
		if (need_kmod)
			pb_rel_fail_output(c, "kmod", err.msg);
		need_kmod = 0;
	}
	if (need_kmod)
		pb_kbuild_kmod(c, kname);
	if (need_ebpf)
		pb_kbuild_ebpf(c, ename);
}

/* The run's log of this kernel: logs/<distro>/<key>/<run id>.log; a later
 * run writes another one. */
static int open_log(struct rel_ctx *c, struct pb_err *err)
{
	const char *run = c->o->run_id ? c->o->run_id : "run";
	char dir[PATH_MAX];
	int ret;

	ret = pb_path_fmt(c->log_rel, sizeof(c->log_rel), err,
			  "logs/%s/%s/%s.log", c->o->distro->name, c->key, run);
	if (!ret)
		ret = pb_path_join(c->log_path, sizeof(c->log_path), err,
				   c->o->workspace, c->log_rel, NULL);
	if (!ret)
		ret = pb_path_fmt(dir, sizeof(dir), err, "%s", c->log_path);
	if (ret)
		return ret;
	*strrchr(dir, '/') = '\0';
	ret = pb_mkdir_p(dir, err);
	if (ret)
		return ret;
	c->log_fd =
		open(c->log_path,
		     O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_APPEND, 0644);
	if (c->log_fd < 0)
		return pb_err_set(err, -errno, "%s: %s", c->log_path,
				  strerror(errno));
	return 0;
}

/* Whether this run built (or tried to build) an output of the kernel:
 * then its log goes beside the outputs. */
static int built_something(const struct pb_release_result *r)
{
	return r->kmod.status == PB_STATUS_BUILT ||
	       r->kmod.status == PB_STATUS_FAILED ||
	       r->ebpf.status == PB_STATUS_BUILT ||
	       r->ebpf.status == PB_STATUS_FAILED;
}

static void drop_logs(struct pb_release_result *r)
{
	free(r->log);
	free(r->kmod.log);
	free(r->ebpf.log);
	r->log = r->kmod.log = r->ebpf.log = NULL;
}

/* Copies the run's log to <output dir>/<log_rel>, where the manifest
 * points; the result loses its logs when that fails (with a warning). */
static void publish_log(struct rel_ctx *c)
{
	char dst[PATH_MAX * 2], dir[PATH_MAX * 2];
	struct pb_err err = {0};
	int ret;

	if (!c->log_rel[0] || !built_something(c->res)) {
		/* nothing built: the record (and its log) is an earlier
		 * run's */
		free(c->res->log);
		c->res->log = NULL;
		return;
	}
	ret = pb_path_join(dst, sizeof(dst), &err, c->o->output_dir, c->log_rel,
			   NULL);
	if (!ret)
		ret = pb_path_fmt(dir, sizeof(dir), &err, "%s", dst);
	if (!ret) {
		*strrchr(dir, '/') = '\0';
		ret = pb_mkdir_p(dir, &err);
	}
	if (!ret)
		ret = pb_copy_file_atomic(c->log_path, dst, &err);
	if (ret) {
		pb_warn("%s: the log stays in %s: %s", c->rel.name, c->log_path,
			err.msg);
		drop_logs(c->res);
	}
}

/* The context of kernel i; its paths from the kernel's key. */
static int rel_open(struct rel_ctx *c, const struct pb_build_opts *o,
		    const struct pb_batch *b, size_t i, struct pb_err *err)
{
	size_t j;

	c->n_pkgs = pb_batch_n_packages(b, i);
	c->pkgs = pb_calloc(c->n_pkgs + 1, sizeof(*c->pkgs), err);
	c->roles = c->pkgs ? pb_calloc(c->n_pkgs + 1, sizeof(*c->roles), err)
			   : NULL;
	if (!c->roles)
		return -ENOMEM;
	for (j = 0; j < c->n_pkgs; j++)
		c->pkgs[j] = pb_batch_package(b, i, j, &c->roles[j]);
	c->rel.sz = sizeof(c->rel);
	c->rel.distro = o->distro->name;
	c->rel.name = pb_batch_release(b, i);
	c->rel.arch = pb_batch_release_arch(b, i);
	if (!c->rel.arch)
		c->rel.arch = "";
	c->rel.root = c->root;
	c->rel.packages = c->pkgs;
	c->rel.n_packages = c->n_pkgs;
	/* roots, build copies and logs are the kernel's key's: two
	 * kernels of one release name never share them */
	if (pb_kernel_key_name(b, i, c->key, sizeof(c->key)) < 0)
		return pb_err_set(err, -ENAMETOOLONG,
				  "the kernel's key is too long for a file "
				  "name");
	if (pb_path_join(c->root, sizeof(c->root), err, o->workspace, "roots",
			 o->distro->name, c->key, NULL) ||
	    pb_path_fmt(c->stamp_path, sizeof(c->stamp_path), err, "%s.stamp",
			c->root) ||
	    pb_path_join(c->build_dir, sizeof(c->build_dir), err, o->workspace,
			 "build", o->distro->name, c->key, NULL))
		return err->code;
	return 0;
}

static void rel_close(struct rel_ctx *c)
{
	if (c->roots_fd >= 0)
		close(c->roots_fd);
	if (c->root_fd >= 0)
		close(c->root_fd);
	if (c->build_fd >= 0)
		close(c->build_fd);
	if (c->log_fd >= 0) {
		close(c->log_fd);
		publish_log(c);
	}
	free(c->stamp);
	free(c->pkgs);
	free(c->roles);
}

/* Everything from the log on; a failure is the result's. */
static void build_logged(struct rel_ctx *c, const char *failure)
{
	struct pb_err err = {0};

	if (pb_result_str(&c->res->log, c->log_rel, &err))
		fail_rest(c, err.msg);
	else if (failure)
		fail_rest(c, failure);
	else if (pb_rel_hash_inputs(c, &err) < 0 ||
		 pb_rel_open_roots(c, &err) < 0)
		fail_rest(c, err.msg);
	else
		build_outputs(c);
}

int pb_build_release(const struct pb_build_opts *o, const struct pb_batch *b,
		     size_t i, struct pb_release_result *r, struct pb_err *err)
{
	struct rel_ctx c;
	double t0 = pb_now_s();
	FILE *logf = NULL;
	int ret;

	memset(&c, 0, sizeof(c));
	c.o = o;
	c.res = r;
	c.log_fd = -1;
	c.roots_fd = c.root_fd = c.build_fd = -1;
	c.plugin = o->distro->builder->plugin;
	ret = pb_result_for(o, b, i, r, err);
	if (ret)
		return ret;
	ret = rel_open(&c, o, b, i, err);
	if (ret == -ENOMEM)
		goto out;
	if (ret) {
		/* the kernel's failure (a key too long for a file name...),
		 * recorded: not the run's */
		fail_rest(&c, err->msg);
		pb_err_clear(err);
		ret = 0;
	} else if (open_log(&c, err) < 0) {
		c.log_rel[0] = '\0';
		fail_rest(&c, err->msg);
		pb_err_clear(err);
	} else {
		logf = fdopen(dup(c.log_fd), "a");
		pb_log_set_file(logf);
		build_logged(&c, pb_batch_release_failure(b, i));
	}
	pb_rel_tidy(&c);
	r->duration_s = pb_now_s() - t0;
	pb_info("%s: %s in %.1fs", c.rel.name,
		pb_status_name(pb_result_settle(r)), r->duration_s);
	pb_log_set_file(NULL);
	if (logf)
		fclose(logf);
out:
	rel_close(&c);
	if (!ret && c.oom)
		ret = pb_err_set(err, -ENOMEM,
				 "%s: out of memory recording the result",
				 c.rel.name);
	if (ret)
		pb_result_free(r);
	return ret;
}
