/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a capability's probe uses to fill a struct mw_feature_status. The
 * registry (features.c) calls each capability's probes through that
 * capability's own probe.h (memfd/probe.h, policy/probe.h, ...), so the code
 * that knows a feature also knows how to try it. Internal.
 */
#ifndef MW_FEATURES_PROBE_H
#define MW_FEATURES_PROBE_H

#include <stdbool.h>

#include "core/internal.h"
#include <memward/features.h>

/* Fill state, cause, error (positive errno; a negative one is flipped) and
 * the one-sentence reason. */
MW_HIDDEN void mw__feature_set(struct mw_feature_status *st, enum mw_feature_state state,
			       enum mw_feature_cause cause, int err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Classify the failure of a syscall that exists on every supported kernel:
 * ENOSYS not built (or hidden by seccomp), EPERM/EACCES blocked or refused,
 * anything else unknown. */
MW_HIDDEN void mw__feature_syscall_error(struct mw_feature_status *st, const char *what, int err);
/* "ENOSYS", or "unknown error". */
MW_HIDDEN const char *mw__feature_ename(int err);
/* Read a number from a sysfs/procfs file into *out: 0. When the file does
 * not exist, st says MISSING/NOT_BUILT with `missing` as the reason; when it
 * cannot be read or parsed, UNKNOWN/ERROR; both return -1. */
MW_HIDDEN int mw__feature_read_long(struct mw_feature_status *st, const char *path,
				    const char *missing, long *out);
/* A seccomp filter is active on this thread: errors may come from it. */
MW_HIDDEN bool mw__feature_under_seccomp(void);

#endif
