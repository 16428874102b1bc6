/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memward reclaim's three mechanisms (cli/reclaim_mech.c). */
#ifndef MW_CLI_RECLAIM_MECH_H
#define MW_CLI_RECLAIM_MECH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <memward/damon.h>

#include "reclaim_common.h"

enum mech { MECH_AUTO = 1, MECH_DAMON, MECH_MGLRU, MECH_MEMCG };

struct rc_opts {
	const char *pid_arg, *cgroup;
	uint64_t min_age_us, interval_us, quota_bps, psi_target_us;
	bool anon, file, once, json;
	enum mech mech, mech_used;
};

/* How --psi-target is honoured by a mechanism (the start line says which). */
#define PSI_DAMOS_GOAL "damos-quota-goal some_mem_psi_us (system-wide memory PSI, us per 1 s quota interval)"
#define PSI_MEMCG_LOOP "memory.reclaim loop on the cgroup's memory.pressure (some, us per second)"

const char *mech_name(enum mech m);
int mech_damon(const struct rc_opts *o, const struct rc_target *t);
int mech_mglru(const struct rc_opts *o, const struct rc_target *t);
int mech_memcg(const struct rc_opts *o, const struct rc_target *t);

/* The largest (up to max) address ranges unmapped in every one of pids, as
 * excluding addr filters (cli/reclaim_holes.c says why). How many. */
size_t rc_vaddr_holes(const pid_t *pids, size_t nr_pids, struct mw_damon_filter *out, size_t max);
#define RC_MAX_HOLES 24

#endif
