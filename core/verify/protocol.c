#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify/protocol.h"

const char *pb_vstatus_name(enum pb_vstatus s)
{
	static const char *const names[] = {"", "LOADED", "REFUSED", "SKIPPED"};

	return s <= PB_V_SKIPPED ? names[s] : "";
}

/* src into dst, cut where dst is full: a reason is for reading */
static void cut_copy(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Appends "; text" (or text) to a reason, cut where it is full. */
static void add_why(struct pb_vout *o, const char *text)
{
	size_t l = strlen(o->why);

	if (!text[strspn(text, " \t;")])
		return; /* an empty line of a log says nothing */
	if (l && l + 3 < sizeof(o->why)) {
		memcpy(o->why + l, "; ", 3);
		l += 2;
	}
	if (l + 1 < sizeof(o->why))
		cut_copy(o->why + l, sizeof(o->why) - l, text);
}

static void on_prog(struct pb_vres *r, const char *rest, char *last_prog,
		    size_t len)
{
	char name[128], what[16];
	int n = 0;

	if (sscanf(rest, "%127s %15s %n", name, what, &n) < 2)
		return;
	r->progs++;
	snprintf(last_prog, len, "%s", name);
	if (!strcmp(what, "ATTACHED")) {
		r->loaded++;
		r->attached++;
	} else if (!strcmp(what, "LOADED")) {
		r->loaded++;
	} else if (!strcmp(what, "REFUSED")) {
		char why[600];

		r->refused++;
		r->ebpf.status = PB_V_REFUSED;
		snprintf(why, sizeof(why), "program %s: %s", name, rest + n);
		add_why(&r->ebpf, why);
	}
}

/* One fact. klog and verifier log lines go to the reason of the output
 * being judged when it was refused. */
static void on_line(struct pb_vres *r, const char *l, int *in, char *prog,
		    size_t plen)
{
	if (!strncmp(l, "hello ", 6)) {
		cut_copy(r->release, sizeof(r->release), l + 6);
	} else if (!strcmp(l, "kmod LOADED")) {
		r->kmod.status = PB_V_LOADED;
		*in = 1;
	} else if (!strncmp(l, "kmod REFUSED", 12)) {
		r->kmod.status = PB_V_REFUSED;
		add_why(&r->kmod, l[12] ? l + 13 : "refused");
		*in = 1;
	} else if (!strncmp(l, "klog ", 5) && *in == 1 &&
		   r->kmod.status == PB_V_REFUSED) {
		add_why(&r->kmod, l + 5);
	} else if (!strncmp(l, "ebpf OPENED ", 12)) {
		*in = 2;
	} else if (!strncmp(l, "ebpf REFUSED", 12) ||
		   !strncmp(l, "ebpf SKIPPED", 12)) {
		r->ebpf.status = l[5] == 'R' ? PB_V_REFUSED : PB_V_SKIPPED;
		add_why(&r->ebpf, l[12] ? l + 13 : "");
		*in = 2;
	} else if (!strncmp(l, "prog ", 5)) {
		on_prog(r, l + 5, prog, plen);
	} else if (!strncmp(l, "log ", 4) && *in == 2 &&
		   r->ebpf.status == PB_V_REFUSED) {
		add_why(&r->ebpf, l + 4);
	} else if (!strcmp(l, "smoke PASSED")) {
		r->smoke.status = PB_V_LOADED;
		*in = 3;
	} else if (!strncmp(l, "smoke FAILED", 12) ||
		   !strncmp(l, "smoke SKIPPED", 13)) {
		char why[64];

		r->smoke.status = l[6] == 'F' ? PB_V_REFUSED : PB_V_SKIPPED;
		snprintf(why, sizeof(why), "its smoke test exited with %.20s",
			 l + 13);
		add_why(&r->smoke, l[6] == 'F' ? why : l + 14);
		*in = 3;
	} else if (!strncmp(l, "smoke-log ", 10) && *in == 3 &&
		   r->smoke.status != PB_V_LOADED &&
		   strlen(r->smoke.why) < 400) {
		add_why(&r->smoke, l + 10);
	} else if (!strcmp(l, "end")) {
		r->ended = 1;
	}
}

void pb_verify_parse(const char *text, struct pb_vres *r)
{
	char line[1024], prog[128] = "";
	const char *p = text, *start;
	int in = 0;

	memset(r, 0, sizeof(*r));
	while (p && *p) {
		size_t n = strcspn(p, "\n");

		/* the console may have written before it on the line */
		start = strstr(p, "PBV1 ");
		if (start && start < p + n) {
			size_t k = (size_t)(p + n - start) - 5;

			if (k >= sizeof(line))
				k = sizeof(line) - 1;
			memcpy(line, start + 5, k);
			line[k] = '\0';
			line[strcspn(line, "\r")] = '\0';
			on_line(r, line, &in, prog, sizeof(prog));
		}
		p += n;
		if (*p)
			p++;
	}
	if (r->ebpf.status == PB_V_NONE && r->progs) {
		r->ebpf.status = PB_V_LOADED;
		snprintf(r->ebpf.why, sizeof(r->ebpf.why),
			 "%u program%s loaded, %u attached", r->loaded,
			 r->loaded == 1 ? "" : "s", r->attached);
	}
}
