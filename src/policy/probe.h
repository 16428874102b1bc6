/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy capability's feature probes, called by the registry
 * (src/features/features.c): vm.memfd_noexec, seccomp filters, user
 * notification and ADDFD, pidfd_getfd. */
#ifndef MW_POLICY_PROBE_H
#define MW_POLICY_PROBE_H

#include "core/internal.h"
#include <memward/features.h>

MW_HIDDEN void mw__policy_probe_noexec_sysctl(struct mw_feature_status *st);
MW_HIDDEN void mw__policy_probe_seccomp_filter(struct mw_feature_status *st);
MW_HIDDEN void mw__policy_probe_user_notif(struct mw_feature_status *st);
/* Runs a short-lived child (core/child.h): a filter cannot be removed. */
MW_HIDDEN void mw__policy_probe_notif_addfd(struct mw_feature_status *st);
MW_HIDDEN void mw__policy_probe_pidfd_getfd(struct mw_feature_status *st);
/* Can a POSIX ACL, or fchmod on hugetlbfs, add exec bits to an exec-sealed
 * memfd? Tried on a memfd of the probe's own; nothing global changes. */
MW_HIDDEN void mw__policy_probe_exec_seal_acl(struct mw_feature_status *st);
MW_HIDDEN void mw__policy_probe_exec_seal_hugetlb(struct mw_feature_status *st);

#endif
