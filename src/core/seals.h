/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Seal names and seal sets as text: the one table (seals.c). Internal. */
#ifndef MW_CORE_SEALS_H
#define MW_CORE_SEALS_H

#include <stddef.h>

#include "core/internal.h"

/* "seal", "shrink", "grow", "write", "future_write", "exec" for one MW_SEAL_*
 * bit; NULL for anything else. */
MW_HIDDEN const char *mw__seal_name(unsigned int seal);
/* The bit named by word (case-insensitive, as mw__seal_name spells it); 0
 * when unknown. */
MW_HIDDEN unsigned int mw__seal_bit(const char *word);
/* Comma-separated names of the bits set (unknown bits as "0x40") into buf,
 * truncated to len; returns the full length (like snprintf). */
MW_HIDDEN int mw__seals_format(unsigned int seals, char *buf, size_t len);
/* Parse "write,grow" / preset names ("frozen", "fixed-size", "producer",
 * "none"); 0 or -EINVAL. */
MW_HIDDEN int mw__seals_parse(const char *text, unsigned int *seals);
/* As mw__seals_format, but "none" for 0; always NUL-terminates; returns buf. */
MW_HIDDEN const char *mw__seals_string(unsigned int seals, char *buf, size_t size);
/*
 * fcntl(fd, F_ADD_SEALS, seals), tried again while it fails with EBUSY, at
 * most MW__SEALS_ADD_TRIES times in all: 0, or -1 with errno set (as
 * fcntl). F_SEAL_WRITE (and F_SEAL_EXEC on an executable memfd, which
 * implies it) is refused with EBUSY while a page of the file holds a
 * reference beyond the page cache's: a pipe that a splice() filled, I/O in
 * flight, reclaim or migration that isolated the page. The kernel drains
 * the per-CPU page lists and waits about 150 ms before it gives up; such a
 * reference can outlast that on a loaded machine, and then goes away. A
 * writable shared mapping also gives EBUSY, at once and for as long as it
 * exists: its tries cost a few microseconds. No other system call than
 * fcntl (the share receive path's documented set stays as it is).
 */
#define MW__SEALS_ADD_TRIES 4
MW_HIDDEN int mw__seals_add(int fd, unsigned int seals);

#endif
