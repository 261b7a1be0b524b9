/* Unpacks packages the way a release root is made (PB_PKG_TREE, the
 * default --max-unpacked-size) into DIR, a new directory, and says how
 * long it took: `unpack_bench DIR PKG...`. The floor to compare with is
 * `dpkg-deb -x` of the same packages into a fresh directory. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archive/unpack.h"

int main(int argc, char **argv)
{
	struct pb_unpack_limit lim = {PB_UNPACK_MAX_DEFAULT, 0};
	struct pb_err err = {0};
	struct timespec a, b;
	int fd, i;

	if (argc < 3) {
		fprintf(stderr, "usage: unpack_bench DIR PKG...\n");
		return 2;
	}
	if (mkdir(argv[1], 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "unpack_bench: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "unpack_bench: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 2; i < argc; i++) {
		if (pb_unpack_at(argv[i], fd, PB_PKG_TREE, NULL, &lim, &err)) {
			fprintf(stderr, "unpack_bench: %s\n", err.msg);
			close(fd);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	close(fd);
	printf("%d packages, %llu bytes, %.3f s\n", argc - 2, lim.used,
	       (double)(b.tv_sec - a.tv_sec) +
		       (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}
