/* Running a build command (make for kbuild, make for a probe's bpf/
 * Makefile) in a bubblewrap sandbox: no network, no other namespace of
 * ours, a read-only userspace (the host's or a builder environment's), a
 * fresh /tmp, a fixed environment, and only the paths the caller names,
 * bound at the same paths as outside so that the outputs are the bytes a
 * build outside would make (-ffile-prefix-map and the like still match). */
#ifndef PB_BUILD_SANDBOX_H
#define PB_BUILD_SANDBOX_H

#include <stddef.h>

#include "probe-builder/error.h"

struct pb_sandbox {
	size_t sz; /* sizeof(struct pb_sandbox) */
	int off;   /* --sandbox=off: run the command directly, no bwrap */
	/* a builder environment's root (made by mmdebstrap); NULL: the
	 * host's own userspace */
	const char *sysroot;
	const char *const *ro; /* bound read-only at the same path inside */
	size_t n_ro;
	const char *const *rw; /* bound read-write at the same path inside */
	size_t n_rw;
	const char *cwd; /* where the command starts; NULL: bwrap's choice */
	/* our variables whose names start with this reach the command too:
	 * a probe's build settings, NEWSWATCH_DEPTH (NULL: none) */
	const char *env_prefix;
	/* one more writable dir (a build's copy of the source), bound at
	 * work_at inside rather than at its own path: a path that does not
	 * depend on the workspace, so that what the compiler does not map
	 * (UBSAN's source locations) is the same from any (NULL: none) */
	const char *work;
	const char *work_at;
};

/* Whether bwrap is there and can make a sandbox on this host: runs `true`
 * in the host-userspace sandbox once, the result cached (thread-safe).
 * -ENOTSUP with a message saying how to enable it (install bubblewrap;
 * allow unprivileged user namespaces; or --sandbox=off). */
int pb_sandbox_check(struct pb_err *err);
/* The same check, not cached, with the bwrap program given (a path or a
 * name looked up in PATH): for tests of the failures. */
int pb_sandbox_probe(const char *bwrap, struct pb_err *err);

/* The full command: "bwrap" and its options, "--", then argv; allocated,
 * NULL-terminated, freed with pb_sandbox_argv_free. With sb->off, a copy
 * of argv. The sysroot, ro and rw paths must be absolute and exist
 * (-EINVAL, -ENOENT otherwise). */
int pb_sandbox_argv(const struct pb_sandbox *sb, const char *const argv[],
		    char ***out, struct pb_err *err);
void pb_sandbox_argv_free(char **argv);

/* Runs argv in the sandbox as pb_run (util/proc.h) does: its stdout and
 * stderr to out_fd (-1: nowhere), the exit code (or 128+signal) in
 * *status. Checks first (pb_sandbox_check) unless sb->off. */
int pb_sandbox_run(const struct pb_sandbox *sb, const char *const argv[],
		   int out_fd, int *status, struct pb_err *err);

#endif
