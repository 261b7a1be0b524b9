/* newswatch's rendering (newswatch/render.c): the JSON a template makes
 * of an article, escaped and valid. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <json-c/json.h>

#include "render.h"

static void test_render(void **state)
{
	char *groups[] = {"comp.lang.c", "fr.comp.lang.c", NULL};
	struct nw_article a = {
		.message_id = "<id@x>",
		.from = "Renée \"R\" <r@example.org>",
		.subject = "Café\ttab \\ slash\nnewline",
		.date = "Mon, 23 Nov 2026 06:00:00 +0000",
		.newsgroups = groups,
		.n_newsgroups = 2,
	};
	struct nw_item it = {&a, "comp.lang.c", "/s/comp/lang/c/3", 3};
	struct pb_err err = {0};
	json_object *j, *v;
	char *out;

	(void)state;
	assert_int_equal(nw_render(NW_DEFAULT_TEMPLATE, &it, &out, &err), 0);
	assert_non_null(out);
	j = json_tokener_parse(out);
	assert_non_null(j);
	assert_true(json_object_object_get_ex(j, "text", &v));
	assert_string_equal(
		json_object_get_string(v),
		"New article in comp.lang.c: \"Café\ttab \\ "
		"slash\nnewline\" from Renée \"R\" <r@example.org>");
	json_object_put(j);
	free(out);
	assert_int_equal(nw_render("{\"g\": \"{newsgroups}\", \"n\": {number}, "
				   "\"id\": \"{message_id}\", \"x\": "
				   "\"{unknown}\"}",
				   &it, &out, &err),
			 0);
	assert_non_null(out);
	j = json_tokener_parse(out);
	assert_true(json_object_object_get_ex(j, "g", &v));
	assert_string_equal(json_object_get_string(v),
			    "comp.lang.c, fr.comp.lang.c");
	assert_true(json_object_object_get_ex(j, "n", &v));
	assert_int_equal(json_object_get_int(v), 3);
	assert_true(json_object_object_get_ex(j, "x", &v));
	assert_string_equal(json_object_get_string(v), "{unknown}");
	json_object_put(j);
	free(out);
	/* a template that is not JSON is an error, with its text */
	assert_int_equal(nw_render("text: {subject}", &it, &out, &err),
			 -EINVAL);
	assert_null(out);
	assert_int_equal(err.code, -EINVAL);
	assert_non_null(strstr(err.msg, "not give valid JSON"));
	/* the whole template is one document: nothing after it but blanks */
	assert_int_equal(
		nw_render("{\"text\": \"{text}\"} junk", &it, &out, &err),
		-EINVAL);
	assert_non_null(strstr(err.msg, "not give valid JSON"));
	assert_int_equal(nw_render("{\"text\": \"{text}\"}}", &it, &out, &err),
			 -EINVAL);
	assert_int_equal(nw_render("[1] [2]", &it, &out, &err), -EINVAL);
	assert_int_equal(nw_render("{\"text\": \"{text}\"", &it, &out, &err),
			 -EINVAL);
	assert_int_equal(
		nw_render(" {\"text\": \"{text}\"}\r\n", &it, &out, &err), 0);
	assert_non_null(out);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
