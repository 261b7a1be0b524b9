/* Verifying one kernel's probes: its image booted under QEMU with an
 * initramfs of ours (the agent as init, the module, the eBPF object), the
 * agent's report read back. */
#ifndef PB_VERIFY_H
#define PB_VERIFY_H

#include "probe-builder/error.h"
#include "probe-builder/plugin.h"
#include "verify/protocol.h"

struct pb_verify_opts {
	size_t sz;
	const char *release; /* uname -r of the kernel */
	const char *image;   /* the package holding boot/vmlinuz-<release> */
	const char *kmod;    /* the module to insert (NULL: none) */
	const char *ebpf;    /* the eBPF object to load (NULL: none) */
	const char *probe;   /* the module's name, to remove it again */
	const char *agent;   /* the static agent (verify/agent.c) */
	const char *workdir; /* for the kernel, the initramfs, the logs */
	const char *accel;
	unsigned mem_mb, timeout_s;
	/* the probe's source: its verify/ dir (smoke.sh and what it needs)
	 * goes into the VM, run under busybox (static); NULL: none */
	const char *source_dir;
	const char *busybox;
	/* the distro's plugin, for where its image packages keep the kernel
	 * (NULL, or without the hook: the usual places) */
	const struct pb_plugin *plugin;
	const char *distro, *arch;
	/* where the kernel's own modules are (image, modules packages) */
	const char *mod_pkgs[8];
	size_t n_mod_pkgs;
};

/* Boots it and fills r. An error of this function (-errno, err filled)
 * is one that kept the VM from being judged: no image in the package, no
 * QEMU; what the kernel refused is in r. */
int pb_verify_kernel(const struct pb_verify_opts *o, struct pb_vres *r,
		     struct pb_err *err);

#endif
