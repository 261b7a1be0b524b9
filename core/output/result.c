#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/result.h"
#include "probe-builder/alloc.h"
#include "util/pkgrole.h"
#include "util/str.h"

static const char *const status_names[PB_N_STATUS] = {
	[PB_STATUS_NONE] = "",
	[PB_STATUS_SKIPPED] = "SKIPPED",
	[PB_STATUS_EXISTING] = "EXISTING",
	[PB_STATUS_BUILT] = "BUILT",
	[PB_STATUS_FAILED] = "FAILED",
};

const char *pb_status_name(enum pb_status s)
{
	return (unsigned)s < PB_N_STATUS ? status_names[s] : "";
}

enum pb_status pb_status_parse(const char *name)
{
	size_t i;

	for (i = 1; name && i < PB_N_STATUS; i++)
		if (!strcmp(name, status_names[i]))
			return (enum pb_status)i;
	return PB_STATUS_NONE;
}

static void output_init(struct pb_output_result *o)
{
	memset(o, 0, sizeof(*o));
	o->duration_s = -1;
}

void pb_result_init(struct pb_release_result *r)
{
	memset(r, 0, sizeof(*r));
	output_init(&r->kmod);
	output_init(&r->ebpf);
	r->duration_s = -1;
}

static void compiler_free(struct pb_compiler_rec *c)
{
	free(c->kernel);
	free(c->path);
	free(c->version);
	free(c->match);
	free(c->environment);
	free(c->env_packages_sha256);
}

int pb_compiler_rec_copy(struct pb_compiler_rec *dst,
			 const struct pb_compiler_rec *src, struct pb_err *err)
{
	const char *const from[] = {src->kernel,      src->path,
				    src->version,     src->match,
				    src->environment, src->env_packages_sha256};
	char **const to[] = {&dst->kernel,	&dst->path,
			     &dst->version,	&dst->match,
			     &dst->environment, &dst->env_packages_sha256};
	size_t i;

	dst->exact = src->exact;
	for (i = 0; i < sizeof(to) / sizeof(to[0]); i++)
		if (from[i] && pb_result_str(to[i], from[i], err))
			return -ENOMEM;
	return 0;
}

static void output_free(struct pb_output_result *o)
{
	free(o->file);
	free(o->sha256);
	free(o->error);
	free(o->log);
	free(o->vermagic);
	free(o->built_at);
	free(o->replaced_sha256);
	free(o->signer);
	free(o->sig_hash);
	compiler_free(&o->compiler);
}

void pb_result_output_clear(struct pb_output_result *o)
{
	output_free(o);
	output_init(o);
}

void pb_result_free(struct pb_release_result *r)
{
	size_t i;

	free(r->probe);
	free(r->probe_version);
	free(r->distro);
	free(r->release);
	free(r->arch);
	free(r->version);
	for (i = 0; i < r->n_series; i++)
		free(r->series[i]);
	free(r->series);
	output_free(&r->kmod);
	output_free(&r->ebpf);
	free(r->error);
	free(r->reason);
	free(r->log);
	for (i = 0; i < r->n_inputs; i++) {
		free(r->inputs[i].file);
		free(r->inputs[i].sha256);
		free(r->inputs[i].url);
		free(r->inputs[i].path);
		free(r->inputs[i].config_from);
	}
	free(r->inputs);
	free(r->config_file);
	free(r->config_md5);
	compiler_free(&r->compiler);
	free(r->verify_cell);
	pb_result_init(r);
}

int pb_result_str(char **dst, const char *s, struct pb_err *err)
{
	char *c = NULL;

	if (s && !(c = pb_strdup(s, err)))
		return -ENOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

enum pb_status pb_result_settle(struct pb_release_result *r)
{
	static const enum pb_status order[] = {
		PB_STATUS_FAILED, PB_STATUS_BUILT, PB_STATUS_EXISTING};
	size_t k;

	r->status = PB_STATUS_SKIPPED;
	for (k = 0; k < PB_ARRAY_SIZE(order); k++)
		if (r->kmod.status == order[k] || r->ebpf.status == order[k]) {
			r->status = order[k];
			break;
		}
	return r->status;
}

int pb_result_fail_rest(struct pb_release_result *r, const char *msg,
			struct pb_err *err)
{
	struct pb_output_result *outs[] = {&r->kmod, &r->ebpf};
	size_t k;
	int ret = 0;

	if (!r->error)
		ret = pb_result_str(&r->error, msg, err);
	for (k = 0; k < 2 && !ret; k++) {
		if (outs[k]->status != PB_STATUS_NONE)
			continue;
		outs[k]->status = PB_STATUS_FAILED;
		ret = pb_result_str(&outs[k]->error, msg, err);
		if (!ret && r->log)
			ret = pb_result_str(&outs[k]->log, r->log, err);
	}
	return ret;
}

int pb_results_add(struct pb_results *rs, struct pb_release_result *r,
		   struct pb_err *err)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? 2 * rs->cap : 16;
		struct pb_release_result *g =
			pb_reallocarray(rs->r, cap, sizeof(*g), err);

		if (!g)
			return -ENOMEM;
		rs->r = g;
		rs->cap = cap;
	}
	rs->r[rs->n++] = *r;
	pb_result_init(r);
	return 0;
}

void pb_results_free(struct pb_results *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		pb_result_free(&rs->r[i]);
	free(rs->r);
	memset(rs, 0, sizeof(*rs));
}

/* ------------------------------------------------------------- to JSON */

/* Adds k: s when s is set; 0, or -1 when out of memory. */
static int add_str(json_object *o, const char *k, const char *s)
{
	json_object *v;

	if (!s)
		return 0;
	v = json_object_new_string(s);
	return v ? json_object_object_add(o, k, v) : -1;
}

static int add_num(json_object *o, const char *k, double d)
{
	json_object *v;

	if (d < 0)
		return 0;
	v = json_object_new_double(d);
	return v ? json_object_object_add(o, k, v) : -1;
}

static int add_obj(json_object *o, const char *k, json_object *v)
{
	return v ? json_object_object_add(o, k, v) : -1;
}

static json_object *compiler_json(const struct pb_compiler_rec *c)
{
	json_object *j = json_object_new_object();
	int bad;

	if (!j)
		return NULL;
	bad = add_str(j, "kernel", c->kernel) | add_str(j, "path", c->path) |
	      add_str(j, "version", c->version) |
	      add_obj(j, "exact_major", json_object_new_boolean(c->exact)) |
	      /* a module built with another major than the kernel's: the
	       * user allowed it, and the record says so */
	      add_obj(j, "nearest_compiler",
		      json_object_new_boolean(!c->exact)) |
	      add_str(j, "match", c->match) |
	      add_str(j, "environment", c->environment) |
	      add_str(j, "environment_packages_sha256", c->env_packages_sha256);
	if (bad) {
		json_object_put(j);
		return NULL;
	}
	return j;
}

static json_object *output_json(const struct pb_output_result *o)
{
	json_object *j = json_object_new_object();
	int bad;

	if (!j)
		return NULL;
	bad = add_str(j, "status", pb_status_name(o->status)) |
	      add_str(j, "error", o->error) |
	      add_str(j, "vermagic", o->vermagic);
	if (o->compiler.kernel)
		bad |= add_obj(j, "compiler", compiler_json(&o->compiler));
	bad |= add_str(j, "file", o->file) | add_str(j, "sha256", o->sha256) |
	       add_num(j, "duration_s", o->duration_s) |
	       add_str(j, "built_at", o->built_at) |
	       add_str(j, "replaced_sha256", o->replaced_sha256) |
	       add_str(j, "signer", o->signer) |
	       add_str(j, "sig_hash", o->sig_hash) | add_str(j, "log", o->log);
	if (bad) {
		json_object_put(j);
		return NULL;
	}
	return j;
}

static json_object *inputs_json(const struct pb_release_result *r)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; a && i < r->n_inputs; i++) {
		const struct pb_input_rec *in = &r->inputs[i];
		json_object *j = json_object_new_object();

		if (!j ||
		    add_str(j, "file", in->file) |
			    add_str(j, "sha256", in->sha256) |
			    add_str(j, "url", in->url) |
			    add_str(j, "path", in->path) |
			    add_str(j, "role", pb_pkg_role_name(in->role)) |
			    add_str(j, "config_from", in->config_from) ||
		    json_object_array_add(a, j) < 0) {
			json_object_put(j);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

static json_object *key_json(const struct pb_release_result *r)
{
	json_object *j = json_object_new_object(), *series;
	size_t k;

	if (!j)
		return NULL;
	if (add_str(j, "probe", r->probe) |
	    add_str(j, "probe_version", r->probe_version) |
	    add_str(j, "distro", r->distro) |
	    add_str(j, "release", r->release) |
	    add_str(j, "arch", r->arch ? r->arch : "") |
	    add_str(j, "version", r->version ? r->version : ""))
		goto fail;
	series = json_object_new_array();
	if (add_obj(j, "series", series))
		goto fail;
	for (k = 0; k < r->n_series; k++)
		if (json_object_array_add(series,
					  json_object_new_string(r->series[k])))
			goto fail;
	return j;
fail:
	json_object_put(j);
	return NULL;
}

json_object *pb_result_to_json(const struct pb_release_result *r)
{
	json_object *j = key_json(r);
	int bad;

	if (!j)
		return NULL;
	bad = add_str(j, "status", pb_status_name(r->status)) |
	      add_str(j, "reason", r->reason) | add_str(j, "error", r->error) |
	      add_str(j, "log", r->log);
	if (r->n_inputs)
		bad |= add_obj(j, "inputs", inputs_json(r));
	if (r->config_file) {
		json_object *c = json_object_new_object();

		bad |= add_obj(j, "config", c);
		if (c)
			bad |= add_str(c, "file", r->config_file) |
			       add_str(c, "md5", r->config_md5);
	}
	if (r->compiler.kernel)
		bad |= add_obj(j, "compiler", compiler_json(&r->compiler));
	bad |= add_num(j, "duration_s", r->duration_s);
	if (r->kmod.status != PB_STATUS_NONE)
		bad |= add_obj(j, "kmod", output_json(&r->kmod));
	if (r->ebpf.status != PB_STATUS_NONE)
		bad |= add_obj(j, "ebpf", output_json(&r->ebpf));
	if (bad) {
		json_object_put(j);
		return NULL;
	}
	return j;
}

json_object *pb_results_to_json(const struct pb_results *rs)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; a && i < rs->n; i++) {
		json_object *e = pb_result_to_json(&rs->r[i]);

		if (!e || json_object_array_add(a, e) < 0) {
			json_object_put(e);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

/* ----------------------------------------------------------- from JSON */

struct reader {
	int bad; /* -errno: the first failure */
	struct pb_err *err;
	const char *what;
};

/* *dst = j[k] when it is a string; absent is NULL, another type wrong. */
static void get_str(struct reader *rd, json_object *j, const char *k,
		    char **dst)
{
	json_object *v;

	if (rd->bad || !json_object_object_get_ex(j, k, &v))
		return;
	if (!json_object_is_type(v, json_type_string)) {
		rd->bad = pb_err_set(rd->err, -EPROTO,
				     "%s: \"%s\" is not a string", rd->what, k);
		return;
	}
	rd->bad = pb_result_str(dst, json_object_get_string(v), rd->err);
}

static void get_num(struct reader *rd, json_object *j, const char *k,
		    double *dst)
{
	json_object *v;

	if (!rd->bad && json_object_object_get_ex(j, k, &v) &&
	    (json_object_is_type(v, json_type_double) ||
	     json_object_is_type(v, json_type_int)))
		*dst = json_object_get_double(v);
}

static void get_compiler(struct reader *rd, json_object *j,
			 struct pb_compiler_rec *c)
{
	json_object *v;

	if (rd->bad || !json_object_object_get_ex(j, "compiler", &v))
		return;
	get_str(rd, v, "kernel", &c->kernel);
	get_str(rd, v, "path", &c->path);
	get_str(rd, v, "version", &c->version);
	get_str(rd, v, "match", &c->match);
	get_str(rd, v, "environment", &c->environment);
	get_str(rd, v, "environment_packages_sha256", &c->env_packages_sha256);
	c->exact = json_object_object_get_ex(v, "exact_major", &j) &&
		   json_object_get_boolean(j);
}

static void get_output(struct reader *rd, json_object *j, const char *k,
		       struct pb_output_result *o)
{
	char *st = NULL;

	if (rd->bad || !json_object_object_get_ex(j, k, &j))
		return;
	get_str(rd, j, "status", &st);
	o->status = pb_status_parse(st);
	free(st);
	get_str(rd, j, "file", &o->file);
	get_str(rd, j, "sha256", &o->sha256);
	get_str(rd, j, "error", &o->error);
	get_str(rd, j, "log", &o->log);
	get_str(rd, j, "vermagic", &o->vermagic);
	get_str(rd, j, "built_at", &o->built_at);
	get_str(rd, j, "replaced_sha256", &o->replaced_sha256);
	get_str(rd, j, "signer", &o->signer);
	get_str(rd, j, "sig_hash", &o->sig_hash);
	get_num(rd, j, "duration_s", &o->duration_s);
	get_compiler(rd, j, &o->compiler);
}

/* An array of k's, each read by one(). */
static void get_array(struct reader *rd, json_object *j, const char *k,
		      size_t elem, void **items, size_t *n,
		      void (*one)(struct reader *, json_object *, void *))
{
	json_object *a;
	size_t i, len;

	if (rd->bad || !json_object_object_get_ex(j, k, &a))
		return;
	if (!json_object_is_type(a, json_type_array)) {
		rd->bad = pb_err_set(rd->err, -EPROTO,
				     "%s: \"%s\" is not an array", rd->what, k);
		return;
	}
	len = json_object_array_length(a);
	*items = pb_calloc(len + 1, elem, rd->err);
	if (!*items) {
		rd->bad = -ENOMEM;
		pb_err_prefix(rd->err, "%s: \"%s\"", rd->what, k);
		return;
	}
	for (i = 0; i < len && !rd->bad; i++, (*n)++)
		one(rd, json_object_array_get_idx(a, i),
		    (char *)*items + i * elem);
}

static void one_series(struct reader *rd, json_object *j, void *item)
{
	if (!json_object_is_type(j, json_type_string)) {
		rd->bad = pb_err_set(rd->err, -EPROTO,
				     "%s: a series is not a string", rd->what);
		return;
	}
	rd->bad = pb_result_str(item, json_object_get_string(j), rd->err);
}

static void one_input(struct reader *rd, json_object *j, void *item)
{
	struct pb_input_rec *in = item;
	char *role = NULL;

	get_str(rd, j, "file", &in->file);
	get_str(rd, j, "sha256", &in->sha256);
	get_str(rd, j, "url", &in->url);
	get_str(rd, j, "path", &in->path);
	get_str(rd, j, "role", &role);
	get_str(rd, j, "config_from", &in->config_from);
	in->role = (int)pb_pkg_role_from(role);
	free(role);
}

int pb_result_from_json(json_object *j, struct pb_release_result *r,
			struct pb_err *err)
{
	struct reader rd = {.err = err, .what = "a build result"};
	char *st = NULL;
	json_object *c;

	pb_result_init(r);
	if (!json_object_is_type(j, json_type_object))
		return pb_err_set(err, -EPROTO,
				  "a build result is not an "
				  "object");
	get_str(&rd, j, "probe", &r->probe);
	get_str(&rd, j, "probe_version", &r->probe_version);
	get_str(&rd, j, "distro", &r->distro);
	get_str(&rd, j, "release", &r->release);
	get_str(&rd, j, "arch", &r->arch);
	get_str(&rd, j, "version", &r->version);
	get_array(&rd, j, "series", sizeof(char *), (void **)&r->series,
		  &r->n_series, one_series);
	get_str(&rd, j, "status", &st);
	get_str(&rd, j, "reason", &r->reason);
	get_str(&rd, j, "error", &r->error);
	get_str(&rd, j, "log", &r->log);
	get_array(&rd, j, "inputs", sizeof(*r->inputs), (void **)&r->inputs,
		  &r->n_inputs, one_input);
	if (!rd.bad && json_object_object_get_ex(j, "config", &c)) {
		get_str(&rd, c, "file", &r->config_file);
		get_str(&rd, c, "md5", &r->config_md5);
	}
	get_compiler(&rd, j, &r->compiler);
	get_num(&rd, j, "duration_s", &r->duration_s);
	get_output(&rd, j, "kmod", &r->kmod);
	get_output(&rd, j, "ebpf", &r->ebpf);
	if (!rd.bad && !r->release)
		rd.bad = pb_err_set(err, -EPROTO,
				    "a build result names no "
				    "release");
	r->status = pb_status_parse(st);
	free(st);
	if (rd.bad)
		pb_result_free(r);
	return rd.bad;
}
