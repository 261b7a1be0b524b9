/* Mirror specs (a line of a plugin or a distro file, or made of --mirror
 * and --suite) and their expansion into repositories; the lines of a
 * fetched mirror.list; NULL-terminated string arrays. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crawl/mirror.h"
#include "probe-builder/alloc.h"
#include "util/str.h"

char **pb_strv_split(const char *s, const char *seps, struct pb_err *err)
{
	size_t n = 0, cap = 4;
	char **v = pb_calloc(cap + 1, sizeof(*v), err);

	if (!v)
		return NULL;
	while (s && *s) {
		size_t skip = strspn(s, seps), len;

		s += skip;
		len = strcspn(s, seps);
		if (!len)
			break;
		if (n == cap) {
			char **g = pb_reallocarray(v, cap * 2 + 1, sizeof(*g),
						   err);

			if (!g) {
				pb_strv_free(v);
				return NULL;
			}
			v = g;
			cap *= 2;
		}
		v[n] = pb_strndup(s, len, err);
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

char **pb_strv_dup(char *const *v, struct pb_err *err)
{
	size_t n = pb_strv_len(v), i;
	char **d = pb_calloc(n + 1, sizeof(*d), err);

	if (!d)
		return NULL;
	for (i = 0; i < n; i++) {
		d[i] = pb_strdup(v[i], err);
		if (!d[i]) {
			pb_strv_free(d);
			return NULL;
		}
	}
	return d;
}

int pb_strv_has(char *const *v, const char *s)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* url with a '/' at the end */
char *pb_url_slash(const char *url, struct pb_err *err)
{
	size_t n = strlen(url);
	char *r = pb_malloc(n + 2, 1, err);

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
	char **tok = pb_strv_split(line, " \t", err);
	size_t i;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!tok)
		return -ENOMEM;
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
	out->root = pb_url_slash(tok[1], err);
	if (!out->root) {
		ret = -ENOMEM;
		goto out;
	}
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
		*dst = pb_strv_split(eq + 1, ",", err);
		if (!*dst)
			ret = -ENOMEM;
	}
	if (!ret && out->kind == PB_SPEC_APT && !pb_strv_len(out->suites))
		ret = pb_err_set(err, -EINVAL,
				 "mirror '%s': apt wants suites=", line);
	if (!ret && out->kind == PB_SPEC_MIRRORLIST && !pb_strv_len(out->paths))
		ret = pb_err_set(err, -EINVAL,
				 "mirror '%s': mirrorlist wants paths=", line);
	if (!ret && out->kind == PB_SPEC_APT && !out->components &&
	    !(out->components = pb_strv_split("main", ",", err)))
		ret = -ENOMEM;
out:
	pb_strv_free(tok);
	if (ret)
		pb_mirror_spec_free(out);
	return ret;
}

int pb_mirror_spec_make(struct pb_mirror_spec *out, enum pb_spec_kind kind,
			const char *url, const char *const *suites,
			size_t n_suites, struct pb_err *err)
{
	size_t k;

	memset(out, 0, sizeof(*out));
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return pb_err_set(err, -EINVAL,
				  "mirror '%s': not an http(s) URL", url);
	if (kind == PB_SPEC_APT && !n_suites)
		return pb_err_set(err, -EINVAL, "mirror '%s': apt wants suites",
				  url);
	out->kind = kind;
	out->root = pb_url_slash(url, err);
	if (!out->root)
		goto nomem;
	if (kind != PB_SPEC_APT)
		return 0;
	out->suites = pb_calloc(n_suites + 1, sizeof(char *), err);
	if (!out->suites ||
	    !(out->components = pb_strv_split("main", ",", err)))
		goto nomem;
	for (k = 0; k < n_suites; k++)
		if (!(out->suites[k] = pb_strdup(suites[k], err)))
			goto nomem;
	return 0;
nomem:
	pb_mirror_spec_free(out);
	return -ENOMEM;
}

/* len bytes of s at out + *n (out NULL: only counted) */
static void put(char *out, size_t *n, const char *s, size_t len)
{
	if (out)
		memcpy(out + *n, s, len);
	*n += len;
}

/* root + path with $version, $arch and $basearch replaced, into out (NULL:
 * only measured); its length */
static size_t subst_into(char *out, const char *root, const char *path,
			 const char *version, const char *arch)
{
	size_t n = 0;
	const char *p;

	put(out, &n, root, strlen(root));
	for (p = path; *p;) {
		if (strncmp(p, "$version", 8) == 0) {
			put(out, &n, version, strlen(version));
			p += 8;
		} else if (strncmp(p, "$basearch", 9) == 0) {
			put(out, &n, arch, strlen(arch));
			p += 9;
		} else if (strncmp(p, "$arch", 5) == 0) {
			put(out, &n, arch, strlen(arch));
			p += 5;
		} else {
			put(out, &n, p++, 1);
		}
	}
	if (out)
		out[n] = '\0';
	return n;
}

static char *subst(const char *root, const char *path, const char *version,
		   const char *arch, struct pb_err *err)
{
	size_t len = subst_into(NULL, root, path, version, arch);
	char *out = pb_malloc(len + 1, 1, err);

	if (out)
		subst_into(out, root, path, version, arch);
	return out;
}

static int add_repo(struct pb_repo **repos, size_t *n, enum pb_repo_kind kind,
		    const char *mirror, char *url, const char *suite,
		    char *const *components, const char *label,
		    char *const *keyrings, struct pb_err *err)
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
	g = pb_reallocarray(*repos, *n + 1, sizeof(*g), err);
	if (!g) {
		free(url);
		return -ENOMEM;
	}
	*repos = g;
	r = &g[*n];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->url = url;
	r->mirror = pb_strdup(mirror, err);
	r->suite = suite ? pb_strdup(suite, err) : NULL;
	r->components = pb_strv_dup(components, err);
	r->label = pb_strdup(label ? label : "", err);
	r->keyrings = pb_strv_dup(keyrings, err);
	(*n)++; /* from here pb_repos_free frees what it got */
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

/* The repositories of an APT spec on root: one a suite. */
static int expand_apt(const struct pb_mirror_spec *s, const char *root,
		      const char *distro_filter, struct pb_repo **out,
		      size_t *n_out, struct pb_err *err)
{
	static char *const none[] = {NULL};
	size_t v;
	int ret = 0;

	for (v = 0; s->suites[v] && !ret; v++) {
		char *u;

		if (!starts(s->suites[v], distro_filter))
			continue;
		u = pb_strdup(root, err);
		ret = u ? add_repo(out, n_out, PB_REPO_APT, root, u,
				   s->suites[v], s->components, s->suites[v],
				   s->keyrings ? s->keyrings : none, err)
			: -ENOMEM;
	}
	return ret;
}

/* The repositories of an RPM or mirrorlist spec on root: one a version
 * and path, $version, $arch and $basearch replaced. */
static int expand_paths(const struct pb_mirror_spec *s, const char *root,
			const char *arch, const char *distro_filter,
			struct pb_repo **out, size_t *n_out, struct pb_err *err)
{
	static char *const none[] = {NULL}, *const unversioned[] = {"", NULL},
			   *const here[] = {"", NULL};
	char *const *vers = s->versions ? s->versions : unversioned;
	char *const *paths = s->paths ? s->paths : here;
	enum pb_repo_kind kind =
		s->kind == PB_SPEC_RPM ? PB_REPO_RPM : PB_REPO_MIRRORLIST;
	size_t v, p;
	int ret = 0;

	for (v = 0; vers[v] && !ret; v++) {
		if (!starts(vers[v], distro_filter))
			continue;
		for (p = 0; paths[p] && !ret; p++) {
			char *u = subst(root, paths[p], vers[v], arch, err);

			if (u && kind == PB_REPO_RPM &&
			    u[strlen(u) - 1] != '/') {
				char *w = pb_url_slash(u, err);

				free(u);
				u = w;
			}
			ret = u ? add_repo(out, n_out, kind, root, u, NULL,
					   none, vers[v],
					   s->keyrings ? s->keyrings : none,
					   err)
				: -ENOMEM;
		}
	}
	return ret;
}

int pb_repos_expand(const struct pb_mirror_spec *specs, size_t n_specs,
		    const char *arch, const char *distro_filter,
		    const char *const *roots, size_t n_roots,
		    struct pb_repo **out, size_t *n_out, struct pb_err *err)
{
	size_t i, r;
	int ret = 0;

	*out = NULL;
	*n_out = 0;
	for (i = 0; i < n_specs && !ret; i++) {
		const struct pb_mirror_spec *s = &specs[i];
		size_t n_r = n_roots ? n_roots : 1;

		if (s->archs && !pb_strv_has(s->archs, arch))
			continue;
		for (r = 0; r < n_r && !ret; r++) {
			char *root =
				pb_url_slash(n_roots ? roots[r] : s->root, err);

			if (!root)
				ret = -ENOMEM;
			else if (s->kind == PB_SPEC_APT)
				ret = expand_apt(s, root, distro_filter, out,
						 n_out, err);
			else
				ret = expand_paths(s, root, arch, distro_filter,
						   out, n_out, err);
			free(root);
		}
	}
	if (ret) {
		pb_repos_free(*out, *n_out);
		*out = NULL;
		*n_out = 0;
	}
	return ret;
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
	*url = pb_malloc(len + 2, 1, err);
	if (!*url)
		return -ENOMEM;
	memcpy(*url, p, len);
	(*url)[len] = '\0';
	if ((*url)[len - 1] != '/')
		strcpy(*url + len, "/");
	return 0;
}
