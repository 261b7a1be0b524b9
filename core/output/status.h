/* The status of a kernel and of each of its outputs, as the summary and
 * the manifest spell them. */
#ifndef PB_OUTPUT_STATUS_H
#define PB_OUTPUT_STATUS_H

#define PB_ST_BUILT "BUILT"
#define PB_ST_EXISTING "EXISTING"
#define PB_ST_SKIPPED "SKIPPED"
#define PB_ST_FAILED "FAILED"

#endif
