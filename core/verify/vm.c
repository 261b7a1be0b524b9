#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/path.h"
#include "util/proc.h"
#include "verify/vm.h"

int pb_vm_run(const struct pb_vm_opts *o, int *timed_out, struct pb_err *err)
{
	char secs[16], mem[16], con[4200], res[4200], qemu[4096];
	/* kvm wants the host's CPU model: the default one lacks what
	 * distribution kernels use (BMI2 in the decompressor) */
	int kvm = o->accel && !strcmp(o->accel, "kvm");
	const char *argv[] = {"timeout",
			      "--kill-after=5",
			      secs,
			      "qemu-system-x86_64",
			      "-accel",
			      kvm ? "kvm" : "tcg",
			      "-cpu",
			      kvm ? "host" : "max",
			      "-m",
			      mem,
			      "-smp",
			      "1",
			      "-nographic",
			      "-no-reboot",
			      "-monitor",
			      "none",
			      "-nodefaults",
			      "-kernel",
			      o->kernel,
			      "-initrd",
			      o->initrd,
			      "-append",
			      "console=ttyS0 panic=-1 quiet loglevel=4",
			      "-serial",
			      con,
			      "-serial",
			      res,
			      NULL};
	int status, ret, fd;

	*timed_out = 0;
	if (pb_which("qemu-system-x86_64", NULL, qemu, sizeof(qemu)) != 0)
		return pb_err_set(err, -ENOENT,
				  "qemu-system-x86_64 is not installed "
				  "(Debian: apt-get install qemu-system-x86)");
	snprintf(secs, sizeof(secs), "%u", o->timeout_s ? o->timeout_s : 120);
	snprintf(mem, sizeof(mem), "%u", o->mem_mb ? o->mem_mb : 512);
	if (pb_path_fmt(con, sizeof(con), err, "file:%s", o->console) < 0 ||
	    pb_path_fmt(res, sizeof(res), err, "file:%s", o->results) < 0)
		return err->code;
	fd = open(o->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return pb_err_set(err, -errno, "%s: %s", o->log,
				  strerror(errno));
	ret = pb_run(argv, NULL, fd, &status, err);
	close(fd);
	if (ret)
		return ret;
	/* timeout(1) says 124 when it had to stop it, 137 when it killed */
	if (status == 124 || status == 137) {
		*timed_out = 1;
		return 0;
	}
	if (status != 0)
		return pb_err_set(err, -EIO,
				  "qemu-system-x86_64 exited with status %d "
				  "(see %s)",
				  status, o->log);
	return 0;
}
