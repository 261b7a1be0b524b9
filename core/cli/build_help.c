/* `probe-builder build --help`: the build command's options, what its
 * outputs are named and its exit statuses (the text alone: build.c
 * parses the options). */
#include "config.h"

#include <stdio.h>

#include "cli/cli.h"

#define TOOLCHAIN_HELP                                                   \
	"      --toolchain auto|host|NAME  the compiler of each "        \
	"kernel: "                                                       \
	"auto (default)\n"                                               \
	"                             takes the host's of the kernel's " \
	"major version,\n"                                               \
	"                             else a builder environment that "  \
	"has it (made\n"                                                 \
	"                             from its definition if need be); " \
	"host: the host's\n"                                             \
	"                             only; NAME: that environment "     \
	"(toolchains list)\n" PB_TOOLCHAIN_HELP                          \
	"      --sandbox on|off       run every make under bubblewrap: " \
	"no network, the\n"                                              \
	"                             tree read-only, only the build "   \
	"copy writable\n"                                                \
	"                             (default: on; off must be said "   \
	"where bubblewrap\n"                                             \
	"                             or user namespaces are "           \
	"missing); inside, the\n"                                        \
	"                             environment is cleared but for "   \
	"the probe's\n"                                                  \
	"                             settings: variables named "        \
	"<PROBE>_* (NEWSWATCH_DEPTH)\n"                                  \
	"      --nearest-compiler     when no toolchain has the "        \
	"compiler a kernel was\n"                                        \
	"                             built with, use the installed "    \
	"one nearest in version\n"

void pb_cli_build_usage(FILE *f)
{
	fprintf(f,
		"Usage: probe-builder build -k DISTRO -p NAME -v VERSION -s "
		"DIR "
		"[OPTION]... PACKAGE...\n"
		"Build a kernel module and an eBPF object from the probe "
		"source in DIR for every\n"
		"kernel release among the PACKAGE files (kernel header, "
		"image, kbuild... packages\n"
		"of DISTRO; a directory stands for the .deb and .rpm files in "
		"it).\n\n"
		"  -k, --kernel-type DISTRO   the distribution the packages "
		"come from\n"
		"                             (`probe-builder plugins` lists "
		"them)\n"
		"  -p, --probe-name NAME      the probe's name: the module is "
		"$(PROBE_NAME).ko\n"
		"  -v, --probe-version VER    the probe's version, part of the "
		"output names\n"
		"  -s, --source-dir DIR       the probe source: a kbuild "
		"Makefile or Kbuild for the\n"
		"                             module, bpf/ with a Makefile "
		"making bpf/probe.o for eBPF\n"
		"  -o, --output-dir DIR       where outputs and manifest.json "
		"go (default: ./output)\n"
		"  -w, --workspace DIR        the download cache, logs, the "
		"unpacked packages and\n"
		"                             build copies of the kernels "
		"building or FAILED\n"
		"                             (default: ./workspace)\n"
		"  -j, --jobs N               build N kernels at once "
		"(default: 1)\n"
		"  -f, --kernel-filter REGEX  only kernel releases matching "
		"REGEX (POSIX extended)\n"
		"      --ignore-list FILE     releases to skip, one per line "
		"(shell globs, # comments)\n" TOOLCHAIN_HELP
		"      --clang PATH           clang for eBPF objects (default: "
		"$CLANG or clang)\n"
		"      --llc PATH             llc for eBPF objects (default: "
		"$LLC or llc)\n"
		"      --from-json FILE       build the kernels listed in FILE "
		"(crawl --json)\n"
		"      --shard I/N|auto[/N]   only shard I (from 0) of N of "
		"the plan's kernels\n"
		"                             (--from-json), recorded in its "
		"own\n"
		"                             OUTPUT/manifest.d/I-of-N.json "
		"(`probe-builder\n"
		"                             manifest merge` joins them); "
		"auto: I and N from\n"
		"                             PB_SHARD_INDEX and "
		"PB_SHARD_COUNT, Kubernetes'\n"
		"                             JOB_COMPLETION_INDEX with "
		"PB_SHARD_COUNT, or\n"
		"                             Slurm's SLURM_ARRAY_TASK_ID with "
		"PB_SHARD_COUNT\n"
		"                             or the count of an array from 0 "
		"(--array=0-N)\n"
		"      --max-unpacked-size SIZE  fail a kernel whose packages "
		"unpack to more than\n"
		"                             SIZE bytes (K, M, G suffixes; "
		"default: 4G)\n"
		"      --keep-trees           keep each kernel's unpacked tree "
		"and build copies\n"
		"                             (default: removed once its "
		"outputs are BUILT,\n"
		"                             EXISTING or SKIPPED; kept when "
		"one FAILED)\n"
		"      --cache-max SIZE       at the end, evict the least "
		"recently used packages\n"
		"                             from the workspace's download "
		"cache while it holds\n"
		"                             more than SIZE bytes (K, M, G "
		"suffixes; the run's\n"
		"                             own packages stay; default: no "
		"limit)\n"
		"      --wait-lock            wait for another run using the "
		"workspace to end\n"
		"                             (default: fail at once, naming "
		"it)\n"
		"      --module-sign-key KEY  sign each module with this PEM "
		"private key (RSA,\n"
		"                             or ECDSA where the kernel takes "
		"it), by the tree's\n"
		"                             scripts/sign-file with the "
		"kernel's\n"
		"                             CONFIG_MODULE_SIG_HASH; needs "
		"--module-sign-cert\n"
		"      --module-sign-cert CERT  its X.509 certificate (PEM or "
		"DER), the one the\n"
		"                             hosts enroll (MOK, the kernel's "
		"keyring)\n"
		"      --verify[=report|required]  then boot each kernel built "
		"under QEMU and load\n"
		"                             its probes there (probe-builder "
		"verify): a REFUSED\n"
		"                             output fails the run (not with "
		"=report), and so\n"
		"                             does one not verified (SKIPPED) "
		"with =required\n"
		"      --sign-key KEY         sign manifest.json with this PEM "
		"ed25519 private key\n"
		"                             (manifest.json.sig, detached, "
		"for newswatch's probe_pubkey)\n"
		"\nWithout PACKAGE files (packages are cached in the "
		"workspace):\n" PB_CRAWL_HELP "\n" PB_COMMON_HELP
		"\nOutputs are named "
		"<probe>-<version>-<arch>-<release>-<md5 of the kernel "
		"config>.ko\nand "
		"<probe>-bpf-<version>-<arch>-<release>-<md5>.o; "
		"an output already there is\nEXISTING and not rebuilt. One run "
		"at a time uses a workspace (it is locked);\nseveral runs, on "
		"several machines, may share an output dir.\n\nExit "
		"status: 0 when every kernel is BUILT, EXISTING or\nSKIPPED, 1 "
		"when one FAILED or on an error, 2 on bad usage, 3 when every "
		"kernel\nbuilt but the crawl was partial (--allow-partial), "
		"130 "
		"or 143 when stopped by\nSIGINT or SIGTERM (the kernels "
		"finished by then are in the manifest).\n");
}
