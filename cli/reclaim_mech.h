/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memward reclaim's three mechanisms (cli/reclaim_mech.c). */
#ifndef MW_CLI_RECLAIM_MECH_H
#define MW_CLI_RECLAIM_MECH_H

#include <stdbool.h>
#include <stdint.h>

#include "reclaim_common.h"

enum mech { MECH_AUTO = 1, MECH_DAMON, MECH_MGLRU, MECH_MEMCG };

struct rc_opts {
	const char *pid_arg, *cgroup;
	uint64_t min_age_us, interval_us, quota_bps, psi_target_us;
	bool anon, file, once, json;
	enum mech mech, mech_used;
};

const char *mech_name(enum mech m);
int mech_damon(const struct rc_opts *o, const struct rc_target *t);
int mech_mglru(const struct rc_opts *o, const struct rc_target *t);
int mech_memcg(const struct rc_opts *o, const struct rc_target *t);

#endif
