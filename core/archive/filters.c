#include "config.h"

#include "archive/filters.h"

int pb_archive_filters(struct archive *a, int rpm)
{
	int (*const filters[])(struct archive *) = {
		archive_read_support_filter_gzip,
		archive_read_support_filter_xz,
		archive_read_support_filter_lzma,
		archive_read_support_filter_zstd,
		archive_read_support_filter_bzip2,
		archive_read_support_filter_lz4,
	};
	size_t i;
	int r;

	for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		r = filters[i](a);
		/* ARCHIVE_WARN: done through an external program, which we do
		 * not want either; a missing one just reads as unknown */
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return r;
	}
	return rpm ? archive_read_support_filter_rpm(a) : ARCHIVE_OK;
}
