/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * newswatch: what the eBPF program (probe.c) and user space share.
 *
 * Self-contained: include it from the eBPF program (built against a
 * kernel's headers, __KERNEL__ defined) or from an ordinary C program
 * (<stdint.h> types). Fixed-size fields, explicit padding, the same layout
 * on the BPF target and on 64-bit hosts (checked below).
 *
 *   nw_events   one struct newswatch_event per file creation
 *               (BPF ring buffer on kernels >= 5.8, perf event array below)
 *   nw_config   array, 1 entry: struct newswatch_config (set at load time)
 *   nw_stats    array, 1 entry: struct newswatch_stats (counters)
 */
#ifndef NEWSWATCH_EVENT_H
#define NEWSWATCH_EVENT_H

#ifdef __KERNEL__
#include <linux/types.h>	/* uint8_t ... uint64_t in kernel context too */
#else
#include <stdint.h>
#endif

/* Build-time depth of the path walk (make NEWSWATCH_DEPTH=N, 1..32). */
#ifndef NEWSWATCH_DEPTH
#define NEWSWATCH_DEPTH 8
#endif
#define NEWSWATCH_MAX_DEPTH 32
#if NEWSWATCH_DEPTH < 1 || NEWSWATCH_DEPTH > NEWSWATCH_MAX_DEPTH
#error "NEWSWATCH_DEPTH must be between 1 and 32"
#endif

#define NEWSWATCH_EVENT_MAGIC 0x5357454eu	/* "NEWS" in memory on little-endian */
#define NEWSWATCH_EVENT_VERSION 1

#define NEWSWATCH_COMM_LEN 16	/* TASK_COMM_LEN */
#define NEWSWATCH_NAME_LEN 128	/* one path component, NUL-terminated */
#define NEWSWATCH_DEFAULT_COMM "innd"

/* newswatch_event.hooks: which kprobes saw this creation */
#define NEWSWATCH_HOOK_SECURITY_INODE_CREATE 0x1
#define NEWSWATCH_HOOK_VFS_CREATE 0x2

/* newswatch_event.flags */
#define NEWSWATCH_F_TRUNCATED 0x1	/* depth reached before the root */
#define NEWSWATCH_F_NAME_TRUNCATED 0x2	/* a component was >= NEWSWATCH_NAME_LEN bytes */
#define NEWSWATCH_F_READ_ERROR 0x4	/* a kernel read failed: the walk stopped there */

/*
 * One file creation. comps[0] is the new file's name, comps[1] the
 * directory holding it, and so on up towards the root of the filesystem
 * holding the file (d_parent does not cross mount points: the root's own
 * name is not included). The path is comps[ncomps-1]/.../comps[1]/comps[0]
 * relative to that filesystem's root, whose device is dev; it is complete
 * unless NEWSWATCH_F_TRUNCATED is set. Slots from ncomps on are all zero.
 *
 * The size of comps depends on the NEWSWATCH_DEPTH the object was built
 * with. A reader that does not know it uses depth, name_len and size:
 * component i starts at NEWSWATCH_EVENT_COMP_OFFSET + i * name_len.
 */
struct newswatch_event {
	uint32_t magic;		/* NEWSWATCH_EVENT_MAGIC */
	uint16_t version;	/* NEWSWATCH_EVENT_VERSION */
	uint16_t size;		/* sizeof(struct newswatch_event) in this build */
	uint64_t ts_ns;		/* bpf_ktime_get_ns(): CLOCK_MONOTONIC, ns */
	uint32_t pid;		/* thread id (kernel pid, gettid()) */
	uint32_t tgid;		/* process id (kernel tgid, getpid()) */
	uint32_t dev;		/* kernel dev_t of the filesystem: major = dev >> 20,
				   minor = dev & 0xfffff */
	uint16_t hooks;		/* NEWSWATCH_HOOK_* */
	uint16_t flags;		/* NEWSWATCH_F_* */
	char comm[NEWSWATCH_COMM_LEN];	/* creating task's name */
	uint16_t depth;		/* NEWSWATCH_DEPTH of the build: slots in comps */
	uint16_t ncomps;	/* components filled, 0..depth */
	uint16_t name_len;	/* NEWSWATCH_NAME_LEN */
	uint16_t reserved;	/* 0 */
	char comps[NEWSWATCH_DEPTH][NEWSWATCH_NAME_LEN];
};

#define NEWSWATCH_EVENT_COMP_OFFSET 56
#define NEWSWATCH_EVENT_SIZE(depth) \
	(NEWSWATCH_EVENT_COMP_OFFSET + (depth) * NEWSWATCH_NAME_LEN)

/*
 * nw_config[0], written by the loader before or after attaching. All zero
 * (the map's state after creation) means: watch "innd", emit from
 * security_inode_create.
 */
struct newswatch_config {
	char comm[NEWSWATCH_COMM_LEN];	/* task name to watch, NUL-padded;
					   comm[0] == 0 means "innd" */
	uint32_t flags;			/* NEWSWATCH_CFG_* */
	uint32_t reserved;		/* 0 */
} __attribute__((aligned(8)));

/*
 * Set by a loader that could not attach kprobe/security_inode_create
 * (e.g. a kernel built without CONFIG_SECURITY): vfs_create then emits the
 * events itself and the security_inode_create program does nothing.
 */
#define NEWSWATCH_CFG_VFS_CREATE_EMITS 0x1

/* nw_stats[0]: counters, updated atomically by the programs */
struct newswatch_stats {
	uint64_t events;	/* events handed to nw_events */
	uint64_t drops;		/* events lost: buffer full or output error */
};

/*
 * What the object was built with, in its ELF section "newswatch" (one
 * struct, NEWSWATCH_BUILD_SECTION). libbpf skips that section: it is for
 * loaders that check an object before loading it (read it with libelf, or
 * llvm-objcopy --dump-section newswatch=FILE).
 */
#define NEWSWATCH_BUILD_SECTION "newswatch"
#define NEWSWATCH_BUILD_RINGBUF 0x1	/* nw_events is a BPF ring buffer (else perf array) */
#define NEWSWATCH_BUILD_LOOP 0x2	/* bounded-loop walk (else unrolled) */

struct newswatch_build_info {
	uint32_t magic;			/* NEWSWATCH_EVENT_MAGIC */
	uint16_t version;		/* NEWSWATCH_EVENT_VERSION */
	uint16_t event_size;		/* sizeof(struct newswatch_event) */
	uint16_t depth;			/* NEWSWATCH_DEPTH */
	uint16_t name_len;		/* NEWSWATCH_NAME_LEN */
	uint16_t flags;			/* NEWSWATCH_BUILD_* */
	uint16_t vfs_create_arg;	/* 2 or 3: vfs_create's dentry argument */
	uint32_t linux_version_code;	/* LINUX_VERSION_CODE built against */
	uint32_t reserved;		/* 0 */
};

_Static_assert(sizeof(struct newswatch_build_info) == 24, "newswatch_build_info layout");
_Static_assert(__builtin_offsetof(struct newswatch_event, comps) ==
		       NEWSWATCH_EVENT_COMP_OFFSET,
	       "newswatch_event header layout");
_Static_assert(sizeof(struct newswatch_event) ==
		       NEWSWATCH_EVENT_SIZE(NEWSWATCH_DEPTH),
	       "newswatch_event has no tail padding");
_Static_assert(sizeof(struct newswatch_event) <= 0xffff,
	       "newswatch_event.size is 16 bits");
_Static_assert(sizeof(struct newswatch_config) == 24, "newswatch_config layout");
_Static_assert(sizeof(struct newswatch_stats) == 16, "newswatch_stats layout");

#endif /* NEWSWATCH_EVENT_H */
