/* The agent's protocol read back (core/verify/protocol.c): what a run
 * that loaded everything, one whose module and program were refused, a
 * legacy object, and a VM that died half-way say. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "verify/protocol.h"

static void test_all_loaded(void **state)
{
	struct pb_vres r;

	(void)state;
	pb_verify_parse("[    1.0] console noise\n"
			"PBV1 hello 6.1.0-57-amd64\n"
			"PBV1 kmod LOADED\n"
			"PBV1 klog <4>[ 2.1] newswatch: loading out-of-tree "
			"module taints kernel.\n"
			"PBV1 kmod-remove ok\n"
			"PBV1 ebpf OPENED 2\n"
			"PBV1 prog a ATTACHED kprobe/x\n"
			"PBV1 prog b LOADED\n"
			"PBV1 end\n",
			&r);
	assert_string_equal(r.release, "6.1.0-57-amd64");
	assert_int_equal(r.kmod.status, PB_V_LOADED);
	assert_string_equal(r.kmod.why, "");
	assert_int_equal(r.ebpf.status, PB_V_LOADED);
	assert_string_equal(r.ebpf.why, "2 programs loaded, 1 attached");
	assert_int_equal(r.progs, 2);
	assert_int_equal(r.ended, 1);
	assert_string_equal(pb_vstatus_name(r.kmod.status), "LOADED");
}

static void test_refused(void **state)
{
	struct pb_vres r;

	(void)state;
	/* the console may share the line the agent's starts on */
	pb_verify_parse("PBV1 hello 6.12.117+deb13-amd64\r\n"
			"junk PBV1 kmod REFUSED Unknown symbol in module\n"
			"PBV1 klog <4>[ 2.1] hello: Unknown symbol "
			"pb_nowhere (err -2)\n"
			"PBV1 ebpf OPENED 2\n"
			"PBV1 prog good ATTACHED kprobe/x\n"
			"PBV1 prog bad REFUSED Permission denied\n"
			"PBV1 log 0: (b7) r1 = 0\n"
			"PBV1 log R0 invalid mem access 'map_value_or_null'\n"
			"PBV1 end\n",
			&r);
	assert_string_equal(r.release, "6.12.117+deb13-amd64");
	assert_int_equal(r.kmod.status, PB_V_REFUSED);
	assert_string_equal(r.kmod.why,
			    "Unknown symbol in module; <4>[ 2.1] hello: "
			    "Unknown symbol pb_nowhere (err -2)");
	assert_int_equal(r.ebpf.status, PB_V_REFUSED);
	assert_non_null(strstr(r.ebpf.why, "program bad: Permission denied"));
	assert_non_null(strstr(r.ebpf.why, "invalid mem access"));
	assert_null(strstr(r.ebpf.why, "good"));
	assert_int_equal(r.refused, 1);
	assert_int_equal(r.attached, 1);
}

static void test_legacy_skipped(void **state)
{
	struct pb_vres r;

	(void)state;
	pb_verify_parse("PBV1 hello x\nPBV1 ebpf SKIPPED legacy map "
			"definitions\nPBV1 end\n",
			&r);
	assert_int_equal(r.ebpf.status, PB_V_SKIPPED);
	assert_string_equal(r.ebpf.why, "legacy map definitions");
	assert_int_equal(r.kmod.status, PB_V_NONE);
}

static void test_died(void **state)
{
	struct pb_vres r;
	char big[4000];

	(void)state;
	pb_verify_parse("PBV1 hello x\nPBV1 kmod LOADED\nPBV1 ebpf OPE", &r);
	assert_int_equal(r.ended, 0);
	assert_int_equal(r.kmod.status, PB_V_LOADED);
	assert_int_equal(r.ebpf.status, PB_V_NONE);
	/* long lines are cut, never overrun */
	memset(big, 'x', sizeof(big));
	memcpy(big, "PBV1 kmod REFUSED ", 18);
	big[sizeof(big) - 1] = '\0';
	pb_verify_parse(big, &r);
	assert_int_equal(r.kmod.status, PB_V_REFUSED);
	assert_true(strlen(r.kmod.why) < sizeof(r.kmod.why));
	pb_verify_parse("", &r);
	assert_int_equal(r.ended, 0);
	assert_string_equal(pb_vstatus_name(PB_V_NONE), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_loaded),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_legacy_skipped),
		cmocka_unit_test(test_died),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
