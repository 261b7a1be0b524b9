/* The plugin loader: test plugins (the sources in tests/plugins/, built as
 * modules in $PB_TEST_PLUGINDIR), the real ones ($PB_BUILD_PLUGINDIR) and
 * distro data files. Each test lays out its own directories of symlinks to
 * the modules, so that it controls exactly what the loader sees. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugin/registry.h"
#include "probe-builder/probe-builder.h"
#include "testutil.h"

static const char *test_plugindir, *build_plugindir, *build_distrodir;

/* ------------------------------------------------------------ helpers */

/* dir/name -> srcdir/name */
static void link_plugin(const char *dir, const char *srcdir, const char *name)
{
	char from[PATH_MAX];

	pbt_path(from, sizeof(from), srcdir, name);
	if (access(from, R_OK) < 0)
		fail_msg("%s: %s (not built?)", from, strerror(errno));
	pbt_symlink(dir, name, from);
}

/* stderr goes to a file while the registry loads, so that its warnings
 * can be checked */
struct capture {
	char path[64];
	int saved;
};

static void capture_start(struct capture *c)
{
	int fd;

	snprintf(c->path, sizeof(c->path), "/tmp/pb-test-stderr.XXXXXX");
	fd = mkstemp(c->path);
	assert_true(fd >= 0);
	fflush(stderr);
	c->saved = dup(2);
	assert_true(c->saved >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
}

/* Returns what was written (free it), and echoes it to the real stderr
 * for the test log. */
static char *capture_end(struct capture *c)
{
	char *text = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	fflush(stderr);
	assert_int_equal(dup2(c->saved, 2), 2);
	close(c->saved);
	f = fopen(c->path, "r");
	assert_non_null(f);
	n = getdelim(&text, &cap, '\0', f);
	fclose(f);
	unlink(c->path);
	if (n < 0) {
		free(text);
		text = strdup("");
	}
	assert_non_null(text);
	fputs(text, stderr);
	return text;
}

/* One line of the log names `file` and says `reason`. */
static void expect_warning(const char *log, const char *file,
			   const char *reason)
{
	const char *line = log;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		char *l = strndup(line, n);
		int ok;

		assert_non_null(l);
		ok = strstr(l, file) && strstr(l, reason) &&
		     strstr(l, "warning");
		free(l);
		if (ok)
			return;
		line = end ? end + 1 : NULL;
	}
	fail_msg("no warning naming %s with '%s' in:\n%s", file, reason, log);
}

static int load(struct pb_registry *reg, const char *const *dirs, size_t n,
		const char *env_path, const char *plugin_dir)
{
	struct pb_registry_opts opts;
	struct pb_err err = {0};
	int ret;

	memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts);
	opts.plugin_dirs = dirs;
	opts.n_plugin_dirs = n;
	opts.env_path = env_path;
	opts.plugin_dir = plugin_dir;
	ret = pb_registry_load(reg, &opts, &err);
	if (ret)
		fail_msg("pb_registry_load: %d %s", ret, err.msg);
	return ret;
}

static const struct pb_builder *builder_named(const struct pb_registry *reg,
					      const char *name)
{
	size_t i;

	for (i = 0; i < reg->n_builders; i++)
		if (strcmp(reg->builders[i].plugin->name, name) == 0)
			return &reg->builders[i];
	return NULL;
}

/* distro is served by builder, and was defined by file `source` */
static void expect_distro(const struct pb_registry *reg, const char *distro,
			  const char *builder, const char *source)
{
	const struct pb_distro *d = pb_registry_find(reg, distro);

	if (!d)
		fail_msg("distro %s not found", distro);
	if (!d->builder)
		fail_msg("distro %s has no builder", distro);
	if (strcmp(d->builder->plugin->name, builder) != 0)
		fail_msg("distro %s: builder %s, expected %s", distro,
			 d->builder->plugin->name, builder);
	if (source && strcmp(d->source, source) != 0)
		fail_msg("distro %s: source %s, expected %s", distro, d->source,
			 source);
}

static int group_setup(void **state)
{
	(void)state;
	test_plugindir = getenv("PB_TEST_PLUGINDIR");
	build_plugindir = getenv("PB_BUILD_PLUGINDIR");
	build_distrodir = getenv("PB_BUILD_DISTRODIR");
	if (!test_plugindir || !build_plugindir || !build_distrodir) {
		fprintf(stderr, "PB_TEST_PLUGINDIR, PB_BUILD_PLUGINDIR and "
				"PB_BUILD_DISTRODIR must be set (run through "
				"make check)\n");
		return -1;
	}
	return 0;
}

/* -------------------------------------------------------------- tests */

static void test_good_plugin(void **state)
{
	char *dir = pbt_tmpdir("registry"), path[PATH_MAX], buf[64];
	const char *dirs[1] = {dir};
	const struct pb_builder *b;
	const struct pb_plugin *p;
	struct pb_release rel;
	struct pb_registry reg;
	struct pb_batch *batch;
	struct pb_err err = {0};
	const char *files[] = {"a.pkg", "b.pkg"};

	(void)state;
	link_plugin(dir, test_plugindir, "good.so");
	load(&reg, dirs, 1, NULL, NULL);
	assert_int_equal(reg.n_builders, 1);
	snprintf(path, sizeof(path), "%s/good.so", dir);
	expect_distro(&reg, "testdistro", "testbuilder", path);
	b = builder_named(&reg, "testbuilder");
	assert_non_null(b);
	assert_string_equal(b->path, path);
	assert_int_equal(reg.n_distros, 1);
	assert_null(pb_registry_find(&reg, "debian"));

	/* the hooks are the plugin's own */
	p = b->plugin;
	assert_int_equal(p->abi_version, PB_PLUGIN_ABI_VERSION);
	assert_true(PB_PLUGIN_HAS(p, batch));
	assert_false(PB_PLUGIN_HAS(p, fixup));
	batch = pb_batch_new();
	assert_int_equal(p->batch(batch, files, 2, &err), 0);
	assert_int_equal(pb_batch_n_releases(batch), 1);
	assert_string_equal(pb_batch_release(batch, 0), "1.0-test");
	assert_int_equal(pb_batch_n_packages(batch, 0), 2);
	pb_batch_free(batch);
	memset(&rel, 0, sizeof(rel));
	rel.sz = sizeof(rel);
	rel.name = "1.0-test";
	assert_int_equal(p->kernel_dir(&rel, buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "usr/src/test-1.0-test");

	pb_registry_free(&reg);
}

static void test_bad_plugins_skipped(void **state)
{
	char *dir = pbt_tmpdir("registry"), path[PATH_MAX];
	const char *dirs[1] = {dir};
	struct pb_registry reg;
	struct capture cap;
	char *log;

	(void)state;
	link_plugin(dir, test_plugindir, "otherabi.so");
	link_plugin(dir, test_plugindir, "notplugin.so");
	link_plugin(dir, test_plugindir, "small.so");
	link_plugin(dir, test_plugindir, "good.so");
	/* not even a shared object */
	pbt_write_file(dir, "garbage.so", "this is not an ELF file\n", 0);

	capture_start(&cap);
	load(&reg, dirs, 1, NULL, NULL);
	log = capture_end(&cap);

	/* only the good one */
	assert_int_equal(reg.n_builders, 1);
	assert_string_equal(reg.builders[0].plugin->name, "testbuilder");
	assert_int_equal(reg.n_distros, 1);
	assert_non_null(pb_registry_find(&reg, "testdistro"));
	assert_null(pb_registry_find(&reg, "otherabidistro"));
	assert_null(pb_registry_find(&reg, "smalldistro"));

	snprintf(path, sizeof(path), "%s/otherabi.so", dir);
	expect_warning(log, path, "ABI");
	snprintf(path, sizeof(path), "%s/notplugin.so", dir);
	expect_warning(log, path, "not a probe-builder plugin");
	snprintf(path, sizeof(path), "%s/small.so", dir);
	expect_warning(log, path, "size");
	snprintf(path, sizeof(path), "%s/garbage.so", dir);
	expect_warning(log, path, "skipped");
	free(log);

	pb_registry_free(&reg);
}

/* "debian" is claimed by the real debian plugin and by dupdistro: the
 * first one found along the search path keeps it. */
static void test_duplicate_distro_order(void **state)
{
	char *dup = pbt_tmpdir("registry"), dup_path[PATH_MAX],
	     deb_path[PATH_MAX];
	const char *dup_first[2] = {dup, build_plugindir};
	const char *deb_first[2] = {build_plugindir, dup};
	struct pb_registry reg;
	struct capture cap;
	char *log;

	(void)state;
	link_plugin(dup, test_plugindir, "dupdistro.so");
	snprintf(dup_path, sizeof(dup_path), "%s/dupdistro.so", dup);
	snprintf(deb_path, sizeof(deb_path), "%s/debian.so", build_plugindir);

	capture_start(&cap);
	load(&reg, dup_first, 2, NULL, NULL);
	log = capture_end(&cap);
	expect_distro(&reg, "debian", "dupbuilder", dup_path);
	/* the loser is still loaded, its other distros are served */
	assert_non_null(builder_named(&reg, "debian"));
	expect_distro(&reg, "dupextra", "dupbuilder", dup_path);
	expect_distro(&reg, "ubuntu", "ubuntu", NULL);
	expect_warning(log, deb_path, "debian");
	free(log);
	pb_registry_free(&reg);

	capture_start(&cap);
	load(&reg, deb_first, 2, NULL, NULL);
	log = capture_end(&cap);
	expect_distro(&reg, "debian", "debian", deb_path);
	expect_distro(&reg, "dupextra", "dupbuilder", dup_path);
	expect_warning(log, dup_path, "debian");
	free(log);
	pb_registry_free(&reg);
}

/* The search order: plugin_dirs in order, then env_path (in its order),
 * then plugin_dir. */
static void test_search_path_order(void **state)
{
	char *dup = pbt_tmpdir("registry"), *empty = pbt_tmpdir("registry");
	char dup_path[PATH_MAX], env[2 * PATH_MAX + 2];
	const char *only_empty[1] = {empty};
	struct pb_registry reg;

	(void)state;
	link_plugin(dup, test_plugindir, "dupdistro.so");
	snprintf(dup_path, sizeof(dup_path), "%s/dupdistro.so", dup);

	/* env_path before plugin_dir */
	load(&reg, NULL, 0, dup, build_plugindir);
	expect_distro(&reg, "debian", "dupbuilder", NULL);
	pb_registry_free(&reg);
	load(&reg, NULL, 0, build_plugindir, dup);
	expect_distro(&reg, "debian", "debian", NULL);
	pb_registry_free(&reg);

	/* plugin_dirs before env_path */
	load(&reg, only_empty, 1, build_plugindir, dup);
	expect_distro(&reg, "debian", "debian", NULL);
	pb_registry_free(&reg);
	{
		const char *dirs[1] = {dup};

		load(&reg, dirs, 1, build_plugindir, NULL);
		expect_distro(&reg, "debian", "dupbuilder", dup_path);
		pb_registry_free(&reg);
	}

	/* env_path in its own order, empty parts skipped */
	snprintf(env, sizeof(env), "::%s:%s:", dup, build_plugindir);
	load(&reg, NULL, 0, env, NULL);
	expect_distro(&reg, "debian", "dupbuilder", NULL);
	assert_non_null(builder_named(&reg, "centos"));
	pb_registry_free(&reg);
	snprintf(env, sizeof(env), "%s:%s", build_plugindir, dup);
	load(&reg, NULL, 0, env, NULL);
	expect_distro(&reg, "debian", "debian", NULL);
	pb_registry_free(&reg);
}

static void test_data_files(void **state)
{
	char *data = pbt_tmpdir("registry"), path[PATH_MAX];
	const char *dirs[2] = {build_plugindir, data};
	const struct pb_distro *d;
	struct pb_registry reg;
	struct capture cap;
	char *log;

	(void)state;
	pbt_write_file(data, "mydistro.distro",
		       "# a distro packaged like CentOS\n"
		       "\n"
		       "name = mydistro\n"
		       "builder = centos\n"
		       "description = My Distro 9\n"
		       "mirror = https://mirror.example.invalid/mydistro/9/\n"
		       "mirror = https://second.example.invalid/9/\n"
		       "  indented=  spaced value  \n",
		       0);
	pbt_write_file(data, "orphan.distro",
		       "name = orphan\nbuilder = nosuchbuilder\n", 0);
	pbt_write_file(data, "noname.distro", "builder = centos\n", 0);
	pbt_write_file(
		data, "broken.distro",
		"name = broken\nbuilder = centos\nthis line has no equals\n",
		0);
	pbt_write_file(data, "stealer.distro",
		       "name = debian\nbuilder = centos\n", 0);
	pbt_write_file(data, "notadistro.txt", "name = txt\nbuilder = centos\n",
		       0);

	capture_start(&cap);
	load(&reg, dirs, 2, NULL, NULL);
	log = capture_end(&cap);

	snprintf(path, sizeof(path), "%s/mydistro.distro", data);
	expect_distro(&reg, "mydistro", "centos", path);
	d = pb_registry_find(&reg, "mydistro");
	assert_string_equal(d->description, "My Distro 9");
	assert_string_equal(pb_distro_get(d, "name"), "mydistro");
	assert_string_equal(pb_distro_get(d, "builder"), "centos");
	/* the first of a repeated key; the others are kept in order */
	assert_string_equal(pb_distro_get(d, "mirror"),
			    "https://mirror.example.invalid/mydistro/9/");
	assert_string_equal(pb_distro_get(d, "indented"), "spaced value");
	assert_null(pb_distro_get(d, "nosuchkey"));
	assert_int_equal(d->n_keys, 6);
	assert_string_equal(d->keys[4].key, "mirror");
	assert_string_equal(d->keys[4].value,
			    "https://second.example.invalid/9/");
	/* same builder object as the centos distro of the plugin */
	assert_ptr_equal(d->builder, pb_registry_find(&reg, "centos")->builder);

	assert_null(pb_registry_find(&reg, "orphan"));
	snprintf(path, sizeof(path), "%s/orphan.distro", data);
	expect_warning(log, path, "nosuchbuilder");
	assert_null(pb_registry_find(&reg, "broken"));
	snprintf(path, sizeof(path), "%s/broken.distro", data);
	expect_warning(log, path, "skipped");
	snprintf(path, sizeof(path), "%s/noname.distro", data);
	expect_warning(log, path, "name");
	/* a plugin's distro is not taken over by a data file */
	expect_distro(&reg, "debian", "debian", NULL);
	snprintf(path, sizeof(path), "%s/stealer.distro", data);
	expect_warning(log, path, "debian");
	assert_null(pb_registry_find(&reg, "txt"));
	free(log);

	pb_registry_free(&reg);
}

/* A data file may come before the plugin of its builder on the path. */
static void test_data_file_before_its_builder(void **state)
{
	char *data = pbt_tmpdir("registry"), path[PATH_MAX];
	const char *dirs[2] = {data, build_plugindir};
	struct pb_registry reg;

	(void)state;
	pbt_write_file(data, "early.distro", "name = early\nbuilder = ubuntu\n",
		       0);
	load(&reg, dirs, 2, NULL, NULL);
	snprintf(path, sizeof(path), "%s/early.distro", data);
	expect_distro(&reg, "early", "ubuntu", path);
	pb_registry_free(&reg);
}

/* The real plugins and data files, as installed. */
static void test_real_tree(void **state)
{
	const char *dirs[2] = {build_plugindir, build_distrodir};
	static const char *const centos_like[] = {
		"almalinux",
		"amazonlinux",
		"amazonlinux2",
		"amazonlinux2023",
		"centos-stream",
		"fedora",
		"ol",
		"rocky",
	};
	char path[PATH_MAX];
	struct pb_registry reg;
	size_t i;

	(void)state;
	load(&reg, dirs, 2, NULL, NULL);
	assert_int_equal(reg.n_builders, 3);
	snprintf(path, sizeof(path), "%s/debian.so", build_plugindir);
	expect_distro(&reg, "debian", "debian", path);
	expect_distro(&reg, "ubuntu", "ubuntu", NULL);
	expect_distro(&reg, "centos", "centos", NULL);
	for (i = 0; i < PBT_N_OF(centos_like); i++) {
		snprintf(path, sizeof(path), "%s/%s.distro", build_distrodir,
			 centos_like[i]);
		expect_distro(&reg, centos_like[i], "centos", path);
	}
	assert_int_equal(reg.n_distros, 3 + 8);
	assert_string_equal(pb_registry_find(&reg, "ol")->description,
			    "Oracle Linux (RHCK and UEK kernels)");
	pb_registry_free(&reg);
}

/* A descriptor from a newer SDK: loaded when what this core does not know
 * of it is zero, refused when a member there is set (libbpf's rule for
 * its opts). */
static void test_newer_descriptor(void **state)
{
	char *dir = pbt_tmpdir("registry"), path[PATH_MAX];
	const char *dirs[1] = {dir};
	const struct pb_builder *b;
	struct pb_registry reg;
	struct capture cap;
	char *log;

	(void)state;
	link_plugin(dir, test_plugindir, "newer.so");
	link_plugin(dir, test_plugindir, "newerset.so");
	capture_start(&cap);
	load(&reg, dirs, 1, NULL, NULL);
	log = capture_end(&cap);

	assert_int_equal(reg.n_builders, 1);
	b = builder_named(&reg, "newerbuilder");
	assert_non_null(b);
	assert_true(b->plugin->size > sizeof(struct pb_plugin));
	expect_distro(&reg, "newerdistro", "newerbuilder", NULL);
	assert_null(builder_named(&reg, "newersetbuilder"));
	assert_null(pb_registry_find(&reg, "newersetdistro"));
	snprintf(path, sizeof(path), "%s/newerset.so", dir);
	expect_warning(log, path, "does not know");
	free(log);
	pb_registry_free(&reg);
}

static void test_bad_opts(void **state)
{
	struct pb_registry_opts opts;
	struct pb_registry reg;
	struct pb_err err = {0};

	(void)state;
	memset(&opts, 0, sizeof(opts));
	opts.sz = sizeof(opts) - 1; /* a caller built against older opts */
	assert_int_equal(pb_registry_load(&reg, &opts, &err), -EINVAL);
	assert_int_equal(pb_registry_load(&reg, NULL, &err), -EINVAL);
	/* nothing to find is not an error */
	opts.sz = sizeof(opts);
	opts.plugin_dir = "/nonexistent/pb-test";
	assert_int_equal(pb_registry_load(&reg, &opts, &err), 0);
	assert_int_equal(reg.n_builders, 0);
	assert_null(pb_registry_find(&reg, "debian"));
	pb_registry_free(&reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_good_plugin, pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_bad_plugins_skipped,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_duplicate_distro_order,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_search_path_order,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_data_files, pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_data_file_before_its_builder,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_real_tree, pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_newer_descriptor,
					  pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_bad_opts, pbt_rm_tmpdirs),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
