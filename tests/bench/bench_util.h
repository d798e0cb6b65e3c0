/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Small helpers the bench tools share: the clock, the median, CPU pinning.
 * Pinning needs _GNU_SOURCE defined before the first include. */
#ifndef FG_BENCH_UTIL_H
#define FG_BENCH_UTIL_H

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/types.h>

/* Pin this thread to cpu (none when cpu < 0); a failure is said, not fatal:
 * the figures are still valid, only noisier. */
static inline void bench_pin_cpu(const char *tool, int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "%s: cannot pin to CPU %d: %s\n", tool, cpu, strerror(errno));
}

static inline __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Runs (or passes) a bench may ask for; median() takes at most this many. */
#define MAX_RUNS 64

/* Median of n values; the input keeps its order. */
static inline double median(const double *in, int n)
{
	double v[MAX_RUNS];

	memcpy(v, in, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif /* FG_BENCH_UTIL_H */
