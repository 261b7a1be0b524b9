/* The few ELF facts the build checks: a module's .modinfo entries (its
 * vermagic), an object's machine (EM_BPF for eBPF objects) and the glibc
 * that the prebuilt host tools of a kernel tree need. */
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

/* The newest glibc version the ELF file at path names in its version
 * needs (.gnu.version_r): "GLIBC_2.38" gives 2 and 38, compared
 * numerically, a third part ignored. 0 with 0.0 when it needs none (a
 * static program, an object file). -EINVAL, naming path, for a file that is
 * not a 64-bit little-endian ELF or whose version needs are corrupt. */
int pb_elf_glibc_need(const char *path, int *major, int *minor,
		      struct pb_err *err);

/* The newest glibc that the prebuilt host tools of the kernel build dir
 * kdir need (fixdep, modpost, objtool, resolve_btfids, ...: the ELF files
 * directly in scripts/, scripts/{basic,mod,kconfig,genksyms,dtc,
 * gcc-plugins}, tools/objtool and tools/bpf/resolve_btfids; other files
 * and missing directories are skipped), and in which (may be NULL) the
 * path, relative to kdir, of the tool that needs it. 0.0 and "" when none
 * needs any. An ELF file that cannot be read as one is an error. */
int pb_tree_glibc_need(const char *kdir, int *major, int *minor, char *which,
		       size_t which_len, struct pb_err *err);

#endif
