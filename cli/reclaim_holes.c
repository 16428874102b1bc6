/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The unmapped holes of the target processes' address spaces, as DAMOS addr
 * filters (6.6+) that exclude them from a vaddr pageout scheme with a quota.
 *
 * Why: DAMON's vaddr monitoring covers each process in three regions that
 * leave out only its two largest gaps (mm/damon/vaddr.c), so the smaller gaps
 * -- up to 1 GiB between a static binary and its randomized brk heap -- are
 * monitored too. Never accessed, they are the oldest regions, and a quota
 * spends itself on the oldest first: MADV_PAGEOUT on an unmapped range fails
 * (ENOMEM), DAMON charges it anyway and reports nothing applied. Seen in the
 * 6.12 guest: 1 MiB/s for 9 s, the quota reached 6 times, 0 bytes paged out.
 * Addr filters are checked before the quota is charged, so the quota goes to
 * mapped memory. The holes are those of every target at start; a mapping
 * made later inside one is not reclaimed by this run (memward-reclaim(1)).
 */
#include "reclaim_mech.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct span { uint64_t start, end; };

static int by_start(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int by_size_desc(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	uint64_t sx = x->end - x->start, sy = y->end - y->start;

	return sx > sy ? -1 : sx < sy;
}

/* Append pid's mappings (user half only: [vsyscall] is not a neighbour). */
static int add_maps(pid_t pid, struct span **v, size_t *n, size_t *cap)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a, b;

		if (sscanf(line, "%llx-%llx", &a, &b) != 2 || b <= a || b > 0x800000000000ull)
			continue;
		if (*n == *cap) {
			size_t c = *cap ? 2 * *cap : 64;
			struct span *nv = realloc(*v, c * sizeof(*nv));

			if (!nv) {
				fclose(f);
				return -ENOMEM;
			}
			*v = nv;
			*cap = c;
		}
		(*v)[(*n)++] = (struct span){ a, b };
	}
	fclose(f);
	return 0;
}

size_t rc_vaddr_holes(const pid_t *pids, size_t nr_pids, struct mw_damon_filter *out, size_t max)
{
	struct span *v = NULL, *holes;
	size_t n = 0, cap = 0, nh = 0, k = 0;

	for (size_t i = 0; i < nr_pids; i++)
		if (add_maps(pids[i], &v, &n, &cap) < 0)
			goto out; /* a process gone or unreadable: no filters rather than wrong ones */
	if (n < 2)
		goto out;
	qsort(v, n, sizeof(*v), by_start);
	/* Merge the mappings of every target; what lies between is unmapped in all. */
	holes = malloc(n * sizeof(*holes));
	if (!holes)
		goto out;
	for (size_t i = 1, last = 0; i < n; i++) {
		if (v[i].start <= v[last].end) {
			if (v[i].end > v[last].end)
				v[last].end = v[i].end;
			continue;
		}
		holes[nh++] = (struct span){ v[last].end, v[i].start };
		last = i;
	}
	qsort(holes, nh, sizeof(*holes), by_size_desc);
	for (k = 0; k < nh && k < max; k++)
		out[k] = (struct mw_damon_filter){ .sz = sizeof(out[k]), .type = MW_DAMOS_FILTER_ADDR, .matching = 1,
						   .addr_start = holes[k].start, .addr_end = holes[k].end };
	free(holes);
out:
	free(v);
	return k;
}
