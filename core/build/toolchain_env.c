#include "config.h"

/* Making, finding and removing builder environments (see the header for
 * the layout). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build/toolchain_env.h"
#include "crawl/mirror.h"
#include "plugin/datafile.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/proc.h"
#include "util/runctl.h"

int pb_tcenv_default_dir(char *buf, size_t len, struct pb_err *err)
{
	const char *v = getenv("PROBE_BUILDER_TOOLCHAIN_DIR");

	if (v && *v)
		return pb_path_join(buf, len, err, v, NULL);
	v = getenv("XDG_CACHE_HOME");
	if (v && *v == '/')
		return pb_path_join(buf, len, err, v, "probe-builder",
				    "toolchains", NULL);
	v = getenv("HOME");
	if (v && *v == '/' && strcmp(v, "/") != 0)
		return pb_path_join(buf, len, err, v, ".cache", "probe-builder",
				    "toolchains", NULL);
	return pb_path_join(buf, len, err, "/var/cache/probe-builder",
			    "toolchains", NULL);
}

const struct pb_tc_provide *pb_tcenv_provides(const struct pb_tcenv *env,
					      const char *family, int major)
{
	size_t i;

	for (i = 0; i < env->n_provides; i++)
		if (strcmp(env->provides[i].family, family) == 0 &&
		    env->provides[i].major == major)
			return &env->provides[i];
	return NULL;
}

static int valid_name(const char *name, struct pb_err *err)
{
	if (!*name || name[0] == '.' || strchr(name, '/') || strlen(name) > 200)
		return pb_err_set(err, -EINVAL, "'%s' is not a toolchain name",
				  name);
	return 0;
}

static void info_provides(struct pb_tcenv *env, const char *list)
{
	const char *p = list;

	while (*p && env->n_provides < PB_TCENV_MAX_PROVIDES) {
		size_t n = strcspn(p, " ");
		char word[64];

		snprintf(word, sizeof(word), "%.*s", (int)n, p);
		if (n && n < sizeof(word) &&
		    pb_tc_provide_parse(word,
					&env->provides[env->n_provides]) == 0)
			env->n_provides++;
		p += n;
		p += strspn(p, " ");
	}
}

static void info_str(const struct pb_kvfile *kv, const char *k, char *dst,
		     size_t len)
{
	const char *v = pb_kvfile_get(kv, k);

	snprintf(dst, len, "%s", v ? v : "");
}

static int read_info(const char *path, struct pb_tcenv *env, struct pb_err *err)
{
	struct pb_kvfile kv;
	const char *v;
	int ret;

	ret = pb_kvfile_read(path, &kv, err);
	if (ret)
		return ret;
	info_str(&kv, "packages_sha256", env->packages_sha256,
		 sizeof(env->packages_sha256));
	info_str(&kv, "definition", env->definition, sizeof(env->definition));
	info_str(&kv, "mirror", env->mirror, sizeof(env->mirror));
	info_str(&kv, "made_at", env->made_at, sizeof(env->made_at));
	if ((v = pb_kvfile_get(&kv, "seconds")) != NULL)
		env->seconds = strtod(v, NULL);
	if ((v = pb_kvfile_get(&kv, "bytes")) != NULL)
		env->bytes = strtoull(v, NULL, 10);
	if ((v = pb_kvfile_get(&kv, "glibc")) != NULL)
		sscanf(v, "%d.%d", &env->glibc_major, &env->glibc_minor);
	if ((v = pb_kvfile_get(&kv, "pahole")) != NULL)
		env->pahole = atoi(v);
	if ((v = pb_kvfile_get(&kv, "provides")) != NULL)
		info_provides(env, v);
	pb_kvfile_free(&kv);
	return 0;
}

int pb_tcenv_open(const char *dir, const char *name, struct pb_tcenv *env,
		  struct pb_err *err)
{
	char info[PATH_MAX];
	int ret;

	memset(env, 0, sizeof(*env));
	ret = valid_name(name, err);
	if (!ret)
		ret = pb_path_join(env->dir, sizeof(env->dir), err, dir, name,
				   NULL);
	if (!ret)
		ret = pb_path_join(env->root, sizeof(env->root), err, env->dir,
				   "root", NULL);
	if (!ret)
		ret = pb_path_join(info, sizeof(info), err, env->dir,
				   "env.info", NULL);
	if (ret)
		return ret;
	snprintf(env->name, sizeof(env->name), "%s", name);
	if (!pb_is_file(info) || !pb_is_dir(env->root))
		return pb_err_set(err, -ENOENT,
				  "toolchain '%s' is not made in %s", name,
				  dir);
	return read_info(info, env, err);
}

static int cmp_env(const void *a, const void *b)
{
	return strcmp(((const struct pb_tcenv *)a)->name,
		      ((const struct pb_tcenv *)b)->name);
}

int pb_tcenv_list(const char *dir, struct pb_tcenv **envs, size_t *n,
		  struct pb_err *err)
{
	struct pb_err why;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	*envs = NULL;
	*n = 0;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0
				       : pb_err_set(err, -errno, "%s: %s", dir,
						    strerror(errno));
	while (!ret && (de = readdir(d)) != NULL) {
		struct pb_tcenv *g;

		if (de->d_name[0] == '.')
			continue;
		g = pb_reallocarray(*envs, *n + 1, sizeof(*g), err);
		if (!g) {
			ret = -ENOMEM;
			break;
		}
		*envs = g;
		if (pb_tcenv_open(dir, de->d_name, &g[*n], &why) == 0)
			(*n)++;
	}
	closedir(d);
	if (ret) {
		free(*envs);
		*envs = NULL;
		*n = 0;
	} else if (*n) {
		qsort(*envs, *n, sizeof(**envs), cmp_env);
	}
	return ret;
}

int pb_tcenv_package_version(const struct pb_tcenv *env, const char *pkg,
			     char *out, size_t len, struct pb_err *err)
{
	char path[PATH_MAX], *data = NULL, *p;
	size_t pl = strlen(pkg);
	int ret;

	ret = pb_path_join(path, sizeof(path), err, env->dir, "packages.list",
			   NULL);
	if (!ret)
		ret = pb_read_file(path, &data, NULL, err);
	if (ret)
		return ret;
	ret = pb_err_set(err, -ENOENT, "%s: no package %s", path, pkg);
	for (p = data; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, pkg, pl) && p[pl] == '=') {
			snprintf(out, len, "%.*s",
				 (int)strcspn(p + pl + 1, "\n"), p + pl + 1);
			ret = 0;
			break;
		}
	free(data);
	return ret;
}
