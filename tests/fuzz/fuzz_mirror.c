/* Mirror specs (core/crawl/mirror.c): the first line is a spec, expanded for
 * x86_64; the rest, when the first byte is 'S', is an apt sources.list
 * and, after a line "--", a deb822 .sources file, read as the host's apt
 * sources. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crawl/mirror.h"
#include "fuzz.h"
#include "fuzz_check.h"

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(s, f) < 0 || fclose(f) != 0)
		abort();
}

/* suites by code name, as the Debian plugin gives them */
static const char *const suites[] = {"bookworm", "trixie", "sid", "stable",
				     NULL};

static void host_sources(char *list)
{
	const char *dir = pb_fuzz_dir();
	char *sources = strstr(list, "\n--\n");
	char path[4200];
	struct pb_mirror_spec *specs = NULL;
	size_t n = 0, i;
	struct pb_err err = {0};
	int ret;

	if (sources) {
		*sources = '\0';
		sources += 4;
	}
	snprintf(path, sizeof(path), "%s/sources.list", dir);
	write_file(path, list);
	snprintf(path, sizeof(path), "%s/sources.list.d", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sources.list.d/x.sources", dir);
	write_file(path, sources ? sources : "");
	ret = pb_apt_host_specs(dir, suites, &specs, &n, &err);
	pb_fuzz_check_err(ret, &err, "pb_apt_host_specs");
	if (!ret) {
		for (i = 0; i < n; i++)
			pb_mirror_spec_free(&specs[i]);
		free(specs);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = pb_fuzz_str(data, size), *rest = strchr(s, '\n');
	struct pb_mirror_spec spec;
	struct pb_err err = {0};
	int ret;

	if (rest)
		*rest++ = '\0';
	ret = pb_mirror_spec_parse(s, &spec, &err);
	pb_fuzz_check_err(ret, &err, "pb_mirror_spec_parse");
	if (!ret) {
		static const char *const roots[] = {"http://127.0.0.1/m/"};
		struct pb_repo *repos = NULL;
		size_t n = 0;

		memset(&err, 0, sizeof(err));
		ret = pb_repos_expand(&spec, 1, "x86_64", NULL, NULL, 0, &repos,
				      &n, &err);
		pb_fuzz_check_err(ret, &err, "pb_repos_expand");
		if (!ret)
			pb_repos_free(repos, n);
		repos = NULL;
		n = 0;
		memset(&err, 0, sizeof(err));
		ret = pb_repos_expand(&spec, 1, "aarch64", "a", roots, 1,
				      &repos, &n, &err);
		pb_fuzz_check_err(ret, &err, "pb_repos_expand (roots)");
		if (!ret)
			pb_repos_free(repos, n);
		pb_mirror_spec_free(&spec);
	}
	if (rest && s[0] == 'S')
		host_sources(rest);
	free(s);
	return 0;
}
