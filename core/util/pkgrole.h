/* A package's role (enum pb_pkg_role) as plans and manifests spell it. */
#ifndef PB_UTIL_PKGROLE_H
#define PB_UTIL_PKGROLE_H

#include <string.h>

#include "probe-builder/batch.h"

static inline const char *pb_pkg_role_name(enum pb_pkg_role role)
{
	return role == PB_PKG_CONFIG ? "config"
	       : role == PB_PKG_BOOT ? "boot"
				     : "tree";
}

/* NULL or a name not known: a tree package, as before roles had names */
static inline enum pb_pkg_role pb_pkg_role_from(const char *name)
{
	if (name && !strcmp(name, "config"))
		return PB_PKG_CONFIG;
	if (name && !strcmp(name, "boot"))
		return PB_PKG_BOOT;
	return PB_PKG_TREE;
}

#endif
