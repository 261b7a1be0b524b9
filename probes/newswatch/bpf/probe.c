// SPDX-License-Identifier: GPL-2.0
/*
 * newswatch eBPF program (legacy, non-CO-RE: built against the headers of
 * the kernel it will run on).
 *
 * kprobe on security_inode_create(struct inode *dir, struct dentry *dentry,
 * umode_t mode): when the current task's comm equals the watched name
 * (nw_config[0], "innd" when unset), emit a struct newswatch_event to the
 * nw_events perf event array.
 */
#include <linux/ptrace.h>
#include <linux/dcache.h>

#include "helpers.h"
#include "newswatch_event.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct newswatch_config);
} nw_config SEC(".maps");

/* max_entries left at 0: the loader sizes it to the number of CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} nw_events SEC(".maps");

/* Compare two NUL-terminated task names of at most NEWSWATCH_COMM_LEN bytes. */
static __always_inline int nw_comm_equal(const char *a, const char *b)
{
	int i;

#pragma unroll
	for (i = 0; i < NEWSWATCH_COMM_LEN; i++) {
		if (a[i] != b[i])
			return 0;
		if (a[i] == '\0')
			return 1;
	}
	return 1;
}

SEC("kprobe/security_inode_create")
int newswatch_inode_create(struct pt_regs *ctx)
{
	struct newswatch_event ev = {};
	const struct newswatch_config *cfg;
	const struct dentry *dentry;
	const unsigned char *name = NULL;
	__u32 key = 0;
	__u64 id;

	if (bpf_get_current_comm(ev.comm, sizeof(ev.comm)) != 0)
		return 0;

	/*
	 * The default is compared against the literal directly (its bytes end
	 * up as immediates): no .rodata section, which old kernels could not
	 * load as a global-data map.
	 */
	cfg = bpf_map_lookup_elem(&nw_config, &key);
	if (cfg && cfg->comm[0] != '\0') {
		if (!nw_comm_equal(ev.comm, cfg->comm))
			return 0;
	} else if (!nw_comm_equal(ev.comm, NEWSWATCH_DEFAULT_COMM)) {
		return 0;
	}

	id = bpf_get_current_pid_tgid();
	ev.ts_ns = bpf_ktime_get_ns();
	ev.pid = id >> 32;
	ev.tid = (__u32)id;

	dentry = (const struct dentry *)PT_REGS_PARM2(ctx);
	if (nw_read_kernel(&name, sizeof(name), &dentry->d_name.name) == 0 && name)
		nw_read_kernel_str(ev.name, sizeof(ev.name), name);

	bpf_perf_event_output(ctx, &nw_events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
	return 0;
}

char _license[] SEC("license") = "GPL";
/* Needed by kernels < 5.0 to load kprobe programs; ignored by newer ones. */
__u32 _version SEC("version") = LINUX_VERSION_CODE;
