/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Seal bits to text for reports: mw_memfd_seals_to_string(), with "none" for 0. */
#include "core/seals.h"

#include <stdio.h>

#include <memward/memfd.h>

const char *mw__seals_string(unsigned int seals, char *buf, size_t size)
{
	if (!buf || size == 0)
		return buf;
	if (seals == 0)
		snprintf(buf, size, "none");
	else
		mw_memfd_seals_to_string(seals, buf, size);
	return buf;
}
