/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * For the write-after-free tests: a violation handler that counts reports
 * and keeps the last one's text, and a check that memory is all zero.
 */
#ifndef MW_TEST_WAF_H
#define MW_TEST_WAF_H

#include "live.h"

static int reports;
static char last[200];

static inline void handler(const char *what, void *ptr, void *ctx)
{
	(void)ptr;
	(void)ctx;
	reports++;
	snprintf(last, sizeof(last), "%s", what);
}

static inline bool zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

#endif
