/* Time for durations and rates: the monotonic clock, in seconds. */
#ifndef PB_UTIL_CLOCK_H
#define PB_UTIL_CLOCK_H

double pb_now_s(void);

#endif
