/* The line a failed build is reported with: real kernel build logs. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "build/logscan.h"
#include "testutil.h"

static void expect_line(const char *log, const char *want)
{
	char out[256];

	assert_int_equal(pb_log_first_error(log, strlen(log), out, sizeof(out)),
			 1);
	assert_string_equal(out, want);
}

static void test_objtool_glibc(void **state)
{
	(void)state;
	/* a tree built on a newer libc: its host tools cannot run here */
	expect_line("make: Entering directory '/ws/root/usr/src/linux'\n"
		    "  CC [M]  /ws/build/kmod/main.o\n"
		    "tools/objtool/objtool: /lib/x86_64-linux-gnu/libc.so.6: "
		    "version `GLIBC_2.38' not found (required by "
		    "tools/objtool/objtool)\n"
		    "make[2]: *** [scripts/Makefile.build:243: main.o] Error "
		    "1\n"
		    "make[1]: *** [Makefile:1945: /ws/build/kmod] Error 2\n",
		    "tools/objtool/objtool: /lib/x86_64-linux-gnu/libc.so.6: "
		    "version `GLIBC_2.38' not found (required by "
		    "tools/objtool/objtool)");
}

static void test_compiler_error_wins(void **state)
{
	(void)state;
	/* a warning first, make's *** last: the compiler's error is why */
	expect_line("main.c:3:5: warning: unused variable 'x'\n"
		    "make[2]: *** [scripts/Makefile.build:243] Error 1\n"
		    "  gcc: error: unrecognized command-line option "
		    "'-fmin-function-alignment=16'  \n"
		    "main.c:9:1: error: expected ';'\n",
		    "gcc: error: unrecognized command-line option "
		    "'-fmin-function-alignment=16'");
}

static void test_modpost_and_make_only(void **state)
{
	(void)state;
	expect_line("  MODPOST Module.symvers\n"
		    "ERROR: modpost: \"foo\" [main.ko] undefined!\n"
		    "make[2]: *** [Module.symvers] Error 1\n",
		    "ERROR: modpost: \"foo\" [main.ko] undefined!");
	expect_line("make: *** No rule to make target 'modules'.  Stop.\n",
		    "make: *** No rule to make target 'modules'.  Stop.");
}

static void test_nothing_and_truncation(void **state)
{
	const char *log = "  CC main.o\n  LD main.ko\n";
	const char *err = "x.c:1:1: error: a very long line\n";
	char out[8];

	(void)state;
	assert_int_equal(pb_log_first_error(log, strlen(log), out, sizeof(out)),
			 0);
	assert_string_equal(out, "");
	/* not NUL-terminated input, cut output */
	assert_int_equal(
		pb_log_first_error(err, strlen(err) - 1, out, sizeof(out)), 1);
	assert_string_equal(out, "x.c:1:1");
}

static void test_file_from_offset(void **state)
{
	char *dir = pbt_tmpdir("logscan"), path[4096], out[128];
	const char *before = "old.c:1:1: error: from an earlier make\n";

	(void)state;
	pbt_write_file(dir, "build.log",
		       "old.c:1:1: error: from an earlier make\n"
		       "make: *** [all] Error 2\n",
		       0644);
	snprintf(path, sizeof(path), "%s/build.log", dir);
	assert_int_equal(pb_log_file_first_error(path, (off_t)strlen(before),
						 out, sizeof(out)),
			 1);
	assert_string_equal(out, "make: *** [all] Error 2");
	assert_int_equal(pb_log_file_first_error("/nonexistent/log", 0, out,
						 sizeof(out)),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_objtool_glibc),
		cmocka_unit_test(test_compiler_error_wins),
		cmocka_unit_test(test_modpost_and_make_only),
		cmocka_unit_test(test_nothing_and_truncation),
		cmocka_unit_test_teardown(test_file_from_offset,
					  pbt_rm_tmpdirs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
