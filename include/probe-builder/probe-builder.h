/* The probe-builder plugin SDK: include this one header. */
#ifndef PROBE_BUILDER_H
#define PROBE_BUILDER_H

#include "alloc.h"
#include "batch.h"
#include "error.h"
#include "fixup.h"
#include "log.h"
#include "pkgname.h"
#include "plugin.h"
#include "release.h"

#endif
