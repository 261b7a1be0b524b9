/* The build sandbox: the bwrap command line (host and builder-environment
 * userspace, the order of the mounts), and real runs in bwrap: what a
 * command inside can write, read and reach. The runs are skipped, saying
 * why, where bwrap cannot make a sandbox. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "build/sandbox.h"
#include "indexutil.h"
#include "testutil.h"
#include "util/proc.h"

/* where the n strings of seq start in v, or -1 */
static long find_seq(char *const *v, const char *const *seq, size_t n)
{
	long i;
	size_t k;

	for (i = 0; v[i]; i++) {
		for (k = 0; k < n && v[i + (long)k]; k++)
			if (strcmp(v[i + (long)k], seq[k]) != 0)
				break;
		if (k == n)
			return i;
	}
	return -1;
}

#define AT(v, ...)                                        \
	find_seq((v), (const char *const[]){__VA_ARGS__}, \
		 sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *))

static int has_arg(char *const *v, const char *s)
{
	return AT(v, s) >= 0;
}

static void need_sandbox(void)
{
	struct pb_err err = {0};

	if (pb_sandbox_check(&err) != 0) {
		print_message("skipped: %s\n", err.msg);
		skip();
	}
}

/* the end of v is "--" argv, and nothing after */
static void expect_tail(char *const *v, const char *const *argv)
{
	long i = 0, dd;
	size_t k;

	while (v[i])
		i++;
	for (k = 0; argv[k]; k++)
		;
	dd = i - (long)k - 1;
	assert_true(dd > 0);
	assert_string_equal(v[dd], "--");
	for (k = 0; argv[k]; k++)
		assert_string_equal(v[dd + 1 + (long)k], argv[k]);
}

static void test_argv_host(void **state)
{
	static const char *const tops[] = {"bin",   "sbin",  "lib",
					   "lib32", "lib64", "libx32"};
	const char *cmd[] = {"make", "-C", "/x", "modules", NULL};
	char *d = pbt_tmpdir("sandbox"), ro[PATH_MAX], rw[PATH_MAX];
	const char *ros[1] = {ro}, *rws[1] = {rw};
	struct pb_sandbox sb = {.sz = sizeof(sb),
				.ro = ros,
				.n_ro = 1,
				.rw = rws,
				.n_rw = 1,
				.cwd = rw};
	struct pb_err err = {0};
	long ptmp, pro, prw, penv;
	char **v = NULL;
	size_t i;

	(void)state;
	pbt_path(ro, sizeof(ro), d, "tree");
	pbt_path(rw, sizeof(rw), d, "tree/out");
	pbt_mkdirs(d, "tree/out");
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	setenv("FOO", "outside", 1);
	assert_int_equal(pb_sandbox_argv(&sb, cmd, &v, &err), 0);
	unsetenv("SOURCE_DATE_EPOCH");
	assert_string_equal(v[0], "bwrap");
	assert_true(has_arg(v, "--unshare-all"));
	assert_true(has_arg(v, "--die-with-parent"));
	assert_true(has_arg(v, "--new-session"));
	assert_true(AT(v, "--cap-drop", "ALL") > 0);
	assert_false(has_arg(v, "--share-net"));
	/* the environment: cleared, then only ours */
	penv = AT(v, "--clearenv");
	assert_true(penv > 0);
	assert_true(AT(v, "--setenv", "PATH",
		       "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin") > penv);
	assert_true(AT(v, "--setenv", "LC_ALL", "C") > penv);
	assert_true(AT(v, "--setenv", "HOME", "/tmp") > penv);
	assert_true(AT(v, "--setenv", "TMPDIR", "/tmp") > penv);
	assert_true(AT(v, "--setenv", "SOURCE_DATE_EPOCH", "1700000000") >
		    penv);
	assert_false(has_arg(v, "FOO"));
	/* the host's userspace, as the host has it */
	assert_true(AT(v, "--ro-bind", "/usr", "/usr") > 0);
	for (i = 0; i < PBT_N_OF(tops); i++) {
		char src[PATH_MAX], dst[PATH_MAX], target[PATH_MAX];
		struct stat st;
		ssize_t n;

		snprintf(src, sizeof(src), "/%s", tops[i]);
		snprintf(dst, sizeof(dst), "/%s", tops[i]);
		if (lstat(src, &st) < 0) {
			assert_false(has_arg(v, dst));
		} else if (S_ISLNK(st.st_mode)) {
			n = readlink(src, target, sizeof(target) - 1);
			assert_true(n > 0);
			target[n] = '\0';
			assert_true(AT(v, "--symlink", target, dst) > 0);
		} else {
			assert_true(AT(v, "--ro-bind", src, dst) > 0);
		}
	}
	if (access("/etc/alternatives", F_OK) == 0)
		assert_true(AT(v, "--ro-bind", "/etc/alternatives",
			       "/etc/alternatives") > 0);
	assert_false(AT(v, "--ro-bind", "/etc", "/etc") >= 0);
	/* /proc, /dev, /tmp; then ro; then rw over them; then the command */
	assert_true(AT(v, "--proc", "/proc") > 0);
	assert_true(AT(v, "--dev", "/dev") > 0);
	ptmp = AT(v, "--tmpfs", "/tmp");
	pro = AT(v, "--ro-bind", ro, ro);
	prw = AT(v, "--bind", rw, rw);
	assert_true(ptmp > AT(v, "--ro-bind", "/usr", "/usr"));
	assert_true(pro > ptmp);
	assert_true(prw > pro);
	assert_true(AT(v, "--chdir", rw) > prw);
	expect_tail(v, cmd);
	pb_sandbox_argv_free(v);
	unsetenv("FOO");
}

/* a builder environment's root, as mmdebstrap makes one (merged /usr) */
static void fake_sysroot(const char *s)
{
	pbt_mkdirs(s, "usr/bin");
	pbt_mkdirs(s, "usr/lib");
	pbt_mkdirs(s, "usr/sbin");
	pbt_mkdirs(s, "etc/alternatives");
	pbt_mkdirs(s, "lib64");
	pbt_symlink(s, "bin", "usr/bin");
	pbt_symlink(s, "lib", "usr/lib");
	pbt_symlink(s, "sbin", "/usr/sbin");
}

static void test_argv_sysroot(void **state)
{
	const char *cmd[] = {"make", NULL};
	char *s = pbt_tmpdir("sysroot"), p[PATH_MAX];
	struct pb_sandbox sb = {.sz = sizeof(sb), .sysroot = s};
	struct pb_err err = {0};
	char **v = NULL;

	(void)state;
	fake_sysroot(s);
	assert_int_equal(pb_sandbox_argv(&sb, cmd, &v, &err), 0);
	pbt_path(p, sizeof(p), s, "usr");
	assert_true(AT(v, "--ro-bind", p, "/usr") > 0);
	assert_true(AT(v, "--symlink", "usr/bin", "/bin") > 0);
	assert_true(AT(v, "--symlink", "usr/lib", "/lib") > 0);
	/* an absolute link as it is: inside, the sysroot's /usr is /usr */
	assert_true(AT(v, "--symlink", "/usr/sbin", "/sbin") > 0);
	pbt_path(p, sizeof(p), s, "lib64");
	assert_true(AT(v, "--ro-bind", p, "/lib64") > 0);
	/* none of the host's: not its /usr, not its /etc files */
	assert_false(has_arg(v, "/lib32"));
	assert_false(has_arg(v, "/libx32"));
	assert_false(AT(v, "--ro-bind", "/usr", "/usr") >= 0);
	assert_false(has_arg(v, "/etc/ld.so.cache"));
	pbt_path(p, sizeof(p), s, "etc");
	assert_true(AT(v, "--ro-bind", p, "/etc") > 0);
	assert_false(has_arg(v, "--chdir"));
	expect_tail(v, cmd);
	pb_sandbox_argv_free(v);
}

static void test_argv_refuses(void **state)
{
	const char *cmd[] = {"make", NULL};
	char *d = pbt_tmpdir("sandbox"), missing[PATH_MAX];
	const char *bad[1] = {missing}, *rel[1] = {"tree"};
	struct pb_sandbox sb = {.sz = sizeof(sb)};
	struct {
		struct pb_sandbox sb;
		int newer;
	} big = {.sb = {.sz = sizeof(big)}, .newer = 1};
	struct pb_err err = {0};
	char **v = NULL;

	(void)state;
	pbt_path(missing, sizeof(missing), d, "missing");
	sb.ro = bad;
	sb.n_ro = 1;
	assert_int_equal(pb_sandbox_argv(&sb, cmd, &v, &err), -ENOENT);
	assert_null(v);
	assert_non_null(strstr(err.msg, missing));
	sb.ro = rel;
	assert_int_equal(pb_sandbox_argv(&sb, cmd, &v, &err), -EINVAL);
	sb.n_ro = 0;
	sb.sysroot = "relative/root";
	assert_int_equal(pb_sandbox_argv(&sb, cmd, &v, &err), -EINVAL);
	/* a root without usr/ is no userspace */
	sb.sysroot = d;
	assert_int_equal(pb_sandbox_argv(&sb, cmd, &v, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "usr"));
	sb.sz = 0;
	assert_int_equal(pb_sandbox_argv(&sb, cmd, &v, &err), -EINVAL);
	/* options from a newer caller: refused when they ask for more */
	assert_int_equal(pb_sandbox_argv(&big.sb, cmd, &v, &err), -EINVAL);
	big.newer = 0;
	assert_int_equal(pb_sandbox_argv(&big.sb, cmd, &v, &err), 0);
	pb_sandbox_argv_free(v);
	/* off: the command as it is */
	sb.sz = sizeof(sb);
	sb.off = 1;
	assert_int_equal(pb_sandbox_argv(&sb, cmd, &v, &err), 0);
	assert_string_equal(v[0], "make");
	assert_null(v[1]);
	pb_sandbox_argv_free(v);
}

/* the messages say what to do */
static void test_probe_failures(void **state)
{
	char *d = pbt_tmpdir("sandbox"), fake[PATH_MAX];
	struct pb_err err = {0};

	(void)state;
	assert_int_equal(pb_sandbox_probe("/nonexistent/bwrap", &err),
			 -ENOTSUP);
	assert_non_null(strstr(err.msg, "install bubblewrap"));
	assert_non_null(strstr(err.msg, "--sandbox=off"));
	/* what bwrap 0.8 says where user namespaces are not allowed */
	pbt_write_file(d, "bwrap",
		       "#!/bin/sh\n"
		       "echo 'bwrap: No permissions to create new namespace, "
		       "likely because the kernel does not allow "
		       "non-privileged user namespaces.' >&2\n"
		       "exit 1\n",
		       0755);
	pbt_path(fake, sizeof(fake), d, "bwrap");
	assert_int_equal(pb_sandbox_probe(fake, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "No permissions to create new"));
	assert_non_null(strstr(err.msg, "unprivileged_userns_clone=1"));
	assert_non_null(strstr(err.msg, "max_user_namespaces"));
	assert_non_null(strstr(err.msg, "--sandbox=off"));
}

static int exists(const char *dir, const char *rel)
{
	char p[PATH_MAX];

	pbt_path(p, sizeof(p), dir, rel);
	return access(p, F_OK) == 0;
}

/* runs sh -c script in a sandbox with ro and rw bound; its exit code */
static int run_sh(const char *ro, const char *rw, const char *script)
{
	const char *cmd[] = {"sh", "-c", script, NULL};
	const char *ros[1] = {ro}, *rws[1] = {rw};
	struct pb_sandbox sb = {.sz = sizeof(sb),
				.ro = ros,
				.n_ro = ro ? 1 : 0,
				.rw = rws,
				.n_rw = rw ? 1 : 0,
				.cwd = rw,
				.env_prefix = "PBTPROBE_"};
	struct pb_err err = {0};
	int status = -1;

	if (pb_sandbox_run(&sb, cmd, -1, &status, &err) != 0)
		fail_msg("%s", err.msg);
	return status;
}

static void test_run_writes(void **state)
{
	char *d = pbt_tmpdir("sandbox"), ro[PATH_MAX], rw[PATH_MAX],
	     away[PATH_MAX], home[PATH_MAX], script[PATH_MAX * 10], *got;
	const char *outside_home = getenv("HOME");

	(void)state;
	need_sandbox();
	pbt_write_file(d, "tree/Makefile", "all:\n", 0);
	pbt_mkdirs(d, "tree/out");
	pbt_mkdirs(d, "away");
	pbt_path(ro, sizeof(ro), d, "tree");
	pbt_path(rw, sizeof(rw), d, "tree/out");
	pbt_path(away, sizeof(away), d, "away");
	snprintf(home, sizeof(home), "pb-sandbox-home-%ld", (long)getpid());
	setenv("FOO", "outside", 1);
	/* the probe's settings pass, and only they */
	setenv("PBTPROBE_DEPTH", "4", 1);
	setenv("PBTPROBEX", "no", 1);
	/* each attempt that must fail says so in a file that must not be */
	snprintf(script, sizeof(script),
		 "cd %s && echo made > made && "
		 "echo \"FOO=${FOO-unset} HOME=$HOME "
		 "D=${PBTPROBE_DEPTH-unset} X=${PBTPROBEX-unset}\" > env; "
		 "touch %s/pwned 2>/dev/null && echo yes > away-visible; "
		 "mkdir -p %s && touch %s/pwned; "
		 "echo x > \"$HOME/%s\"; "
		 "touch %s/%s 2>/dev/null; "
		 "echo x > %s/new 2>/dev/null && echo yes > ro-writable; "
		 "cat %s/Makefile > copy",
		 rw, away, away, away, home, outside_home ? outside_home : "/",
		 home, ro, ro);
	assert_int_equal(run_sh(ro, rw, script), 0);
	unsetenv("FOO");
	unsetenv("PBTPROBE_DEPTH");
	unsetenv("PBTPROBEX");
	/* written in the rw dir: there outside, even beneath the ro dir */
	got = pbt_read_file(rw, "made");
	assert_string_equal(got, "made\n");
	free(got);
	got = pbt_read_file(rw, "copy");
	assert_string_equal(got, "all:\n");
	free(got);
	/* our environment is not theirs */
	got = pbt_read_file(rw, "env");
	assert_string_equal(got, "FOO=unset HOME=/tmp D=4 X=unset\n");
	free(got);
	/* an unbound dir is not there (mkdir made one in the throwaway
	 * /tmp): nothing reached the real one */
	assert_false(exists(rw, "away-visible"));
	assert_false(exists(away, "pwned"));
	/* $HOME is the throwaway /tmp; the real home is not there */
	assert_false(exists("/tmp", home));
	if (outside_home)
		assert_false(exists(outside_home, home));
	/* the ro dir is read-only */
	assert_false(exists(rw, "ro-writable"));
	assert_false(exists(ro, "new"));
}

static void test_run_ro_fails(void **state)
{
	char *d = pbt_tmpdir("sandbox"), ro[PATH_MAX], script[PATH_MAX + 64];

	(void)state;
	need_sandbox();
	pbt_mkdirs(d, "tree");
	pbt_path(ro, sizeof(ro), d, "tree");
	snprintf(script, sizeof(script), "echo x > %s/new", ro);
	assert_int_not_equal(run_sh(ro, NULL, script), 0);
	assert_false(exists(ro, "new"));
	/* and the same outside works: the sandbox made the difference */
	pbt_sh("sh -c 'echo x > %s/new'", ro);
	assert_true(exists(ro, "new"));
}

/* the watcher counts a connection within its 20 ms poll */
static int knocks_after(struct pbt_listener *l, int want)
{
	int i, k = 0;

	for (i = 0; i < 100; i++) {
		k = __atomic_load_n(&l->knocks, __ATOMIC_SEQ_CST);
		if (k >= want)
			break;
		usleep(10 * 1000);
	}
	return k;
}

static void test_run_no_network(void **state)
{
	struct pbt_listener l = {.fd = -1};
	struct pb_sandbox sb = {.sz = sizeof(sb)};
	struct pb_err err = {0};
	char script[128];
	const char *cmd[] = {"bash", "-c", script, NULL};
	int status = -1;

	(void)state;
	need_sandbox();
	if (!pbt_have_tool("bash")) {
		print_message("skipped: no bash (its /dev/tcp connects)\n");
		skip();
	}
	assert_int_equal(pbt_listener_start(&l), 0);
	snprintf(script, sizeof(script), "echo hello > /dev/tcp/127.0.0.1/%d",
		 l.port);
	/* outside, it connects: the check below can fail */
	assert_int_equal(pb_run(cmd, NULL, -1, &status, &err), 0);
	assert_int_equal(status, 0);
	assert_int_equal(knocks_after(&l, 1), 1);
	__atomic_store_n(&l.knocks, 0, __ATOMIC_SEQ_CST);
	/* inside, 127.0.0.1 is the sandbox's own, where nobody listens */
	assert_int_equal(pb_sandbox_run(&sb, cmd, -1, &status, &err), 0);
	assert_int_not_equal(status, 0);
	assert_int_equal(knocks_after(&l, 1), 0);
	pbt_expect_no_connection(&l);
	pbt_listener_stop(&l);
}

/* a real, tiny builder environment: dash and the libraries it needs,
 * copied from the host, and a file only it has */
static void tiny_sysroot(const char *s)
{
	pbt_sh("set -e; S=%s; mkdir -p $S/usr/bin $S/usr/lib $S/usr/lib64 "
	       "$S/etc; cp /usr/bin/dash $S/usr/bin/sh; "
	       "for f in $(ldd /usr/bin/dash | grep -o '/[^ )]*'); do "
	       "for g in $f $(realpath $f); do case $g in /usr/*) t=$S$g;; "
	       "*) t=$S/usr$g;; esac; mkdir -p $(dirname $t); cp -L $f $t; "
	       "done; done; "
	       "ln -s usr/bin $S/bin; ln -s usr/lib $S/lib; "
	       "ln -s usr/lib64 $S/lib64; echo sysroot > $S/etc/marker",
	       s);
}

static void test_run_sysroot(void **state)
{
	char *s = pbt_tmpdir("sysroot"), *d = pbt_tmpdir("sandbox"),
	     rw[PATH_MAX], *got;
	const char *rws[1] = {rw};
	struct pb_sandbox sb = {.sz = sizeof(sb),
				.sysroot = s,
				.rw = rws,
				.n_rw = 1,
				.cwd = rw};
	/* builtins only: the sysroot has nothing but sh */
	const char *cmd[] = {
		"sh", "-c",
		"read x < /etc/marker; echo \"$x\" > got; "
		"[ -e /usr/bin/bash ] && echo host-usr >> got; "
		"[ -e /etc/alternatives ] && echo host-etc >> got; "
		"exit 0",
		NULL};
	struct pb_err err = {0};
	int status = -1;

	(void)state;
	need_sandbox();
	if (!pbt_have_tool("ldd") || !pbt_have_tool("dash")) {
		print_message("skipped: no ldd or dash to make a sysroot\n");
		skip();
	}
	tiny_sysroot(s);
	pbt_mkdirs(d, "out");
	pbt_path(rw, sizeof(rw), d, "out");
	assert_int_equal(pb_sandbox_run(&sb, cmd, -1, &status, &err), 0);
	assert_int_equal(status, 0);
	/* its /etc, its /usr; none of the host's */
	got = pbt_read_file(rw, "got");
	assert_string_equal(got, "sysroot\n");
	free(got);
}

/* the same compile inside and outside makes the same bytes: the paths
 * (DW_AT_comp_dir, __FILE__) are the same */
static void test_run_same_bytes(void **state)
{
	char *d = pbt_tmpdir("sandbox"), *in, *out;
	const char *rws[1] = {d};
	struct pb_sandbox sb = {
		.sz = sizeof(sb), .rw = rws, .n_rw = 1, .cwd = d};
	const char *cc_in[] = {"gcc", "-g", "-O2",  "-c",
			       "a.c", "-o", "in.o", NULL};
	const char *cc_out[] = {"gcc", "-g", "-O2",   "-c",
				"a.c", "-o", "out.o", NULL};
	struct pb_err err = {0};
	int status = -1;
	char p[PATH_MAX];
	off_t n;

	(void)state;
	need_sandbox();
	if (!pbt_have_tool("gcc")) {
		print_message("skipped: no gcc\n");
		skip();
	}
	pbt_write_file(d, "a.c", "const char *f(void) { return __FILE__; }\n",
		       0);
	assert_int_equal(pb_sandbox_run(&sb, cc_in, -1, &status, &err), 0);
	assert_int_equal(status, 0);
	assert_int_equal(pb_run(cc_out, d, -1, &status, &err), 0);
	assert_int_equal(status, 0);
	pbt_path(p, sizeof(p), d, "in.o");
	n = pbt_file_size(p);
	pbt_path(p, sizeof(p), d, "out.o");
	assert_int_equal(pbt_file_size(p), n);
	in = pbt_read_file(d, "in.o");
	out = pbt_read_file(d, "out.o");
	assert_memory_equal(in, out, (size_t)n);
	free(in);
	free(out);
}

static void test_run_off(void **state)
{
	char *d = pbt_tmpdir("sandbox");
	const char *cmd[] = {"sh", "-c", "echo \"$FOO\" > got", NULL};
	struct pb_sandbox sb = {.sz = sizeof(sb), .off = 1, .cwd = d};
	struct pb_err err = {0};
	int status = -1;
	char *got;

	(void)state;
	/* off: our environment, our cwd, no bwrap needed */
	setenv("FOO", "outside", 1);
	assert_int_equal(pb_sandbox_run(&sb, cmd, -1, &status, &err), 0);
	unsetenv("FOO");
	assert_int_equal(status, 0);
	got = pbt_read_file(d, "got");
	assert_string_equal(got, "outside\n");
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_argv_host, pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_argv_sysroot, pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_argv_refuses, pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_probe_failures, pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_run_writes, pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_run_ro_fails, pbt_rm_tmpdirs),
		cmocka_unit_test(test_run_no_network),
		cmocka_unit_test_teardown(test_run_sysroot, pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_run_same_bytes, pbt_rm_tmpdirs),
		cmocka_unit_test_teardown(test_run_off, pbt_rm_tmpdirs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
