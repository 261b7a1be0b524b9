#include "config.h"

/* Making a builder environment with mmdebstrap: in a temporary dir beside
 * its final place, its package list and what it provides read from its
 * own dpkg status, renamed into place when complete. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build/logscan.h"
#include "build/toolchain_env.h"
#include "crawl/mirror.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/proc.h"
#include "util/runctl.h"
#include "util/str.h"

/* The Debian mirror of the host's apt sources, for "mirror = host". */
static int host_mirror(const struct pb_tc_def *def, const char *etc_apt,
		       char *out, size_t len, struct pb_err *err)
{
	struct pb_mirror_spec *specs;
	char **suites;
	size_t n, i;
	int ret;

	suites = pb_strv_split(def->host_suites, " ,", err);
	if (!suites)
		return -ENOMEM;
	ret = pb_apt_host_specs(etc_apt ? etc_apt : "/etc/apt",
				(const char *const *)suites, &specs, &n, err);
	pb_strv_free(suites);
	if (ret)
		return ret;
	ret = pb_err_set(err, -ENOENT,
			 "%s: mirror = host, but the host's apt sources in %s "
			 "name no mirror for %s; give one with "
			 "--toolchain-mirror",
			 def->source, etc_apt ? etc_apt : "/etc/apt",
			 def->host_suites);
	/* the first that is not the security archive: that one holds only
	 * updates, never a whole suite */
	for (i = 0; i < n && ret; i++)
		if (!strstr(specs[i].root, "security"))
			ret = snprintf(out, len, "%s", specs[i].root) >=
					      (int)len
				      ? pb_err_set(err, -ENAMETOOLONG,
						   "mirror URL too long")
				      : 0;
	for (i = 0; i < n; i++)
		pb_mirror_spec_free(&specs[i]);
	free(specs);
	return ret;
}

/* One mmdebstrap mirror argument: "deb [signed-by=K] URL SUITE COMPS". */
static char *deb_line(const struct pb_tc_def *def, const char *mirror,
		      const char *suite, struct pb_err *err)
{
	if (def->keyring)
		return pb_asprintf(err, "deb [signed-by=%s] %s %s %s",
				   def->keyring, mirror, suite,
				   def->components);
	return pb_asprintf(err, "deb %s %s %s", mirror, suite, def->components);
}

struct argv_b {
	char *v[64];
	size_t n;
	int bad;
};

static void arg_take(struct argv_b *a, char *s)
{
	if (!s || a->n + 1 >= sizeof(a->v) / sizeof(a->v[0])) {
		free(s);
		a->bad = 1;
		return;
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void argv_free(struct argv_b *a)
{
	while (a->n)
		free(a->v[--a->n]);
}

/* mmdebstrap's command line; the packages go in comma separated. */
static int make_argv(const struct pb_tc_def *def, const char *mirror,
		     const char *target, struct argv_b *a, struct pb_err *err)
{
	char *pk = pb_strdup(def->packages, err), *p, **upd;
	size_t i;

	if (!pk)
		return -ENOMEM;
	for (p = pk; *p; p++)
		if (*p == ' ' || *p == '\t')
			*p = ',';
	memset(a, 0, sizeof(*a));
	arg_take(a, pb_strdup("mmdebstrap", err));
	arg_take(a, pb_asprintf(err, "--variant=%s", def->variant));
	arg_take(a, pb_asprintf(err, "--include=%s", pk));
	free(pk);
	/* documentation is not what a build needs: a smaller root */
	arg_take(a, pb_strdup("--dpkgopt=path-exclude=/usr/share/doc/*", err));
	arg_take(a, pb_strdup("--dpkgopt=path-exclude=/usr/share/man/*", err));
	/* the dirs stay: focal's dash links its man page there */
	arg_take(a, pb_strdup("--dpkgopt=path-include=/usr/share/man/man[1-9]/",
			      err));
	arg_take(a,
		 pb_strdup("--dpkgopt=path-exclude=/usr/share/locale/*", err));
	arg_take(a, pb_strdup("--dpkgopt=path-exclude=/usr/share/info/*", err));
	arg_take(a, pb_strdup(def->suite, err));
	arg_take(a, pb_strdup(target, err));
	arg_take(a, deb_line(def, mirror, def->suite, err));
	upd = pb_strv_split(def->updates, " ,", err);
	for (i = 0; upd && upd[i]; i++)
		arg_take(a, deb_line(def, mirror, upd[i], err));
	if (!upd)
		a->bad = 1;
	pb_strv_free(upd);
	if (a->bad) {
		argv_free(a);
		return pb_err_set(err, -ENOMEM,
				  "out of memory making mmdebstrap's command");
	}
	return 0;
}

/* "14.2.0-19" -> 14, 2 */
static void version_mm(const char *v, int *ma, int *mi)
{
	*ma = *mi = 0;
	if (sscanf(v, "%*[0-9]:%d.%d", ma, mi) < 2)
		sscanf(v, "%d.%d", ma, mi);
}

/* What a package of the environment tells about it. */
static void note_package(struct pb_tcenv *env, const char *name,
			 const char *version)
{
	static const char *const families[] = {"gcc-", "clang-"};
	size_t i;
	int ma, mi;

	version_mm(version, &ma, &mi);
	if (strcmp(name, "libc6") == 0) {
		env->glibc_major = ma;
		env->glibc_minor = mi;
	} else if (!strcmp(name, "dwarves") || !strcmp(name, "pahole")) {
		env->pahole = ma * 100 + mi;
	}
	for (i = 0; i < 2; i++) {
		size_t fl = strlen(families[i]);
		struct pb_tc_provide *p;
		char *end;
		long n;

		if (strncmp(name, families[i], fl) != 0 ||
		    env->n_provides == PB_TCENV_MAX_PROVIDES)
			continue;
		n = strtol(name + fl, &end, 10);
		if (*end || n <= 0 || n != ma)
			continue;
		p = &env->provides[env->n_provides++];
		snprintf(p->family, sizeof(p->family), "%.*s", (int)fl - 1,
			 families[i]);
		p->major = ma;
		p->minor = mi;
	}
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One paragraph of dpkg's status: "name=version" in *line when it is
 * installed (NULL otherwise). */
static int status_para(char *para, char **line, struct pb_tcenv *env,
		       struct pb_err *err)
{
	char *name = NULL, *ver = NULL, *st = NULL, *p, *save = NULL;

	*line = NULL;
	for (p = strtok_r(para, "\n", &save); p;
	     p = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(p, "Package: ", 9))
			name = p + 9;
		else if (!strncmp(p, "Version: ", 9))
			ver = p + 9;
		else if (!strncmp(p, "Status: ", 8))
			st = p + 8;
	}
	if (!name || !ver || !st || !strstr(st, " installed"))
		return 0;
	note_package(env, name, ver);
	*line = pb_asprintf(err, "%s=%s", name, ver);
	return *line ? 0 : -ENOMEM;
}

/* The installed packages of root, sorted, one "name=version\n" each. */
static int package_list(const char *root, struct pb_tcenv *env, char **out,
			struct pb_err *err)
{
	char path[PATH_MAX], *data = NULL, *p, **lines = NULL, *text = NULL;
	size_t n = 0, i, total = 1;
	int ret;

	ret = pb_path_join(path, sizeof(path), err, root, "var/lib/dpkg/status",
			   NULL);
	if (!ret)
		ret = pb_read_file(path, &data, NULL, err);
	for (p = data; !ret && p && *p;) {
		char *end = strstr(p, "\n\n"), *line, **g;

		if (end)
			*end = '\0';
		ret = status_para(p, &line, env, err);
		p = end ? end + 2 : NULL;
		if (ret || !line)
			continue;
		g = pb_reallocarray(lines, n + 1, sizeof(*g), err);
		if (!g) {
			free(line);
			ret = -ENOMEM;
			break;
		}
		lines = g;
		lines[n++] = line;
		total += strlen(line) + 1;
	}
	if (!ret && n == 0)
		ret = pb_err_set(err, -EINVAL, "%s lists no installed package",
				 path);
	if (!ret)
		text = pb_malloc(total, 1, err);
	if (!ret && !text)
		ret = -ENOMEM;
	if (!ret) {
		qsort(lines, n, sizeof(*lines), cmp_line);
		text[0] = '\0';
		for (i = 0, p = text; i < n; i++)
			p += sprintf(p, "%s\n", lines[i]);
	}
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	free(data);
	*out = text;
	return ret;
}

static unsigned long long du_bytes;

static int du_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)path;
	(void)flag;
	(void)ftw;
	du_bytes += (unsigned long long)st->st_blocks * 512;
	return 0;
}

/* Bytes on disk under dir (hard links counted once by nftw's walk of
 * one tree is not promised: an upper bound). */
static unsigned long long disk_usage(const char *dir)
{
	du_bytes = 0;
	nftw(dir, du_one, 32, FTW_PHYS | FTW_MOUNT);
	return du_bytes;
}

static int write_info(const char *tmp, const struct pb_tc_def *def,
		      struct pb_tcenv *env, struct pb_err *err)
{
	char path[PATH_MAX], prov[256] = "", *text;
	size_t i;
	int ret;

	for (i = 0; i < env->n_provides; i++)
		snprintf(prov + strlen(prov), sizeof(prov) - strlen(prov),
			 "%s%s-%d.%d", i ? " " : "", env->provides[i].family,
			 env->provides[i].major, env->provides[i].minor);
	text = pb_asprintf(err,
			   "name = %s\ndefinition = %s\nmirror = %s\n"
			   "made_at = %s\nseconds = %.1f\nbytes = %llu\n"
			   "packages_sha256 = %s\nprovides = %s\n"
			   "glibc = %d.%d\npahole = %d\n",
			   env->name, def->source, env->mirror, env->made_at,
			   env->seconds, env->bytes, env->packages_sha256, prov,
			   env->glibc_major, env->glibc_minor, env->pahole);
	if (!text)
		return -ENOMEM;
	ret = pb_path_join(path, sizeof(path), err, tmp, "env.info", NULL);
	if (!ret)
		ret = pb_write_file_atomic(path, text, strlen(text), err);
	free(text);
	return ret;
}

/* The package list beside the root, its digest, what it provides. */
static int record(const char *tmp, const struct pb_tc_def *def,
		  struct pb_tcenv *env, struct pb_err *err)
{
	char root[PATH_MAX], list[PATH_MAX], *text = NULL;
	int ret;

	ret = pb_path_join(root, sizeof(root), err, tmp, "root", NULL);
	if (!ret)
		ret = pb_path_join(list, sizeof(list), err, tmp,
				   "packages.list", NULL);
	if (!ret)
		ret = package_list(root, env, &text, err);
	if (!ret)
		ret = pb_write_file_atomic(list, text, strlen(text), err);
	free(text);
	if (!ret)
		ret = pb_hash_file(list, "sha256", env->packages_sha256, err);
	if (!ret && !pb_tcenv_provides(env, def->provides[0].family,
				       def->provides[0].major))
		ret = pb_err_set(err, -EINVAL,
				 "%s: the environment made has no %s-%d "
				 "package, which the definition says it "
				 "provides",
				 def->source, def->provides[0].family,
				 def->provides[0].major);
	if (ret)
		return ret;
	env->bytes = disk_usage(root);
	return write_info(tmp, def, env, err);
}

/* mmdebstrap into tmp/root, its output in log_path. */
static int run_maker(const struct pb_tc_def *def, const char *mirror,
		     const char *tmp, const char *log_path, struct pb_err *err)
{
	char target[PATH_MAX], why[400];
	struct argv_b a;
	int fd, status, ret;

	ret = pb_path_join(target, sizeof(target), err, tmp, "root", NULL);
	if (!ret)
		ret = make_argv(def, mirror, target, &a, err);
	if (ret)
		return ret;
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		argv_free(&a);
		return pb_err_set(err, -errno, "%s: %s", log_path,
				  strerror(errno));
	}
	ret = pb_run((const char *const *)a.v, NULL, fd, &status, err);
	close(fd);
	argv_free(&a);
	if (ret)
		return pb_err_prefix(err, "toolchain %s", def->name);
	if (status == 0)
		return 0;
	if (pb_log_file_first_error(log_path, 0, why, sizeof(why)))
		return pb_err_set(err, -EIO,
				  "toolchain %s: mmdebstrap exited with status "
				  "%d: %s (see %s)",
				  def->name, status, why, log_path);
	return pb_err_set(err, -EIO,
			  "toolchain %s: mmdebstrap exited with status %d "
			  "(see %s)",
			  def->name, status, log_path);
}

/* Makes it in a temp dir and renames that into place. */
static int make_new(const char *dir, const struct pb_tc_def *def,
		    struct pb_tcenv *env, struct pb_err *err)
{
	char tmp[PATH_MAX], log_path[PATH_MAX];
	double t0 = pb_now_s();
	time_t now = time(NULL);
	struct tm tm;
	int ret;

	ret = pb_path_fmt(tmp, sizeof(tmp), err, "%s/.tmp-%s.XXXXXX", dir,
			  def->name);
	if (!ret)
		ret = pb_path_fmt(log_path, sizeof(log_path), err, "%s/%s.log",
				  dir, def->name);
	if (ret)
		return ret;
	if (!mkdtemp(tmp))
		return pb_err_set(err, -errno, "%s: %s", tmp, strerror(errno));
	pb_info("toolchain %s: making it with mmdebstrap (%s from %s; the "
		"output goes to %s)",
		def->name, def->suite, env->mirror, log_path);
	ret = run_maker(def, env->mirror, tmp, log_path, err);
	env->seconds = pb_now_s() - t0;
	gmtime_r(&now, &tm);
	strftime(env->made_at, sizeof(env->made_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!ret)
		ret = record(tmp, def, env, err);
	/* an incomplete one left by a crash is not an environment */
	if (!ret && pb_is_dir(env->dir))
		ret = pb_rm_rf(env->dir, err);
	if (!ret && rename(tmp, env->dir) < 0)
		ret = pb_err_set(err, -errno, "renaming %s to %s: %s", tmp,
				 env->dir, strerror(errno));
	if (ret) {
		struct pb_err ignored;

		pb_rm_rf(tmp, &ignored);
		return ret;
	}
	pb_info("toolchain %s: made in %.0f s, %.0f MB on disk, packages "
		"SHA-256 %.16s...",
		def->name, env->seconds, env->bytes / 1e6,
		env->packages_sha256);
	return 0;
}

static int resolve_mirror(const struct pb_tc_def *def, const char *mirror,
			  const char *etc_apt, struct pb_tcenv *env,
			  struct pb_err *err)
{
	if (!mirror && strcmp(def->mirror, "host") == 0)
		return host_mirror(def, etc_apt, env->mirror,
				   sizeof(env->mirror), err);
	if (snprintf(env->mirror, sizeof(env->mirror), "%s",
		     mirror ? mirror : def->mirror) >= (int)sizeof(env->mirror))
		return pb_err_set(err, -ENAMETOOLONG, "mirror URL too long");
	return 0;
}

int pb_tcenv_make(const char *dir, const struct pb_tc_def *def,
		  const char *mirror, const char *etc_apt, struct pb_tcenv *env,
		  int *made, struct pb_err *err)
{
	char lock_path[PATH_MAX];
	struct pb_err why = {0};
	struct pb_lock lock;
	int ret;

	*made = 0;
	ret = pb_mkdir_p(dir, err);
	if (!ret)
		ret = pb_path_fmt(lock_path, sizeof(lock_path), err,
				  "%s/%s.lock", dir, def->name);
	if (!ret)
		ret = pb_lock_take(lock_path, def->name, 1, &lock, err);
	if (ret)
		return ret;
	/* made meanwhile by whoever held the lock */
	if (pb_tcenv_open(dir, def->name, env, &why) == 0) {
		pb_lock_release(&lock);
		return 0;
	}
	ret = resolve_mirror(def, mirror, etc_apt, env, err);
	if (!ret && def->keyring && !pb_is_file(def->keyring))
		ret = pb_err_set(err, -ENOENT,
				 "toolchain %s: its keyring %s is missing "
				 "(install the package that has it: "
				 "debian-archive-keyring, ubuntu-keyring)",
				 def->name, def->keyring);
	if (!ret)
		ret = make_new(dir, def, env, err);
	if (!ret)
		ret = pb_tcenv_open(dir, def->name, env, err);
	pb_lock_release(&lock);
	*made = !ret;
	return ret;
}

int pb_tcenv_remove(const char *dir, const char *name, struct pb_err *err)
{
	char lock_path[PATH_MAX], gone[PATH_MAX];
	struct pb_tcenv env;
	struct pb_lock lock;
	int ret;

	ret = pb_tcenv_open(dir, name, &env, err);
	if (!ret)
		ret = pb_path_fmt(lock_path, sizeof(lock_path), err,
				  "%s/%s.lock", dir, name);
	if (!ret)
		ret = pb_path_fmt(gone, sizeof(gone), err, "%s/.rm-%s.%ld", dir,
				  name, (long)getpid());
	if (!ret)
		ret = pb_lock_take(lock_path, name, 1, &lock, err);
	if (ret)
		return ret;
	/* out of sight first: a half-removed one is never seen */
	if (rename(env.dir, gone) < 0)
		ret = pb_err_set(err, -errno, "renaming %s: %s", env.dir,
				 strerror(errno));
	if (!ret)
		ret = pb_rm_rf(gone, err);
	pb_lock_release(&lock);
	return ret;
}
