/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit row writers' output buffer (obuf.h). */
#include "obuf.h"
#include "cli.h"

#include <stdlib.h>
#include <string.h>

void ob_flush(struct obuf *o)
{
	if (o->len)
		fwrite_unlocked(o->buf, 1, o->len, o->f);
	o->len = 0;
}

void ob__memo_put(struct omemo *m, const char *s, size_t n)
{
	if (!m->esc || m->len + n > m->cap) {
		size_t cap = (m->len + n) * 2 + 64;
		char *nb = realloc(m->esc, cap);

		if (!nb) {
			cli_err("out of memory");
			exit(2);
		}
		m->esc = nb;
		m->cap = cap;
	}
	memcpy(m->esc + m->len, s, n);
	m->len += n;
}

void ob_uint(struct obuf *o, unsigned long long v)
{
	char b[24], *p = b + sizeof(b);

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10));
	ob_put(o, p, (size_t)(b + sizeof(b) - p));
}

void ob_int(struct obuf *o, long long v)
{
	if (v < 0) {
		ob_putc(o, '-');
		ob_uint(o, 0ULL - (unsigned long long)v);
	} else {
		ob_uint(o, (unsigned long long)v);
	}
}

size_t ob_memo(struct obuf *o, struct omemo *m, const char *raw, obuf_esc_fn fn)
{
	if (!raw)
		raw = "";
	if (m->raw != raw || !m->esc) {
		struct omemo *outer = o->making;

		m->raw = raw;
		m->len = 0;
		o->making = m;
		m->width = fn(o, raw);
		o->making = outer;
		if (!m->esc)
			ob__memo_put(m, "", 0); /* an empty field is still a memo */
	}
	ob_put(o, m->esc, m->len);
	return m->width;
}

void ob_memo_free(struct omemo *m)
{
	free(m->esc);
	memset(m, 0, sizeof(*m));
}
