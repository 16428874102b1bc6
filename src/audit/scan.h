/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit's driver (audit.c) as the watch (watch.c) uses it. Not installed. */
#ifndef MW_AUDIT_SCAN_H
#define MW_AUDIT_SCAN_H

#include "audit/collect.h"
#include "audit/rules.h"

/* Internal flag (never accepted from a caller): no memfd_noexec_policy
 * findings (a watch reads single processes, not namespaces). */
#define MW__AUDIT_F_NO_NS_FINDING (1u << 31)

/* Copy and check the caller's options (core/opts.h rules). 0 or -EINVAL. */
MW_HIDDEN int mw__audit_opts_in(struct mw_audit_opts *o, const struct mw_audit_opts *opts);
/* mw_audit_scan() with a trust set and hash cache kept by the caller. */
MW_HIDDEN int mw__audit_scan_with(const struct mw_audit_opts *o, struct mw__audit_trust *trust,
				  struct mw__audit_hcache *hashes, struct mw_audit_report **out);

#endif
