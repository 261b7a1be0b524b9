/* The agent's loader for legacy eBPF objects (SEC("maps")). */
#ifndef PB_VERIFY_LEGACY_H
#define PB_VERIFY_LEGACY_H

#include <stddef.h>

typedef void (*pb_legacy_say)(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Creates the object's maps, loads each program with its map references
 * patched, says "ebpf OPENED", then "prog NAME LOADED|REFUSED" lines (the
 * verifier's log through say_log, from log). -1 when the file is not an
 * ELF object it can read. */
int pb_legacy_verify(const char *path, char *log, size_t log_size,
		     pb_legacy_say say, void (*say_log)(void));

#endif
