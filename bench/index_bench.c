/* Parses one index file the way the crawler does and says how long it
 * took: `index_bench deb|rpm FILE [GLOB...]`. bench/run.sh times it (and
 * its peak RSS) next to the decompression alone on the same file. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "repo/index.h"

static int count(const struct pb_pkg_rec *r, void *ctx)
{
	(void)r;
	(*(size_t *)ctx)++;
	return 0;
}

int main(int argc, char **argv)
{
	struct pb_index_stats st = {0};
	struct pb_err err = {0};
	struct timespec a, b;
	size_t n = 0;
	int ret;

	if (argc < 3 || (strcmp(argv[1], "deb") && strcmp(argv[1], "rpm"))) {
		fprintf(stderr, "usage: index_bench deb|rpm FILE [GLOB...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	ret = !strcmp(argv[1], "deb")
		      ? pb_deb_packages_parse(
				argv[2],
				argc > 3 ? (const char *const *)argv + 3 : NULL,
				count, &n, &st, &err)
		      : pb_rpm_primary_parse(
				argv[2],
				argc > 3 ? (const char *const *)argv + 3 : NULL,
				count, &n, &st, &err);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (ret) {
		fprintf(stderr, "index_bench: %s\n", err.msg);
		return 1;
	}
	printf("%zu records, %zu matched, %.3f s\n", st.records, n,
	       (double)(b.tv_sec - a.tv_sec) +
		       (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}
