/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `memward wss` against a workload with a known hot set (guests only): the
 * estimate must be within +-10% of the hot set. Scaled for TCG: HOT_MIB hot
 * in TOTAL_MIB (the figures, 64 in 256).
 */
#ifndef MW_RECLAIM_WSS_H
#define MW_RECLAIM_WSS_H

#include "reclaim_workload.h"

#define TOTAL_MIB 256
#define HOT_MIB 64

static inline int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* The median of "key" over the JSON lines of out, leaving out the first
 * sample (the workload's warm-up) when there are more than two; -1 if
 * absent. One 1 s window under TCG can miss DAMON's aggregation entirely
 * (seen: 0 bytes between two 66 MiB windows) or catch part of it, so a
 * single sample says little; a user reads the series. */
static inline long long median_json_value(const char *out, const char *key)
{
	const char *line = out, *p, *nl;
	long long v[64];
	size_t n = 0, first;
	char k[64];

	snprintf(k, sizeof(k), "\"%s\":", key);
	for (; (nl = strchr(line, '\n')) && n < 64; line = nl + 1) {
		if (line[0] != '{')
			continue;
		p = strstr(line, k);
		if (p && p < nl)
			v[n++] = strtoll(p + strlen(k), NULL, 10);
	}
	if (n == 0)
		return -1;
	first = n > 2 ? 1 : 0;
	qsort(v + first, n - first, sizeof(v[0]), cmp_ll);
	return v[first + (n - first) / 2];
}

/* Run memward wss on the workload; returns the median estimate (above). */
static inline long long wss_sample(const char *memward, const char *source, pid_t pid, const char *count,
				   const char *key)
{
	char pidbuf[16], out[16384];
	char *argv[] = { (char *)memward, (char *)"wss", pidbuf, (char *)"--source", (char *)source,
			 (char *)"--json", (char *)"--count", (char *)count, (char *)"--interval", (char *)"1s",
			 NULL };
	int rc;

	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)pid);
	rc = live_capture(argv, true, NULL, out, sizeof(out));
	printf("%s", out);
	CHECK(rc == 0, "memward wss --source %s exited %d", source, rc);
	return median_json_value(out, key);
}

static inline void wss_check(const char *what, long long got)
{
	double hot = (double)HOT_MIB * WL_MIB;

	live_note("%s: %.1f MiB for a %d MiB hot set (%+.1f%%)", what, (double)got / WL_MIB, HOT_MIB,
		  got < 0 ? 0 : ((double)got - hot) * 100 / hot);
	CHECK(got >= 0.9 * hot && got <= 1.1 * hot, "%s: %lld bytes not within 10%% of %d MiB", what, got, HOT_MIB);
}

#endif
