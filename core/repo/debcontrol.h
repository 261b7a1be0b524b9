/* The control file of a local .deb: what its index stanza would say. */
#ifndef PB_DEBCONTROL_H
#define PB_DEBCONTROL_H

#include "probe-builder/error.h"

/* The value of field (e.g. "Depends") in the control file of the .deb at
 * path, in *out (malloc'd; NULL when the package has no such field).
 * Continuation lines are joined with a space. */
int pb_deb_control_field(const char *path, const char *field, char **out,
			 struct pb_err *err);

#endif
