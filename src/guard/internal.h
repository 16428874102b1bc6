/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guard's internals, shared by src/guard/ only. */
#ifndef MW_GUARD_INTERNAL_H
#define MW_GUARD_INTERNAL_H

#include <stdint.h>

#include "guard/bpf_event.h"

/* A listed executable, kept to name it in events. */
struct mw__guard_allow {
	uint64_t dev, ino;   /* st_dev form */
	char *path;
};

#endif
