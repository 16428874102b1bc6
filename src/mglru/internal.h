/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* MGLRU module internals: the lru_gen parser, pure so unit tests feed it text. */
#ifndef MW_MGLRU_INTERNAL_H
#define MW_MGLRU_INTERNAL_H

#include <stddef.h>

#include <memward/mglru.h>
#include "core/internal.h"

/* Nodes memward looks at (node ids are below MAX_NUMNODES; 64 covers the
 * machines of this project). */
#define MW_MGLRU_MAX_NODES 64

/* One parsed lru_gen: the memcg id of the cgroup asked for and its generations. */
struct mw__mglru_parsed {
	long memcg_id;
	struct mw_mglru_gen *gens;
	size_t n, cap;
};

/*
 * Parse /sys/kernel/debug/lru_gen text (mm/vmscan.c lru_gen_seq_show(), not
 * the _full variant): "memcg ID PATH", " node N", " SEQ AGE_MS ANON FILE"
 * lines; counts may carry a one-character mark. rel is the cgroup path below
 * the cgroup2 root ("/" for the root). Every line is checked, the cgroup's or
 * not: 0; -ENOENT when rel is not listed; -EBADMSG on a line that is none of
 * these (the log callback gets its number and why), a generation outside a
 * node, a node outside a memcg, a node id >= MW_MGLRU_MAX_NODES or a number
 * that overflows; -ENOMEM. out->gens is the caller's to free in every case.
 */
MW_HIDDEN int mw__mglru_parse(const char *text, const char *rel, struct mw__mglru_parsed *out);

#endif
