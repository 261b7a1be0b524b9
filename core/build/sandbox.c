#include "config.h"

/* The bwrap command line for one build command. Mounts are made in the
 * order given, so the userspace comes first, then /proc, /dev and /tmp,
 * then the caller's read-only paths and last the read-write ones: an rw
 * path beneath an ro one (or beneath /tmp) is mounted over it. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/sandbox.h"
#include "probe-builder/alloc.h"
#include "util/path.h"
#include "util/proc.h"
#include "util/str.h"

struct vec {
	char **v;
	size_t n, cap;
};

static int add(struct vec *a, const char *s, struct pb_err *err)
{
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		char **v = pb_reallocarray(a->v, cap, sizeof(*v), err);

		if (!v)
			return -ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n] = pb_strdup(s, err);
	if (!a->v[a->n])
		return -ENOMEM;
	a->v[++a->n] = NULL;
	return 0;
}

/* opt, then x and y when not NULL */
static int add3(struct vec *a, const char *opt, const char *x, const char *y,
		struct pb_err *err)
{
	int ret = add(a, opt, err);

	if (!ret && x)
		ret = add(a, x, err);
	if (!ret && y)
		ret = add(a, y, err);
	return ret;
}

/* kept: a build made with them set stays reproducible inside */
static const char *const pass_env[] = {
	"SOURCE_DATE_EPOCH", "KBUILD_BUILD_TIMESTAMP", "KBUILD_BUILD_USER",
	"KBUILD_BUILD_HOST", "KBUILD_BUILD_VERSION",
};

extern char **environ;

/* NAME=VALUE of ours whose name starts with prefix, set inside too */
static int add_prefixed(struct vec *a, const char *prefix, struct pb_err *err)
{
	size_t pl = prefix ? strlen(prefix) : 0;
	char **e;
	int ret = 0;

	for (e = environ; pl && !ret && e && *e; e++) {
		const char *eq = strchr(*e, '=');
		char name[256];

		if (!eq || strncmp(*e, prefix, pl) != 0 ||
		    (size_t)(eq - *e) >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(eq - *e), *e);
		ret = add3(a, "--setenv", name, eq + 1, err);
	}
	return ret;
}

static int add_env(struct vec *a, const char *prefix, struct pb_err *err)
{
	static const char *const fixed[][2] = {
		{"PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"},
		{"LC_ALL", "C"},
		{"HOME", "/tmp"},
		{"TMPDIR", "/tmp"},
	};
	size_t i;
	int ret = add(a, "--clearenv", err);

	for (i = 0; !ret && i < PB_ARRAY_SIZE(fixed); i++)
		ret = add3(a, "--setenv", fixed[i][0], fixed[i][1], err);
	for (i = 0; !ret && i < PB_ARRAY_SIZE(pass_env); i++) {
		const char *v = getenv(pass_env[i]);

		if (v)
			ret = add3(a, "--setenv", pass_env[i], v, err);
	}
	if (!ret)
		ret = add_prefixed(a, prefix, err);
	return ret;
}

/* /<name> as the root has it: its symlink (merged /usr), its directory
 * read-only, or nothing when absent */
static int add_top(struct vec *a, const char *root, const char *name,
		   struct pb_err *err)
{
	char src[PATH_MAX], dst[PATH_MAX], target[PATH_MAX];
	struct stat st;
	ssize_t n;
	int ret;

	ret = pb_path_join(dst, sizeof(dst), err, "/", name, NULL);
	if (!ret)
		ret = pb_path_join(src, sizeof(src), err, root ? root : "/",
				   name, NULL);
	if (ret)
		return ret;
	if (lstat(src, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return pb_err_set(err, -errno, "%s: %s", src, strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		return add3(a, "--ro-bind", src, dst, err);
	if (!S_ISLNK(st.st_mode))
		return 0;
	n = readlink(src, target, sizeof(target));
	if (n < 0)
		return pb_err_set(err, -errno, "%s: %s", src, strerror(errno));
	if ((size_t)n >= sizeof(target))
		return pb_err_set(err, -ENAMETOOLONG, "%s: link too long", src);
	target[n] = '\0';
	/* as given: relative (usr/bin) or absolute (/usr/bin), both right
	 * inside, where the root's /usr is /usr */
	return add3(a, "--symlink", target, dst, err);
}

static int is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int add_userspace(struct vec *a, const char *root, struct pb_err *err)
{
	static const char *const tops[] = {"bin",   "sbin",  "lib",
					   "lib32", "lib64", "libx32"};
	char p[PATH_MAX];
	size_t i;
	int ret;

	ret = pb_path_join(p, sizeof(p), err, root ? root : "/", "usr", NULL);
	if (ret)
		return ret;
	if (!is_dir(p))
		return pb_err_set(err, -ENOENT, "%s: %s is not a directory",
				  root ? root : "the host", p);
	ret = add3(a, "--ro-bind", p, "/usr", err);
	for (i = 0; !ret && i < PB_ARRAY_SIZE(tops); i++)
		ret = add_top(a, root, tops[i], err);
	if (ret)
		return ret;
	if (root) {
		/* its own /etc: its ld.so.cache, alternatives, gcc specs */
		ret = pb_path_join(p, sizeof(p), err, root, "etc", NULL);
		if (!ret && is_dir(p))
			ret = add3(a, "--ro-bind", p, "/etc", err);
		return ret;
	}
	/* the host's /etc is not ours to show: only what running the
	 * compilers needs (they are reached through alternatives links) */
	if (access("/etc/ld.so.cache", F_OK) == 0)
		ret = add3(a, "--ro-bind", "/etc/ld.so.cache",
			   "/etc/ld.so.cache", err);
	if (!ret && is_dir("/etc/alternatives"))
		ret = add3(a, "--ro-bind", "/etc/alternatives",
			   "/etc/alternatives", err);
	return ret;
}

/* the caller's paths, each at its own path inside */
static int add_binds(struct vec *a, const char *opt, const char *const *paths,
		     size_t n, struct pb_err *err)
{
	size_t i;
	int ret = 0;

	for (i = 0; !ret && i < n; i++) {
		if (!paths[i] || paths[i][0] != '/')
			return pb_err_set(err, -EINVAL,
					  "sandbox: %s path not absolute: %s",
					  opt, paths[i] ? paths[i] : "(null)");
		if (access(paths[i], F_OK) < 0)
			return pb_err_set(err, -errno, "sandbox: %s %s: %s",
					  opt, paths[i], strerror(errno));
		ret = add3(a, opt, paths[i], paths[i], err);
	}
	return ret;
}

static int add_work(struct vec *a, const char *work, const char *at,
		    struct pb_err *err)
{
	if (work[0] != '/' || !at || at[0] != '/' || strstr(at, "/../") ||
	    !strcmp(at, "/"))
		return pb_err_set(err, -EINVAL,
				  "sandbox: work dir %s at %s: not absolute",
				  work, at ? at : "(null)");
	if (access(work, F_OK) < 0)
		return pb_err_set(err, -errno, "sandbox: %s: %s", work,
				  strerror(errno));
	return add3(a, "--bind", work, at, err);
}

/* libbpf-style options: fields past the caller's sz read as zero; a
 * larger struct is accepted when what we do not know of it is zero */
static int opts_copy(const struct pb_sandbox *sb, struct pb_sandbox *o,
		     struct pb_err *err)
{
	size_t i;

	memset(o, 0, sizeof(*o));
	if (!sb || sb->sz < sizeof(size_t))
		return pb_err_set(err, -EINVAL, "sandbox: options without sz");
	for (i = sizeof(*o); i < sb->sz; i++)
		if (((const unsigned char *)sb)[i])
			return pb_err_set(err, -EINVAL,
					  "sandbox: options of a newer version "
					  "(%zu bytes, %zu known)",
					  sb->sz, sizeof(*o));
	memcpy(o, sb, sb->sz < sizeof(*o) ? sb->sz : sizeof(*o));
	return 0;
}

static int build_argv(const struct pb_sandbox *o, struct vec *a,
		      struct pb_err *err)
{
	static const char *const head[] = {
		"bwrap", "--unshare-all", "--die-with-parent", "--new-session",
		/* root outside keeps its capabilities unless told */
		"--cap-drop", "ALL"};
	size_t i;
	int ret = 0;

	if (o->sysroot && o->sysroot[0] != '/')
		return pb_err_set(err, -EINVAL,
				  "sandbox: sysroot not absolute: %s",
				  o->sysroot);
	for (i = 0; !ret && i < PB_ARRAY_SIZE(head); i++)
		ret = add(a, head[i], err);
	if (!ret)
		ret = add_env(a, o->env_prefix, err);
	if (!ret)
		ret = add_userspace(a, o->sysroot, err);
	if (!ret)
		ret = add3(a, "--proc", "/proc", NULL, err);
	if (!ret)
		ret = add3(a, "--dev", "/dev", NULL, err);
	if (!ret)
		ret = add3(a, "--tmpfs", "/tmp", NULL, err);
	if (!ret)
		ret = add_binds(a, "--ro-bind", o->ro, o->n_ro, err);
	if (!ret)
		ret = add_binds(a, "--bind", o->rw, o->n_rw, err);
	if (!ret && o->work)
		ret = add_work(a, o->work, o->work_at, err);
	if (!ret && o->cwd)
		ret = add3(a, "--chdir", o->cwd, NULL, err);
	if (!ret)
		ret = add(a, "--", err);
	return ret;
}

/* The options as we know them, and a command to run. */
static int prepare(const struct pb_sandbox *sb, const char *const argv[],
		   struct pb_sandbox *o, struct pb_err *err)
{
	int ret = opts_copy(sb, o, err);

	if (!ret && (!argv || !argv[0]))
		ret = pb_err_set(err, -EINVAL, "sandbox: no command");
	return ret;
}

int pb_sandbox_argv(const struct pb_sandbox *sb, const char *const argv[],
		    char ***out, struct pb_err *err)
{
	struct pb_sandbox o;
	struct vec a = {0};
	size_t i;
	int ret;

	*out = NULL;
	ret = prepare(sb, argv, &o, err);
	if (ret)
		return ret;
	if (!o.off)
		ret = build_argv(&o, &a, err);
	for (i = 0; !ret && argv[i]; i++)
		ret = add(&a, argv[i], err);
	if (ret) {
		pb_sandbox_argv_free(a.v);
		return ret;
	}
	*out = a.v;
	return 0;
}

void pb_sandbox_argv_free(char **argv)
{
	size_t i;

	if (!argv)
		return;
	for (i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* the first line bwrap wrote, for the message */
static void first_line(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

int pb_sandbox_probe(const char *bwrap, struct pb_err *err)
{
	static const char *const cmd[] = {"true", NULL};
	struct pb_sandbox sb = {.sz = sizeof(sb)};
	char **argv = NULL, said[256];
	int fd, status, ret;

	ret = pb_sandbox_argv(&sb, cmd, &argv, err);
	if (ret)
		return ret;
	free(argv[0]);
	argv[0] = pb_strdup(bwrap, err);
	fd = memfd_create("pb-sandbox-check", MFD_CLOEXEC);
	if (!argv[0] || fd < 0) {
		ret = argv[0] ? pb_err_set(err, -errno, "memfd_create: %s",
					   strerror(errno))
			      : -ENOMEM;
		goto out;
	}
	ret = pb_run((const char *const *)argv, NULL, fd, &status, err);
	if (ret == -ENOENT || ret == -EACCES) {
		ret = pb_err_set(err, -ENOTSUP,
				 "no sandbox: cannot run %s (%s): install "
				 "bubblewrap (apt-get install bubblewrap), or "
				 "pass --sandbox=off to build without one",
				 bwrap, strerror(-ret));
	} else if (!ret && status != 0) {
		first_line(fd, said, sizeof(said));
		ret = pb_err_set(
			err, -ENOTSUP,
			"no sandbox: %s cannot make one here (%s, status %d): "
			"allow unprivileged user namespaces (sysctl "
			"kernel.unprivileged_userns_clone=1, "
			"user.max_user_namespaces > 0; AppArmor's "
			"kernel.apparmor_restrict_unprivileged_userns=0), or "
			"pass --sandbox=off to build without one",
			bwrap, said[0] ? said : "no message", status);
	}
out:
	if (fd >= 0)
		close(fd);
	pb_sandbox_argv_free(argv);
	return ret;
}

static pthread_once_t check_once = PTHREAD_ONCE_INIT;
static struct pb_err check_err;
static int check_ret;

static void check_now(void)
{
	check_ret = pb_sandbox_probe("bwrap", &check_err);
}

int pb_sandbox_check(struct pb_err *err)
{
	pthread_once(&check_once, check_now);
	if (check_ret && err)
		*err = check_err;
	return check_ret;
}

int pb_sandbox_run(const struct pb_sandbox *sb, const char *const argv[],
		   int out_fd, int *status, struct pb_err *err)
{
	struct pb_sandbox o;
	char **full = NULL;
	int ret;

	ret = prepare(sb, argv, &o, err);
	if (ret)
		return ret;
	if (o.off)
		return pb_run(argv, o.cwd, out_fd, status, err);
	ret = pb_sandbox_check(err);
	if (!ret)
		ret = pb_sandbox_argv(sb, argv, &full, err);
	if (!ret)
		ret = pb_run((const char *const *)full, NULL, out_fd, status,
			     err);
	pb_sandbox_argv_free(full);
	return ret;
}
