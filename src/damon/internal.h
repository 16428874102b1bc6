/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DAMON module internals: shared by src/damon/ only. */
#ifndef MW_DAMON_INTERNAL_H
#define MW_DAMON_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <memward/damon.h>
#include "core/internal.h"

#define DAMON_ADMIN "/sys/kernel/mm/damon/admin"
#define DAMON_KDAMONDS DAMON_ADMIN "/kdamonds"
/* memward's own kdamond is always index 0: it only creates one when none exists. */
#define DAMON_K0 DAMON_KDAMONDS "/0"
#define DAMON_C0 DAMON_K0 "/contexts/0"

/* Copy a caller's size-first struct into ours (libbpf rule: a smaller sz is
 * accepted and the missing tail is zero; a larger one only if the extra bytes
 * are zero). sz 0 with allow_absent gives a zeroed struct. 0 or -EINVAL. */
MW_HIDDEN int mw__damon_copy(void *dst, size_t dst_sz, const void *src, bool allow_absent);

/* The real path of a DAMON file (printf-style; under mw__sysroot() in
 * tests). 0 or -ENAMETOOLONG. The helpers below call it themselves. */
MW_HIDDEN int mw__damon_path(char *p, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* printf-style path under base; write/read a value. 0 / length or -errno. */
MW_HIDDEN int mw__damon_write(const char *val, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
MW_HIDDEN int mw__damon_writeu(uint64_t v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
MW_HIDDEN ssize_t mw__damon_read(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
MW_HIDDEN int mw__damon_readu(uint64_t *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
MW_HIDDEN bool mw__damon_exists(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write the context (already validated) into kdamond 0's context 0. why gets
 * the reason of a failure. 0 or -errno. */
MW_HIDDEN int mw__damon_tree_write(const struct mw_damon_ctx *ctx, char *why, size_t why_len);

/* Check a context before anything is written: sizes, ranges, memcg paths.
 * 0 or -errno with why. */
MW_HIDDEN int mw__damon_validate(const struct mw_damon_ctx *ctx, char *why, size_t why_len);

/* One sentence into why (may be NULL), also sent to the log callback. */
MW_HIDDEN void mw__damon_why(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Lock memward's DAMON record (/run/memward/damon): -EBUSY if another live
 * process holds it. */
MW_HIDDEN int mw__damon_record_lock(bool create, int *fd);
/* nr_kdamonds, or -errno. */
MW_HIDDEN int mw__damon_nr_kdamonds(void);
/* Turn kdamond 0 off and remove it (nr_kdamonds 0); only for memward's own. */
MW_HIDDEN int mw__damon_remove_k0(void);

MW_HIDDEN const char *mw__damon_ops_name(enum mw_damon_ops ops);
MW_HIDDEN const char *mw__damon_goal_metric_name(enum mw_damon_goal_metric m);

#endif
