// SPDX-License-Identifier: GPL-2.0
/*
 * newswatch - count file creations done by a news server (INN's innd by
 * default) by putting a kprobe on security_inode_create().
 *
 * Module parameters:
 *   comm      (string, read-only after load)  task name to watch, default "innd"
 *   creations (ulong-ish, read-only)          number of matching creations seen
 *
 * If the kprobe cannot be registered (symbol missing, kprobes disabled,
 * blacklisted...), the module still loads and only warns; creations then
 * stays at 0.
 *
 * Only long-stable kernel APIs are used so that the same source builds
 * without warnings on 4.x up to 6.12.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/atomic.h>

#ifndef NEWSWATCH_VERSION
#define NEWSWATCH_VERSION "0.1.0"
#endif

#define NEWSWATCH_SYMBOL "security_inode_create"

static char comm[TASK_COMM_LEN] = "innd";
module_param_string(comm, comm, sizeof(comm), 0444);
MODULE_PARM_DESC(comm, "Task name (comm) whose file creations are counted (default: innd)");

static atomic_long_t creations = ATOMIC_LONG_INIT(0);

static int creations_set(const char *val, const struct kernel_param *kp)
{
	/* Read-only counter: refuse "creations=N" on the insmod command line. */
	return -EPERM;
}

static int creations_get(char *buffer, const struct kernel_param *kp)
{
	return scnprintf(buffer, PAGE_SIZE, "%ld\n", atomic_long_read(&creations));
}

static const struct kernel_param_ops creations_ops = {
	.set = creations_set,
	.get = creations_get,
};
module_param_cb(creations, &creations_ops, NULL, 0444);
MODULE_PARM_DESC(creations, "Number of inode creations seen for the watched comm (read-only)");

static int newswatch_pre(struct kprobe *p, struct pt_regs *regs)
{
	char cur[TASK_COMM_LEN];

	/*
	 * current->comm is always NUL-terminated; copy it so that a concurrent
	 * rename cannot change it under strncmp().
	 */
	memcpy(cur, current->comm, sizeof(cur));
	cur[sizeof(cur) - 1] = '\0';

	if (strncmp(cur, comm, sizeof(cur)) == 0)
		atomic_long_inc(&creations);

	return 0;
}

static struct kprobe newswatch_kp = {
	.symbol_name = NEWSWATCH_SYMBOL,
	.pre_handler = newswatch_pre,
};

static bool newswatch_registered;

static int __init newswatch_init(void)
{
	int ret;

	ret = register_kprobe(&newswatch_kp);
	if (ret < 0) {
		pr_warn("cannot register kprobe on %s (%d), counting disabled\n",
			NEWSWATCH_SYMBOL, ret);
		return 0;
	}

	newswatch_registered = true;
	pr_info("version %s watching creations by \"%s\" via %s\n",
		NEWSWATCH_VERSION, comm, NEWSWATCH_SYMBOL);
	return 0;
}

static void __exit newswatch_exit(void)
{
	if (newswatch_registered)
		unregister_kprobe(&newswatch_kp);

	pr_info("unloaded, %ld creations seen\n", atomic_long_read(&creations));
}

module_init(newswatch_init);
module_exit(newswatch_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Count file creations by a news server (kprobe on security_inode_create)");
MODULE_VERSION(NEWSWATCH_VERSION);
