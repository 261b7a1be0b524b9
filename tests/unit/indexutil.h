/* Helpers shared by the repository index tests (APT and RPM): a record
 * collector for the parsers' callbacks, checks of what it saw and of the
 * parse statistics, and a loopback listener that nobody may reach (for
 * the external entities an XML parser must not fetch). */
#ifndef PB_INDEXUTIL_H
#define PB_INDEXUTIL_H

#include <pthread.h>
#include <stddef.h>

#include "repo/index.h"
#include "testutil.h"

/* checksums of nothing in particular, the same in every index test */
#define PBT_SHA_A \
	"2a40c463e108b1ea3abf2e16e38eb9e27b237693b974b862adde73873c7d85c1"
#define PBT_SHA_B \
	"845e73df261d3b13eb58310dd073e125791bf0a5feedae627beb16718b866b12"
#define PBT_SHA_B_UPPER \
	"845E73DF261D3B13EB58310DD073E125791BF0A5FEEDAE627BEB16718B866B12"
#define PBT_SHA_C \
	"53745ae74d05bccf6783400fa98f3932b21729ab9d2e86151aa2c331c3455178"

/* the records a collector saw (the first 32), as text */
struct pbt_got {
	size_t n;
	size_t stop_at; /* return -ECANCELED from that record (1-based) */
	char rec[32][640];
};

/* pb_pkg_rec callbacks; ctx is a struct pbt_got. pbt_collect: records as
 * "name|version|arch|location|size|sha256", and none may have a base
 * (APT has none); pbt_collect_base (RPM): as
 * "name|version|arch|location|base|size|sha256", base "-" when none. */
int pbt_collect(const struct pb_pkg_rec *r, void *ctx);
int pbt_collect_base(const struct pb_pkg_rec *r, void *ctx);
/* the collector saw exactly these n records, in this order */
void pbt_expect_recs(const struct pbt_got *g, const char *const *want,
		     size_t n);
void pbt_expect_stats(const struct pb_index_stats *st, size_t records,
		      size_t matched, size_t skipped);
/* ret is an error, err carries it and its message names path */
void pbt_expect_error_naming(const struct pb_err *err, int ret,
			     const char *path);

/* A loopback listener: a watcher thread counts and closes the connections
 * it gets, so that a parser that fetched would fail at once instead of
 * waiting for an answer. */
struct pbt_listener {
	int fd;
	int port;
	pthread_t watcher;
	int watching;
	int stop;   /* __atomic */
	int knocks; /* __atomic */
};

/* 0, or -1 when it cannot listen (what it took is freed by the stop) */
int pbt_listener_start(struct pbt_listener *l);
void pbt_listener_stop(struct pbt_listener *l);
/* fails the test when anybody knocked on the listener */
void pbt_expect_no_connection(struct pbt_listener *l);

/* The RPM tests' fixture: a scratch dir (first: pbt_fx_new makes it) and
 * a listener nobody may reach (the external entities of the hostile
 * documents point at it); cmocka setup and teardown. */
struct pbt_net_fx {
	char tmp[PBT_TMP_MAX];
	struct pbt_listener net;
};
int pbt_net_fx_setup(void **state);
int pbt_net_fx_teardown(void **state);

#endif
