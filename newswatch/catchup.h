/* Catching up: what arrived while newswatch was not running (or while
 * events were lost), every article newer than its group's checkpoint,
 * added to the pending set in arrival order. On the first start (no
 * checkpoint yet) it only notes where the spool is: what is there already
 * is not notified. */
#ifndef NW_CATCHUP_H
#define NW_CATCHUP_H

struct nw_daemon;

void nw_catch_up(struct nw_daemon *d);

#endif
