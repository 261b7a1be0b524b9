/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal BPF helper declarations for newswatch.
 *
 * Deliberately self-contained: only the kernel's own headers (the uapi
 * <linux/bpf.h> helper numbering, <linux/version.h>) are used, never the
 * libbpf-dev headers, which are not part of a kernel header tree.
 */
#ifndef NEWSWATCH_BPF_HELPERS_H
#define NEWSWATCH_BPF_HELPERS_H

#include <linux/types.h>
#include <linux/version.h>
#include <uapi/linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* BTF-style map definitions (the layout libbpf >= 0.x/1.x expects in ".maps"). */
#define __uint(name, val) int (*name)[val]
#define __type(name, val) __typeof__(val) *name

/* Helpers are called through their number from the kernel's enum bpf_func_id. */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) =
	(void *)BPF_FUNC_map_lookup_elem;
static __u64 (*bpf_ktime_get_ns)(void) =
	(void *)BPF_FUNC_ktime_get_ns;
static __u64 (*bpf_get_current_pid_tgid)(void) =
	(void *)BPF_FUNC_get_current_pid_tgid;
static long (*bpf_get_current_comm)(void *buf, __u32 size) =
	(void *)BPF_FUNC_get_current_comm;
static long (*bpf_perf_event_output)(void *ctx, void *map, __u64 flags,
				     void *data, __u64 size) =
	(void *)BPF_FUNC_perf_event_output;

/*
 * Kernel memory reads. bpf_probe_read_kernel{,_str} exist since 5.5; older
 * kernels only have bpf_probe_read{,_str} (the _str variant since 4.11).
 * Since the object is built against each kernel's own headers, the choice
 * is made per kernel at build time.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 5, 0)
static long (*nw_read_kernel)(void *dst, __u32 size, const void *src) =
	(void *)BPF_FUNC_probe_read_kernel;
static long (*nw_read_kernel_str)(void *dst, __u32 size, const void *src) =
	(void *)BPF_FUNC_probe_read_kernel_str;
#else
static long (*nw_read_kernel)(void *dst, __u32 size, const void *src) =
	(void *)BPF_FUNC_probe_read;
static long (*nw_read_kernel_str)(void *dst, __u32 size, const void *src) =
	(void *)BPF_FUNC_probe_read_str;
#endif

/* Function arguments from the kprobe context (struct pt_regs of the kernel). */
#if defined(__x86_64__)
#define PT_REGS_PARM1(x) ((x)->di)
#define PT_REGS_PARM2(x) ((x)->si)
#define PT_REGS_PARM3(x) ((x)->dx)
#elif defined(__aarch64__)
#define PT_REGS_PARM1(x) ((x)->regs[0])
#define PT_REGS_PARM2(x) ((x)->regs[1])
#define PT_REGS_PARM3(x) ((x)->regs[2])
#else
#error "newswatch: PT_REGS_PARM* not defined for this architecture"
#endif

#endif /* NEWSWATCH_BPF_HELPERS_H */
