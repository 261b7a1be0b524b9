#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli/progress.h"
#include "util/clock.h"

unsigned pb_progress_width(void)
{
	struct winsize ws;

	if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

void pb_progress_line(const char *fmt, ...)
{
	char line[1024];
	unsigned w = pb_progress_width();
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* one column short of the width: a full line makes some terminals
	 * wrap the cursor onto the next one */
	if (w > 1 && strlen(line) > w - 1)
		line[w - 1] = '\0';
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
}

void pb_progress_clear(void)
{
	fprintf(stderr, "\r\033[K");
	fflush(stderr);
}

void pb_fmt_bytes(char *buf, size_t len, double b)
{
	if (b >= 1024.0 * 1024 * 1024)
		snprintf(buf, len, "%.1f GiB", b / (1024.0 * 1024 * 1024));
	else if (b >= 1024.0 * 1024)
		snprintf(buf, len, "%.1f MiB", b / (1024.0 * 1024));
	else
		snprintf(buf, len, "%.0f KiB", b / 1024.0);
}

void pb_progress_fetch(const struct pb_fetch_event *ev, void *data)
{
	const struct pb_fetch_progress *p = ev->progress;
	struct pb_fetch_meter *m = data;
	char done[32], total[32], rate[32] = "-", eta[32] = "-";
	double t = pb_now_s(), dt, r;

	if (ev->type == PB_FETCH_EV_START) {
		/* each run's rate from its own start: the crawl's phases and
		 * the download are runs of one fetcher */
		memset(m, 0, sizeof(*m));
		return;
	}
	if (ev->type == PB_FETCH_EV_CLEAR) {
		pb_progress_clear();
		return;
	}
	if (m->t0 == 0) {
		m->t0 = t;
		m->bytes0 = p->bytes_done;
	}
	dt = t - m->t0;
	/* the rate of this run's transfers, not of what the cache had */
	r = dt > 0.5 ? (double)(p->bytes_done - m->bytes0) / dt : 0;
	pb_fmt_bytes(done, sizeof(done), (double)p->bytes_done);
	pb_fmt_bytes(total, sizeof(total), (double)p->bytes_total);
	if (r > 0) {
		double left = (double)(p->bytes_total - p->bytes_done) / r;

		pb_fmt_bytes(rate, sizeof(rate), r);
		strcat(rate, "/s");
		if (left >= 0 && left < 360000)
			snprintf(eta, sizeof(eta), "%d:%02d:%02d",
				 (int)left / 3600, (int)left / 60 % 60,
				 (int)left % 60);
	}
	pb_progress_line("downloading: %zu/%zu files%s, %s of %s, %s, ETA %s",
			 p->files_done, p->files_total,
			 p->files_failed ? " (some failed)" : "", done, total,
			 rate, eta);
}

void pb_progress_build(const struct pb_build_progress *p, void *data)
{
	char line[512];
	size_t i, len;
	long el;

	(void)data;
	if (!p) {
		pb_progress_clear();
		return;
	}
	el = (long)p->elapsed_s;
	len = (size_t)snprintf(line, sizeof(line), "%ld:%02ld [%zu/%zu] ",
			       el / 60, el % 60, p->done, p->total);
	if (p->dl_total > p->dl_done)
		len += (size_t)snprintf(line + len, sizeof(line) - len,
					"fetching %zu/%zu files, %lld MB; ",
					p->dl_done, p->dl_total,
					p->dl_bytes / 1000000);
	len += (size_t)snprintf(line + len, sizeof(line) - len, "building:");
	for (i = 0; i < p->n_running && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, " %s",
					p->running[i]);
	pb_progress_line("%s", line);
}
