#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build/compiler.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/proc.h"

int pb_kcc_parse_text(const char *text, struct pb_kcc *out)
{
	const char *p = text;
	int depth = 0;

	memset(out, 0, sizeof(*out));
	snprintf(out->text, sizeof(out->text), "%s", text);
	if (strstr(text, "clang"))
		strcpy(out->family, "clang");
	else if (strstr(text, "gcc") || strstr(text, "GCC"))
		strcpy(out->family, "gcc");
	else
		return -EINVAL;
	while (*p) {
		if (*p == '(') {
			depth++;
			p++;
			continue;
		}
		if (*p == ')') {
			if (depth)
				depth--;
			p++;
			continue;
		}
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		/* a word */
		if (depth == 0 && isdigit((unsigned char)p[0])) {
			int ma = 0, mi = 0, pa = 0, n = 0;

			if (sscanf(p, "%d.%d%n", &ma, &mi, &n) == 2 &&
			    (p[n] == '.' || p[n] == ' ' || p[n] == ',' ||
			     p[n] == '-' || p[n] == '\0')) {
				if (p[n] == '.')
					sscanf(p + n + 1, "%d", &pa);
				out->major = ma;
				out->minor = mi;
				out->patch = pa;
				return 0;
			}
		}
		while (*p && !isspace((unsigned char)*p) && *p != '(' &&
		       *p != ')')
			p++;
	}
	return -EINVAL;
}

/* Value of `NAME=...` in a kconfig file, unquoted. */
static int kconfig_value(const char *data, const char *name, char *out,
			 size_t len)
{
	size_t nl = strlen(name);
	const char *p = data;

	while (p && *p) {
		if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
			const char *v = p + nl + 1;
			size_t n = strcspn(v, "\n");

			if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
				v++;
				n -= 2;
			}
			snprintf(out, len, "%.*s", (int)n, v);
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

/* CONFIG_GCC_VERSION=120200 is 12.2.0; without CONFIG_CC_VERSION_TEXT
 * (kernels before 5.8) the text says so as a version, not as 120200. */
static void from_number(struct pb_kcc *out, const char *family, long v,
			const char *text, const char *source)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->family, sizeof(out->family), "%s", family);
	out->major = (int)(v / 10000);
	out->minor = (int)(v / 100 % 100);
	out->patch = (int)(v % 100);
	if (text && text[0])
		snprintf(out->text, sizeof(out->text), "%s", text);
	else
		snprintf(out->text, sizeof(out->text), "%s %d.%d.%d", family,
			 out->major, out->minor, out->patch);
	snprintf(out->source, sizeof(out->source), "%s", source);
}

static int from_kconfig(const char *file, struct pb_kcc *out)
{
	char *data = NULL, text[256] = "", num[32];
	long v;
	int ret = -ENOENT;

	if (pb_read_file(file, &data, NULL, NULL))
		return -ENOENT;
	kconfig_value(data, "CONFIG_CC_VERSION_TEXT", text, sizeof(text));
	if (kconfig_value(data, "CONFIG_GCC_VERSION", num, sizeof(num)) == 0 &&
	    (v = strtol(num, NULL, 10)) > 0) {
		from_number(out, "gcc", v, text, "CONFIG_GCC_VERSION");
		ret = 0;
	} else if (kconfig_value(data, "CONFIG_CLANG_VERSION", num,
				 sizeof(num)) == 0 &&
		   (v = strtol(num, NULL, 10)) > 0) {
		from_number(out, "clang", v, text, "CONFIG_CLANG_VERSION");
		ret = 0;
	} else if (text[0] && pb_kcc_parse_text(text, out) == 0) {
		snprintf(out->source, sizeof(out->source),
			 "CONFIG_CC_VERSION_TEXT");
		ret = 0;
	}
	free(data);
	return ret;
}

int pb_tree_kconfig(const char *kdir, const char *name, char *out, size_t len)
{
	static const char *const kconfigs[] = {"include/config/auto.conf",
					       ".config"};
	char path[PATH_MAX], *data = NULL;
	size_t i;
	int ret = -ENOENT;

	for (i = 0; i < 2 && ret; i++) {
		if (pb_path_join(path, sizeof(path), NULL, kdir, kconfigs[i],
				 NULL) ||
		    pb_read_file(path, &data, NULL, NULL))
			continue;
		ret = kconfig_value(data, name, out, len);
		free(data);
		data = NULL;
	}
	return ret;
}

int pb_tree_pahole_version(const char *kdir)
{
	char num[32];
	int v;

	if (pb_tree_kconfig(kdir, "CONFIG_PAHOLE_VERSION", num, sizeof(num)))
		return 0;
	v = atoi(num);
	return v > 0 ? v : 0;
}

int pb_kcc_from_tree(const char *kdir, struct pb_kcc *out, struct pb_err *err)
{
	static const char *const kconfigs[] = {"include/config/auto.conf",
					       ".config"};
	char path[PATH_MAX], *data = NULL;
	size_t i;

	for (i = 0; i < sizeof(kconfigs) / sizeof(kconfigs[0]); i++) {
		/* one too long is not there: the next one is tried */
		if (pb_path_join(path, sizeof(path), NULL, kdir, kconfigs[i],
				 NULL) == 0 &&
		    from_kconfig(path, out) == 0)
			return 0;
	}
	if (pb_path_join(path, sizeof(path), NULL, kdir,
			 "include/generated/compile.h", NULL) == 0 &&
	    pb_read_file(path, &data, NULL, NULL) == 0) {
		const char *p = strstr(data, "LINUX_COMPILER");

		if (p && (p = strchr(p, '"'))) {
			char text[256];
			size_t n = strcspn(p + 1, "\"");

			snprintf(text, sizeof(text), "%.*s", (int)n, p + 1);
			if (pb_kcc_parse_text(text, out) == 0) {
				snprintf(out->source, sizeof(out->source),
					 "compile.h");
				free(data);
				return 0;
			}
		}
		free(data);
	}
	return pb_err_set(err, -ENOENT,
			  "%s: cannot tell which compiler built this kernel "
			  "(no CONFIG_GCC_VERSION, CONFIG_CLANG_VERSION or "
			  "CONFIG_CC_VERSION_TEXT in include/config/auto.conf "
			  "or .config, no LINUX_COMPILER in "
			  "include/generated/compile.h)",
			  kdir);
}

static int cc_major(const char *path, int *major)
{
	const char *argv[] = {path, "-dumpversion", NULL};
	char out[64];

	if (pb_run_capture(argv, out, sizeof(out), NULL) < 0)
		return -ENOENT;
	*major = atoi(out);
	return *major > 0 ? 0 : -EINVAL;
}

static void fill(struct pb_cc_choice *out, const char *path, int major,
		 int exact)
{
	const char *argv[] = {path, "--version", NULL};
	char ver[1024];

	snprintf(out->path, sizeof(out->path), "%s", path);
	out->major = major;
	out->exact = exact;
	out->version[0] = '\0';
	if (pb_run_capture(argv, ver, sizeof(ver), NULL) == 0)
		snprintf(out->version, sizeof(out->version), "%.*s",
			 (int)strcspn(ver, "\n"), ver);
}

/* Every <family>-<N> and <family> in path_env, for --nearest-compiler and
 * for the error message. */
static void list_installed(const char *family, const char *path_env,
			   const struct pb_kcc *k, struct pb_cc_choice *best,
			   int *have_best, char *seen, size_t seen_len)
{
	const char *path = path_env ? path_env : getenv("PATH");
	size_t fl = strlen(family), sl = strlen(seen);
	const char *p;

	for (p = path ? path : ""; *p;) {
		size_t n = strcspn(p, ":");
		char dir[PATH_MAX];
		struct dirent *de;
		DIR *d;

		snprintf(dir, sizeof(dir), "%.*s", (int)(n ? n : 1),
			 n ? p : ".");
		p += n;
		if (*p == ':')
			p++;
		d = opendir(dir);
		if (!d)
			continue;
		while ((de = readdir(d)) != NULL) {
			char full[PATH_MAX], *end;
			int major;

			if (strncmp(de->d_name, family, fl) != 0)
				continue;
			if (de->d_name[fl] == '-' &&
			    isdigit((unsigned char)de->d_name[fl + 1])) {
				major = (int)strtol(de->d_name + fl + 1, &end,
						    10);
				if (*end != '\0' && *end != '.')
					continue;
			} else if (de->d_name[fl] != '\0') {
				continue;
			} else {
				major = 0;
			}
			if (pb_path_join(full, sizeof(full), NULL, dir,
					 de->d_name, NULL) ||
			    !pb_is_file(full) || access(full, X_OK) != 0 ||
			    (major == 0 && cc_major(full, &major) < 0))
				continue;
			if (sl + strlen(de->d_name) + 16 < seen_len &&
			    !strstr(seen, full)) {
				sl += (size_t)snprintf(
					seen + sl, seen_len - sl, "%s%s (%d)",
					sl ? ", " : "", full, major);
			}
			if (!*have_best ||
			    abs(major - k->major) <
				    abs(best->major - k->major) ||
			    (abs(major - k->major) ==
				     abs(best->major - k->major) &&
			     major > best->major)) {
				snprintf(best->path, sizeof(best->path), "%s",
					 full);
				best->major = major;
				*have_best = 1;
			}
		}
		closedir(d);
	}
}

int pb_cc_choose(const struct pb_kcc *k, const char *path_env,
		 int allow_nearest, struct pb_cc_choice *out,
		 struct pb_err *err)
{
	char name[64], found[PATH_MAX], seen[1024] = "";
	struct pb_cc_choice best;
	int major, have_best = 0;

	memset(out, 0, sizeof(*out));
	snprintf(name, sizeof(name), "%s-%d.%d", k->family, k->major, k->minor);
	if (pb_which(name, path_env, found, sizeof(found)) == 0 &&
	    cc_major(found, &major) == 0 && major == k->major) {
		fill(out, found, major, 1);
		return 0;
	}
	snprintf(name, sizeof(name), "%s-%d", k->family, k->major);
	if (pb_which(name, path_env, found, sizeof(found)) == 0 &&
	    cc_major(found, &major) == 0 && major == k->major) {
		fill(out, found, major, 1);
		return 0;
	}
	if (pb_which(k->family, path_env, found, sizeof(found)) == 0 &&
	    cc_major(found, &major) == 0 && major == k->major) {
		fill(out, found, major, 1);
		return 0;
	}
	memset(&best, 0, sizeof(best));
	list_installed(k->family, path_env, k, &best, &have_best, seen,
		       sizeof(seen));
	if (allow_nearest && have_best) {
		fill(out, best.path, best.major, 0);
		return 0;
	}
	return pb_err_set(err, -ENOENT,
			  "the kernel was built with %s (%s): it needs %s-%d "
			  "in PATH, found %s%s",
			  k->text, k->source[0] ? k->source : "its banner",
			  k->family, k->major, seen[0] ? seen : "none",
			  have_best ? "; --nearest-compiler would use the "
				      "nearest one"
				    : "");
}
