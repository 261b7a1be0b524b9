// SPDX-License-Identifier: GPL-2.0
/*
 * newswatch eBPF program (legacy, non-CO-RE: built against the headers of
 * the kernel it will run on, so every version-dependent choice below is made
 * at compile time from that kernel's LINUX_VERSION_CODE).
 *
 * Two kprobes report file creations by the watched task (nw_config[0].comm,
 * "innd" when unset) as one struct newswatch_event each (newswatch_event.h):
 *
 *   kprobe/security_inode_create  security_inode_create(dir, dentry, mode):
 *                                 every creation that passed the permission
 *                                 checks, open(O_CREAT) included. Emits.
 *   kprobe/vfs_create             vfs_create(...): mknod(2), nfsd, overlayfs,
 *                                 ... It calls security_inode_create itself,
 *                                 so by default it only marks the task as
 *                                 "inside vfs_create for this dentry" in
 *                                 nw_inflight; security_inode_create then
 *                                 emits once, with both hook bits. With
 *                                 NEWSWATCH_CFG_VFS_CREATE_EMITS (loader could
 *                                 not attach security_inode_create) it emits.
 *
 * The event carries the path components walked up from the new dentry
 * (d_parent) to the filesystem's root, at most NEWSWATCH_DEPTH of them.
 */
#include <linux/ptrace.h>
#include <linux/dcache.h>
#include <linux/fs.h>

#include "helpers.h"
#include "newswatch_event.h"

/*
 * The dentry argument of vfs_create:
 *   < 5.12  vfs_create(struct inode *dir, struct dentry *, umode_t, bool)
 *   5.12    vfs_create(struct user_namespace *, struct inode *, struct dentry *, ...)
 *   6.3     vfs_create(struct mnt_idmap *, struct inode *, struct dentry *, ...)
 * A kernel that backported the change can be built with
 * NEWSWATCH_VFS_CREATE_ARG=2|3; the prototype in this kernel's <linux/fs.h>
 * is checked against the choice, so a wrong one fails the build instead of
 * reading the wrong register.
 */
#ifndef NEWSWATCH_VFS_CREATE_ARG
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 12, 0)
#define NEWSWATCH_VFS_CREATE_ARG 3
#else
#define NEWSWATCH_VFS_CREATE_ARG 2
#endif
#endif

struct user_namespace;
struct mnt_idmap;
typedef int nw_vfs_create_arg2_t(struct inode *, struct dentry *, umode_t, bool);
typedef int nw_vfs_create_userns_t(struct user_namespace *, struct inode *,
				   struct dentry *, umode_t, bool);
typedef int nw_vfs_create_idmap_t(struct mnt_idmap *, struct inode *,
				  struct dentry *, umode_t, bool);
#define NW_VFS_CREATE_IS(t) __builtin_types_compatible_p(__typeof__(vfs_create), t)

#if NEWSWATCH_VFS_CREATE_ARG == 3
#define NW_VFS_CREATE_DENTRY(ctx) PT_REGS_PARM3(ctx)
_Static_assert(!NW_VFS_CREATE_IS(nw_vfs_create_arg2_t),
	       "this kernel's vfs_create takes the dentry 2nd: build with NEWSWATCH_VFS_CREATE_ARG=2");
#elif NEWSWATCH_VFS_CREATE_ARG == 2
#define NW_VFS_CREATE_DENTRY(ctx) PT_REGS_PARM2(ctx)
_Static_assert(!NW_VFS_CREATE_IS(nw_vfs_create_userns_t) &&
		       !NW_VFS_CREATE_IS(nw_vfs_create_idmap_t),
	       "this kernel's vfs_create takes the dentry 3rd: build with NEWSWATCH_VFS_CREATE_ARG=3");
#else
#error "NEWSWATCH_VFS_CREATE_ARG must be 2 or 3"
#endif

/* ---- maps ---------------------------------------------------------------- */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct newswatch_config);
} nw_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct newswatch_stats);
} nw_stats SEC(".maps");

/* pid_tgid of a task inside vfs_create -> the dentry it is creating */
struct {
	__uint(type, NW_INFLIGHT_MAP_TYPE);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} nw_inflight SEC(".maps");

#if NW_USE_RINGBUF
/* 1 MiB (about 970 events of the default size); the loader may resize it. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} nw_events SEC(".maps");
#else
/* max_entries left at 0: the loader sizes it to the number of CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} nw_events SEC(".maps");

/* the event is too big for the 512-byte stack: built here, then copied out */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct newswatch_event);
} nw_scratch SEC(".maps");
#endif

/* ---- process-name filter -------------------------------------------------- */

/* A task name as two 64-bit words: compared without a loop. */
union nw_comm {
	char c[NEWSWATCH_COMM_LEN];
	__u64 w[NEWSWATCH_COMM_LEN / 8];
};

/*
 * 1 when the current task's comm is the watched one. bpf_get_current_comm
 * pads with NULs (strncpy, later strscpy_pad), and the configured name is
 * NUL-padded too, so equal names are equal words.
 */
static __always_inline int nw_watched(union nw_comm *cur, __u32 *cfg_flags)
{
	union nw_comm want = { .c = NEWSWATCH_DEFAULT_COMM };
	const struct newswatch_config *cfg;
	__u32 key = 0;

	*cfg_flags = 0;
	cfg = bpf_map_lookup_elem(&nw_config, &key);
	if (cfg) {
		const __u64 *w = (const __u64 *)cfg->comm;

		*cfg_flags = cfg->flags;
		if (cfg->comm[0] != '\0') {
			want.w[0] = w[0];
			want.w[1] = w[1];
		}
	}
	/* into the stack, which every verifier accepts for this helper */
	if (bpf_get_current_comm(cur->c, sizeof(cur->c)) != 0)
		return 0;
	return cur->w[0] == want.w[0] && cur->w[1] == want.w[1];
}

/* ---- the path walk -------------------------------------------------------- */

struct nw_walk {
	const struct dentry *d;	/* next dentry to name */
	__u16 n;		/* components filled */
	__u16 flags;		/* NEWSWATCH_F_* */
	int done;		/* root reached or read error */
};

/*
 * Slot i: clears it, then, unless the walk is over, names w->d there and
 * moves to its parent. The root (d == d->d_parent) ends the walk unnamed.
 */
static __always_inline void nw_walk_step(struct newswatch_event *ev,
					 struct nw_walk *w, int i)
{
	const struct dentry *parent = NULL;
	struct qstr q = {};

	__builtin_memset(ev->comps[i], 0, NEWSWATCH_NAME_LEN);
	if (w->done)
		return;
	if (nw_read_kernel(&parent, sizeof(parent), &w->d->d_parent) != 0 ||
	    !parent) {
		w->flags |= NEWSWATCH_F_READ_ERROR;
		w->done = 1;
		return;
	}
	if (parent == w->d) {
		w->done = 1;
		return;
	}
	if (nw_read_kernel(&q, sizeof(q), &w->d->d_name) != 0 || !q.name ||
	    nw_read_kernel_str(ev->comps[i], NEWSWATCH_NAME_LEN, q.name) < 0) {
		w->flags |= NEWSWATCH_F_READ_ERROR;
		w->done = 1;
		return;
	}
	if (q.len >= NEWSWATCH_NAME_LEN)
		w->flags |= NEWSWATCH_F_NAME_TRUNCATED;
	w->n = i + 1;
	w->d = parent;
}

#if !NW_USE_LOOP
/* Kernels before 5.3 refuse any back edge: one copy of the step per slot. */
#define NW_STEP(i)                                     \
	do {                                           \
		if ((i) < NEWSWATCH_DEPTH)             \
			nw_walk_step(ev, &w, (i));     \
	} while (0)
#define NW_STEP4(i) NW_STEP(i); NW_STEP((i) + 1); NW_STEP((i) + 2); NW_STEP((i) + 3)
#endif

static __always_inline void nw_fill(struct newswatch_event *ev,
				    const struct dentry *dentry,
				    const union nw_comm *comm, __u16 hooks)
{
	struct nw_walk w = { .d = dentry };
	struct super_block *sb = NULL;
	__u64 id = bpf_get_current_pid_tgid();

	ev->magic = NEWSWATCH_EVENT_MAGIC;
	ev->version = NEWSWATCH_EVENT_VERSION;
	ev->size = sizeof(*ev);
	ev->ts_ns = bpf_ktime_get_ns();
	ev->pid = (__u32)id;
	ev->tgid = id >> 32;
	ev->dev = 0;
	if (nw_read_kernel(&sb, sizeof(sb), &dentry->d_sb) == 0 && sb)
		nw_read_kernel(&ev->dev, sizeof(ev->dev), &sb->s_dev);
	ev->hooks = hooks;
	__builtin_memcpy(ev->comm, comm->c, sizeof(ev->comm));
	ev->depth = NEWSWATCH_DEPTH;
	ev->name_len = NEWSWATCH_NAME_LEN;
	ev->reserved = 0;

#if NW_USE_LOOP
	{
		int i;

		/* a real loop (bounded: the verifier of >= 5.3 walks it) */
#pragma clang loop unroll(disable)
		for (i = 0; i < NEWSWATCH_DEPTH; i++)
			nw_walk_step(ev, &w, i);
	}
#else
	NW_STEP4(0); NW_STEP4(4); NW_STEP4(8); NW_STEP4(12);
	NW_STEP4(16); NW_STEP4(20); NW_STEP4(24); NW_STEP4(28);
#endif

	/* all slots used: truncated unless the last parent is the root */
	if (!w.done) {
		const struct dentry *parent = NULL;

		if (nw_read_kernel(&parent, sizeof(parent), &w.d->d_parent) != 0)
			w.flags |= NEWSWATCH_F_READ_ERROR;
		else if (parent != w.d)
			w.flags |= NEWSWATCH_F_TRUNCATED;
	}
	ev->ncomps = w.n;
	ev->flags = w.flags;
}

static __always_inline void nw_count(int dropped)
{
	struct newswatch_stats *st;
	__u32 key = 0;

	st = bpf_map_lookup_elem(&nw_stats, &key);
	if (!st)
		return;
	if (dropped)
		__sync_fetch_and_add(&st->drops, 1);
	else
		__sync_fetch_and_add(&st->events, 1);
}

static __always_inline int nw_emit(struct pt_regs *ctx,
				   const struct dentry *dentry,
				   const union nw_comm *comm, __u16 hooks)
{
	struct newswatch_event *ev;

#if NW_USE_RINGBUF
	ev = bpf_ringbuf_reserve(&nw_events, sizeof(*ev), 0);
	if (!ev) {
		nw_count(1);
		return 0;
	}
	nw_fill(ev, dentry, comm, hooks);
	bpf_ringbuf_submit(ev, 0);
	nw_count(0);
#else
	__u32 key = 0;

	ev = bpf_map_lookup_elem(&nw_scratch, &key);
	if (!ev)
		return 0;
	nw_fill(ev, dentry, comm, hooks);
	nw_count(bpf_perf_event_output(ctx, &nw_events, BPF_F_CURRENT_CPU, ev,
				       sizeof(*ev)) != 0);
#endif
	return 0;
}

/* ---- programs -------------------------------------------------------------- */

SEC("kprobe/security_inode_create")
int nw_sec_create(struct pt_regs *ctx)
{
	const struct dentry *dentry = (const struct dentry *)PT_REGS_PARM2(ctx);
	__u16 hooks = NEWSWATCH_HOOK_SECURITY_INODE_CREATE;
	union nw_comm comm = {};
	__u64 id, *inflight;
	__u32 cfg_flags;

	if (!nw_watched(&comm, &cfg_flags))
		return 0;
	if (cfg_flags & NEWSWATCH_CFG_VFS_CREATE_EMITS)
		return 0;	/* vfs_create reports, this one must not */
	if (!dentry)
		return 0;

	/*
	 * Called from vfs_create for this very dentry? Then one event says
	 * both. The entry is dropped whatever it holds: one left by a
	 * vfs_create that failed before getting here only loses its bit.
	 */
	id = bpf_get_current_pid_tgid();
	inflight = bpf_map_lookup_elem(&nw_inflight, &id);
	if (inflight) {
		if (*inflight == (__u64)(unsigned long)dentry)
			hooks |= NEWSWATCH_HOOK_VFS_CREATE;
		bpf_map_delete_elem(&nw_inflight, &id);
	}
	return nw_emit(ctx, dentry, &comm, hooks);
}

SEC("kprobe/vfs_create")
int nw_vfs_create(struct pt_regs *ctx)
{
	const struct dentry *dentry =
		(const struct dentry *)NW_VFS_CREATE_DENTRY(ctx);
	union nw_comm comm = {};
	__u64 id, val;
	__u32 cfg_flags;

	if (!nw_watched(&comm, &cfg_flags) || !dentry)
		return 0;
	if (cfg_flags & NEWSWATCH_CFG_VFS_CREATE_EMITS)
		return nw_emit(ctx, dentry, &comm, NEWSWATCH_HOOK_VFS_CREATE);

	id = bpf_get_current_pid_tgid();
	val = (__u64)(unsigned long)dentry;
	bpf_map_update_elem(&nw_inflight, &id, &val, BPF_ANY);
	return 0;
}

/* For loaders, not for the kernel: see struct newswatch_build_info. */
const struct newswatch_build_info _newswatch_build SEC(NEWSWATCH_BUILD_SECTION) = {
	.magic = NEWSWATCH_EVENT_MAGIC,
	.version = NEWSWATCH_EVENT_VERSION,
	.event_size = sizeof(struct newswatch_event),
	.depth = NEWSWATCH_DEPTH,
	.name_len = NEWSWATCH_NAME_LEN,
	.flags = (NW_USE_RINGBUF ? NEWSWATCH_BUILD_RINGBUF : 0) |
		 (NW_USE_LOOP ? NEWSWATCH_BUILD_LOOP : 0),
	.vfs_create_arg = NEWSWATCH_VFS_CREATE_ARG,
	.linux_version_code = LINUX_VERSION_CODE,
};

char _license[] SEC("license") = "GPL";
/* Needed by kernels < 5.0 to load kprobe programs; ignored by newer ones. */
__u32 _version SEC("version") = LINUX_VERSION_CODE;
