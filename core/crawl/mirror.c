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
#include "util/str.h"

char **pb_strv_split(const char *s, const char *seps)
{
	size_t n = 0, cap = 4;
	char **v = calloc(cap + 1, sizeof(*v));

	if (!v)
		return NULL;
	while (s && *s) {
		size_t skip = strspn(s, seps), len;

		s += skip;
		len = strcspn(s, seps);
		if (!len)
			break;
		if (n == cap) {
			char **g = realloc(v, (cap * 2 + 1) * sizeof(*g));

			if (!g) {
				pb_strv_free(v);
				return NULL;
			}
			v = g;
			cap *= 2;
		}
		v[n] = strndup(s, len);
		if (!v[n]) {
			pb_strv_free(v);
			return NULL;
		}
		v[++n] = NULL;
		s += len;
	}
	return v;
}

size_t pb_strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

void pb_strv_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static char **strv_dup(char *const *v)
{
	size_t n = pb_strv_len(v), i;
	char **d = calloc(n + 1, sizeof(*d));

	if (!d)
		return NULL;
	for (i = 0; i < n; i++) {
		d[i] = strdup(v[i]);
		if (!d[i]) {
			pb_strv_free(d);
			return NULL;
		}
	}
	return d;
}

static int strv_has(char *const *v, const char *s)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* url with a '/' at the end */
static char *root_url(const char *url)
{
	size_t n = strlen(url);
	char *r = malloc(n + 2);

	if (!r)
		return NULL;
	memcpy(r, url, n + 1);
	if (n == 0 || url[n - 1] != '/')
		strcpy(r + n, "/");
	return r;
}

void pb_mirror_spec_free(struct pb_mirror_spec *s)
{
	free(s->root);
	pb_strv_free(s->suites);
	pb_strv_free(s->components);
	pb_strv_free(s->archs);
	pb_strv_free(s->versions);
	pb_strv_free(s->paths);
	pb_strv_free(s->keyrings);
	memset(s, 0, sizeof(*s));
}

int pb_mirror_spec_parse(const char *line, struct pb_mirror_spec *out,
			 struct pb_err *err)
{
	char **tok = pb_strv_split(line, " \t");
	size_t i;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!tok)
		return pb_err_set(err, -ENOMEM, "out of memory");
	if (pb_strv_len(tok) < 2) {
		ret = pb_err_set(err, -EINVAL,
				 "mirror '%s': want KIND URL [key=value]...",
				 line);
		goto out;
	}
	if (strcmp(tok[0], "apt") == 0)
		out->kind = PB_SPEC_APT;
	else if (strcmp(tok[0], "rpm") == 0)
		out->kind = PB_SPEC_RPM;
	else if (strcmp(tok[0], "mirrorlist") == 0)
		out->kind = PB_SPEC_MIRRORLIST;
	else {
		ret = pb_err_set(err, -EINVAL,
				 "mirror '%s': kind '%s' is not apt, rpm or "
				 "mirrorlist",
				 line, tok[0]);
		goto out;
	}
	if (strncmp(tok[1], "http://", 7) && strncmp(tok[1], "https://", 8)) {
		ret = pb_err_set(err, -EINVAL,
				 "mirror '%s': '%s' is not an http(s) URL",
				 line, tok[1]);
		goto out;
	}
	out->root = root_url(tok[1]);
	for (i = 2; tok[i] && !ret; i++) {
		char *eq = strchr(tok[i], '='), ***dst = NULL;

		if (!eq) {
			ret = pb_err_set(err, -EINVAL,
					 "mirror '%s': '%s' is not key=value",
					 line, tok[i]);
			break;
		}
		*eq = '\0';
		if (!strcmp(tok[i], "suites"))
			dst = &out->suites;
		else if (!strcmp(tok[i], "components"))
			dst = &out->components;
		else if (!strcmp(tok[i], "archs"))
			dst = &out->archs;
		else if (!strcmp(tok[i], "versions"))
			dst = &out->versions;
		else if (!strcmp(tok[i], "paths"))
			dst = &out->paths;
		else if (!strcmp(tok[i], "keyring"))
			dst = &out->keyrings;
		if (!dst) {
			ret = pb_err_set(err, -EINVAL,
					 "mirror '%s': unknown key '%s'", line,
					 tok[i]);
			break;
		}
		pb_strv_free(*dst);
		*dst = pb_strv_split(eq + 1, ",");
	}
	if (!ret && out->kind == PB_SPEC_APT && !pb_strv_len(out->suites))
		ret = pb_err_set(err, -EINVAL,
				 "mirror '%s': apt wants suites=", line);
	if (!ret && out->kind == PB_SPEC_MIRRORLIST && !pb_strv_len(out->paths))
		ret = pb_err_set(err, -EINVAL,
				 "mirror '%s': mirrorlist wants paths=", line);
	if (!ret && out->kind == PB_SPEC_APT && !out->components)
		out->components = pb_strv_split("main", ",");
out:
	pb_strv_free(tok);
	if (ret)
		pb_mirror_spec_free(out);
	return ret;
}

/* root + path with $version, $arch and $basearch replaced */
static char *subst(const char *root, const char *path, const char *version,
		   const char *arch)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	const char *p;

	if (!f)
		return NULL;
	fputs(root, f);
	for (p = path; *p;) {
		if (strncmp(p, "$version", 8) == 0) {
			fputs(version, f);
			p += 8;
		} else if (strncmp(p, "$basearch", 9) == 0) {
			fputs(arch, f);
			p += 9;
		} else if (strncmp(p, "$arch", 5) == 0) {
			fputs(arch, f);
			p += 5;
		} else {
			fputc(*p++, f);
		}
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static int add_repo(struct pb_repo **repos, size_t *n, enum pb_repo_kind kind,
		    const char *mirror, char *url, const char *suite,
		    char *const *components, const char *label,
		    char *const *keyrings)
{
	struct pb_repo *g, *r;
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*repos)[i].kind == kind && !strcmp((*repos)[i].url, url) &&
		    !strcmp((*repos)[i].suite ? (*repos)[i].suite : "",
			    suite ? suite : "")) {
			free(url);
			return 0;
		}
	g = realloc(*repos, (*n + 1) * sizeof(*g));
	if (!g) {
		free(url);
		return -ENOMEM;
	}
	*repos = g;
	r = &g[*n];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->url = url;
	r->mirror = strdup(mirror);
	r->suite = suite ? strdup(suite) : NULL;
	r->components = strv_dup(components);
	r->label = strdup(label ? label : "");
	r->keyrings = strv_dup(keyrings);
	(*n)++;
	if (!r->mirror || (suite && !r->suite) || !r->components || !r->label ||
	    !r->keyrings)
		return -ENOMEM;
	return 0;
}

void pb_repos_free(struct pb_repo *repos, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(repos[i].mirror);
		free(repos[i].url);
		free(repos[i].suite);
		pb_strv_free(repos[i].components);
		free(repos[i].label);
		pb_strv_free(repos[i].keyrings);
	}
	free(repos);
}

static int starts(const char *s, const char *prefix)
{
	return !prefix || strncmp(s, prefix, strlen(prefix)) == 0;
}

int pb_repos_expand(const struct pb_mirror_spec *specs, size_t n_specs,
		    const char *arch, const char *distro_filter,
		    const char *const *roots, size_t n_roots,
		    struct pb_repo **out, size_t *n_out, struct pb_err *err)
{
	static char *const none[] = {NULL};
	size_t i, r, v, p;
	int ret = 0;

	*out = NULL;
	*n_out = 0;
	for (i = 0; i < n_specs && !ret; i++) {
		const struct pb_mirror_spec *s = &specs[i];
		size_t n_r = n_roots ? n_roots : 1;

		if (s->archs && !strv_has(s->archs, arch))
			continue;
		for (r = 0; r < n_r && !ret; r++) {
			char *root = root_url(n_roots ? roots[r] : s->root);

			if (!root) {
				ret = -ENOMEM;
				break;
			}
			if (s->kind == PB_SPEC_APT) {
				for (v = 0; s->suites[v] && !ret; v++) {
					char *u;

					if (!starts(s->suites[v],
						    distro_filter))
						continue;
					u = strdup(root);
					ret = u ? add_repo(out, n_out,
							   PB_REPO_APT, root, u,
							   s->suites[v],
							   s->components,
							   s->suites[v],
							   s->keyrings
								   ? s->keyrings
								   : none)
						: -ENOMEM;
				}
			} else {
				static char *const unversioned[] = {"", NULL};
				static char *const here[] = {"", NULL};
				char *const *vers =
					s->versions ? s->versions : unversioned;
				char *const *paths = s->paths ? s->paths : here;

				for (v = 0; vers[v] && !ret; v++) {
					if (!starts(vers[v], distro_filter))
						continue;
					for (p = 0; paths[p] && !ret; p++) {
						char *u = subst(root, paths[p],
								vers[v], arch);

						if (!u) {
							ret = -ENOMEM;
							break;
						}
						if (s->kind == PB_SPEC_RPM &&
						    u[strlen(u) - 1] != '/') {
							char *w = root_url(u);

							free(u);
							u = w;
						}
						ret = u ? add_repo(
								  out, n_out,
								  s->kind == PB_SPEC_RPM
									  ? PB_REPO_RPM
									  : PB_REPO_MIRRORLIST,
								  root, u, NULL,
								  none, vers[v],
								  s->keyrings
									  ? s->keyrings
									  : none)
							: -ENOMEM;
					}
				}
			}
			free(root);
		}
	}
	if (ret) {
		pb_repos_free(*out, *n_out);
		*out = NULL;
		*n_out = 0;
		return pb_err_set(err, ret, "out of memory");
	}
	return 0;
}

int pb_mirrorlist_line(const char *line, char **url, struct pb_err *err)
{
	const char *p = line + strspn(line, " \t"), *host, *q;
	size_t len = strlen(p);

	*url = NULL;
	while (len &&
	       (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
		len--;
	if (!len || *p == '#')
		return 1;
	if (!strncmp(p, "http://", 7))
		host = p + 7;
	else if (!strncmp(p, "https://", 8))
		host = p + 8;
	else
		return pb_err_set(err, -EINVAL, "'%.*s' is not an http(s) URL",
				  (int)(len > 200 ? 200 : len), p);
	for (q = p; q < p + len; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f)
			return pb_err_set(err, -EINVAL,
					  "'%.*s' is not one URL (a space or "
					  "a control character in it)",
					  (int)(len > 200 ? 200 : len), p);
	if (host == p + len || *host == '/' || *host == '?' || *host == '#' ||
	    memchr(host, '@', strcspn(host, "/?#")))
		return pb_err_set(err, -EINVAL,
				  "'%.*s': no host, or credentials in it",
				  (int)(len > 200 ? 200 : len), p);
	*url = malloc(len + 2);
	if (!*url)
		return pb_err_set(err, -ENOMEM, "out of memory");
	memcpy(*url, p, len);
	(*url)[len] = '\0';
	if ((*url)[len - 1] != '/')
		strcpy(*url + len, "/");
	return 0;
}

/* ------------------------------------------------------ host apt sources */

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
	s->root = root_url(uri);
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
			char **comps = strv_dup(tok + 2);

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
	int found = v && strv_has(v, word);

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
	snprintf(path, sizeof(path), "%s/sources.list", etc_apt);
	ret = parse_one_line(path, suites, out, n_out);
	snprintf(dir, sizeof(dir), "%s/sources.list.d", etc_apt);
	n = scandir(dir, &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t l = strlen(name);

		snprintf(path, sizeof(path), "%s/%s", dir, name);
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
