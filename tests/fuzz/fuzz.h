/* Shared by the fuzz harnesses: each defines LLVMFuzzerTestOneInput and is
 * linked either with libFuzzer (clang -fsanitize=fuzzer) or with replay.c,
 * whose main() feeds it the committed corpus. */
#ifndef PB_FUZZ_H
#define PB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A path whose content is data (a memfd behind /proc/self/fd), for the
 * parsers that read files; the same path each call. Aborts on failure:
 * the harness cannot run without it. */
const char *pb_fuzz_file(const uint8_t *data, size_t size);

/* data as a malloc'd NUL-terminated string (a NUL inside cuts it). */
char *pb_fuzz_str(const uint8_t *data, size_t size);

/* A fresh empty scratch directory under TMPDIR, made once per process. */
const char *pb_fuzz_dir(void);

#endif
