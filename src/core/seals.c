/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one table of seal names, and seal sets to and from text. Used by the
 * public mw_memfd_seal*() functions, the policy parser, the inspector, the
 * audit and the supervisor.
 */
#include "core/seals.h"

#include <errno.h>
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <memward/memfd.h>

#include "sys/shim.h"

static const struct {
	unsigned int bit;
	const char *name;
} seal_names[] = {
	{ MW_SEAL_SEAL, "seal" },
	{ MW_SEAL_SHRINK, "shrink" },
	{ MW_SEAL_GROW, "grow" },
	{ MW_SEAL_WRITE, "write" },
	{ MW_SEAL_FUTURE_WRITE, "future_write" },
	{ MW_SEAL_EXEC, "exec" },
};

const char *mw__seal_name(unsigned int seal)
{
	for (size_t i = 0; i < sizeof(seal_names) / sizeof(seal_names[0]); i++)
		if (seal_names[i].bit == seal)
			return seal_names[i].name;
	return NULL;
}

int mw__seals_format(unsigned int seals, char *buf, size_t len)
{
	char full[128];
	size_t n = 0;

	if (!buf && len)
		return -EINVAL;
	full[0] = '\0';
	for (size_t i = 0; i < sizeof(seal_names) / sizeof(seal_names[0]); i++)
		if (seals & seal_names[i].bit)
			n += (size_t)snprintf(full + n, sizeof(full) - n, "%s%s", n ? "," : "",
					      seal_names[i].name);
	if (seals & ~MW_SEAL_ALL)
		n += (size_t)snprintf(full + n, sizeof(full) - n, "%s0x%x", n ? "," : "",
				      seals & ~MW_SEAL_ALL);
	if (len)
		snprintf(buf, len, "%s", full);
	return (int)n;
}

int mw__seals_parse(const char *text, unsigned int *seals)
{
	unsigned int out = 0;
	const char *p = text;

	if (!text || !seals)
		return -EINVAL;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		unsigned int bit = 0;
		char word[32];

		while (n && isspace((unsigned char)*p)) {
			p++;
			n--;
		}
		while (n && isspace((unsigned char)p[n - 1]))
			n--;
		if (n == 0 || n >= sizeof(word))
			return -EINVAL;
		memcpy(word, p, n);
		word[n] = '\0';
		for (char *c = word; *c; c++)
			if (*c == '-')
				*c = '_';
		bit = mw__seal_bit(word);
		if (!bit) {
			if (!strcasecmp(word, "frozen"))
				bit = MW_SEALS_FROZEN;
			else if (!strcasecmp(word, "fixed_size"))
				bit = MW_SEALS_FIXED_SIZE;
			else if (!strcasecmp(word, "producer"))
				bit = MW_SEALS_PRODUCER;
			else if (!strcasecmp(word, "none"))
				bit = 0;
			else
				return -EINVAL;
		}
		out |= bit;
		if (!end)
			break;
		p = end + 1;
		if (!*p)
			return -EINVAL; /* trailing comma */
	}
	*seals = out;
	return 0;
}

unsigned int mw__seal_bit(const char *word)
{
	for (size_t i = 0; i < sizeof(seal_names) / sizeof(seal_names[0]); i++)
		if (!strcasecmp(word, seal_names[i].name))
			return seal_names[i].bit;
	return 0;
}

const char *mw__seals_string(unsigned int seals, char *buf, size_t size)
{
	if (!buf || size == 0)
		return buf;
	if (seals == 0)
		snprintf(buf, size, "none");
	else
		mw__seals_format(seals, buf, size);
	return buf;
}

int mw__seals_add(int fd, unsigned int seals)
{
	int r = -1;

	for (int i = 0; i < MW__SEALS_ADD_TRIES; i++) {
		r = fcntl(fd, F_ADD_SEALS, seals);
		if (r == 0 || errno != EBUSY)
			break;
	}
	return r;
}
