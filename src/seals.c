/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Seal bits to text. */
#include "seals.h"

#include <stdio.h>
#include <string.h>

#include "sys/shim.h"

static const struct {
	unsigned int bit;
	const char *name;
} seal_names[] = {
	{ F_SEAL_SEAL, "seal" },
	{ F_SEAL_SHRINK, "shrink" },
	{ F_SEAL_GROW, "grow" },
	{ F_SEAL_WRITE, "write" },
	{ F_SEAL_FUTURE_WRITE, "future_write" },
	{ F_SEAL_EXEC, "exec" },
};

const char *mw__seals_string(unsigned int seals, char *buf, size_t size)
{
	size_t len = 0;

	if (!buf || size == 0)
		return buf;
	buf[0] = '\0';
	if (seals == 0) {
		snprintf(buf, size, "none");
		return buf;
	}
	for (size_t i = 0; i < sizeof(seal_names) / sizeof(seal_names[0]); i++) {
		if (!(seals & seal_names[i].bit))
			continue;
		seals &= ~seal_names[i].bit;
		if (len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "," : "",
						 seal_names[i].name);
	}
	for (unsigned int bit = 1; seals && bit; bit <<= 1) {
		if (!(seals & bit))
			continue;
		seals &= ~bit;
		if (len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s0x%x", len ? "," : "", bit);
	}
	return buf;
}
