/* Run control: what a run does so that it can be interrupted, killed and
 * run again, and share an output dir with other runs: the SIGINT/SIGTERM
 * flag, flock(2) locks that name their holder, the cleanup of what a
 * crashed run left behind. */
#ifndef PB_RUNCTL_H
#define PB_RUNCTL_H

#include <signal.h>
#include <stddef.h>

#include "probe-builder/error.h"

/* The signal (SIGINT or SIGTERM) that asked the run to stop, or 0. */
extern volatile sig_atomic_t pb_stop_signal;

/* Catches SIGINT and SIGTERM into pb_stop_signal, without SA_RESTART so
 * that a blocking wait returns EINTR. */
int pb_signals_install(struct pb_err *err);
/* Back to the default actions (a forked worker). */
void pb_signals_default(void);

/* This machine's name as it goes into temp and lock files: no '/', never
 * empty. */
void pb_hostname(char *buf, size_t len);

struct pb_lock {
	int fd;
};

/* Takes an exclusive flock on path (created). When wait is 0 and another
 * process holds it, fails with -EWOULDBLOCK and a message naming what the
 * holder wrote in the file (pid, host, start time); what names the locked
 * thing in that message. A wait interrupted by SIGINT/SIGTERM is -EINTR.
 * Once taken, the file says who holds it. */
int pb_lock_take(const char *path, const char *what, int wait,
		 struct pb_lock *l, struct pb_err *err);
void pb_lock_release(struct pb_lock *l);

/* Removes, in dir and (depth > 0) its subdirectories, the temp files of
 * pb_write_file_atomic() made on this host by a process that is gone, and
 * empty `.part` files. Returns how many were removed. */
int pb_clean_leftovers(const char *dir, int depth);

/* 0 when a file can be created in dir; else a message naming it. */
int pb_dir_writable(const char *dir, const char *what, struct pb_err *err);

#endif
