/* The host's apt sources as mirror specs: sources.list and
 * sources.list.d/ (one-line *.list and deb822 *.sources), the Debian suites
 * only, with their Signed-By keyrings. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crawl/mirror.h"
#include "probe-builder/alloc.h"
#include "probe-builder/log.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/str.h"

/* Whether suite is one of the distro's (by code name, a pocket after a
 * '-' or '/' allowed: bookworm-security, bookworm/updates). */
static int distro_suite(const char *const *names, const char *suite)
{
	size_t n = strcspn(suite, "-/"), i;

	for (i = 0; names && names[i]; i++)
		if (strlen(names[i]) == n && !strncmp(suite, names[i], n))
			return 1;
	return 0;
}

static int add_spec(struct pb_mirror_spec **specs, size_t *n, const char *uri,
		    char **suites, char **components, const char *signed_by,
		    const char *from, const char *const *ours,
		    struct pb_err *err)
{
	struct pb_mirror_spec *g, *s;
	size_t i, k = 0;

	/* only the distro's own suites: other vendors' lists carry no
	 * kernel */
	for (i = 0; suites[i]; i++) {
		if (distro_suite(ours, suites[i])) {
			suites[k++] = suites[i];
		} else {
			pb_debug("%s: %s %s is not the distro's suite, not "
				 "crawled",
				 from, uri, suites[i]);
			free(suites[i]);
		}
	}
	suites[k] = NULL;
	if (!k || (strncmp(uri, "http://", 7) && strncmp(uri, "https://", 8))) {
		pb_strv_free(suites);
		pb_strv_free(components);
		return 0;
	}
	g = pb_reallocarray(*specs, *n + 1, sizeof(*g), err);
	if (!g) {
		pb_strv_free(suites);
		pb_strv_free(components);
		return -ENOMEM;
	}
	*specs = g;
	s = &g[(*n)++];
	memset(s, 0, sizeof(*s));
	s->kind = PB_SPEC_APT;
	s->root = pb_url_slash(uri, err);
	s->suites = suites;
	s->components = components;
	/* an inline key block in Signed-By is not a path: default keys */
	s->keyrings = signed_by && signed_by[0] == '/'
			      ? pb_strv_split(signed_by, ", ", err)
			      : pb_calloc(1, sizeof(char *), err);
	return s->root && s->keyrings ? 0 : -ENOMEM;
}

/* add_spec with suites and components just made, both taken (NULL: they
 * could not be, err says why). */
static int add_split(struct pb_mirror_spec **specs, size_t *n, const char *uri,
		     char **suites, char **components, const char *signed_by,
		     const char *from, const char *const *ours,
		     struct pb_err *err)
{
	if (!suites || !components) {
		pb_strv_free(suites);
		pb_strv_free(components);
		return -ENOMEM;
	}
	return add_spec(specs, n, uri, suites, components, signed_by, from,
			ours, err);
}

/* deb [options] uri suite component... */
static int parse_one_line(const char *file, const char *const *ours,
			  struct pb_mirror_spec **specs, size_t *n,
			  struct pb_err *err)
{
	char line[4096];
	FILE *f = fopen(file, "r");
	int ret = 0;

	if (!f)
		return 0;
	while (!ret && fgets(line, sizeof(line), f)) {
		char *p = line, *opts = NULL, *signed_by = NULL, **tok;

		p[strcspn(p, "#\r\n")] = '\0';
		p += strspn(p, " \t");
		if (strncmp(p, "deb", 3) || (p[3] != ' ' && p[3] != '\t'))
			continue;
		p += 3;
		p += strspn(p, " \t");
		if (*p == '[') {
			char *end = strchr(p, ']');

			if (!end)
				continue;
			*end = '\0';
			opts = p + 1;
			p = end + 1;
		}
		if (opts) {
			char *sb = strstr(opts, "signed-by=");

			if (sb) {
				signed_by = sb + 10;
				signed_by[strcspn(signed_by, " \t")] = '\0';
			}
		}
		tok = pb_strv_split(p, " \t", err);
		if (!tok) {
			ret = -ENOMEM;
			break;
		}
		if (pb_strv_len(tok) >= 3)
			ret = add_split(specs, n, tok[0],
					pb_strv_split(tok[1], ",", err),
					pb_strv_dup(tok + 2, err), signed_by,
					file, ours, err);
		pb_strv_free(tok);
	}
	fclose(f);
	return ret;
}

/* Whether word is one of the blank-separated words of list. */
static int has_word(const char *list, const char *word)
{
	size_t n = strlen(word), len;

	for (list += strspn(list, " \t"); *list;
	     list += len, list += strspn(list, " \t")) {
		len = strcspn(list, " \t");
		if (len == n && !strncmp(list, word, n))
			return 1;
	}
	return 0;
}

/* apt's false values for Enabled: */
static int is_no(const char *v)
{
	return v && (!strcasecmp(v, "no") || !strcasecmp(v, "false") ||
		     !strcasecmp(v, "off") || !strcmp(v, "0"));
}

/* deb822 paragraphs: Types, URIs, Suites, Components, Signed-By, Enabled */
static int parse_deb822(const char *file, const char *const *ours,
			struct pb_mirror_spec **specs, size_t *n,
			struct pb_err *err)
{
	char *text = NULL, *para, *save = NULL;
	int ret = 0;

	if (pb_read_file(file, &text, NULL, NULL) < 0)
		return 0;
	/* CRLF files: as apt does, a \r at a line end does not count */
	{
		char *r, *w;

		for (r = w = text; *r; r++)
			if (*r != '\r')
				*w++ = *r;
		*w = '\0';
	}
	for (para = text; para && *para && !ret;) {
		char *end = strstr(para, "\n\n"), *line, *lsave = NULL;
		char *types = NULL, *uris = NULL, *suites = NULL, *comps = NULL,
		     *signed_by = NULL, *enabled = NULL;

		if (end)
			*end = '\0';
		for (line = strtok_r(para, "\n", &lsave); line;
		     line = strtok_r(NULL, "\n", &lsave)) {
			char *colon = strchr(line, ':'), *val;

			if (line[0] == '#' || line[0] == ' ' || !colon)
				continue;
			*colon = '\0';
			val = colon + 1 + strspn(colon + 1, " \t");
			val[strcspn(val, "\r")] = '\0';
			if (!strcasecmp(line, "Types"))
				types = val;
			else if (!strcasecmp(line, "URIs"))
				uris = val;
			else if (!strcasecmp(line, "Suites"))
				suites = val;
			else if (!strcasecmp(line, "Components"))
				comps = val;
			else if (!strcasecmp(line, "Signed-By"))
				signed_by = val;
			else if (!strcasecmp(line, "Enabled"))
				enabled = val;
		}
		if (types && has_word(types, "deb") && uris && suites &&
		    comps && !is_no(enabled)) {
			char **u = pb_strv_split(uris, " \t", err);
			size_t i;

			if (!u)
				ret = -ENOMEM;
			for (i = 0; u && u[i] && !ret; i++)
				ret = add_split(
					specs, n, u[i],
					pb_strv_split(suites, " \t", err),
					pb_strv_split(comps, " \t", err),
					signed_by, file, ours, err);
			pb_strv_free(u);
		}
		para = end ? end + 2 : NULL;
	}
	(void)save;
	free(text);
	return ret;
}

int pb_apt_host_specs(const char *etc_apt, const char *const *suites,
		      struct pb_mirror_spec **out, size_t *n_out,
		      struct pb_err *err)
{
	char path[PATH_MAX], dir[PATH_MAX];
	struct dirent **names = NULL;
	int n, i, ret;

	*out = NULL;
	*n_out = 0;
	ret = pb_path_join(path, sizeof(path), err, etc_apt, "sources.list",
			   NULL);
	if (!ret)
		ret = pb_path_join(dir, sizeof(dir), err, etc_apt,
				   "sources.list.d", NULL);
	if (!ret)
		ret = parse_one_line(path, suites, out, n_out, err);
	n = ret ? 0 : scandir(dir, &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t l = strlen(name);

		if (!ret)
			ret = pb_path_join(path, sizeof(path), err, dir, name,
					   NULL);
		if (!ret && l > 5 && !strcmp(name + l - 5, ".list"))
			ret = parse_one_line(path, suites, out, n_out, err);
		else if (!ret && l > 8 && !strcmp(name + l - 8, ".sources"))
			ret = parse_deb822(path, suites, out, n_out, err);
		free(names[i]);
	}
	free(names);
	if (ret)
		pb_err_prefix(err, "reading the apt sources in %s", etc_apt);
	return ret;
}
