/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pure helpers of the secret heap: size classes and canaries. */
#include "secret/internal.h"

/*
 * Classes: 16..128 bytes in steps of 16 (8 classes), then four per power of
 * two up to 4096 (160, 192, 224, 256, 320, ..., 4096). Every class is a
 * multiple of 16, so with the 16-byte canary header every slot stays 16-byte
 * aligned; internal waste is at most 25 % above 128 bytes.
 */
int mw__sc_index(size_t n)
{
	size_t m;
	unsigned int hb;

	if (n > MW_SC_MAX)
		return -1;
	if (n <= 128)
		return n == 0 ? 0 : (int)((n + 15) / 16) - 1;
	m = n - 1;
	hb = 63u - (unsigned int)__builtin_clzll((unsigned long long)m);
	return 8 + (int)(hb - 7) * 4 + (int)((m >> (hb - 2)) & 3);
}

size_t mw__sc_size(int i)
{
	size_t base;

	if (i < 0 || i >= MW_SC_COUNT)
		return 0;
	if (i < 8)
		return 16u * (size_t)(i + 1);
	base = (size_t)128 << ((i - 8) / 4);
	return base + (size_t)((i - 8) % 4 + 1) * (base / 4);
}

bool mw__all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t acc = 0, w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, b + i, 8);
		acc |= w;
	}
	for (; i < n; i++)
		acc |= b[i];
	return acc == 0;
}
