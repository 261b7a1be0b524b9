/* Helpers shared by the repository index tests (see indexutil.h). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "indexutil.h"
#include "testutil.h"

/* ------------------------------------------------------------ records */

/* counts the record; -ECANCELED at g->stop_at */
static int counted(struct pbt_got *g)
{
	g->n++;
	if (g->stop_at && g->n == g->stop_at)
		return -ECANCELED;
	return 0;
}

int pbt_collect(const struct pb_pkg_rec *r, void *ctx)
{
	struct pbt_got *g = ctx;

	assert_null(r->base);
	if (g->n < PBT_N_OF(g->rec))
		snprintf(g->rec[g->n], sizeof(g->rec[0]), "%s|%s|%s|%s|%lld|%s",
			 r->name, r->version, r->arch, r->location,
			 (long long)r->size, r->sha256);
	return counted(g);
}

int pbt_collect_base(const struct pb_pkg_rec *r, void *ctx)
{
	struct pbt_got *g = ctx;

	if (g->n < PBT_N_OF(g->rec))
		snprintf(g->rec[g->n], sizeof(g->rec[0]),
			 "%s|%s|%s|%s|%s|%lld|%s", r->name, r->version, r->arch,
			 r->location, r->base ? r->base : "-",
			 (long long)r->size, r->sha256);
	return counted(g);
}

void pbt_expect_recs(const struct pbt_got *g, const char *const *want, size_t n)
{
	if (g->n != n) {
		for (size_t i = 0; i < g->n && i < PBT_N_OF(g->rec); i++)
			print_message("got %s\n", g->rec[i]);
		fail_msg("%zu records, expected %zu", g->n, n);
	}
	for (size_t i = 0; i < n; i++)
		assert_string_equal(g->rec[i], want[i]);
}

void pbt_expect_stats(const struct pb_index_stats *st, size_t records,
		      size_t matched, size_t skipped)
{
	if (st->records != records || st->matched != matched ||
	    st->skipped != skipped)
		fail_msg("stats %zu/%zu/%zu, expected %zu/%zu/%zu", st->records,
			 st->matched, st->skipped, records, matched, skipped);
}

void pbt_expect_error_naming(const struct pb_err *err, int ret,
			     const char *path)
{
	assert_true(ret < 0);
	assert_int_equal(err->code, ret);
	if (!strstr(err->msg, path))
		fail_msg("the message does not name %s: %s", path, err->msg);
}

/* ----------------------------------------------------------- listener */

static void *watch(void *arg)
{
	struct pbt_listener *l = arg;

	while (!__atomic_load_n(&l->stop, __ATOMIC_SEQ_CST)) {
		struct pollfd pf = {.fd = l->fd, .events = POLLIN};
		int c;

		if (poll(&pf, 1, 20) <= 0)
			continue;
		/* counted before it leaves the queue: never unseen */
		__atomic_add_fetch(&l->knocks, 1, __ATOMIC_SEQ_CST);
		c = accept(l->fd, NULL, NULL);
		if (c >= 0)
			close(c);
	}
	return NULL;
}

int pbt_listener_start(struct pbt_listener *l)
{
	struct sockaddr_in sa = {0};
	socklen_t len = sizeof(sa);

	l->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (l->fd < 0)
		return -1;
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(l->fd, 8) < 0 ||
	    getsockname(l->fd, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	l->port = ntohs(sa.sin_port);
	if (pthread_create(&l->watcher, NULL, watch, l) != 0)
		return -1;
	l->watching = 1;
	return 0;
}

void pbt_listener_stop(struct pbt_listener *l)
{
	if (l->watching) {
		__atomic_store_n(&l->stop, 1, __ATOMIC_SEQ_CST);
		pthread_join(l->watcher, NULL);
		l->watching = 0;
	}
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

void pbt_expect_no_connection(struct pbt_listener *l)
{
	struct pollfd pf = {.fd = l->fd, .events = POLLIN};
	int knocks = __atomic_load_n(&l->knocks, __ATOMIC_SEQ_CST);

	if (knocks || poll(&pf, 1, 0) > 0)
		fail_msg("the parser connected to 127.0.0.1:%d", l->port);
}

_Static_assert(offsetof(struct pbt_net_fx, tmp) == 0, "pbt_fx_new makes tmp");

int pbt_net_fx_setup(void **state)
{
	struct pbt_net_fx *fx = pbt_fx_new(sizeof(*fx), "rpm");

	if (!fx)
		return -1;
	*state = fx;
	return pbt_listener_start(&fx->net);
}

int pbt_net_fx_teardown(void **state)
{
	struct pbt_net_fx *fx = *state;

	pbt_listener_stop(&fx->net);
	return pbt_fx_teardown(state);
}
