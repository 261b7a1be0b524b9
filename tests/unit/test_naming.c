/* Output names: what hosts look for, from `uname -r` and the config's MD5,
 * so they must be exactly the original probe builder's. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "build/naming.h"
#include "testutil.h"

#define MD5 "4e1fa2c6b6e6b8f34c2ac2a5e9b9c0d1"

static void test_kmod_name(void **state)
{
	char buf[256];

	(void)state;
	assert_int_equal(pb_output_name(buf, sizeof(buf), PB_OUT_KMOD, "falco",
					"7.0.0+driver", "x86_64",
					"6.1.0-56-amd64", MD5),
			 0);
	assert_string_equal(buf, "falco-7.0.0+driver-x86_64-6.1.0-56-amd64-" MD5
				 ".ko");
	assert_int_equal(pb_output_name(buf, sizeof(buf), PB_OUT_KMOD, "falco",
					"7.0.0+driver", "aarch64",
					"4.18.0-513.5.1.el8_9.aarch64", MD5),
			 0);
	assert_string_equal(buf, "falco-7.0.0+driver-aarch64-4.18.0-513.5.1."
				 "el8_9.aarch64-" MD5 ".ko");
}

static void test_ebpf_name(void **state)
{
	char buf[256];

	(void)state;
	assert_int_equal(pb_output_name(buf, sizeof(buf), PB_OUT_EBPF, "falco",
					"7.0.0+driver", "x86_64",
					"5.15.0-91-generic", MD5),
			 0);
	assert_string_equal(buf, "falco-bpf-7.0.0+driver-x86_64-5.15.0-91-"
				 "generic-" MD5 ".o");
}

static void test_bad_parts(void **state)
{
	char buf[256];
	static const char *const bad[] = {"",	"a/b", "/x", "x/", ".",
					  "..", " ",   "\t", NULL};
	size_t i, part;

	(void)state;
	/* each bad value in each of the five places */
	for (i = 0; i < PBT_N_OF(bad); i++) {
		for (part = 0; part < 5; part++) {
			const char *p[5] = {"falco", "7.0.0", "x86_64",
					    "6.1.0-56-amd64", MD5};
			int ret;

			p[part] = bad[i];
			strcpy(buf, "untouched");
			ret = pb_output_name(buf, sizeof(buf), PB_OUT_KMOD,
					     p[0], p[1], p[2], p[3], p[4]);
			if (ret != -EINVAL)
				fail_msg("part %zu = '%s': %d, expected "
					 "-EINVAL (%s)",
					 part, bad[i] ? bad[i] : "(null)", ret,
					 buf);
			ret = pb_output_name(buf, sizeof(buf), PB_OUT_EBPF,
					     p[0], p[1], p[2], p[3], p[4]);
			assert_int_equal(ret, -EINVAL);
		}
	}
	assert_false(pb_name_part_ok("a/b"));
	assert_false(pb_name_part_ok(""));
	assert_false(pb_name_part_ok(NULL));
	assert_true(pb_name_part_ok("6.12.111+deb12-amd64"));
	assert_true(pb_name_part_ok("..."));
}

static void test_small_buffer(void **state)
{
	const char *want = "falco-7.0.0-x86_64-6.1.0-56-amd64-" MD5 ".ko";
	size_t n = strlen(want);
	char buf[256];

	(void)state;
	/* just enough: the name and its NUL */
	assert_int_equal(pb_output_name(buf, n + 1, PB_OUT_KMOD, "falco",
					"7.0.0", "x86_64", "6.1.0-56-amd64",
					MD5),
			 0);
	assert_string_equal(buf, want);
	/* one byte short */
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(pb_output_name(buf, n, PB_OUT_KMOD, "falco", "7.0.0",
					"x86_64", "6.1.0-56-amd64", MD5),
			 -ENAMETOOLONG);
	/* nothing written past the buffer given */
	assert_int_equal(buf[n], 'x');
	assert_int_equal(pb_output_name(buf, 10, PB_OUT_EBPF, "falco", "7.0.0",
					"x86_64", "6.1.0-56-amd64", MD5),
			 -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kmod_name),
		cmocka_unit_test(test_ebpf_name),
		cmocka_unit_test(test_bad_parts),
		cmocka_unit_test(test_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
