/* pb-verify-agent: the init of the VM that `probe-builder verify` boots.
 * It inserts the probe's module (after the kernel's own modules it
 * depends on), loads every program of the eBPF object through this
 * kernel's verifier and attaches those whose section says how, and says
 * what happened on the second serial port (ttyS1: the console is the
 * kernel's, and its lines interleave), one line per fact:
 *   PBV1 hello <uname -r>
 *   PBV1 dep <module> ok|<errno name> <message>
 *   PBV1 kmod LOADED | PBV1 kmod REFUSED <message>
 *   PBV1 klog <a kernel log line the insertion caused>
 *   PBV1 ebpf OPENED <n programs> | PBV1 ebpf REFUSED <message>
 *   PBV1 prog <name> LOADED|ATTACHED|REFUSED <message>
 *   PBV1 log <a verifier log line>
 *   PBV1 smoke PASSED | PBV1 smoke FAILED <exit status>
 *   PBV1 smoke-log <a line of what the smoke test wrote>
 *   PBV1 end
 * then powers the machine off. Its inputs are in /pb: deps (module paths,
 * in load order), probe.ko, probe.o, and the probe's own smoke test,
 * verify/smoke.sh, run by /bin/busybox sh with the module inserted again
 * and left in, its outputs in /pb/out. Static, so the initramfs needs no
 * libc. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "verify/legacy.h"

static FILE *out;
static int module_loaded; /* the probe's module went in */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one fact a line, whatever the message holds */
	for (i = 0; line[i]; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	fprintf(out, "PBV1 %s\n", line);
	fflush(out);
}

static char probe_name[256];

/* Whether a kernel log line is one the insertion caused: a warning or
 * worse ("<4>" and below), or one that names the module. */
static int klog_relevant(const char *l)
{
	return (l[0] == '<' && l[1] >= '0' && l[1] <= '4') ||
	       (probe_name[0] && strstr(l, probe_name));
}

/* The kernel log lines since start (a klogctl buffer offset), said. */
static void say_klog(size_t start)
{
	static char buf[1 << 16];
	int n = klogctl(3 /* READ_ALL */, buf, sizeof(buf) - 1);
	char *p, *save = NULL;

	if (n <= 0 || (size_t)n <= start)
		return;
	buf[n] = '\0';
	for (p = strtok_r(buf + start, "\n", &save); p;
	     p = strtok_r(NULL, "\n", &save))
		if (klog_relevant(p))
			say("klog %s", p);
}

static size_t klog_mark(void)
{
	static char buf[1 << 16];
	int n = klogctl(3, buf, sizeof(buf) - 1);

	return n > 0 ? (size_t)n : 0;
}

static int insert(const char *path, char *why, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	ret = (int)syscall(SYS_finit_module, fd, "", 0);
	if (ret < 0)
		snprintf(why, len, "%s", strerror(errno));
	close(fd);
	return ret;
}

static void load_deps(void)
{
	char line[512], why[256];
	FILE *f = fopen("/pb/deps", "r");

	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!line[0])
			continue;
		/* one already in (a dependency of two): not a failure */
		if (insert(line, why, sizeof(why)) < 0 && errno != EEXIST)
			say("dep %s %s", line, why);
		else
			say("dep %s ok", line);
	}
	if (f)
		fclose(f);
}

static void verify_kmod(void)
{
	char why[256];
	size_t mark = klog_mark();
	FILE *f = fopen("/pb/probe.name", "r");

	if (f && fgets(probe_name, sizeof(probe_name), f))
		probe_name[strcspn(probe_name, "\n")] = '\0';
	if (f)
		fclose(f);
	if (access("/pb/probe.ko", F_OK) < 0)
		return;
	if (insert("/pb/probe.ko", why, sizeof(why)) < 0) {
		say("kmod REFUSED %s", why);
		say_klog(mark);
		return;
	}
	say("kmod LOADED");
	module_loaded = 1;
	say_klog(mark);
	if (probe_name[0] &&
	    syscall(SYS_delete_module, probe_name, O_NONBLOCK) < 0)
		say("kmod-remove %s", strerror(errno));
	else if (probe_name[0])
		say("kmod-remove ok");
}

static char vlog[1 << 20];

/* libbpf's printer: fmt is libbpf's own */
static int libbpf_say(enum libbpf_print_level level, const char *fmt,
		      va_list ap) __attribute__((format(printf, 2, 0)));

static int libbpf_say(enum libbpf_print_level level, const char *fmt,
		      va_list ap)
{
	char line[1024];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	say("libbpf %s", line);
	return 0;
}

/* The verifier's last lines, said. */
static void say_vlog(void)
{
	char *lines[12] = {0}, *p, *save = NULL;
	size_t n = 0, i;

	for (p = strtok_r(vlog, "\n", &save); p;
	     p = strtok_r(NULL, "\n", &save))
		lines[n++ % 12] = p;
	for (i = n > 12 ? n - 12 : 0; i < n; i++)
		say("log %s", lines[i % 12]);
}

static char libbpf_text[4096];

static int libbpf_keep(enum libbpf_print_level level, const char *fmt,
		       va_list ap) __attribute__((format(printf, 2, 0)));

static int libbpf_keep(enum libbpf_print_level level, const char *fmt,
		       va_list ap)
{
	size_t l = strlen(libbpf_text);

	if (level != LIBBPF_DEBUG && l + 1 < sizeof(libbpf_text))
		vsnprintf(libbpf_text + l, sizeof(libbpf_text) - l, fmt, ap);
	return 0;
}

static struct bpf_object *open_obj(void)
{
	LIBBPF_OPTS(bpf_object_open_opts, o, .kernel_log_buf = vlog,
		    .kernel_log_size = sizeof(vlog), .kernel_log_level = 1);

	vlog[0] = '\0';
	return bpf_object__open_file("/pb/probe.o", &o);
}

/* Program only of the object loaded (the others not), so that each one
 * is judged by the verifier on its own. */
static void verify_prog(const char *only)
{
	struct bpf_object *obj = open_obj();
	struct bpf_program *p, *mine = NULL;
	struct bpf_link *link;
	int err;

	if (!obj) {
		say("prog %s REFUSED cannot open the object again", only);
		return;
	}
	bpf_object__for_each_program(p, obj)
	{
		int me = strcmp(bpf_program__name(p), only) == 0;

		bpf_program__set_autoload(p, me);
		if (me)
			mine = p;
	}
	err = bpf_object__load(obj);
	if (err) {
		say("prog %s REFUSED %s", only, strerror(-err));
		say_vlog();
		bpf_object__close(obj);
		return;
	}
	link = bpf_program__attach(mine);
	if (!link) {
		err = -errno;
		/* a section that says no attach point: loaded is all */
		if (err == -EOPNOTSUPP || err == -ESRCH)
			say("prog %s LOADED", only);
		else
			say("prog %s LOADED attach failed: %s", only,
			    strerror(-err));
	} else {
		say("prog %s ATTACHED %s", only,
		    bpf_program__section_name(mine));
		bpf_link__destroy(link);
	}
	bpf_object__close(obj);
}

static void verify_ebpf(void)
{
	struct bpf_object *obj;
	struct bpf_program *p;
	char names[64][128];
	size_t n = 0, i;

	if (access("/pb/probe.o", F_OK) < 0)
		return;
	libbpf_set_print(libbpf_keep);
	obj = open_obj();
	if (!obj) {
		/* libbpf 1.x: SEC("maps") and struct bpf_map_def are gone */
		if (strstr(libbpf_text, "legacy map") &&
		    pb_legacy_verify("/pb/probe.o", vlog, sizeof(vlog), say,
				     say_vlog) == 0)
			return;
		if (strstr(libbpf_text, "legacy map"))
			say("ebpf SKIPPED legacy map definitions "
			    "(SEC(\"maps\")) that the agent's loader could not "
			    "read");
		else
			say("ebpf REFUSED %s",
			    libbpf_text[0] ? libbpf_text : strerror(errno));
		return;
	}
	bpf_object__for_each_program(p, obj)
	{
		if (n < 64)
			snprintf(names[n++], sizeof(names[0]), "%s",
				 bpf_program__name(p));
	}
	bpf_object__close(obj);
	say("ebpf OPENED %zu", n);
	libbpf_set_print(libbpf_say);
	for (i = 0; i < n; i++)
		verify_prog(names[i]);
}

/* The last lines of the smoke test's output, said. */
static void say_tail(const char *path)
{
	char *lines[20] = {0}, buf[1 << 16], *p, *save = NULL;
	size_t n = 0, i, len;
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	for (p = strtok_r(buf, "\n", &save); p; p = strtok_r(NULL, "\n", &save))
		lines[n++ % 20] = p;
	for (i = n > 20 ? n - 20 : 0; i < n; i++)
		say("smoke-log %s", lines[i % 20]);
}

static int run(char *const argv[], const char *log)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		int fd = log ? open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644)
			     : -1;

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The probe's smoke test, with its module in (when it loads) and the
 * eBPF object at /pb/probe.o for it to use. */
static void run_smoke(void)
{
	char *install[] = {"/bin/busybox", "--install", "-s", "/bin", NULL};
	char *sh[] = {"/bin/busybox", "sh", "/pb/verify/smoke.sh", NULL};
	char why[256];
	int st;

	if (access("/pb/verify/smoke.sh", R_OK) < 0)
		return;
	if (access("/bin/busybox", X_OK) < 0) {
		say("smoke SKIPPED no /bin/busybox in the initramfs");
		return;
	}
	run(install, NULL);
	mkdir("/pb/out", 0755);
	mkdir("/tmp", 01777);
	if (module_loaded && insert("/pb/probe.ko", why, sizeof(why)) < 0)
		say("smoke-log inserting the module again: %s", why);
	setenv("PATH", "/bin:/pb/verify/bin", 1);
	setenv("PB_KO", "/pb/probe.ko", 1);
	setenv("PB_BPF", "/pb/probe.o", 1);
	setenv("PB_OUT", "/pb/out", 1);
	setenv("PB_VERIFY", "/pb/verify", 1);
	st = run(sh, "/pb/out/smoke.log");
	/* 77, as automake's tests say it: nothing to test here */
	if (st == 0)
		say("smoke PASSED");
	else if (st == 77)
		say("smoke SKIPPED its smoke test said so");
	else
		say("smoke FAILED %d", st);
	say_tail("/pb/out/smoke.log");
}

int main(void)
{
	struct utsname u;
	int fd;

	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	/* kprobes and tracepoints are found through tracefs */
	mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	fd = open("/dev/ttyS1", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	out = fd >= 0 ? fdopen(fd, "w") : stdout;
	if (!out)
		out = stdout;
	uname(&u);
	say("hello %s", u.release);
	load_deps();
	verify_kmod();
	verify_ebpf();
	run_smoke();
	say("end");
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
