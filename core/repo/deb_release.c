/* APT Release files: one RFC822-style paragraph whose SHA256 field lists
 * the index files (" <sha256> <size> <path>" lines) that the Packages
 * parser then trusts. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "probe-builder/alloc.h"
#include "repo/index.h"

struct line {
	const char *s;
	size_t len;
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void trim(struct line *l)
{
	while (l->len && is_blank(l->s[0])) {
		l->s++;
		l->len--;
	}
	while (l->len &&
	       (is_blank(l->s[l->len - 1]) || l->s[l->len - 1] == '\r'))
		l->len--;
}

/* the next whitespace-separated word of l, consumed from it */
static int next_word(struct line *l, struct line *word)
{
	trim(l);
	if (!l->len)
		return 0;
	word->s = l->s;
	word->len = 0;
	while (word->len < l->len && !is_blank(l->s[word->len]))
		word->len++;
	l->s += word->len;
	l->len -= word->len;
	return 1;
}

/* The bytes of l, NUL-terminated (memcpy, not strndup: add_entry says
 * what a NUL byte in it means). */
static char *dup_line(const struct line *l, struct pb_err *err)
{
	char *s = pb_malloc(l->len + 1, 1, err);

	if (!s)
		return NULL;
	memcpy(s, l->s, l->len);
	s[l->len] = '\0';
	return s;
}

static void free_list(char **list)
{
	if (!list)
		return;
	for (char **p = list; *p; p++)
		free(*p);
	free(list);
}

/* "amd64 arm64" -> {"amd64", "arm64", NULL} */
static int split_list(struct line value, char ***out, struct pb_err *err)
{
	struct line w, v = value;
	size_t n = 0, i = 0;
	char **list;

	while (next_word(&v, &w))
		n++;
	list = pb_calloc(n + 1, sizeof(*list), err);
	if (!list)
		return -ENOMEM;
	v = value;
	while (next_word(&v, &w)) {
		list[i] = dup_line(&w, err);
		if (!list[i]) {
			free_list(list);
			return -ENOMEM;
		}
		i++;
	}
	free_list(*out); /* a field given twice: the last one counts */
	*out = list;
	return 0;
}

static int parse_size(const struct line *w, int64_t *out)
{
	int64_t v = 0;

	if (!w->len)
		return -EINVAL;
	for (size_t i = 0; i < w->len; i++) {
		char c = w->s[i];

		if (c < '0' || c > '9')
			return -EINVAL;
		if (v > (INT64_MAX - (c - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (c - '0');
	}
	*out = v;
	return 0;
}

static int parse_hex64(const struct line *w, char out[65])
{
	if (w->len != 64)
		return -EINVAL;
	for (size_t i = 0; i < 64; i++) {
		char c = w->s[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -EINVAL;
		out[i] = c;
	}
	out[64] = '\0';
	return 0;
}

static int add_entry(struct pb_deb_release *r, size_t *cap, struct line l,
		     size_t lineno, struct pb_err *err)
{
	struct line hex, size, path, rest;
	struct pb_release_entry *e;

	if (!next_word(&l, &hex) || !next_word(&l, &size) ||
	    !next_word(&l, &path) || next_word(&l, &rest))
		return pb_err_set(err, -EINVAL,
				  "line %zu: a SHA256 entry is not "
				  "'<sha256> <size> <path>'",
				  lineno);
	if (memchr(path.s, '\0', path.len))
		return pb_err_set(err, -EINVAL,
				  "line %zu: a NUL byte in a path", lineno);
	if (r->n_entries == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;

		e = pb_reallocarray(r->entries, ncap, sizeof(*e), err);
		if (!e)
			return -ENOMEM;
		r->entries = e;
		*cap = ncap;
	}
	e = &r->entries[r->n_entries];
	if (parse_hex64(&hex, e->sha256))
		return pb_err_set(err, -EINVAL,
				  "line %zu: '%.*s' is not a SHA-256", lineno,
				  (int)(hex.len > 80 ? 80 : hex.len), hex.s);
	if (parse_size(&size, &e->size))
		return pb_err_set(err, -EINVAL,
				  "line %zu: '%.*s' is not a size", lineno,
				  (int)(size.len > 40 ? 40 : size.len), size.s);
	e->path = dup_line(&path, err);
	if (!e->path)
		return -ENOMEM;
	r->n_entries++;
	return 0;
}

static int num(const char **p, const char *end, int digits_min, int digits_max,
	       int *out)
{
	int v = 0, n = 0;

	while (*p < end && **p >= '0' && **p <= '9' && n < digits_max) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	if (n < digits_min)
		return -EINVAL;
	*out = v;
	return 0;
}

static void skip_blanks(const char **p, const char *end)
{
	while (*p < end && is_blank(**p))
		(*p)++;
}

int pb_rfc1123_parse(const char *s, size_t len, int64_t *out)
{
	static const char months[][4] = {"Jan", "Feb", "Mar", "Apr",
					 "May", "Jun", "Jul", "Aug",
					 "Sep", "Oct", "Nov", "Dec"};
	const char *p = s, *end = s + len, *comma = memchr(s, ',', len);
	struct tm tm = {0};
	int day, year, h, m, sec = 0, mon = -1, off = 0;
	time_t t;

	if (comma)
		p = comma + 1; /* the day name says nothing more */
	skip_blanks(&p, end);
	if (num(&p, end, 1, 2, &day) < 0)
		return -EINVAL;
	skip_blanks(&p, end);
	for (int i = 0; i < 12 && end - p >= 3; i++)
		if (!strncasecmp(p, months[i], 3))
			mon = i;
	if (mon < 0)
		return -EINVAL;
	p += 3;
	skip_blanks(&p, end);
	if (num(&p, end, 4, 4, &year) < 0)
		return -EINVAL;
	skip_blanks(&p, end);
	if (num(&p, end, 1, 2, &h) < 0 || p >= end || *p++ != ':' ||
	    num(&p, end, 2, 2, &m) < 0)
		return -EINVAL;
	if (p < end && *p == ':') {
		p++;
		if (num(&p, end, 2, 2, &sec) < 0)
			return -EINVAL;
	}
	skip_blanks(&p, end);
	if (end - p >= 3 &&
	    (!strncasecmp(p, "UTC", 3) || !strncasecmp(p, "GMT", 3))) {
		p += 3;
	} else if (end - p >= 1 && (*p == 'Z' || *p == 'z')) {
		p++;
	} else if (end - p >= 5 && (*p == '+' || *p == '-')) {
		int hhmm, sign = *p == '-' ? -1 : 1;

		p++;
		if (num(&p, end, 4, 4, &hhmm) < 0)
			return -EINVAL;
		off = sign * ((hhmm / 100) * 3600 + (hhmm % 100) * 60);
	} else {
		return -EINVAL;
	}
	skip_blanks(&p, end);
	while (p < end && *p == '\r')
		p++;
	if (p != end || day < 1 || day > 31 || h > 23 || m > 59 || sec > 60)
		return -EINVAL;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = day;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*out = (int64_t)t - off;
	return 0;
}

enum field {
	F_OTHER,
	F_SHA256,
};

static int field_is(const struct line *name, const char *want)
{
	return name->len == strlen(want) &&
	       strncasecmp(name->s, want, name->len) == 0;
}

static int set_string(char **dst, const struct line *v, struct pb_err *err)
{
	char *s = dup_line(v, err);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

/* One field line "Name: value" (the value trimmed). */
static int parse_field(struct pb_deb_release *r, struct line l, size_t lineno,
		       enum field *cur, int *seen_sha, size_t *cap,
		       struct pb_err *err)
{
	const char *colon = memchr(l.s, ':', l.len);
	struct line name, value;
	int ret = 0;

	*cur = F_OTHER;
	if (!colon)
		return pb_err_set(err, -EINVAL,
				  "line %zu: neither a field nor a "
				  "continuation line",
				  lineno);
	name.s = l.s;
	name.len = (size_t)(colon - l.s);
	value.s = colon + 1;
	value.len = l.len - name.len - 1;
	trim(&name);
	trim(&value);

	if (field_is(&name, "SHA256")) {
		if (*seen_sha)
			return pb_err_set(err, -EINVAL,
					  "line %zu: a second SHA256 field",
					  lineno);
		*seen_sha = 1;
		*cur = F_SHA256;
		/* the entries start on the next line; tolerate one here */
		if (value.len)
			return add_entry(r, cap, value, lineno, err);
		return 0;
	}
	if (field_is(&name, "Suite"))
		ret = set_string(&r->suite, &value, err);
	else if (field_is(&name, "Codename"))
		ret = set_string(&r->codename, &value, err);
	else if (field_is(&name, "Architectures"))
		ret = split_list(value, &r->architectures, err);
	else if (field_is(&name, "Components"))
		ret = split_list(value, &r->components, err);
	else if (field_is(&name, "Acquire-By-Hash"))
		r->acquire_by_hash =
			value.len == 3 && strncasecmp(value.s, "yes", 3) == 0;
	else if (field_is(&name, "No-Support-for-Architecture-all"))
		r->no_arch_all_packages =
			value.len == 8 &&
			strncasecmp(value.s, "Packages", 8) == 0;
	else if (field_is(&name, "Date") || field_is(&name, "Valid-Until")) {
		int64_t *dst =
			field_is(&name, "Date") ? &r->date : &r->valid_until;

		if (pb_rfc1123_parse(value.s, value.len, dst) < 0)
			return pb_err_set(
				err, -EINVAL,
				"line %zu: %.*s '%.*s' is not a "
				"date",
				lineno, (int)name.len, name.s,
				(int)(value.len > 60 ? 60 : value.len),
				value.s);
	}
	return ret;
}

int pb_deb_release_parse(const char *text, size_t len,
			 struct pb_deb_release *out, struct pb_err *err)
{
	struct pb_deb_release r = {0};
	enum field cur = F_OTHER;
	const char *p = text, *end = text + len;
	size_t lineno = 0, cap = 0;
	int seen_sha = 0, in_para = 0, ret = 0;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct line l = {p, nl ? (size_t)(nl - p) : (size_t)(end - p)};
		struct line t;

		p = nl ? nl + 1 : end;
		lineno++;
		t = l;
		trim(&t);
		if (!t.len) {
			/* one paragraph: a blank line after it ends it */
			if (in_para)
				break;
			continue;
		}
		in_para = 1;
		if (is_blank(l.s[0])) {
			if (cur == F_SHA256)
				ret = add_entry(&r, &cap, t, lineno, err);
			/* other continuation lines (Description): not ours */
		} else {
			ret = parse_field(&r, l, lineno, &cur, &seen_sha, &cap,
					  err);
		}
		if (ret)
			goto fail;
	}
	if (!seen_sha || !r.n_entries) {
		ret = pb_err_set(err, -EINVAL,
				 seen_sha ? "an empty SHA256 field"
					  : "no SHA256 field: nothing to "
					    "check the indexes against");
		goto fail;
	}
	/* lists the file does not give are empty, never NULL */
	if ((!r.architectures &&
	     split_list((struct line){"", 0}, &r.architectures, err)) ||
	    (!r.components &&
	     split_list((struct line){"", 0}, &r.components, err))) {
		ret = -ENOMEM;
		goto fail;
	}
	*out = r;
	return 0;
fail:
	pb_deb_release_free(&r);
	pb_err_prefix(err, "Release");
	return ret;
}

const struct pb_release_entry *
pb_deb_release_find(const struct pb_deb_release *r, const char *path)
{
	for (size_t i = 0; i < r->n_entries; i++)
		if (strcmp(r->entries[i].path, path) == 0)
			return &r->entries[i];
	return NULL;
}

void pb_deb_release_free(struct pb_deb_release *r)
{
	if (!r)
		return;
	free(r->suite);
	free(r->codename);
	free_list(r->architectures);
	free_list(r->components);
	for (size_t i = 0; i < r->n_entries; i++)
		free(r->entries[i].path);
	free(r->entries);
	memset(r, 0, sizeof(*r));
}
