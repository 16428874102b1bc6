/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MGLRU (multi-generational LRU, 6.1+): the stable controls and the
 * working-set and eviction interface.
 *
 * Kernel facts (mm/vmscan.c, Documentation/admin-guide/mm/multigen_lru.rst):
 *  - /sys/kernel/mm/lru_gen/enabled (stable ABI): bits 0x0001 the feature,
 *    0x0002 clearing the accessed bit in leaf page tables in batches,
 *    0x0004 in non-leaf PMD entries. Debian 6.1 ships it off (0x0000), 6.12 on.
 *  - /sys/kernel/mm/lru_gen/min_ttl_ms: thrashing prevention; working sets
 *    younger than this are protected (an OOM kill comes first).
 *  - /sys/kernel/debug/lru_gen (debugfs, "experimental"): per memcg and node
 *    the generations "SEQ AGE_MS ANON_PAGES FILE_PAGES", oldest first; a
 *    write "+ MEMCG_ID NODE MAX_SEQ [CAN_SWAP [FORCE_SCAN]]" ages (creates a
 *    generation after a page-table walk), "- MEMCG_ID NODE MIN_SEQ
 *    [SWAPPINESS [NR_TO_RECLAIM]]" evicts generations up to MIN_SEQ; at least
 *    two generations always stay. memcg ids are kernel-internal: memward
 *    maps cgroup paths to them from the file itself.
 *
 * Errors (negative errno): -ENOENT no MGLRU (CONFIG_LRU_GEN), no such cgroup
 * or no debugfs at /sys/kernel/debug; -EOPNOTSUPP MGLRU is disabled (aging
 * and eviction need enabled & 1); -EINVAL bad arguments or a generation that
 * moved meanwhile (retry); -EACCES/-EPERM not root; -ERANGE nothing to evict;
 * -EBADMSG lru_gen text memward cannot read (the log callback names the line).
 */
#ifndef MEMWARD_MGLRU_H
#define MEMWARD_MGLRU_H

#include <stddef.h>
#include <stdint.h>
#include <memward/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mw_mglru_status {
	size_t sz;            /* sizeof(struct mw_mglru_status) */
	int present;          /* /sys/kernel/mm/lru_gen exists */
	int enabled;          /* the enabled bits, -1 unreadable */
	int min_ttl_ms;       /* -1 unreadable */
	int debugfs;          /* 1 /sys/kernel/debug/lru_gen readable (aging/eviction usable) */
};

MW_API int mw_mglru_status_get(struct mw_mglru_status *out);

/* Write the enabled bits (0-7; 7 = everything). 0 or -errno. */
MW_API int mw_mglru_enable(unsigned int bits);

/* Write min_ttl_ms. 0 or -errno. */
MW_API int mw_mglru_min_ttl_set(unsigned int ms);

struct mw_mglru_gen {
	size_t sz;            /* sizeof(struct mw_mglru_gen) */
	int node;
	uint64_t seq;         /* generation number; larger is younger */
	uint64_t age_ms;      /* time since it was created */
	uint64_t anon_pages, file_pages;
};

typedef int (*mw_mglru_gen_fn)(const struct mw_mglru_gen *g, void *arg);

/* Call fn for every generation of cgroup (a path below the cgroup2 root or
 * under its mount, "/" for the root) on every node, oldest first per node.
 * A non-zero return from fn stops and is returned. */
MW_API int mw_mglru_gens_foreach(const char *cgroup, mw_mglru_gen_fn fn, void *arg);

/* Age cgroup on every node: a page-table walk that moves pages found
 * accessed into a new youngest generation. anon 0 ages file pages only. */
MW_API int mw_mglru_age(const char *cgroup, int anon);

/*
 * Evict, on every node, the generations at least min_age_ms old (all but the
 * two youngest at most). swappiness -1: the kernel's; 0: file only; 200:
 * anon only. nr_pages 0: no limit. *evicted (may be NULL) gets the pages
 * the generations held before. 0, -ERANGE when no generation is old enough.
 */
MW_API int mw_mglru_evict(const char *cgroup, uint64_t min_age_ms, int swappiness,
			  uint64_t nr_pages, uint64_t *evicted);

#ifdef __cplusplus
}
#endif
#endif
