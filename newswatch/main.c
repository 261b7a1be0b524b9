/* newswatch: a webhook notification for every new article in INN's spool.
 *
 * Events (eBPF probe built per kernel by probe-builder, or fanotify) name
 * files created under the spool; an article (a numeric name under the
 * group hierarchy) is read once complete, parsed, rendered, and queued on
 * disk; a deliverer thread POSTs the queue in order, with retries. The
 * checkpoint lets a restart catch up on what arrived meanwhile; the sent
 * list keeps every article to one notification.
 *
 * This file: the command line, the setup, and the loop that waits for
 * signals, events and the settle timer (daemon.h says where the rest is). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "bpfwatch.h"
#include "catchup.h"
#include "daemon.h"
#include "deliver.h"
#include "fanwatch.h"
#include "log.h"
#include "probe-builder/alloc.h"

struct options {
	const char *conf, *backend;
	int foreground, check, verbose;
};

/* The backend events come from: the eBPF probe, else fanotify */
struct watch {
	struct nw_fanwatch fw;
	struct nw_bpfwatch *bw;
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: newswatch [OPTION]...\n"
		   "Post a webhook notification for every new article in INN's "
		   "spool.\n\n"
		   "  -c, --config FILE   the configuration (default: "
		   "/etc/newswatch/newswatch.conf)\n"
		   "  -f, --foreground    stay in the foreground (systemd, "
		   "tests)\n"
		   "      --check-config  check the configuration, print it, "
		   "exit\n"
		   "      --backend B     auto, bpf or fanotify (overrides the "
		   "file)\n"
		   "  -v, --verbose       debug messages too\n"
		   "  -h, --help          this help\n"
		   "      --version       the version\n\n"
		   "See newswatch(8).\n");
}

/* -1 to go on with o filled, else the exit code (help, version, usage) */
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"foreground", no_argument, NULL, 'f'},
		{"check-config", no_argument, NULL, 'C'},
		{"backend", required_argument, NULL, 'B'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	int opt;

	memset(o, 0, sizeof(*o));
	o->conf = "/etc/newswatch/newswatch.conf";
	while ((opt = getopt_long(argc, argv, "c:fvh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			o->conf = optarg;
			break;
		case 'f':
			o->foreground = 1;
			break;
		case 'C':
			o->check = 1;
			break;
		case 'B':
			o->backend = optarg;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("newswatch %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	return -1;
}

/* The file, --backend over it, checked: 0, or a negative errno (said) */
static int configure(const struct options *o, struct nw_config *cfg)
{
	struct pb_err err = {0};
	int ret = nw_config_load(o->conf, cfg, &err);

	if (!ret && o->backend) {
		free(cfg->backend);
		cfg->backend = pb_strdup(o->backend, &err);
		if (!cfg->backend)
			ret = -ENOMEM;
	}
	if (!ret)
		ret = nw_config_check(cfg, &err);
	if (ret < 0)
		nw_log(NW_ERR, "%s", err.msg);
	return ret;
}

/* The state directory: the queue and the checkpoint (0, or said) */
static int open_state(struct nw_daemon *d)
{
	struct pb_err err = {0};
	int ret = nw_queue_open(d->cfg.state_dir, &d->q, &err);

	if (!ret)
		ret = nw_checkpoint_open(d->cfg.state_dir, &d->cp, &err);
	if (ret < 0)
		nw_log(NW_ERR, "%s", err.msg);
	return ret;
}

/* Signals and the settle timer, as file descriptors: the loop stays
 * simple (0, or said) */
static int event_fds(int *sfd, int *tfd)
{
	struct itimerspec its = {{0, 50000000}, {0, 50000000}};
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	*sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	*tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (*sfd < 0 || *tfd < 0 || timerfd_settime(*tfd, 0, &its, NULL) < 0) {
		nw_log(NW_ERR, "signalfd/timerfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The eBPF probe as the backend says, else fanotify (0, or said) */
static int watch_open(const struct nw_config *cfg, struct watch *w)
{
	struct pb_err err = {0};

	if (strcmp(cfg->backend, "fanotify")) {
		if (nw_bpfwatch_open(cfg, &w->bw, &err) == 0) {
			nw_log(NW_INFO, "watching %s with the eBPF probe (%s)",
			       cfg->spool, nw_bpfwatch_object(w->bw));
			return 0;
		}
		if (!strcmp(cfg->backend, "bpf")) {
			nw_log(NW_ERR, "eBPF: %s", err.msg);
			return err.code;
		}
		nw_log(NW_WARN,
		       "eBPF unavailable (%s): falling back to fanotify",
		       err.msg);
	}
	if (nw_fanwatch_open(cfg->spool, &w->fw, &err) < 0) {
		nw_log(NW_ERR, "%s", err.msg);
		return err.code;
	}
	nw_log(NW_INFO, "watching %s with fanotify", cfg->spool);
	return 0;
}

static void watch_read(struct nw_daemon *d, struct watch *w)
{
	if (w->bw)
		nw_bpfwatch_read(w->bw, nw_pending_add, d);
	else
		nw_fanwatch_read(&w->fw, nw_pending_add, d);
	if (w->fw.overflow) {
		nw_log(NW_WARN, "fanotify lost events: rescanning the spool");
		w->fw.overflow = 0;
		nw_catch_up(d);
	}
}

/* 1 to go on, 0 to stop */
static int on_signal(struct nw_daemon *d, int sfd)
{
	struct signalfd_siginfo si;

	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		si.ssi_signo = 0;
	if (si.ssi_signo == SIGHUP) {
		nw_log(NW_INFO, "SIGHUP: rescanning the spool");
		nw_catch_up(d);
	} else if (si.ssi_signo) {
		nw_log(NW_INFO,
		       "signal %u: stopping (%zu queued, kept for the next "
		       "start)",
		       si.ssi_signo, nw_queue_pending(d->q));
		return 0;
	}
	return 1;
}

/* Until a signal stops it: 0, or 1 when poll fails */
static int run(struct nw_daemon *d, struct watch *w, int sfd, int tfd)
{
	uint64_t ticks;

	for (;;) {
		struct pollfd pfd[3] = {
			{sfd, POLLIN, 0},
			{tfd, POLLIN, 0},
			{w->bw ? nw_bpfwatch_fd(w->bw) : w->fw.fd, POLLIN, 0}};

		if (poll(pfd, 3, -1) < 0 && errno != EINTR)
			return 1;
		if (pfd[0].revents && !on_signal(d, sfd))
			return 0;
		if (pfd[2].revents)
			watch_read(d, w);
		if (pfd[1].revents) {
			if (read(tfd, &ticks, sizeof(ticks)) < 0)
				ticks = 0;
			nw_pending_settle(d);
		}
	}
}

int main(int argc, char **argv)
{
	struct options o;
	struct watch w = {{-1, -1, 0}, NULL};
	int rc = parse_args(argc, argv, &o), sfd = -1, tfd = -1, have_thr = 0;
	struct nw_daemon d;
	pthread_t thr;

	if (rc >= 0)
		return rc; /* help, version, or a bad option */
	rc = 1;
	memset(&d, 0, sizeof(d));
	nw_log_init(o.verbose);
	if (configure(&o, &d.cfg) < 0)
		goto out;
	if (o.check) {
		nw_config_print(&d.cfg);
		printf("# %s: OK\n", o.conf);
		rc = 0;
		goto out;
	}
	if (!o.foreground && daemon(0, 1) < 0) {
		nw_log(NW_ERR, "cannot go to the background: %s",
		       strerror(errno));
		goto out;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* the watch first, then the catch-up: nothing falls in between */
	if (open_state(&d) < 0 || event_fds(&sfd, &tfd) < 0 ||
	    watch_open(&d.cfg, &w) < 0)
		goto out;
	if (pthread_create(&thr, NULL, nw_deliverer, &d) != 0) {
		nw_log(NW_ERR, "cannot start the deliverer");
		goto out;
	}
	have_thr = 1;
	nw_catch_up(&d);
	rc = run(&d, &w, sfd, tfd);
out:
	if (have_thr) {
		nw_queue_stop(d.q);
		pthread_join(thr, NULL);
	}
	nw_fanwatch_close(&w.fw);
	nw_bpfwatch_close(w.bw);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	nw_pending_free(&d.pending);
	nw_checkpoint_close(d.cp);
	nw_queue_close(d.q);
	nw_config_free(&d.cfg);
	return rc;
}
