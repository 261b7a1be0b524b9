/* What the in-VM agent (verify/agent.c) says on the VM's second serial
 * port, read back: one "PBV1 <fact>" line each (version 1 of the
 * protocol; other lines, a console's noise, are ignored). */
#ifndef PB_VERIFY_PROTOCOL_H
#define PB_VERIFY_PROTOCOL_H

#include <stddef.h>

enum pb_vstatus { PB_V_NONE = 0, PB_V_LOADED, PB_V_REFUSED, PB_V_SKIPPED };

struct pb_vout {
	enum pb_vstatus status;
	char why[768]; /* REFUSED, SKIPPED: the reason; LOADED: a summary */
};

struct pb_vres {
	char release[256]; /* the kernel that booted (uname -r) */
	struct pb_vout kmod, ebpf, smoke; /* smoke: LOADED is passed */
	unsigned progs, loaded, attached, refused;
	int ended; /* the agent said "end": it ran to its end */
};

/* "LOADED", "REFUSED", "SKIPPED" ("" for NONE). */
const char *pb_vstatus_name(enum pb_vstatus s);

/* Reads the agent's lines in text (NUL-terminated) into r. Never fails: a
 * VM that died half-way leaves what it said, and ended 0. */
void pb_verify_parse(const char *text, struct pb_vres *r);

#endif
