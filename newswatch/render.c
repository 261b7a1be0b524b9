#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "render.h"

static void put_escaped(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

static void put_groups(FILE *f, const struct nw_article *a)
{
	size_t i;

	for (i = 0; i < a->n_newsgroups; i++) {
		if (i)
			fputs(", ", f);
		put_escaped(f, a->newsgroups[i]);
	}
}

static void put_field(FILE *f, const char *name, size_t n,
		      const struct nw_item *it)
{
	const struct nw_article *a = it->article;

#define IS(s) (n == sizeof(s) - 1 && !strncmp(name, s, n))
	if (IS("subject"))
		put_escaped(f, a->subject ? a->subject : "(no subject)");
	else if (IS("from"))
		put_escaped(f, a->from ? a->from : "");
	else if (IS("newsgroups"))
		put_groups(f, a);
	else if (IS("group"))
		put_escaped(f, it->group);
	else if (IS("message_id"))
		put_escaped(f, a->message_id ? a->message_id : "");
	else if (IS("date"))
		put_escaped(f, a->date ? a->date : "");
	else if (IS("path"))
		put_escaped(f, it->path);
	else if (IS("number"))
		fprintf(f, "%lu", it->number);
	else if (IS("text")) {
		fputs("New article in ", f);
		put_escaped(f, it->group);
		fputs(": \\\"", f);
		put_escaped(f, a->subject ? a->subject : "(no subject)");
		fputs("\\\" from ", f);
		put_escaped(f, a->from ? a->from : "(unknown)");
	} else {
		/* not a placeholder: as it was */
		fprintf(f, "{%.*s}", (int)n, name);
	}
#undef IS
}

/* The JSON document that is the whole of s (white space around it aside),
 * or NULL: json_tokener_parse() stops after the first value and would take
 * "{...} trailing garbage" or "{...}}" as valid. */
static json_object *parse_whole(const char *s)
{
	json_tokener *tok = json_tokener_new();
	json_object *o;
	size_t len = strlen(s), end;

	if (!tok)
		return NULL;
	o = json_tokener_parse_ex(tok, s, (int)len);
	if (o && json_tokener_get_error(tok) == json_tokener_success) {
		end = (size_t)tok->char_offset;
		end += strspn(s + end, " \t\r\n");
		if (end != len) {
			json_object_put(o);
			o = NULL;
		}
	} else {
		/* incomplete: "{" alone asks for more, never an object */
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

int nw_render(const char *tmpl, const struct nw_item *it, char **body,
	      struct pb_err *err)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	const char *p;
	json_object *check;

	*body = NULL;
	if (!f)
		return pb_err_set(err, -ENOMEM, "out of memory");
	for (p = tmpl; *p;) {
		if (*p == '{') {
			size_t n = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz_");

			if (n && p[1 + n] == '}') {
				put_field(f, p + 1, n, it);
				p += n + 2;
				continue;
			}
		}
		fputc(*p++, f);
	}
	/* the stream's writes land in memory: only its end can fail */
	if (fclose(f) != 0) {
		free(out);
		return pb_err_set(err, -ENOMEM, "out of memory");
	}
	check = parse_whole(out);
	if (!check) {
		pb_err_set(err, -EINVAL,
			   "the template does not give valid JSON: %.200s",
			   out);
		free(out);
		return -EINVAL;
	}
	json_object_put(check);
	*body = out;
	return 0;
}
