/* The few ELF facts the build checks: a module's .modinfo entries (its
 * vermagic) and an object's machine (EM_BPF for eBPF objects). */
#ifndef PB_ELFCHECK_H
#define PB_ELFCHECK_H

#include <stddef.h>

#include "probe-builder/error.h"

/* Copies the value of key (e.g. "vermagic") from the .modinfo section of
 * the ELF file at path. -ENOENT when there is no such entry. */
int pb_elf_modinfo(const char *path, const char *key, char *out, size_t len,
		   struct pb_err *err);

/* e_machine of the ELF file at path (247 is EM_BPF). */
int pb_elf_machine(const char *path, int *machine, struct pb_err *err);

/* 1 when the ELF file has a section of that name. */
int pb_elf_has_section(const char *path, const char *name, struct pb_err *err);

#endif
