/* One QEMU machine: a kernel, an initramfs, two serial ports (the
 * console, and the agent's results), a memory size and a time limit. */
#ifndef PB_VERIFY_VM_H
#define PB_VERIFY_VM_H

#include "probe-builder/error.h"

struct pb_vm_opts {
	size_t sz;
	const char *kernel;  /* the bzImage */
	const char *initrd;  /* newc cpio */
	const char *console; /* file for ttyS0 */
	const char *results; /* file for ttyS1 */
	const char *log;     /* QEMU's own messages */
	const char *accel;   /* "tcg" or "kvm" */
	unsigned mem_mb;
	unsigned timeout_s;
};

/* Boots it and waits for it to power off (or for the time limit, when it
 * is killed: *timed_out 1). -ENOENT when QEMU is not installed. */
int pb_vm_run(const struct pb_vm_opts *o, int *timed_out, struct pb_err *err);

#endif
