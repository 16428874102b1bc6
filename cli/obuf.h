/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The output buffer of memward audit's row writers (table, --prometheus,
 * --json, --jsonl): bytes are copied into the writer's own buffer and go to
 * the FILE a buffer at a time (a stdio call per field cost more than the
 * copy: a scan can make 100,000 findings, each a dozen fields), and a field
 * that repeats from row to row (a process's comm and exe, a rule's reason)
 * is escaped once into a memo and copied from there while it repeats.
 */
#ifndef MW_CLI_OBUF_H
#define MW_CLI_OBUF_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* A field's escaped form, kept while the rows give the same string (the
 * same pointer: the findings of one process share their strings). */
struct omemo {
	const char *raw;  /* what was escaped (NULL: nothing yet) */
	char *esc;        /* its escaped bytes */
	size_t len, cap;
	size_t width;     /* what the escaper returned (the table's column width) */
};

struct obuf {
	FILE *f;
	struct omemo *making; /* non-NULL: bytes go to this memo, not to f */
	char *buf;
	size_t len, cap;
};

/* A buffer of cap bytes at storage, writing to f. */
#define OBUF_INIT(file, storage, size) { .f = (file), .buf = (storage), .cap = (size) }

void ob_flush(struct obuf *o);
/* Append n bytes to the memo being made (obuf.c). */
void ob__memo_put(struct omemo *m, const char *s, size_t n);

/* Inline: the writers call these for every field. */
static inline void ob_put(struct obuf *o, const char *s, size_t n)
{
	if (o->making) {
		ob__memo_put(o->making, s, n);
		return;
	}
	if (o->len + n > o->cap) {
		ob_flush(o);
		if (n > o->cap) {
			fwrite_unlocked(s, 1, n, o->f);
			return;
		}
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static inline void ob_putc(struct obuf *o, char c)
{
	if (o->making) {
		ob__memo_put(o->making, &c, 1);
		return;
	}
	if (o->len == o->cap)
		ob_flush(o);
	o->buf[o->len++] = c;
}

/* A string literal, its length counted by the compiler. */
#define OB_LIT(o, lit) ob_put((o), (lit), sizeof(lit) - 1)

static inline void ob_puts(struct obuf *o, const char *s)
{
	ob_put(o, s, strlen(s));
}
/* The decimal digits of v (no padding). */
void ob_int(struct obuf *o, long long v);
void ob_uint(struct obuf *o, unsigned long long v);

/* Escape raw with fn into m unless m holds raw already (same pointer),
 * then copy m out; returns what fn returned for it. fn writes through
 * ob_put/ob_putc on the obuf it is given. Exits with a message when out of
 * memory (the CLI's rule for its output). */
typedef size_t (*obuf_esc_fn)(struct obuf *o, const char *raw);
size_t ob_memo(struct obuf *o, struct omemo *m, const char *raw, obuf_esc_fn fn);
void ob_memo_free(struct omemo *m);

#endif
