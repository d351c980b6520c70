/* SPDX-License-Identifier: MIT */
/* clock.h - the one monotonic clock of pgjob's timers, deadlines and
 * durations (CLOCK_MONOTONIC: never jumps with the wall clock). */
#ifndef PGJOB_CLOCK_H
#define PGJOB_CLOCK_H

/* clock_ms returns CLOCK_MONOTONIC in milliseconds. */
long long clock_ms(void);

/* clock_seconds returns CLOCK_MONOTONIC in seconds, with its fraction,
 * for durations finer than a millisecond. */
double clock_seconds(void);

#endif
