/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Size-first structs across the API: see opts.h. */
#include <errno.h>
#include <string.h>

#include "core/opts.h"

int mw__opts_in(void *ours, size_t size, size_t min, const void *in)
{
	size_t their;

	memset(ours, 0, size);
	*(size_t *)ours = size;
	if (!in)
		return 0;
	memcpy(&their, in, sizeof(their));
	if (their < sizeof(size_t) || their < min)
		return -EINVAL;
	for (size_t i = size; i < their; i++)
		if (((const unsigned char *)in)[i])
			return -EINVAL;
	memcpy((char *)ours + sizeof(size_t), (const char *)in + sizeof(size_t),
	       (their < size ? their : size) - sizeof(size_t));
	return 0;
}

int mw__result_out(void *out, const void *ours, size_t size)
{
	size_t their;

	if (!out)
		return 0;
	memcpy(&their, out, sizeof(their));
	if (their < sizeof(size_t))
		return -EINVAL;
	memcpy((char *)out + sizeof(size_t), (const char *)ours + sizeof(size_t),
	       (their < size ? their : size) - sizeof(size_t));
	return 0;
}
