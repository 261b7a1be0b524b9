#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "archive/unpack.h"
#include "build/build.h"
#include "build/compiler.h"
#include "build/elfcheck.h"
#include "build/logscan.h"
#include "build/naming.h"
#include "output/manifest.h"
#include "probe-builder/fixup.h"
#include "probe-builder/log.h"
#include "probe-builder/pkgname.h"
#include "probe-builder/release.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/proc.h"
#include "util/str.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

/* Everything one kernel's build knows; its paths live in the workspace,
 * under the kernel's key (pb_kernel_key_name):
 *   roots/<distro>/<key>/       the unpacked packages
 *   roots/<distro>/<key>.stamp  which packages that root holds
 *   build/<distro>/<key>/{kmod,ebpf}/  private copies of the source
 *   logs/<distro>/<key>/<run id>.log, copied to the output dir's logs/
 *   when something was built */
struct rel_ctx {
	const struct pb_build_opts *o;
	const struct pb_plugin *plugin;
	struct pb_release rel;
	char root[PATH_MAX];
	char stamp_path[PATH_MAX];
	char log_path[PATH_MAX];
	char log_rel[PATH_MAX]; /* its copy, relative to the output dir */
	char key[PATH_MAX];
	/* the SHA-256 of an output found altered, that this run replaces
	 * ([0] kmod, [1] ebpf) */
	char replaced[2][PB_HEX_MAX];
	char build_dir[PATH_MAX];
	char kdir[PATH_MAX];
	char md5[PB_HEX_MAX];
	char *stamp; /* what the stamp must say for this set of packages */
	const char **pkgs;
	enum pb_pkg_role *roles;
	size_t n_pkgs;
	int log_fd;
	/* beneath-workspace dir fds (-1: not open): roots/<distro> (the
	 * stamp, the root made and wiped through it), the root, and
	 * build/<distro>/<key> (the copies); nothing is written into
	 * them through a path string */
	int roots_fd, root_fd, build_fd;
	struct pb_unpack_limit limit;
	struct pb_cc_choice cc;
	json_object *entry;
};

static json_object *output_entry(const char *status)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string(status));
	return o;
}

static json_object *new_entry(const struct pb_build_opts *o,
			      const struct pb_batch *b, size_t i)
{
	json_object *e = json_object_new_object();
	const char *arch = pb_batch_release_arch(b, i);

	json_object_object_add(e, "probe", json_object_new_string(o->probe));
	json_object_object_add(e, "probe_version",
			       json_object_new_string(o->version));
	json_object_object_add(e, "distro",
			       json_object_new_string(o->distro->name));
	json_object_object_add(e, "release",
			       json_object_new_string(pb_batch_release(b, i)));
	json_object_object_add(e, "arch",
			       json_object_new_string(arch ? arch : ""));
	json_object_object_add(
		e, "version",
		json_object_new_string(pb_batch_release_version(b, i)
					       ? pb_batch_release_version(b, i)
					       : ""));
	{
		json_object *series = json_object_new_array();
		size_t k;

		for (k = 0; k < pb_batch_n_series(b, i); k++)
			json_object_array_add(
				series, json_object_new_string(
						pb_batch_series(b, i, k)));
		json_object_object_add(e, "series", series);
	}
	return e;
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

json_object *pb_entry_skipped(const struct pb_build_opts *o,
			      const struct pb_batch *b, size_t i,
			      const char *why)
{
	json_object *e = new_entry(o, b, i);

	json_object_object_add(e, "status",
			       json_object_new_string(PB_ST_SKIPPED));
	json_object_object_add(e, "kmod", output_entry(PB_ST_SKIPPED));
	json_object_object_add(e, "ebpf", output_entry(PB_ST_SKIPPED));
	json_object_object_add(e, "reason", json_object_new_string(why));
	return e;
}

static const char *overall(json_object *e)
{
	return pb_entry_status(e);
}

static void record_failure(struct rel_ctx *c, const char *which,
			   const char *msg)
{
	json_object *out = output_entry(PB_ST_FAILED);

	json_object_object_add(out, "error", json_object_new_string(msg));
	if (c->log_rel[0])
		json_object_object_add(out, "log",
				       json_object_new_string(c->log_rel));
	json_object_object_add(c->entry, which, out);
}

static void fail_output(struct rel_ctx *c, const char *which, const char *msg)
{
	record_failure(c, which, msg);
	pb_error("%s: %s: %s", c->rel.name, which, msg);
}

/* Fails whatever output has no status yet, with one message. */
static void fail_rest(struct rel_ctx *c, const char *msg)
{
	json_object *x;

	pb_error("%s: %s", c->rel.name, msg);
	if (!json_object_object_get_ex(c->entry, "error", &x))
		json_object_object_add(c->entry, "error",
				       json_object_new_string(msg));
	if (!json_object_object_get_ex(c->entry, "kmod", &x))
		record_failure(c, "kmod", msg);
	if (!json_object_object_get_ex(c->entry, "ebpf", &x))
		record_failure(c, "ebpf", msg);
}

/* to, absolute, as a path relative to the absolute directory from */
static int relpath(const char *from, const char *to, char *buf, size_t len)
{
	size_t i = 0, common = 0, used = 0;
	int n;

	while (from[i] && from[i] == to[i]) {
		i++;
		if ((from[i] == '/' || !from[i]) && (to[i] == '/' || !to[i]))
			common = i;
	}
	for (i = common; from[i]; i++) {
		if (from[i] != '/' || !from[i + 1] || from[i + 1] == '/')
			continue;
		if (used + 4 > len)
			return -ENAMETOOLONG;
		memcpy(buf + used, "../", 4);
		used += 3;
	}
	while (to[common] == '/')
		common++;
	n = snprintf(buf + used, len - used, "%s",
		     to[common] || used ? to + common : ".");
	return n < 0 || (size_t)n >= len - used ? -ENAMETOOLONG : 0;
}

static int hash_inputs(struct rel_ctx *c, struct pb_err *err)
{
	json_object *inputs = json_object_new_array();
	size_t i, len = 128;
	char *stamp;

	json_object_object_add(c->entry, "inputs", inputs);
	for (i = 0; i < c->n_pkgs; i++)
		len += strlen(pb_basename(c->pkgs[i])) + PB_HEX_MAX + 8;
	stamp = calloc(1, len);
	if (!stamp)
		return pb_err_set(err, -ENOMEM, "out of memory");
	c->stamp = stamp;
	/* another version may unpack or fix up differently: start over */
	snprintf(stamp, len, "%s root\n", PACKAGE_STRING);
	for (i = 0; i < c->n_pkgs; i++) {
		char hex[PB_HEX_MAX], real[PATH_MAX], rel[PATH_MAX];
		json_object *in;
		int ret = pb_hash_file(c->pkgs[i], "sha256", hex, err);

		if (ret)
			return ret;
		in = json_object_new_object();
		json_object_object_add(
			in, "file",
			json_object_new_string(pb_basename(c->pkgs[i])));
		json_object_object_add(in, "sha256",
				       json_object_new_string(hex));
		{
			json_object *url;

			/* where it came from; a local file by its path
			 * relative to the output dir */
			if (c->o->origins &&
			    json_object_object_get_ex(c->o->origins, c->pkgs[i],
						      &url))
				json_object_object_add(in, "url",
						       json_object_get(url));
			else if (realpath(c->pkgs[i], real) &&
				 relpath(c->o->output_dir, real, rel,
					 sizeof(rel)) == 0)
				json_object_object_add(
					in, "path",
					json_object_new_string(rel));
		}
		json_object_object_add(
			in, "role",
			json_object_new_string(c->roles[i] == PB_PKG_CONFIG
						       ? "config"
						       : "tree"));
		json_object_array_add(inputs, in);
		snprintf(stamp + strlen(stamp), len - strlen(stamp),
			 "%s %d %s\n", hex, (int)c->roles[i],
			 pb_basename(c->pkgs[i]));
	}
	return 0;
}

/* roots/<distro> beneath the workspace, every part a real directory */
static int open_roots(struct rel_ctx *c, struct pb_err *err)
{
	char rel[PATH_MAX];
	int ws = open(c->o->workspace, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (ws < 0)
		return pb_err_set(err, -errno, "%s: %s", c->o->workspace,
				  strerror(errno));
	snprintf(rel, sizeof(rel), "roots/%s", c->o->distro->name);
	c->roots_fd = pb_mkdir_beneath(ws, rel, err);
	close(ws);
	if (c->roots_fd < 0)
		return pb_err_prefix(err, "%s", c->o->workspace);
	return 0;
}

static int root_is_ready(struct rel_ctx *c)
{
	char name[PATH_MAX], old[65536];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd;

	snprintf(name, sizeof(name), "%s.stamp", c->key);
	fd = openat(c->roots_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (len < sizeof(old) - 1 &&
	       (n = read(fd, old + len, sizeof(old) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	old[len] = '\0';
	if (strcmp(old, c->stamp) != 0 ||
	    fstatat(c->roots_fd, c->key, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISDIR(st.st_mode))
		return 0;
	c->root_fd = openat(c->roots_fd, c->key,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return c->root_fd >= 0;
}

/* An empty root: the stamp goes first, so that a crash half way leaves
 * a root without one, which the next run wipes and redoes. */
static int new_root(struct rel_ctx *c, struct pb_err *err)
{
	char name[PATH_MAX];
	int ret;

	snprintf(name, sizeof(name), "%s.stamp", c->key);
	if (unlinkat(c->roots_fd, name, 0) < 0 && errno != ENOENT)
		return pb_err_set(err, -errno, "%s: %s", c->stamp_path,
				  strerror(errno));
	ret = pb_rm_rf_at(c->roots_fd, c->key, err);
	if (ret)
		return pb_err_prefix(err, "cannot wipe %s", c->root);
	if (mkdirat(c->roots_fd, c->key, 0755) < 0)
		return pb_err_set(err, -errno, "cannot create %s: %s", c->root,
				  strerror(errno));
	c->root_fd = openat(c->roots_fd, c->key,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c->root_fd < 0)
		return pb_err_set(err, -errno, "%s: %s", c->root,
				  strerror(errno));
	c->limit.max =
		c->o->max_unpacked ? c->o->max_unpacked : PB_UNPACK_MAX_DEFAULT;
	c->limit.used = 0;
	return 0;
}

/* A root whose unpack or fixups failed is never stamped, and goes at
 * once: on a full disk that gives the log and the result room again. */
static int drop_root(struct rel_ctx *c, int ret)
{
	struct pb_err e = {0};

	if (c->root_fd >= 0)
		close(c->root_fd);
	c->root_fd = -1;
	if (pb_rm_rf_at(c->roots_fd, c->key, &e) < 0)
		pb_warn("%s: cannot wipe the failed root: %s", c->rel.name,
			e.msg);
	return ret;
}

static int unpack_role(struct rel_ctx *c, enum pb_pkg_role role,
		       struct pb_err *err)
{
	size_t i;

	for (i = 0; i < c->n_pkgs; i++) {
		double t0 = pb_now_s();
		int ret;

		if (c->roles[i] != role)
			continue;
		ret = pb_unpack_at(c->pkgs[i], c->root_fd, role, c->rel.name,
				   &c->limit, err);
		if (ret)
			return ret;
		pb_info("%s: unpacked %s%s in %.1fs", c->rel.name,
			pb_basename(c->pkgs[i]),
			role == PB_PKG_CONFIG ? " (config only)" : "",
			pb_now_s() - t0);
	}
	return 0;
}

/* The stamp is written only once the unpack and every fixup succeeded,
 * and what they wrote is on disk (syncfs reports the writeback errors a
 * write(2) may not have). */
static int prepare_tree(struct rel_ctx *c, struct pb_err *err)
{
	char name[PATH_MAX];
	int ret;

	ret = unpack_role(c, PB_PKG_TREE, err);
	if (!ret)
		ret = pb_fixup_absolute_symlinks(c->root, err);
	if (!ret && c->plugin->fixup)
		ret = c->plugin->fixup(&c->rel, err);
	if (!ret && syncfs(c->root_fd) < 0)
		ret = pb_err_set(err, -errno, "%s: %s", c->root,
				 strerror(errno));
	snprintf(name, sizeof(name), "%s.stamp", c->key);
	if (!ret)
		ret = pb_write_file_atomic_at(c->roots_fd, name, c->stamp,
					      strlen(c->stamp), err);
	return ret ? drop_root(c, ret) : 0;
}

static int find_config(struct rel_ctx *c, int *tree_ready, struct pb_err *err)
{
	char cfg[PATH_MAX], path[PATH_MAX * 2];
	json_object *jc;
	int ret;

	ret = c->plugin->config_file(&c->rel, cfg, sizeof(cfg), err);
	if (ret == -ENOENT && !*tree_ready) {
		/* some distros keep it in the tree packages */
		pb_err_clear(err);
		ret = prepare_tree(c, err);
		if (ret)
			return ret;
		*tree_ready = 1;
		ret = c->plugin->config_file(&c->rel, cfg, sizeof(cfg), err);
	}
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/%s", c->root, cfg);
	ret = pb_hash_file(path, "md5", c->md5, err);
	if (ret)
		return ret;
	jc = json_object_new_object();
	json_object_object_add(jc, "file", json_object_new_string(cfg));
	json_object_object_add(jc, "md5", json_object_new_string(c->md5));
	json_object_object_add(c->entry, "config", jc);
	pb_info("%s: config %s, md5 %s", c->rel.name, cfg, c->md5);
	return 0;
}

/* make, with an environment that cannot steer kbuild elsewhere */
static int run_make(struct rel_ctx *c, const char *const argv[], int *status,
		    struct pb_err *err)
{
	static const char *const scrub[] = {"MAKEFLAGS",
					    "MFLAGS",
					    "MAKELEVEL",
					    "MAKEOVERRIDES",
					    "KBUILD_OUTPUT",
					    "O",
					    "M",
					    "ARCH",
					    "CROSS_COMPILE",
					    "KCFLAGS",
					    "KCPPFLAGS",
					    "KBUILD_EXTRA_SYMBOLS",
					    "CC",
					    "LD",
					    "CFLAGS",
					    "LDFLAGS",
					    "KERNELDIR",
					    "KERNELRELEASE",
					    "GNUMAKEFLAGS"};
	size_t i;
	char line[8192] = "", why[400];
	off_t start;
	int ret;

	for (i = 0; i < PB_ARRAY_SIZE(scrub); i++)
		unsetenv(scrub[i]);
	setenv("LC_ALL", "C", 1);
	for (i = 0; argv[i]; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
			 "%s%s", i ? " " : "", argv[i]);
	pb_info("%s: running %s", c->rel.name, line);
	start = lseek(c->log_fd, 0, SEEK_END);
	ret = pb_run(argv, NULL, c->log_fd, status, err);
	if (!ret && *status != 0) {
		/* the line that says why, from what this make wrote */
		if (start >= 0 && pb_log_file_first_error(c->log_path, start,
							  why, sizeof(why)))
			return pb_err_set(err, -EIO,
					  "%s exited with status %d: %s",
					  argv[0], *status, why);
		return pb_err_set(err, -EIO, "%s exited with status %d",
				  argv[0], *status);
	}
	return ret;
}

/* Copies the built file (a path under build_dir) to the output dir under
 * its final name; it is opened beneath build_dir, so that a link left
 * there cannot publish a file from elsewhere. */
static int install_output(struct rel_ctx *c, const char *which,
			  const char *built, const char *name, json_object *out,
			  struct pb_err *err)
{
	char dst[PATH_MAX * 2], hex[PB_HEX_MAX];
	size_t bl = strlen(c->build_dir);
	int in, ret;

	if (strncmp(built, c->build_dir, bl) != 0 || built[bl] != '/')
		return pb_err_set(err, -EINVAL, "%s: not under %s", built,
				  c->build_dir);
	in = pb_open_beneath(c->build_fd, built + bl + 1, O_RDONLY, 0, err);
	if (in < 0)
		return pb_err_prefix(err, "%s", c->build_dir);
	snprintf(dst, sizeof(dst), "%s/%s", c->o->output_dir, name);
	ret = pb_copy_fd_atomic(in, dst, err);
	close(in);
	if (!ret)
		ret = pb_hash_file(dst, "sha256", hex, err);
	if (ret)
		return ret;
	json_object_object_add(out, "file", json_object_new_string(name));
	json_object_object_add(out, "sha256", json_object_new_string(hex));
	pb_info("%s: %s: wrote %s", c->rel.name, which, dst);
	return 0;
}

/* A make command line, its arguments formatted one by one. */
struct make_cmd {
	char *argv[16];
	size_t n;
	int oom;
};

static void cmd_add(struct make_cmd *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void cmd_add(struct make_cmd *m, const char *fmt, ...)
{
	va_list ap;

	if (m->n + 1 >= sizeof(m->argv) / sizeof(m->argv[0])) {
		m->oom = 1;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&m->argv[m->n], fmt, ap) < 0) {
		m->argv[m->n] = NULL;
		m->oom = 1;
	} else {
		m->n++;
	}
	va_end(ap);
}

static void cmd_free(struct make_cmd *m)
{
	while (m->n > 0)
		free(m->argv[--m->n]);
}

/* Starts `make -C dir` with what every probe build is given: the compiler,
 * the probe's name and version. */
static void cmd_start(struct make_cmd *m, struct rel_ctx *c, const char *dir)
{
	memset(m, 0, sizeof(*m));
	cmd_add(m, "make");
	cmd_add(m, "-C");
	cmd_add(m, "%s", dir);
	if (c->cc.path[0])
		cmd_add(m, "CC=%s", c->cc.path);
	cmd_add(m, "PROBE_NAME=%s", c->o->probe);
	cmd_add(m, "PROBE_VERSION=%s", c->o->version);
}

/* The same bytes whatever the workspace: source paths in the debug info
 * read as they would on a host. gcc before 8 only maps debug info. */
static void cmd_prefix_maps(struct make_cmd *m, struct rel_ctx *c,
			    const char *var, const char *opt, const char *copy)
{
	cmd_add(m, "%s=%s=%s=/usr/src/%s-%s %s=%s/=/", var, opt, copy,
		c->o->probe, c->o->version, opt, c->root);
}

/* build/<distro>/<release> beneath the workspace, every part a real
 * directory: the copies are made through it. */
static int open_build_dir(struct rel_ctx *c, struct pb_err *err)
{
	char rel[PATH_MAX];
	int ws;

	if (c->build_fd >= 0)
		return 0;
	ws = open(c->o->workspace, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ws < 0)
		return pb_err_set(err, -errno, "%s: %s", c->o->workspace,
				  strerror(errno));
	snprintf(rel, sizeof(rel), "build/%s/%s", c->o->distro->name, c->key);
	c->build_fd = pb_mkdir_beneath(ws, rel, err);
	close(ws);
	if (c->build_fd < 0)
		return pb_err_prefix(err, "%s", c->o->workspace);
	return 0;
}

/* A private copy of the source for one output (which: its name under
 * build_dir), and make run in it. */
static int run_build(struct rel_ctx *c, const char *which, struct make_cmd *m)
{
	struct pb_err err = {0};
	int status, ret;

	ret = open_build_dir(c, &err);
	if (!ret)
		ret = pb_rm_rf_at(c->build_fd, which, &err);
	if (!ret) {
		ret = pb_copy_tree_at(c->o->source_dir, c->build_fd, which,
				      &err);
		if (ret)
			pb_err_prefix(&err, "%s", c->build_dir);
	}
	if (!ret && m->oom)
		ret = pb_err_set(&err, -ENOMEM, "out of memory");
	if (!ret) {
		m->argv[m->n] = NULL;
		ret = run_make(c, (const char *const *)m->argv, &status, &err);
		if (ret)
			pb_err_prefix(&err, "%s build", which);
	}
	if (ret) {
		char msg[PB_ERR_MSG_MAX + 32];

		snprintf(msg, sizeof(msg), "%s (see the log)", err.msg);
		fail_output(c, which, msg);
	}
	return ret;
}

/* Installs what a build made and records it as BUILT. */
static void finish_build(struct rel_ctx *c, const char *which,
			 const char *built, const char *name, json_object *out,
			 double t0)
{
	struct pb_err err = {0};

	if (install_output(c, which, built, name, out, &err) < 0) {
		json_object_put(out);
		fail_output(c, which, err.msg);
		return;
	}
	json_object_object_add(out, "duration_s",
			       json_object_new_double(pb_now_s() - t0));
	if (c->o->run_time)
		json_object_object_add(out, "built_at",
				       json_object_new_string(c->o->run_time));
	if (c->replaced[strcmp(which, "kmod") != 0][0])
		json_object_object_add(
			out, "replaced_sha256",
			json_object_new_string(
				c->replaced[strcmp(which, "kmod") != 0]));
	if (c->log_rel[0])
		json_object_object_add(out, "log",
				       json_object_new_string(c->log_rel));
	json_object_object_add(c->entry, which, out);
}

static void build_kmod(struct rel_ctx *c, const char *name)
{
	char copy[PATH_MAX], built[PATH_MAX * 2], vermagic[512];
	struct pb_err err = {0};
	struct make_cmd m;
	json_object *out;
	double t0 = pb_now_s();
	size_t rl = strlen(c->rel.name);
	int ret;

	snprintf(copy, sizeof(copy), "%s/kmod", c->build_dir);
	cmd_start(&m, c, c->kdir);
	cmd_add(&m, "M=%s", copy);
	cmd_add(&m, "modules");
	cmd_prefix_maps(&m, c, "KCFLAGS",
			c->cc.major >= 8 ? "-ffile-prefix-map"
					 : "-fdebug-prefix-map",
			copy);
	ret = run_build(c, "kmod", &m);
	cmd_free(&m);
	if (ret)
		return;
	snprintf(built, sizeof(built), "%s/%s.ko", copy, c->o->probe);
	if (!pb_is_file(built)) {
		char msg[PATH_MAX * 3];

		snprintf(msg, sizeof(msg),
			 "the build made no %s.ko (kbuild's obj-m must be "
			 "$(PROBE_NAME).o, here %s.o)",
			 c->o->probe, c->o->probe);
		fail_output(c, "kmod", msg);
		return;
	}
	/* a module whose vermagic is not the kernel's would be refused by
	 * it: a wrong tree or a stale object got in */
	ret = pb_elf_modinfo(built, "vermagic", vermagic, sizeof(vermagic),
			     &err);
	if (ret || strncmp(vermagic, c->rel.name, rl) != 0 ||
	    (vermagic[rl] != ' ' && vermagic[rl] != '\0')) {
		char msg[PB_ERR_MSG_MAX + 600];

		if (ret)
			snprintf(msg, sizeof(msg), "corrupted probe: %s",
				 err.msg);
		else
			snprintf(msg, sizeof(msg),
				 "corrupted probe: vermagic '%s' does not "
				 "start with the kernel release %s",
				 vermagic, c->rel.name);
		fail_output(c, "kmod", msg);
		return;
	}
	out = output_entry(PB_ST_BUILT);
	json_object_object_add(out, "vermagic",
			       json_object_new_string(vermagic));
	{
		json_object *jc;

		/* the module's own provenance, kept when a later run only
		 * finds it */
		if (json_object_object_get_ex(c->entry, "compiler", &jc))
			json_object_object_add(out, "compiler",
					       json_object_get(jc));
	}
	finish_build(c, "kmod", built, name, out, t0);
}

static void build_ebpf(struct rel_ctx *c, const char *name)
{
	char copy[PATH_MAX], bpfdir[PATH_MAX + 8], built[PATH_MAX * 2];
	struct pb_err err = {0};
	struct make_cmd m;
	double t0 = pb_now_s();
	int ret, machine = 0;

	snprintf(copy, sizeof(copy), "%s/ebpf", c->build_dir);
	snprintf(bpfdir, sizeof(bpfdir), "%s/bpf", copy);
	cmd_start(&m, c, bpfdir);
	cmd_add(&m, "KERNELDIR=%s", c->kdir);
	cmd_add(&m, "CLANG=%s", c->o->clang);
	cmd_add(&m, "LLC=%s", c->o->llc);
	/* clang knows -ffile-prefix-map whatever gcc the kernel wants */
	cmd_prefix_maps(&m, c, "BPF_EXTRA_CFLAGS", "-ffile-prefix-map", copy);
	ret = run_build(c, "ebpf", &m);
	cmd_free(&m);
	if (ret)
		return;
	snprintf(built, sizeof(built), "%s/probe.o", bpfdir);
	ret = pb_elf_machine(built, &machine, &err);
	if (ret || machine != EM_BPF) {
		char msg[PB_ERR_MSG_MAX + 64];

		if (ret)
			snprintf(msg, sizeof(msg), "ebpf build: %s", err.msg);
		else
			snprintf(msg, sizeof(msg),
				 "ebpf build: bpf/probe.o is an ELF for "
				 "machine %d, not eBPF (247)",
				 machine);
		fail_output(c, "ebpf", msg);
		return;
	}
	finish_build(c, "ebpf", built, name, output_entry(PB_ST_BUILT), t0);
}

/* The host machine when it is not arch (a cross build), else NULL. */
static const char *cross_host(const char *arch)
{
	static struct utsname u;

	if (!u.machine[0])
		uname(&u);
	return strcmp(arch, u.machine) == 0 ? NULL : u.machine;
}

static void record_compiler(struct rel_ctx *c, const struct pb_kcc *k)
{
	json_object *jc = json_object_new_object();

	json_object_object_add(jc, "kernel", json_object_new_string(k->text));
	json_object_object_add(jc, "path", json_object_new_string(c->cc.path));
	json_object_object_add(jc, "version",
			       json_object_new_string(c->cc.version));
	json_object_object_add(jc, "exact_major",
			       json_object_new_boolean(c->cc.exact));
	/* a module built with another major than the kernel's: the user
	 * allowed it, and the record says so */
	json_object_object_add(jc, "nearest_compiler",
			       json_object_new_boolean(!c->cc.exact));
	json_object_object_add(c->entry, "compiler", jc);
	pb_info("%s: kernel built with '%s' (%s); using %s: %s%s", c->rel.name,
		k->text, k->source, c->cc.path, c->cc.version,
		c->cc.exact ? "" : " (nearest major, --nearest-compiler)");
}

/* Whether output `which` (file name in the output dir) must be built: it
 * is not there, or it no longer is what the manifest says was built (its
 * SHA-256 differs). Otherwise it is recorded EXISTING, with its SHA-256. */
static int check_existing(struct rel_ctx *c, const char *which,
			  const char *name)
{
	char path[PATH_MAX * 2], hex[PB_HEX_MAX];
	struct pb_err err = {0};
	json_object *old, *o, *v, *out;

	snprintf(path, sizeof(path), "%s/%s", c->o->output_dir, name);
	if (!pb_is_file(path))
		return 1;
	if (pb_hash_file(path, "sha256", hex, &err) < 0) {
		pb_warn("%s: %s: %s: building it again", c->rel.name, which,
			err.msg);
		return 1;
	}
	old = pb_manifest_find(c->o->manifest, c->entry);
	if (old && json_object_object_get_ex(old, which, &o) &&
	    json_object_object_get_ex(o, "file", &v) &&
	    !strcmp(json_object_get_string(v), name) &&
	    json_object_object_get_ex(o, "sha256", &v) &&
	    strcmp(json_object_get_string(v), hex) != 0) {
		pb_warn("%s: %s: %s is not the file that was built (SHA-256 "
			"%s, the manifest says %s): building it again",
			c->rel.name, which, path, hex,
			json_object_get_string(v));
		snprintf(c->replaced[strcmp(which, "kmod") != 0],
			 sizeof(c->replaced[0]), "%s", hex);
		return 1;
	}
	out = output_entry(PB_ST_EXISTING);
	json_object_object_add(out, "file", json_object_new_string(name));
	json_object_object_add(out, "sha256", json_object_new_string(hex));
	json_object_object_add(c->entry, which, out);
	return 0;
}

static void build_outputs(struct rel_ctx *c)
{
	char kname[PATH_MAX], ename[PATH_MAX], path[PATH_MAX * 2],
		kdir_rel[PATH_MAX];
	struct pb_err err = {0};
	struct pb_kcc kcc;
	int tree_ready, need_kmod = 0, need_ebpf = 0, ret;
	const char *host;

	tree_ready = root_is_ready(c);
	if (tree_ready) {
		pb_info("%s: reusing the unpacked tree in %s", c->rel.name,
			c->root);
	} else {
		ret = new_root(c, &err);
		if (!ret && unpack_role(c, PB_PKG_CONFIG, &err) < 0)
			ret = drop_root(c, err.code);
		if (ret) {
			fail_rest(c, err.msg);
			return;
		}
	}
	ret = find_config(c, &tree_ready, &err);
	if (ret) {
		fail_rest(c, err.msg);
		return;
	}
	if (pb_output_name(kname, sizeof(kname), PB_OUT_KMOD, c->o->probe,
			   c->o->version, c->rel.arch, c->rel.name,
			   c->md5) < 0 ||
	    pb_output_name(ename, sizeof(ename), PB_OUT_EBPF, c->o->probe,
			   c->o->version, c->rel.arch, c->rel.name,
			   c->md5) < 0) {
		fail_rest(c, "cannot make an output file name from this "
			     "release");
		return;
	}
	need_kmod = c->o->want_kmod ? check_existing(c, "kmod", kname) : 0;
	need_ebpf = c->o->want_ebpf ? check_existing(c, "ebpf", ename) : 0;
	if (!c->o->want_kmod)
		json_object_object_add(c->entry, "kmod",
				       output_entry(PB_ST_SKIPPED));
	if (!c->o->want_ebpf)
		json_object_object_add(c->entry, "ebpf",
				       output_entry(PB_ST_SKIPPED));
	if (!need_kmod && !need_ebpf)
		return;
	host = cross_host(c->rel.arch);
	if (host) {
		snprintf(path, sizeof(path),
			 "release is %s and this machine %s: cross builds "
			 "are not supported",
			 c->rel.arch, host);
		fail_rest(c, path);
		return;
	}
	if (!tree_ready) {
		ret = prepare_tree(c, &err);
		if (ret) {
			fail_rest(c, err.msg);
			return;
		}
	}
	ret = c->plugin->kernel_dir(&c->rel, kdir_rel, sizeof(kdir_rel), &err);
	if (!ret) {
		snprintf(c->kdir, sizeof(c->kdir), "%s/%s", c->root, kdir_rel);
		snprintf(path, sizeof(path), "%s/Makefile", c->kdir);
		if (!pb_is_file(path))
			ret = pb_err_set(&err, -ENOENT,
					 "no kernel build tree: %s/Makefile "
					 "is missing from the packages",
					 kdir_rel);
	}
	if (ret) {
		fail_rest(c, err.msg);
		return;
	}
	ret = pb_kcc_from_tree(c->kdir, &kcc, &err);
	if (!ret)
		ret = pb_cc_choose(&kcc, c->o->path_env, c->o->nearest_compiler,
				   &c->cc, &err);
	if (ret) {
		/* the compiler of the kernel is for the module only: the
		 * eBPF object is built with clang all the same */
		c->cc.path[0] = '\0';
		if (need_kmod)
			fail_output(c, "kmod", err.msg);
		need_kmod = 0;
	} else {
		record_compiler(c, &kcc);
	}
	if (need_kmod)
		build_kmod(c, kname);
	if (need_ebpf)
		build_ebpf(c, ename);
}

/* The run's log of this kernel: logs/<distro>/<key>/<run id>.log; a later
 * run writes another one. */
static int open_log(struct rel_ctx *c, struct pb_err *err)
{
	char dir[PATH_MAX];
	int ret;

	snprintf(dir, sizeof(dir), "%s/logs/%s/%s", c->o->workspace,
		 c->o->distro->name, c->key);
	ret = pb_mkdir_p(dir, err);
	if (ret)
		return ret;
	snprintf(c->log_path, sizeof(c->log_path), "%s/%s.log", dir,
		 c->o->run_id ? c->o->run_id : "run");
	snprintf(c->log_rel, sizeof(c->log_rel), "logs/%s/%s/%s.log",
		 c->o->distro->name, c->key,
		 c->o->run_id ? c->o->run_id : "run");
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
static int built_something(json_object *e)
{
	static const char *const which[] = {"kmod", "ebpf"};
	json_object *x, *s;
	size_t k;

	for (k = 0; k < 2; k++)
		if (json_object_object_get_ex(e, which[k], &x) &&
		    json_object_object_get_ex(x, "status", &s) &&
		    (!strcmp(json_object_get_string(s), PB_ST_BUILT) ||
		     !strcmp(json_object_get_string(s), PB_ST_FAILED)))
			return 1;
	return 0;
}

/* Copies the run's log to <output dir>/<log_rel>, where the manifest
 * points; the entry loses its "log" when that fails (with a warning). */
static void publish_log(struct rel_ctx *c)
{
	char dst[PATH_MAX * 2], dir[PATH_MAX * 2];
	struct pb_err err = {0};
	json_object *out;
	size_t k;
	int ret;

	if (!c->log_rel[0] || !built_something(c->entry)) {
		/* nothing built: the record (and its log) is an earlier
		 * run's */
		json_object_object_del(c->entry, "log");
		return;
	}
	snprintf(dst, sizeof(dst), "%s/%s", c->o->output_dir, c->log_rel);
	snprintf(dir, sizeof(dir), "%s", dst);
	*strrchr(dir, '/') = '\0';
	ret = pb_mkdir_p(dir, &err);
	if (!ret)
		ret = pb_copy_file_atomic(c->log_path, dst, &err);
	if (ret) {
		pb_warn("%s: the log stays in %s: %s", c->rel.name, c->log_path,
			err.msg);
		json_object_object_del(c->entry, "log");
		for (k = 0; k < 2; k++)
			if (json_object_object_get_ex(
				    c->entry, k ? "ebpf" : "kmod", &out))
				json_object_object_del(out, "log");
	}
}

json_object *pb_build_release(const struct pb_build_opts *o,
			      const struct pb_batch *b, size_t i)
{
	struct rel_ctx c;
	struct pb_err err = {0};
	const char *failure = pb_batch_release_failure(b, i);
	double t0 = pb_now_s();
	FILE *logf = NULL;
	char dir[PATH_MAX];
	size_t j;

	memset(&c, 0, sizeof(c));
	c.o = o;
	c.log_fd = -1;
	c.roots_fd = c.root_fd = c.build_fd = -1;
	c.plugin = o->distro->builder->plugin;
	c.entry = new_entry(o, b, i);
	c.n_pkgs = pb_batch_n_packages(b, i);
	c.pkgs = calloc(c.n_pkgs + 1, sizeof(*c.pkgs));
	c.roles = calloc(c.n_pkgs + 1, sizeof(*c.roles));
	if (!c.entry || !c.pkgs || !c.roles) {
		free(c.pkgs);
		free(c.roles);
		json_object_put(c.entry);
		return NULL;
	}
	for (j = 0; j < c.n_pkgs; j++)
		c.pkgs[j] = pb_batch_package(b, i, j, &c.roles[j]);
	c.rel.sz = sizeof(c.rel);
	c.rel.distro = o->distro->name;
	c.rel.name = pb_batch_release(b, i);
	c.rel.arch = pb_batch_release_arch(b, i);
	if (!c.rel.arch)
		c.rel.arch = "";
	c.rel.root = c.root;
	c.rel.packages = c.pkgs;
	c.rel.n_packages = c.n_pkgs;
	/* roots, build copies and logs are the kernel's key's: two
	 * kernels of one release name never share them */
	if (pb_kernel_key_name(b, i, c.key, sizeof(c.key)) < 0) {
		fail_rest(&c, "the kernel's key is too long for a file name");
		goto done;
	}
	snprintf(dir, sizeof(dir), "%s/roots/%s", o->workspace,
		 o->distro->name);
	snprintf(c.root, sizeof(c.root), "%s/%s", dir, c.key);
	snprintf(c.stamp_path, sizeof(c.stamp_path), "%s/%s.stamp", dir, c.key);
	snprintf(c.build_dir, sizeof(c.build_dir), "%s/build/%s/%s",
		 o->workspace, o->distro->name, c.key);

	if (open_log(&c, &err) < 0) {
		c.log_rel[0] = '\0';
		fail_rest(&c, err.msg);
		goto done;
	}
	json_object_object_add(c.entry, "log",
			       json_object_new_string(c.log_rel));
	logf = fdopen(dup(c.log_fd), "a");
	pb_log_set_file(logf);
	if (failure) {
		fail_rest(&c, failure);
		goto done;
	}
	if (hash_inputs(&c, &err) < 0 || open_roots(&c, &err) < 0) {
		fail_rest(&c, err.msg);
		goto done;
	}
	build_outputs(&c);
done:
	json_object_object_add(c.entry, "status",
			       json_object_new_string(overall(c.entry)));
	json_object_object_add(c.entry, "duration_s",
			       json_object_new_double(pb_now_s() - t0));
	pb_info("%s: %s in %.1fs", c.rel.name, overall(c.entry),
		pb_now_s() - t0);
	pb_log_set_file(NULL);
	if (logf)
		fclose(logf);
	if (c.log_fd >= 0)
		close(c.log_fd);
	if (c.roots_fd >= 0)
		close(c.roots_fd);
	if (c.root_fd >= 0)
		close(c.root_fd);
	if (c.build_fd >= 0)
		close(c.build_fd);
	if (c.log_fd >= 0)
		publish_log(&c);
	free(c.stamp);
	free(c.pkgs);
	free(c.roles);
	return c.entry;
}
