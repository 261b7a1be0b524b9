#include "config.h"

/* make for one kernel: a private copy of the probe source per output,
 * kbuild for the module (M=), the probe's bpf/Makefile for the eBPF
 * object, with an environment that cannot steer them elsewhere; what they
 * made is checked (vermagic, ELF machine) and installed under its final
 * name. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build/elfcheck.h"
#include "build/logscan.h"
#include "build/release.h"
#include "build/sandbox.h"
#include "probe-builder/alloc.h"
#include "probe-builder/fixup.h"
#include "probe-builder/log.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/proc.h"
#include "util/str.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

/* Where make sees the copy of the source: in the sandbox, a path of its
 * own that no workspace changes (/build/<probe>-<version>); without it,
 * the copy's own path. */
static int inside(struct rel_ctx *c, const char *copy, char *buf, size_t len,
		  struct pb_err *err)
{
	if (c->o->sandbox_off)
		return pb_path_join(buf, len, err, copy, NULL);
	return pb_path_fmt(buf, len, err, "/build/%s-%s", c->o->probe,
			   c->o->version);
}

/* Runs make in the sandbox: the kernel's toolchain (its environment, or
 * the host's userspace), the release root read-only, only the copy dir
 * writable. */
static int sandboxed(struct rel_ctx *c, const char *const argv[],
		     const char *copy, int use_env, int *status,
		     struct pb_err *err)
{
	/* the signing key and certificate, when given, are read by
	 * sign-file only, but bound for every step: they are read-only */
	const char *ro[] = {c->root, c->o->module_sign_key,
			    c->o->module_sign_cert};
	char prefix[128], at[PATH_MAX];
	size_t i;
	struct pb_sandbox sb = {
		.sz = sizeof(sb),
		.off = c->o->sandbox_off,
		.sysroot = use_env && c->env.name[0] ? c->env.root : NULL,
		.ro = ro,
		.n_ro = c->o->module_sign_key && c->o->module_sign_cert ? 3 : 1,
		.env_prefix = prefix,
		.work = copy,
		.work_at = at,
	};

	if (inside(c, copy, at, sizeof(at), err) < 0)
		return err->code;

	/* the probe's own settings: NEWSWATCH_* for newswatch */
	for (i = 0; c->o->probe[i] && i + 2 < sizeof(prefix); i++)
		prefix[i] =
			isalnum((unsigned char)c->o->probe[i])
				? (char)toupper((unsigned char)c->o->probe[i])
				: '_';
	prefix[i] = '_';
	prefix[i + 1] = '\0';
	return pb_sandbox_run(&sb, argv, c->log_fd, status, err);
}

/* make, with an environment that cannot steer kbuild elsewhere */
static int run_make(struct rel_ctx *c, const char *const argv[],
		    const char *copy, int use_env, int *status,
		    struct pb_err *err)
{
	static const char *const scrub[] = {"MAKEFLAGS",
					    "MFLAGS",
					    "MAKELEVEL",
					    "MAKEOVERRIDES",
					    "KBUILD_OUTPUT",
					    "O",
					    "M",
					    "ARCH",
					    "CROSS_COMPILE",
					    "KCFLAGS",
					    "KCPPFLAGS",
					    "KBUILD_EXTRA_SYMBOLS",
					    "CC",
					    "LD",
					    "CFLAGS",
					    "LDFLAGS",
					    "KERNELDIR",
					    "KERNELRELEASE",
					    "GNUMAKEFLAGS"};
	size_t i;
	char line[8192] = "", why[400];
	off_t start;
	int ret;

	for (i = 0; i < PB_ARRAY_SIZE(scrub); i++)
		unsetenv(scrub[i]);
	setenv("LC_ALL", "C", 1);
	/* the command as logged; a long one is shown cut */
	for (i = 0; argv[i]; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
			 "%s%s", i ? " " : "", argv[i]);
	pb_info("%s: running %s", c->rel.name, line);
	start = lseek(c->log_fd, 0, SEEK_END);
	ret = sandboxed(c, argv, copy, use_env, status, err);
	if (!ret && *status != 0) {
		/* the line that says why, from what this make wrote */
		if (start >= 0 && pb_log_file_first_error(c->log_path, start,
							  why, sizeof(why)))
			return pb_err_set(err, -EIO,
					  "%s exited with status %d: %s",
					  argv[0], *status, why);
		return pb_err_set(err, -EIO, "%s exited with status %d",
				  argv[0], *status);
	}
	return ret;
}

/* Copies the built file (a path under build_dir) to the output dir under
 * its final name; it is opened beneath build_dir, so that a link left
 * there cannot publish a file from elsewhere. */
static int install_output(struct rel_ctx *c, const char *which,
			  const char *built, const char *name,
			  struct pb_output_result *out, struct pb_err *err)
{
	char dst[PATH_MAX * 2], hex[PB_HEX_MAX];
	size_t bl = strlen(c->build_dir);
	int in, ret;

	if (strncmp(built, c->build_dir, bl) != 0 || built[bl] != '/')
		return pb_err_set(err, -EINVAL, "%s: not under %s", built,
				  c->build_dir);
	ret = pb_path_join(dst, sizeof(dst), err, c->o->output_dir, name, NULL);
	if (ret)
		return ret;
	in = pb_open_beneath(c->build_fd, built + bl + 1, O_RDONLY, 0, err);
	if (in < 0)
		return pb_err_prefix(err, "%s", c->build_dir);
	ret = pb_copy_fd_atomic(in, dst, err);
	close(in);
	if (!ret)
		ret = pb_hash_file(dst, "sha256", hex, err);
	if (!ret)
		ret = pb_result_str(&out->file, name, err);
	if (!ret)
		ret = pb_result_str(&out->sha256, hex, err);
	if (ret)
		return ret;
	pb_info("%s: %s: wrote %s", c->rel.name, which, dst);
	return 0;
}

/* A make command line, its arguments formatted one by one. */
struct make_cmd {
	char *argv[16];
	size_t n;
	int oom;
};

static void cmd_add(struct make_cmd *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void cmd_add(struct make_cmd *m, const char *fmt, ...)
{
	va_list ap;

	if (m->n + 1 >= PB_ARRAY_SIZE(m->argv)) {
		m->oom = 1;
		return;
	}
	va_start(ap, fmt);
	/* err NULL: the caller says it, seeing m->oom */
	m->argv[m->n] = pb_vasprintf(NULL, fmt, ap);
	if (!m->argv[m->n]) {
		m->oom = 1;
	} else {
		m->n++;
	}
	va_end(ap);
}

static void cmd_free(struct make_cmd *m)
{
	while (m->n > 0)
		free(m->argv[--m->n]);
}

/* Starts `make -C dir` with what every probe build is given: the compiler
 * (with_cc: the kernel's, for the module; for the eBPF object only when it
 * is the host's, the userspace that make runs in), the probe's name and
 * version. */
static void cmd_start(struct make_cmd *m, struct rel_ctx *c, const char *dir,
		      int with_cc)
{
	memset(m, 0, sizeof(*m));
	cmd_add(m, "make");
	cmd_add(m, "-C");
	cmd_add(m, "%s", dir);
	if (c->cc.path[0] && (with_cc || !c->env.name[0]))
		cmd_add(m, "CC=%s", c->cc.path);
	cmd_add(m, "PROBE_NAME=%s", c->o->probe);
	cmd_add(m, "PROBE_VERSION=%s", c->o->version);
}

/* The same bytes whatever the workspace: source paths in the debug info
 * read as they would on a host. gcc before 8 only maps debug info. */
static void cmd_prefix_maps(struct make_cmd *m, struct rel_ctx *c,
			    const char *var, const char *opt, const char *copy)
{
	cmd_add(m, "%s=%s=%s=/usr/src/%s-%s %s=%s/=/", var, opt, copy,
		c->o->probe, c->o->version, opt, c->root);
}

/* build/<distro>/<key> beneath the workspace, every part a real
 * directory: the copies are made through it. */
static int open_build_dir(struct rel_ctx *c, struct pb_err *err)
{
	char rel[PATH_MAX];
	int ws;

	if (c->build_fd >= 0)
		return 0;
	if (pb_path_join(rel, sizeof(rel), err, "build", c->o->distro->name,
			 c->key, NULL) < 0)
		return err->code;
	ws = open(c->o->workspace, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ws < 0)
		return pb_err_set(err, -errno, "%s: %s", c->o->workspace,
				  strerror(errno));
	c->build_fd = pb_mkdir_beneath(ws, rel, err);
	close(ws);
	if (c->build_fd < 0)
		return pb_err_prefix(err, "%s", c->o->workspace);
	return 0;
}

/* A private copy of the source for one output (which: its name under
 * build_dir), and make run in it. */
static int run_build(struct rel_ctx *c, const char *which, struct make_cmd *m)
{
	char copy[PATH_MAX];
	struct pb_err err = {0};
	int status, ret;

	ret = open_build_dir(c, &err);
	if (!ret)
		ret = pb_rm_rf_at(c->build_fd, which, &err);
	if (!ret) {
		ret = pb_copy_tree_at(c->o->source_dir, c->build_fd, which,
				      &err);
		if (ret)
			pb_err_prefix(&err, "%s", c->build_dir);
	}
	if (!ret)
		ret = pb_path_join(copy, sizeof(copy), &err, c->build_dir,
				   which, NULL);
	if (!ret && m->oom)
		ret = pb_err_set(&err, -ENOMEM,
				 "out of memory making the make command");
	if (!ret) {
		m->argv[m->n] = NULL;
		/* the module with the kernel's compiler; the eBPF object with
		 * our clang, in the host's userspace */
		ret = run_make(c, (const char *const *)m->argv, copy,
			       !strcmp(which, "kmod"), &status, &err);
		if (ret)
			pb_err_prefix(&err, "%s build", which);
	}
	if (ret) {
		char msg[PB_ERR_MSG_MAX + 32];

		snprintf(msg, sizeof(msg), "%s (see the log)", err.msg);
		pb_rel_fail_output(c, which, msg);
	}
	return ret;
}

/* Installs what a build made and records it BUILT. */
static void finish_build(struct rel_ctx *c, const char *which,
			 const char *built, const char *name, double t0)
{
	struct pb_output_result *out = pb_rel_output(c, which);
	const char *replaced = c->replaced[out == &c->res->ebpf];
	struct pb_err err = {0};
	int ret;

	ret = install_output(c, which, built, name, out, &err);
	if (!ret)
		ret = pb_result_str(&out->built_at, c->o->run_time, &err);
	if (!ret && replaced[0])
		ret = pb_result_str(&out->replaced_sha256, replaced, &err);
	if (!ret && c->log_rel[0])
		ret = pb_result_str(&out->log, c->log_rel, &err);
	if (ret) {
		pb_result_output_clear(out);
		pb_rel_fail_output(c, which, err.msg);
		return;
	}
	out->duration_s = pb_now_s() - t0;
	out->status = PB_STATUS_BUILT;
}

/* A module whose vermagic is not the kernel's would be refused by it: a
 * wrong tree or a stale object got in. */
static int check_vermagic(struct rel_ctx *c, const char *built,
			  struct pb_err *err)
{
	struct pb_output_result *out = &c->res->kmod;
	size_t rl = strlen(c->rel.name);
	char vermagic[512];
	int ret;

	ret = pb_elf_modinfo(built, "vermagic", vermagic, sizeof(vermagic),
			     err);
	if (ret)
		return pb_err_prefix(err, "corrupted probe");
	if (strncmp(vermagic, c->rel.name, rl) != 0 ||
	    (vermagic[rl] != ' ' && vermagic[rl] != '\0'))
		return pb_err_set(err, -EINVAL,
				  "corrupted probe: vermagic '%s' does not "
				  "start with the kernel release %s",
				  vermagic, c->rel.name);
	ret = pb_result_str(&out->vermagic, vermagic, err);
	/* the module's own provenance, kept when a later run only finds
	 * it */
	if (!ret && c->res->compiler.kernel)
		ret = pb_compiler_rec_copy(&out->compiler, &c->res->compiler,
					   err);
	return ret ? -ENOMEM : 0;
}

/* The tree's scripts/sign-file signs the built module in place, in the
 * sandbox, with the hash the kernel's config names. */
static int sign_module(struct rel_ctx *c, const char *copy, const char *in,
		       struct pb_err *err)
{
	struct pb_output_result *out = &c->res->kmod;
	char tool[PATH_MAX], hash[32], ko[PATH_MAX * 2];
	const char *argv[] = {
		tool, hash, c->o->module_sign_key, c->o->module_sign_cert,
		ko,   NULL};
	int status, ret;

	/* the module as make sees it */
	if (pb_path_fmt(ko, sizeof(ko), err, "%s/%s.ko", in, c->o->probe) < 0)
		return err->code;
	if (pb_tree_kconfig(c->kdir, "CONFIG_MODULE_SIG_HASH", hash,
			    sizeof(hash)) < 0)
		return pb_err_set(err, -ENOTSUP,
				  "--module-sign-key: this kernel does not "
				  "check module signatures "
				  "(no CONFIG_MODULE_SIG_HASH)");
	ret = pb_path_join(tool, sizeof(tool), err, c->kdir, "scripts",
			   "sign-file", NULL);
	if (!ret && !pb_is_file(tool))
		ret = pb_err_set(err, -ENOENT,
				 "--module-sign-key: the kernel tree has no "
				 "scripts/sign-file");
	if (!ret)
		ret = run_make(c, argv, copy, 1, &status, err);
	if (!ret)
		ret = pb_result_str(&out->signer, c->o->module_signer, err);
	if (!ret)
		ret = pb_result_str(&out->sig_hash, hash, err);
	return ret ? pb_err_prefix(err, "signing") : 0;
}

/* what KBUILD_BUILD_TIMESTAMP says when no one set it: a fixed date, so
 * that outputs do not depend on when they were built */
#define PB_KBUILD_TIMESTAMP "1970-01-01T00:00:00Z"

void pb_kbuild_kmod(struct rel_ctx *c, const char *name)
{
	char copy[PATH_MAX], in[PATH_MAX], built[PATH_MAX * 2];
	struct pb_err err = {0};
	struct make_cmd m;
	double t0 = pb_now_s();

	if (pb_path_join(copy, sizeof(copy), &err, c->build_dir, "kmod", NULL) <
		    0 ||
	    inside(c, copy, in, sizeof(in), &err) < 0 ||
	    pb_path_fmt(built, sizeof(built), &err, "%s/%s.ko", copy,
			c->o->probe) < 0) {
		pb_rel_fail_output(c, "kmod", err.msg);
		return;
	}
	cmd_start(&m, c, c->kdir, 1);
	/* a clang-built kernel: the LLVM tools throughout, not binutils */
	if (c->cc.path[0] &&
	    strstr(c->res->compiler.kernel ? c->res->compiler.kernel : "",
		   "clang"))
		cmd_add(&m, "LLVM=1");
	cmd_add(&m, "M=%s", in);
	/* A reproducible build: set, it keeps pahole (the modules' .BTF)
	 * from running multi-threaded where that changes its output (pahole
	 * before 1.27, scripts/Makefile.btf); modules take nothing else from
	 * it. One set by the user is kept (the sandbox passes it on). */
	if (!getenv("KBUILD_BUILD_TIMESTAMP"))
		cmd_add(&m, "KBUILD_BUILD_TIMESTAMP=%s", PB_KBUILD_TIMESTAMP);
	cmd_add(&m, "modules");
	cmd_prefix_maps(&m, c, "KCFLAGS",
			c->cc.major >= 8 ? "-ffile-prefix-map"
					 : "-fdebug-prefix-map",
			in);
	if (run_build(c, "kmod", &m) == 0) {
		if (!pb_is_file(built))
			pb_err_set(&err, -ENOENT,
				   "the build made no %s.ko (kbuild's obj-m "
				   "must be $(PROBE_NAME).o, here %s.o)",
				   c->o->probe, c->o->probe);
		else if (check_vermagic(c, built, &err) == 0 &&
			 c->o->module_sign_key)
			sign_module(c, copy, in, &err);
		if (err.code)
			pb_rel_fail_output(c, "kmod", err.msg);
		else
			finish_build(c, "kmod", built, name, t0);
	}
	cmd_free(&m);
}

void pb_kbuild_ebpf(struct rel_ctx *c, const char *name)
{
	char copy[PATH_MAX], in[PATH_MAX], bpfdir[PATH_MAX],
		built[PATH_MAX * 2];
	struct pb_err err = {0};
	struct make_cmd m;
	double t0 = pb_now_s();
	int machine = 0;

	if (pb_path_join(copy, sizeof(copy), &err, c->build_dir, "ebpf", NULL) <
		    0 ||
	    inside(c, copy, in, sizeof(in), &err) < 0 ||
	    pb_path_join(bpfdir, sizeof(bpfdir), &err, in, "bpf", NULL) < 0 ||
	    pb_path_join(built, sizeof(built), &err, copy, "bpf/probe.o",
			 NULL) < 0) {
		pb_rel_fail_output(c, "ebpf", err.msg);
		return;
	}
	cmd_start(&m, c, bpfdir, 0);
	cmd_add(&m, "KERNELDIR=%s", c->kdir);
	cmd_add(&m, "CLANG=%s", c->o->clang);
	cmd_add(&m, "LLC=%s", c->o->llc);
	/* clang knows -ffile-prefix-map whatever gcc the kernel wants */
	cmd_prefix_maps(&m, c, "BPF_EXTRA_CFLAGS", "-ffile-prefix-map", in);
	if (run_build(c, "ebpf", &m) == 0) {
		if (pb_elf_machine(built, &machine, &err))
			pb_err_prefix(&err, "ebpf build");
		else if (machine != EM_BPF)
			pb_err_set(&err, -EINVAL,
				   "ebpf build: bpf/probe.o is an ELF for "
				   "machine %d, not eBPF (247)",
				   machine);
		if (err.code)
			pb_rel_fail_output(c, "ebpf", err.msg);
		else
			finish_build(c, "ebpf", built, name, t0);
	}
	cmd_free(&m);
}
