/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Layout of the records newswatch's eBPF program writes to the "nw_events"
 * perf event array, and of the single "nw_config" array entry. Shared with
 * any future user-space reader; fixed-size fields, no implicit padding.
 */
#ifndef NEWSWATCH_EVENT_H
#define NEWSWATCH_EVENT_H

#define NEWSWATCH_COMM_LEN 16	/* TASK_COMM_LEN */
#define NEWSWATCH_NAME_LEN 128	/* created file name, NUL-terminated, truncated */
#define NEWSWATCH_DEFAULT_COMM "innd"

struct newswatch_event {
	__u64 ts_ns;			/* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
	__u32 pid;			/* thread group id (user-space PID) */
	__u32 tid;			/* thread id */
	char comm[NEWSWATCH_COMM_LEN];	/* creating task */
	char name[NEWSWATCH_NAME_LEN];	/* name of the created dentry */
};

/*
 * nw_config[0]: task name to watch. An all-zero entry (the state after the
 * map is created) means NEWSWATCH_DEFAULT_COMM.
 */
struct newswatch_config {
	char comm[NEWSWATCH_COMM_LEN];
};

#endif /* NEWSWATCH_EVENT_H */
