/* newswatch's configuration file (newswatch/conf.c), and the template of
 * its webhook body (newswatch/render.c). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "fuzz.h"
#include "render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nw_config c;
	struct pb_err err;
	char *groups[] = {"local.test", NULL};
	struct nw_article a = {0};
	struct nw_item it = {&a, "local.test", "/spool/local/test/1", 1};
	char *tmpl, *body;

	/* template_file would read whatever file the input names */
	if (memmem(data, size, "template_file", 13))
		return 0;
	if (nw_config_load(pb_fuzz_file(data, size), &c, &err) == 0)
		nw_config_check(&c, &err);
	nw_config_free(&c);
	/* the whole input as a template */
	a.subject = "s\"\\\x01";
	a.newsgroups = groups;
	a.n_newsgroups = 1;
	tmpl = pb_fuzz_str(data, size);
	if (nw_render(tmpl, &it, &body, &err) == 0)
		free(body);
	free(tmpl);
	return 0;
}
