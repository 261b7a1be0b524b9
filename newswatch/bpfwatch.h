/* The eBPF backend: the probe probe-builder built for this kernel (found
 * by probe.h) loaded and attached with libbpf; its events name the files
 * the watched process creates. */
#ifndef NW_BPFWATCH_H
#define NW_BPFWATCH_H

#include <stddef.h>
#include <stdint.h>

#include "probe-builder/error.h"

#include "conf.h"
#include "fanwatch.h"

struct nw_bpfwatch;

/* Finds, loads and attaches; a negative errno with the reason when eBPF
 * cannot be used (no object for this kernel, not allowed, not built with
 * libbpf). */
int nw_bpfwatch_open(const struct nw_config *c, struct nw_bpfwatch **out,
		     struct pb_err *err);
/* The path of the file an event of the probe names, under fs_root (the
 * mount point of the filesystem whose kernel dev_t is dev): 1 with it in
 * out, 0 when the event is not usable (another filesystem, cut short, not
 * an event of this layout). Exposed for the tests. */
int nw_bpf_event_path(const void *data, size_t size, const char *fs_root,
		      uint32_t dev, char *out, size_t len);

int nw_bpfwatch_fd(struct nw_bpfwatch *w);
const char *nw_bpfwatch_object(struct nw_bpfwatch *w);
int nw_bpfwatch_read(struct nw_bpfwatch *w, nw_path_cb cb, void *ctx);
void nw_bpfwatch_close(struct nw_bpfwatch *w);

#endif
