/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Size-first option and result structs: the one way every public struct whose
 * first field is `size_t sz` crosses the API (libbpf's rule).
 *
 * In (options from the caller): a caller built against an older header passes
 * a smaller sz; the fields it does not know are read as zero. A caller built
 * against a newer header passes a larger sz; that is accepted only when every
 * byte past the end of our struct is zero (it asks for nothing we lack).
 *
 * Out (results to the caller): we fill at most the caller's sz bytes and keep
 * its sz, so an old caller's smaller struct is never overrun.
 */
#ifndef MW_CORE_OPTS_H
#define MW_CORE_OPTS_H

#include <stddef.h>

#include "core/internal.h"

/* Copy the caller's struct `in` (may be NULL: all defaults) into ours, which is
 * `size` bytes and starts with size_t sz. Our sz is set to `size`. Returns 0,
 * or -EINVAL when in->sz is below `min` or a byte past `size` is not 0 (ours
 * is then all zero but for sz).
 * `min` is the size of the struct's first published version: an sz below
 * it is no header's, and would end inside a field or drop fields the caller
 * set (an sz of 8 silently dropped MW_SECRET_NO_FALLBACK). Every struct but
 * mw_policy_run_opts is at its first version: MW_OPTS_IN takes its size. */
MW_HIDDEN int mw__opts_in(void *ours, size_t size, size_t min, const void *in);
#define MW_OPTS_IN(ours, in) mw__opts_in(&(ours), sizeof(ours), sizeof(ours), (in))

/* Copy our result (size bytes, starting with sz) out to the caller's struct
 * `out`, at most out->sz bytes; out->sz is kept. NULL out is 0 (nothing
 * wanted). -EINVAL when out->sz cannot hold sz itself. */
MW_HIDDEN int mw__result_out(void *out, const void *ours, size_t size);
#define MW_RESULT_OUT(out, ours) mw__result_out((out), &(ours), sizeof(ours))

/* Does the caller's struct (sz bytes) reach the end of field `member` of
 * `type`? For results, whose fields past a short sz are not written. */
#define MW_OPTS_HAS(type, ptr, member) \
	((ptr) && (ptr)->sz >= offsetof(type, member) + sizeof(((type *)0)->member))

#endif
