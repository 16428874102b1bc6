/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The memfd capability's feature probes, called by the registry
 * (src/features/features.c). Each tries the feature on a memfd of its own. */
#ifndef MW_MEMFD_PROBE_H
#define MW_MEMFD_PROBE_H

#include "core/internal.h"
#include <memward/features.h>

MW_HIDDEN void mw__memfd_probe_create(struct mw_feature_status *st);
MW_HIDDEN void mw__memfd_probe_noexec_seal(struct mw_feature_status *st);
MW_HIDDEN void mw__memfd_probe_exec(struct mw_feature_status *st);
/* F_SEAL_EXEC (since "6.3") or F_SEAL_FUTURE_WRITE ("5.1"): name and since
 * go into the reason. */
MW_HIDDEN void mw__memfd_probe_seal(struct mw_feature_status *st, int seal, const char *name,
				    const char *since);

#endif
