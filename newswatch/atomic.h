/* Files of the state directory that are whole or not there at all. */
#ifndef NW_ATOMIC_H
#define NW_ATOMIC_H

/* Writes a then b (either may be NULL) into dir/name through a temporary
 * file, fsync'd, renamed into place, the directory synced: 0, or a negative
 * errno (nothing left behind). */
int nw_write_atomic(const char *dir, const char *name, const char *a,
		    const char *b);

#endif
