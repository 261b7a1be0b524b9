/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal BPF helper declarations for newswatch.
 *
 * Deliberately self-contained: only the kernel's own headers (the uapi
 * <linux/bpf.h> helper numbering, <linux/version.h>) are used, never the
 * libbpf-dev headers, which are not part of a kernel header tree.
 *
 * Also decides, from the LINUX_VERSION_CODE of the kernel the object is
 * built for, which output and which walk the program uses:
 *   NW_USE_RINGBUF  1 on >= 5.8 (BPF_MAP_TYPE_RINGBUF), else perf event array
 *   NW_USE_LOOP     1 on >= 5.3 (bounded loops), else a macro-unrolled walk
 * NEWSWATCH_OUTPUT=perf and NEWSWATCH_WALK=unrolled (make variables) force
 * the older variants on newer kernels, to build and load them there; the
 * newer variants cannot be forced onto kernels that lack them.
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

/* ---- output and walk variants ------------------------------------------- */

#define NW_OUTPUT_AUTO 0
#define NW_OUTPUT_PERF 1
#define NW_WALK_AUTO 0
#define NW_WALK_UNROLLED 1

#ifndef NW_FORCE_OUTPUT
#define NW_FORCE_OUTPUT NW_OUTPUT_AUTO
#endif
#ifndef NW_FORCE_WALK
#define NW_FORCE_WALK NW_WALK_AUTO
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 8, 0) && NW_FORCE_OUTPUT == NW_OUTPUT_AUTO
#define NW_USE_RINGBUF 1
#else
#define NW_USE_RINGBUF 0
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 3, 0) && NW_FORCE_WALK == NW_WALK_AUTO
#define NW_USE_LOOP 1
#else
#define NW_USE_LOOP 0
#endif

/* LRU hash maps exist since 4.10 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(4, 10, 0)
#define NW_INFLIGHT_MAP_TYPE BPF_MAP_TYPE_LRU_HASH
#else
#define NW_INFLIGHT_MAP_TYPE BPF_MAP_TYPE_HASH
#endif

/* ---- helpers, called through their number from enum bpf_func_id ---------- */

static void *(*bpf_map_lookup_elem)(void *map, const void *key) =
	(void *)BPF_FUNC_map_lookup_elem;
static long (*bpf_map_update_elem)(void *map, const void *key,
				   const void *value, __u64 flags) =
	(void *)BPF_FUNC_map_update_elem;
static long (*bpf_map_delete_elem)(void *map, const void *key) =
	(void *)BPF_FUNC_map_delete_elem;
static __u64 (*bpf_ktime_get_ns)(void) =
	(void *)BPF_FUNC_ktime_get_ns;
static __u64 (*bpf_get_current_pid_tgid)(void) =
	(void *)BPF_FUNC_get_current_pid_tgid;
static long (*bpf_get_current_comm)(void *buf, __u32 size) =
	(void *)BPF_FUNC_get_current_comm;

#if NW_USE_RINGBUF
static void *(*bpf_ringbuf_reserve)(void *ringbuf, __u64 size, __u64 flags) =
	(void *)BPF_FUNC_ringbuf_reserve;
static void (*bpf_ringbuf_submit)(void *data, __u64 flags) =
	(void *)BPF_FUNC_ringbuf_submit;
#else
static long (*bpf_perf_event_output)(void *ctx, void *map, __u64 flags,
				     void *data, __u64 size) =
	(void *)BPF_FUNC_perf_event_output;
#endif

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
