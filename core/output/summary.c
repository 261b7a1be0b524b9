#include "config.h"

#include <string.h>

#include "output/summary.h"

/* The kernel as the summary names it: its release, and when another
 * kernel of the run has the same release name (Ubuntu's jammy and focal
 * HWE 5.15.0-139-generic), its series or package version too. */
static void kernel_name(const struct pb_release_result *r, size_t n, size_t i,
			char *buf, size_t len)
{
	const char *rel = r[i].release ? r[i].release : "?";
	size_t k;
	int twin = 0;

	for (k = 0; k < n && !twin; k++)
		twin = k != i && r[k].release && strcmp(r[k].release, rel) == 0;
	if (!twin)
		snprintf(buf, len, "%s", rel);
	else if (r[i].n_series > 0)
		snprintf(buf, len, "%s(%s)", rel, r[i].series[0]);
	else
		snprintf(buf, len, "%s(%s)", rel,
			 r[i].version ? r[i].version : "");
}

static void print_failure(FILE *f, const struct pb_release_result *r,
			  const char *name)
{
	const char *ke = r->kmod.error, *be = r->ebpf.error;

	fprintf(f, "  %s:\n", name);
	if (ke && be && strcmp(ke, be) == 0) {
		fprintf(f, "    %s\n", ke);
	} else {
		if (ke)
			fprintf(f, "    kmod: %s\n", ke);
		if (be)
			fprintf(f, "    ebpf: %s\n", be);
		if (!ke && !be && r->error)
			fprintf(f, "    %s\n", r->error);
	}
	if (r->log)
		fprintf(f, "    log: %s\n", r->log);
}

static const char *cell(enum pb_status s)
{
	return s == PB_STATUS_NONE ? "?" : pb_status_name(s);
}

size_t pb_summary_print(FILE *f, const struct pb_release_result *r, size_t n)
{
	char name[512];
	size_t i, w = 6, failed = 0, count[PB_N_STATUS] = {0};
	int verified = 0;

	for (i = 0; i < n; i++) {
		kernel_name(r, n, i, name, sizeof(name));
		if (strlen(name) > w)
			w = strlen(name);
	}
	for (i = 0; i < n && !verified; i++)
		verified = r[i].verify_cell != NULL;
	fprintf(f, "%-*s  %-8s  %-8s%s\n", (int)w, "KERNEL", "KMOD", "EBPF",
		verified ? "  VERIFY (kmod/ebpf/smoke)" : "");
	for (i = 0; i < n; i++) {
		kernel_name(r, n, i, name, sizeof(name));
		fprintf(f, "%-*s  %-8s  %-8s%s%s\n", (int)w, name,
			cell(r[i].kmod.status), cell(r[i].ebpf.status),
			verified ? "  " : "",
			verified ? (r[i].verify_cell ? r[i].verify_cell : "-")
				 : "");
		count[r[i].status]++;
	}
	for (i = 0; i < n; i++) {
		if (r[i].status != PB_STATUS_FAILED)
			continue;
		if (!failed++)
			fprintf(f, "\nFailures (logs are in the output "
				   "dir):\n");
		kernel_name(r, n, i, name, sizeof(name));
		print_failure(f, &r[i], name);
	}
	fprintf(f,
		"\n%zu kernel%s: %zu built, %zu existing, %zu skipped, %zu "
		"failed\n",
		n, n == 1 ? "" : "s", count[PB_STATUS_BUILT],
		count[PB_STATUS_EXISTING], count[PB_STATUS_SKIPPED],
		count[PB_STATUS_FAILED]);
	return failed;
}
