/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The secret heap's own test of memfd_secret, for the feature registry
 * (src/features/): the same code path the heap uses to create, map and
 * pre-fault secret memory, so that `memward status` cannot be killed by a
 * SIGBUS where the heap could not be (Debian 6.1/6.12 over RLIMIT_MEMLOCK).
 */
#ifndef MW_SECRET_PROBE_H
#define MW_SECRET_PROBE_H

#include <stddef.h>

#include "core/internal.h"

enum mw__secret_probe_stage {
	MW__SECRET_PROBE_OK = 0,
	MW__SECRET_PROBE_OPEN,      /* memfd_secret() failed: err */
	MW__SECRET_PROBE_TRUNCATE,  /* ftruncate() failed: err */
	MW__SECRET_PROBE_MMAP,      /* mmap() failed: err (EAGAIN: RLIMIT_MEMLOCK) */
	MW__SECRET_PROBE_FAULT,     /* the page could not be faulted in: err
				     * EAGAIN = memlock (or memory), else why */
};

struct mw__secret_probe {
	enum mw__secret_probe_stage stage;
	int err;
	char why[200];
};

/* Create a memfd_secret, map one page and fault it in without risking a
 * signal; everything is released before returning. */
MW_HIDDEN void mw__secret_probe(struct mw__secret_probe *r);

#endif
