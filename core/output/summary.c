#include "config.h"

#include <string.h>

#include "output/status.h"
#include "output/summary.h"

static const char *str(json_object *o, const char *k1, const char *k2)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k1, &v))
		return NULL;
	if (k2 && !json_object_object_get_ex(v, k2, &v))
		return NULL;
	return json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : NULL;
}

/* The kernel as the summary names it: its release, and when another
 * kernel of the run has the same release name (Ubuntu's jammy and focal
 * HWE 5.15.0-139-generic), its series or package version too. */
static void kernel_name(json_object *results, size_t i, char *buf, size_t len)
{
	json_object *e = json_object_array_get_idx(results, i), *s;
	const char *rel = str(e, "release", NULL),
		   *ver = str(e, "version", NULL);
	size_t n = json_object_array_length(results), k;
	int twin = 0;

	if (!rel)
		rel = "?";
	for (k = 0; k < n && !twin; k++) {
		const char *r = str(json_object_array_get_idx(results, k),
				    "release", NULL);

		twin = k != i && r && strcmp(r, rel) == 0;
	}
	if (!twin) {
		snprintf(buf, len, "%s", rel);
		return;
	}
	if (json_object_object_get_ex(e, "series", &s) &&
	    json_object_is_type(s, json_type_array) &&
	    json_object_array_length(s) > 0) {
		snprintf(buf, len, "%s(%s)", rel,
			 json_object_get_string(
				 json_object_array_get_idx(s, 0)));
		return;
	}
	snprintf(buf, len, "%s(%s)", rel, ver ? ver : "");
}

size_t pb_summary_print(FILE *f, json_object *results)
{
	char name[512];
	size_t n = json_object_array_length(results), i, w = 6, failed = 0;
	size_t count[4] = {0};
	static const char *const names[] = {PB_ST_BUILT, PB_ST_EXISTING,
					    PB_ST_SKIPPED, PB_ST_FAILED};

	for (i = 0; i < n; i++) {
		kernel_name(results, i, name, sizeof(name));
		if (strlen(name) > w)
			w = strlen(name);
	}
	fprintf(f, "%-*s  %-8s  %-8s\n", (int)w, "KERNEL", "KMOD", "EBPF");
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(results, i);
		const char *st = str(e, "status", NULL);
		const char *k = str(e, "kmod", "status");
		const char *b = str(e, "ebpf", "status");
		size_t s;

		kernel_name(results, i, name, sizeof(name));
		fprintf(f, "%-*s  %-8s  %-8s\n", (int)w, name, k ? k : "?",
			b ? b : "?");
		for (s = 0; s < 4; s++)
			if (st && strcmp(st, names[s]) == 0)
				count[s]++;
	}
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(results, i);
		const char *st = str(e, "status", NULL);
		const char *ke = str(e, "kmod", "error");
		const char *be = str(e, "ebpf", "error");
		const char *ge = str(e, "error", NULL);
		const char *log = str(e, "log", NULL);

		if (!st || strcmp(st, PB_ST_FAILED) != 0)
			continue;
		if (!failed++)
			fprintf(f, "\nFailures (logs are in the output "
				   "dir):\n");
		kernel_name(results, i, name, sizeof(name));
		fprintf(f, "  %s:\n", name);
		if (ke && be && strcmp(ke, be) == 0) {
			fprintf(f, "    %s\n", ke);
		} else {
			if (ke)
				fprintf(f, "    kmod: %s\n", ke);
			if (be)
				fprintf(f, "    ebpf: %s\n", be);
			if (!ke && !be && ge)
				fprintf(f, "    %s\n", ge);
		}
		if (log)
			fprintf(f, "    log: %s\n", log);
	}
	fprintf(f,
		"\n%zu kernel%s: %zu built, %zu existing, %zu skipped, %zu "
		"failed\n",
		n, n == 1 ? "" : "s", count[0], count[1], count[2], count[3]);
	return failed;
}
