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
		    const char *from, const char *const *ours)
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
	g = realloc(*specs, (*n + 1) * sizeof(*g));
	if (!g) {
		pb_strv_free(suites);
		pb_strv_free(components);
		return -ENOMEM;
	}
	*specs = g;
	s = &g[(*n)++];
	memset(s, 0, sizeof(*s));
	s->kind = PB_SPEC_APT;
	s->root = pb_url_slash(uri);
	s->suites = suites;
	s->components = components;
	/* an inline key block in Signed-By is not a path: default keys */
	s->keyrings = signed_by && signed_by[0] == '/'
			      ? pb_strv_split(signed_by, ", ")
			      : calloc(1, sizeof(char *));
	return s->root && s->keyrings ? 0 : -ENOMEM;
}

/* deb [options] uri suite component... */
static int parse_one_line(const char *file, const char *const *ours,
			  struct pb_mirror_spec **specs, size_t *n)
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
		tok = pb_strv_split(p, " \t");
		if (!tok) {
			ret = -ENOMEM;
			break;
		}
		if (pb_strv_len(tok) >= 3) {
			char **suites = pb_strv_split(tok[1], ",");
			char **comps = pb_strv_dup(tok + 2);

			ret = suites && comps
				      ? add_spec(specs, n, tok[0], suites,
						 comps, signed_by, file, ours)
				      : -ENOMEM;
		}
		pb_strv_free(tok);
	}
	fclose(f);
	return ret;
}

static int has_word(const char *list, const char *word)
{
	char **v = pb_strv_split(list, " \t");
	int found = v && pb_strv_has(v, word);

	pb_strv_free(v);
	return found;
}

/* apt's false values for Enabled: */
static int is_no(const char *v)
{
	return v && (!strcasecmp(v, "no") || !strcasecmp(v, "false") ||
		     !strcasecmp(v, "off") || !strcmp(v, "0"));
}

/* deb822 paragraphs: Types, URIs, Suites, Components, Signed-By, Enabled */
static int parse_deb822(const char *file, const char *const *ours,
			struct pb_mirror_spec **specs, size_t *n)
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
			char **u = pb_strv_split(uris, " \t");
			size_t i;

			for (i = 0; u && u[i] && !ret; i++) {
				char **sv = pb_strv_split(suites, " \t");
				char **cv = pb_strv_split(comps, " \t");

				ret = sv && cv
					      ? add_spec(specs, n, u[i], sv, cv,
							 signed_by, file, ours)
					      : -ENOMEM;
			}
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
	if (pb_path_join(path, sizeof(path), err, etc_apt, "sources.list",
			 NULL) ||
	    pb_path_join(dir, sizeof(dir), err, etc_apt, "sources.list.d",
			 NULL))
		return err->code;
	ret = parse_one_line(path, suites, out, n_out);
	n = scandir(dir, &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t l = strlen(name);

		if (!ret &&
		    pb_path_join(path, sizeof(path), NULL, dir, name, NULL))
			ret = -ENAMETOOLONG;
		if (!ret && l > 5 && !strcmp(name + l - 5, ".list"))
			ret = parse_one_line(path, suites, out, n_out);
		else if (!ret && l > 8 && !strcmp(name + l - 8, ".sources"))
			ret = parse_deb822(path, suites, out, n_out);
		free(names[i]);
	}
	free(names);
	if (ret)
		return pb_err_set(err, ret, "reading the apt sources in %s: %s",
				  etc_apt, strerror(-ret));
	return 0;
}
