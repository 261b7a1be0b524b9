/* The table printed at the end of a build: kernel | kmod | ebpf, then the
 * message and log of every failure. */
#ifndef PB_SUMMARY_H
#define PB_SUMMARY_H

#include <stdio.h>

#include "output/result.h"

/* Prints it; returns the number of kernels that FAILED. */
size_t pb_summary_print(FILE *f, const struct pb_release_result *r, size_t n);

#endif
