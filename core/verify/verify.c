#include "config.h"

/* One kernel: its image out of its package, an initramfs, a VM, the
 * agent's report. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/unpack.h"
#include "probe-builder/alloc.h"
#include "probe-builder/pkgname.h"
#include "util/fs.h"
#include "util/path.h"
#include "verify/initramfs.h"
#include "verify/modules.h"
#include "verify/verify.h"
#include "verify/vm.h"

struct image_want {
	char debian[PATH_MAX]; /* boot/vmlinuz-<release> */
	char rpm[PATH_MAX];    /* lib/modules/<release>/vmlinuz */
	char config[PATH_MAX]; /* boot/config-<release>, for the smoke test */
};

static int keep_image(const char *rel, void *data)
{
	const struct image_want *w = data;

	return !strcmp(rel, w->debian) || !strcmp(rel, w->rpm) ||
	       !strcmp(rel, w->config);
}

/* The kernel image into workdir; its path in out. */
static int extract_image(const struct pb_verify_opts *o, char *out, size_t len,
			 struct pb_err *err)
{
	struct image_want w;
	int fd, ret;

	if (o->plugin && PB_PLUGIN_HAS(o->plugin, boot_image) &&
	    o->plugin->boot_image) {
		struct pb_release rel = {.sz = sizeof(rel),
					 .distro = o->distro,
					 .name = o->release,
					 .arch = o->arch};

		/* where the plugin says (and the RPM place below) */
		ret = o->plugin->boot_image(&rel, pb_basename(o->image),
					    w.debian, sizeof(w.debian), err);
		if (ret)
			return ret;
	} else {
		ret = pb_path_fmt(w.debian, sizeof(w.debian), err,
				  "boot/vmlinuz-%s", o->release);
	}
	if (!ret)
		ret = pb_path_fmt(w.rpm, sizeof(w.rpm), err,
				  "lib/modules/%s/vmlinuz", o->release);
	if (!ret)
		ret = pb_path_fmt(w.config, sizeof(w.config), err,
				  "boot/config-%s", o->release);
	if (ret)
		return ret;
	fd = open(o->workdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return pb_err_set(err, -errno, "%s: %s", o->workdir,
				  strerror(errno));
	ret = pb_unpack_members_at(o->image, fd, keep_image, &w, NULL, err);
	close(fd);
	if (ret)
		return ret;
	if (pb_path_join(out, len, err, o->workdir, w.debian, NULL) == 0 &&
	    pb_is_file(out))
		return 0;
	if (pb_path_join(out, len, err, o->workdir, w.rpm, NULL) == 0 &&
	    pb_is_file(out))
		return 0;
	return pb_err_set(err, -ENOENT, "%s holds no %s nor %s", o->image,
			  w.debian, w.rpm);
}

/* What the smoke test needs: busybox, the kernel's config where a host
 * has it, the probe's verify/ dir. */
static int add_smoke(const struct pb_verify_opts *o, struct pb_cpio_list *l,
		     struct pb_err *err)
{
	char dir[PATH_MAX], cfg[PATH_MAX], in[PATH_MAX];

	if (!o->source_dir ||
	    pb_path_join(dir, sizeof(dir), NULL, o->source_dir, "verify",
			 NULL) ||
	    !pb_is_dir(dir))
		return 0;
	pb_cpio_add(l, "bin", NULL, NULL, 0755);
	if (o->busybox)
		pb_cpio_add(l, "bin/busybox", o->busybox, NULL, 0755);
	if (pb_path_fmt(cfg, sizeof(cfg), NULL, "%s/boot/config-%s", o->workdir,
			o->release) == 0 &&
	    pb_path_fmt(in, sizeof(in), NULL, "boot/config-%s", o->release) ==
		    0 &&
	    pb_is_file(cfg)) {
		pb_cpio_add(l, "boot", NULL, NULL, 0755);
		pb_cpio_add(l, in, cfg, NULL, 0644);
	}
	return pb_cpio_add_tree(l, "pb/verify", dir, err);
}

/* The initramfs: the agent as init, the probe's outputs, the kernel's
 * modules the module needs (mods, in load order) and their list, the
 * smoke test. */
static int make_initrd(const struct pb_verify_opts *o, const char *kmod,
		       char *const *mods, size_t n_mods, const char *path,
		       struct pb_err *err)
{
	static const char *const dirs[] = {"proc", "sys", "dev", "pb",
					   "pb/mods"};
	struct pb_cpio_list l = {0};
	char name[256], in[160], deps[8192] = "";
	size_t i;
	int ret;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		pb_cpio_add(&l, dirs[i], NULL, NULL, 0755);
	pb_cpio_add(&l, "init", o->agent, NULL, 0755);
	for (i = 0; i < n_mods; i++) {
		char mn[128];

		pb_vmod_name(mods[i], mn, sizeof(mn));
		snprintf(in, sizeof(in), "pb/mods/%s.ko", mn);
		pb_cpio_add(&l, in, mods[i], NULL, 0644);
		if (strlen(deps) + strlen(in) + 3 < sizeof(deps))
			sprintf(deps + strlen(deps), "/%s\n", in);
	}
	pb_cpio_add(&l, "pb/deps", NULL, deps, 0644);
	snprintf(name, sizeof(name), "%s\n", o->probe);
	pb_cpio_add(&l, "pb/probe.name", NULL, name, 0644);
	if (kmod)
		pb_cpio_add(&l, "pb/probe.ko", kmod, NULL, 0644);
	if (o->ebpf)
		pb_cpio_add(&l, "pb/probe.o", o->ebpf, NULL, 0644);
	ret = add_smoke(o, &l, err);
	if (!ret)
		ret = pb_cpio_list_write(path, &l, err);
	pb_cpio_list_free(&l);
	return ret;
}

/* The last line of a file that says something, for a VM that died. */
static void last_line(const char *path, char *out, size_t len)
{
	char *data = NULL, *p, *end;

	out[0] = '\0';
	if (pb_read_file(path, &data, NULL, NULL))
		return;
	end = data + strlen(data);
	while (end > data && (end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	p = strrchr(data, '\n');
	snprintf(out, len, "%s", p ? p + 1 : data);
	free(data);
}

static void not_ended(struct pb_vres *r, const char *console, int timed_out,
		      unsigned secs)
{
	char last[256], why[600];
	struct pb_vout *o[] = {&r->kmod, &r->ebpf};
	size_t i;

	last_line(console, last, sizeof(last));
	snprintf(why, sizeof(why), "the VM %s before the agent was done%s%s",
		 timed_out ? "timed out" : "stopped",
		 last[0] ? "; its console's last line: " : "", last);
	(void)secs;
	for (i = 0; i < 2; i++)
		if (o[i]->status == PB_V_NONE || o[i]->status == PB_V_LOADED) {
			o[i]->status = PB_V_REFUSED;
			snprintf(o[i]->why, sizeof(o[i]->why), "%s", why);
		}
}

int pb_verify_kernel(const struct pb_verify_opts *o, struct pb_vres *r,
		     struct pb_err *err)
{
	char kernel[PATH_MAX], initrd[PATH_MAX], con[PATH_MAX], res[PATH_MAX],
		log[PATH_MAX], *text = NULL;
	struct pb_vm_opts vm = {.sz = sizeof(vm)};
	struct pb_err why = {0};
	const char *kmod = o->kmod;
	char **mods = NULL;
	size_t n_mods = 0;
	int timed_out = 0, ret;

	memset(r, 0, sizeof(*r));
	ret = pb_mkdir_p(o->workdir, err);
	if (!ret)
		ret = extract_image(o, kernel, sizeof(kernel), err);
	if (!ret)
		ret = pb_path_join(initrd, sizeof(initrd), err, o->workdir,
				   "initrd.cpio", NULL) ||
		      pb_path_join(con, sizeof(con), err, o->workdir,
				   "console.log", NULL) ||
		      pb_path_join(res, sizeof(res), err, o->workdir,
				   "results.txt", NULL) ||
		      pb_path_join(log, sizeof(log), err, o->workdir,
				   "qemu.log", NULL);
	if (!ret && o->kmod &&
	    pb_vmods_resolve(o->n_mod_pkgs ? o->mod_pkgs : &o->image,
			     o->n_mod_pkgs ? o->n_mod_pkgs : 1, o->release,
			     o->kmod, o->workdir, &mods, &n_mods, &why) < 0)
		kmod = NULL; /* the eBPF object can still be judged */
	if (!ret)
		ret = make_initrd(o, kmod, mods, n_mods, initrd, err);
	pb_vmods_free(mods, n_mods);
	if (ret)
		return err->code ? err->code : ret;
	unlink(res);
	vm.kernel = kernel;
	vm.initrd = initrd;
	vm.console = con;
	vm.results = res;
	vm.log = log;
	vm.accel = o->accel;
	vm.mem_mb = o->mem_mb;
	vm.timeout_s = o->timeout_s;
	ret = pb_vm_run(&vm, &timed_out, err);
	if (ret)
		return ret;
	if (pb_read_file(res, &text, NULL, NULL) == 0) {
		pb_verify_parse(text, r);
		free(text);
	}
	if (!r->ended)
		not_ended(r, con, timed_out, o->timeout_s);
	if (!o->kmod) {
		r->kmod.status = PB_V_NONE;
	} else if (!kmod) {
		r->kmod.status = PB_V_SKIPPED;
		snprintf(r->kmod.why, sizeof(r->kmod.why), "%.700s", why.msg);
	}
	if (!o->ebpf)
		r->ebpf.status = PB_V_NONE;
	return 0;
}
