/* A remote mirror.list (core/crawl/mirror.c pb_mirrorlist_line), one line at a
 * time as the crawl reads it. What the crawl relies on: an accepted line
 * is one http(s) URL with a host, no credentials, nothing a spec could
 * read as a key, and ending with '/'; a rejected one says why. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "crawl/mirror.h"
#include "fuzz.h"
#include "fuzz_check.h"

static void check_url(const char *url)
{
	const char *host, *p;

	if (!strncmp(url, "http://", 7))
		host = url + 7;
	else if (!strncmp(url, "https://", 8))
		host = url + 8;
	else
		abort();
	if (!*host || *host == '/' || memchr(host, '@', strcspn(host, "/?#")))
		abort();
	for (p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			abort();
	if (p[-1] != '/')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = pb_fuzz_str(data, size), *line, *save = NULL;

	for (line = strtok_r(s, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct pb_err err = {0};
		char *url = (char *)1;
		int ret = pb_mirrorlist_line(line, &url, &err);

		pb_fuzz_check_err(ret, &err, "pb_mirrorlist_line");
		if (ret == 0)
			check_url(url);
		else if (url) /* *url is NULL unless a URL is returned */
			abort();
		free(url);
	}
	free(s);
	return 0;
}
