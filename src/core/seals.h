/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Seal decoding shared by exec.c and inspect.c. Internal. */
#ifndef MW_SEALS_H
#define MW_SEALS_H

#include <stddef.h>

#include "core/internal.h"

/* "seal,shrink,grow,write,future_write,exec" for the bits set in seals
 * (unknown bits as "0x40"), "none" for 0. Always NUL-terminates; returns buf. */
MW_HIDDEN const char *mw__seals_string(unsigned int seals, char *buf, size_t size);

#endif
