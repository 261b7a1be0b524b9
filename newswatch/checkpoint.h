/* The checkpoint, in the state directory: "<group> <number>" of the last
 * article taken per group, so that a start catches up on what arrived
 * while newswatch was down. Used by the main thread only. */
#ifndef NW_CHECKPOINT_H
#define NW_CHECKPOINT_H

#include "probe-builder/error.h"

struct nw_checkpoint;

/* Reads dir/checkpoint when there is one (none: an empty checkpoint that
 * does not exist yet). 0, or a negative errno with err filled. */
int nw_checkpoint_open(const char *dir, struct nw_checkpoint **out,
		       struct pb_err *err);
void nw_checkpoint_close(struct nw_checkpoint *c);

/* Whether there is one yet (a file read or saved). */
int nw_checkpoint_exists(const struct nw_checkpoint *c);
/* A group's number (0: none). */
unsigned long nw_checkpoint_get(const struct nw_checkpoint *c,
				const char *group);
/* A new number for group, kept only when higher, and written (atomically)
 * once the checkpoint exists: 0, or a negative errno with err filled. */
int nw_checkpoint_set(struct nw_checkpoint *c, const char *group,
		      unsigned long number, struct pb_err *err);
/* Writes the file even when empty (the first start). */
int nw_checkpoint_save(struct nw_checkpoint *c, struct pb_err *err);

#endif
