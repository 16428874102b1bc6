/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The secret heap: an allocator for keys, passwords and tokens whose memory
 * comes from memfd_secret(2) (Linux 5.14+), i.e. pages removed from the
 * kernel's direct map, or, where memfd_secret is unavailable, from locked,
 * non-dumpable anonymous memory (the "fallback" backing). The heap always
 * says which backing it has (mw_secret_heap_backing()).
 *
 * One heap = one memfd_secret fd (O_CLOEXEC) + one anonymous PROT_NONE
 * address-space reservation. Memory is mapped into the reservation in large,
 * pre-faulted chunks (MAP_FIXED), so guard regions stay anonymous PROT_NONE
 * and are not charged to RLIMIT_MEMLOCK. The heap grows on demand and gives
 * everything back (wiped) on mw_secret_heap_destroy().
 *
 * Two modes:
 *   MW_SECRET_COMPACT  size classes, per-thread caches, a random per-heap
 *                      canary before and after every object (checked on
 *                      free), zero on free, double-free and invalid-free
 *                      detection; the allocator's metadata lives outside the
 *                      secret chunks, so an overflow cannot corrupt it, in
 *                      MADV_DONTDUMP memory (no requested size in a core).
 *   MW_SECRET_GUARDED  each object right-aligned against a PROT_NONE guard
 *                      page, a leading canary before it, another guard page
 *                      before the slot; slots are prepared ahead; per-object
 *                      protection toggling (mw_secret_protect()); a freed
 *                      slot is wiped and reused without a syscall (a write
 *                      after free is detected at reuse), or, with
 *                      MW_SECRET_TRAP_FREED, made PROT_NONE so that a use
 *                      after free faults.
 *
 * Memory returned by mw_secret_alloc() is zero-filled. Compact objects are
 * 16-byte aligned; guarded objects end exactly at a page boundary, so they
 * are 16-byte aligned only when n is a multiple of 16 (like sodium_malloc).
 *
 * Errors: int functions return 0 or -errno; pointer functions return NULL
 * and set errno. After a failure, mw_secret_last_error() gives a sentence for
 * a person (it names RLIMIT_MEMLOCK when the locked-memory limit is the
 * cause). The library never prints, with one exception: a detected
 * memory-safety violation (canary overwritten, double free, invalid free)
 * calls the violation handler, whose default writes ONE line to stderr and
 * calls abort(), like glibc's malloc does.
 *
 * Thread safety: every function may be called from any thread concurrently
 * for the same heap, except mw_secret_heap_destroy(), which must not race
 * with other calls on that heap (after it, the heap pointer is invalid).
 * Threads must be glibc's (pthread_create): while the process has one
 * thread, compact free skips its atomic instruction (__libc_single_threaded),
 * so a raw clone(CLONE_VM) thread must not call the library.
 *
 * fork(): a heap belongs to the process that created it. In a child, a
 * pthread_atfork() handler has marked the parent's heaps unusable: alloc and
 * realloc fail with EPERM, free does nothing, size gives 0, protect and
 * stats give -EPERM, and destroy (also from atexit) frees only the child's
 * copies of the metadata, never the parent's secrets. A child creates a heap
 * of its own. (Raw clone()/vfork() children run no atfork handlers: they must
 * not call the library on the parent's heaps.)
 *
 * RLIMIT_MEMLOCK: the heap pre-faults new secret memory through a system
 * call, so that a fault over the limit (SIGBUS on Linux 6.1-6.12, where the
 * charge is per user and taken at fault time) becomes EAGAIN, with no helper
 * process and no signal handler (see mw_secret_heap_new(3)).
 */
#ifndef MEMWARD_SECRET_H
#define MEMWARD_SECRET_H

#include <stddef.h>
#include <memward/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mw_secret_heap;

enum mw_secret_mode {
	MW_SECRET_COMPACT = 0,   /* default */
	MW_SECRET_GUARDED = 1,
};

/* Refuse to fall back: mw_secret_heap_new() fails (with the errno of
 * memfd_secret, e.g. ENOSYS or EPERM) instead of using locked anonymous
 * memory when memfd_secret is unavailable. For callers that must not lose
 * the protection silently. */
#define MW_SECRET_NO_FALLBACK         (1u << 0)
/* Use the fallback backing even where memfd_secret works (testing,
 * `memward secret check`). Incompatible with MW_SECRET_NO_FALLBACK (EINVAL). */
#define MW_SECRET_FORCE_FALLBACK      (1u << 1)
/* Do not apply MADV_DONTFORK (nor, on the fallback, MADV_WIPEONFORK): a child
 * created by fork() keeps the secret pages. With the secretmem backing the
 * child SHARES the very same pages (a MAP_SHARED file mapping): its writes are
 * seen by the parent and vice versa, and the secret lives as long as either
 * process. With the fallback backing the child gets a copy-on-write copy.
 * Either way every secret the heap holds is readable by the child: use it
 * only when the child is as trusted as the parent. */
#define MW_SECRET_SHARE_WITH_CHILDREN (1u << 2)

/* Guarded mode: make a freed slot PROT_NONE until it is reused, so that any
 * use after free faults at once. Costs two mprotect() calls per reuse
 * (about 1.4 us on the development machine); without it a freed slot is
 * wiped and reused with no syscall, and a write after free is detected (the
 * violation handler) when the slot is reused. Ignored in compact mode. */
#define MW_SECRET_TRAP_FREED          (1u << 3)

#define MW_SECRET_FLAGS_ALL \
	(MW_SECRET_NO_FALLBACK | MW_SECRET_FORCE_FALLBACK | MW_SECRET_SHARE_WITH_CHILDREN | \
	 MW_SECRET_TRAP_FREED)

/*
 * Options. Set sz = sizeof(struct mw_secret_opts); zero fields take the
 * defaults (fields may be appended in later releases; an older caller passes
 * a smaller sz). A NULL opts pointer means all defaults.
 */
struct mw_secret_opts {
	size_t sz;
	unsigned int flags;        /* MW_SECRET_* flags; unknown bits: EINVAL */
	enum mw_secret_mode mode;  /* MW_SECRET_COMPACT (0) or MW_SECRET_GUARDED */
	/* Compact mode: bytes mapped (and locked, and pre-faulted) at a time when
	 * the heap grows; rounded up to the page size. Default 64 KiB; at most
	 * 64 MiB. Guarded mode: ignored. */
	size_t chunk_size;
	/* Upper bound of locked bytes this heap may hold (0: no bound other than
	 * RLIMIT_MEMLOCK and the reservation). Going over gives ENOMEM. */
	size_t max_locked;
	/* Address space reserved (PROT_NONE, not charged to anything) for the
	 * heap; 0: 1 GiB. Rounded up to the chunk size. */
	size_t reserve;
	/* Guarded mode: slots (of up to 4 pages) mapped at once, in one slab
	 * from one secretmem file, when a size runs out (default 8, at most 256). */
	unsigned int guarded_batch;
};

/*
 * Create a heap. NULL opts = defaults (compact, 64 KiB chunks, fallback
 * allowed, MADV_DONTFORK). Maps and touches one page at once, so that the
 * backing is known and a memlock limit that allows nothing fails here.
 * Returns NULL and sets errno:
 *   EINVAL   opts->sz too small (< offsetof(flags) + sizeof(flags)), unknown
 *            flag bits, unknown mode, NO_FALLBACK with FORCE_FALLBACK,
 *            chunk_size > 64 MiB, max_locked below one allocation's mapping
 *            (compact: a chunk, at least 2 pages; guarded: a page), reserve
 *            below 29 chunks + a page (compact) or 64 pages (guarded)
 *   ENOSYS, EPERM, EACCES (or another errno of memfd_secret)
 *            memfd_secret unavailable and MW_SECRET_NO_FALLBACK given
 *   EAGAIN   RLIMIT_MEMLOCK exhausted (either backing), or a compact
 *            chunk_size larger than RLIMIT_MEMLOCK without CAP_IPC_LOCK (no
 *            slab could ever be locked): the message of
 *            mw_secret_last_error() names RLIMIT_MEMLOCK and its value
 *   ENOMEM   out of memory or address space
 *   EMFILE, ENFILE  no fd for memfd_secret
 */
MW_API struct mw_secret_heap *mw_secret_heap_new(const struct mw_secret_opts *opts);

/* Wipe every object (live or not), unmap every chunk and the reservation,
 * close the fd, free the metadata. NULL is a no-op. Objects still allocated
 * become invalid. Must not race with other calls on the same heap. */
MW_API void mw_secret_heap_destroy(struct mw_secret_heap *h);

/*
 * Allocate n bytes (n = 0 gives a unique minimal object), zero-filled
 * (alignment: see above). No syscall in the steady state (a syscall only when the
 * heap must grow: compact needs a new chunk, guarded has no prepared slot).
 * Returns NULL and sets errno:
 *   EINVAL  h is NULL
 *   EAGAIN  RLIMIT_MEMLOCK exhausted (see mw_secret_last_error())
 *   ENOMEM  reservation or max_locked exhausted, n too large, guarded slots
 *           of the process at a quarter of vm.max_map_count, or the new
 *           memory could not be pre-faulted safely (the message says why)
 *   EPERM   in a child of fork(), on a heap of the parent
 * Compact mode: a freed slot is checked to be still zero when it is reused;
 * one written after its free goes to the violation handler and is never
 * handed out again.
 */
MW_API void *mw_secret_alloc(struct mw_secret_heap *h, size_t n);

/*
 * Free an object of h: check its canaries and wipe it (guarded mode with
 * MW_SECRET_TRAP_FREED: then make its slot PROT_NONE). NULL is a no-op.
 * A canary found overwritten, a double free, or a pointer that is not a live
 * object of h (invalid free) calls the violation handler (default: one line
 * on stderr, abort()); if a custom handler returns, the object is neither
 * reused nor touched further (it is leaked, quarantined).
 */
MW_API void mw_secret_free(struct mw_secret_heap *h, void *p);

/*
 * Resize: p = NULL acts as mw_secret_alloc(); n = 0 frees p and returns NULL.
 * The old object is wiped when the data moves. On failure returns NULL, sets
 * errno as mw_secret_alloc() does, and p stays valid and unchanged.
 * An invalid p goes to the violation handler (then NULL, errno EINVAL).
 */
MW_API void *mw_secret_realloc(struct mw_secret_heap *h, void *p, size_t n);

/* Bytes usable at p (the size requested at allocation), or 0 when p is not
 * a live object of h (or h is a parent's heap in a child of fork()). */
MW_API size_t mw_secret_size(const struct mw_secret_heap *h, const void *p);

/* 1 when p is a live object of h (a 0-byte object too, for which
 * mw_secret_size() gives 0), else 0 (also for NULL h or p). Read-only: it
 * also answers in a child of fork() for the parent's heap, so that a shim
 * can tell the parent's objects (not to be freed there) from its own. For
 * allocator hooks that must route a free (OpenSSL's CRYPTO_secure_allocated,
 * libgcrypt's gcry_set_allocation_handler is_secure). */
MW_API int mw_secret_owns(const struct mw_secret_heap *h, const void *p);

/* Protection of one guarded object (its whole slot). */
#define MW_SECRET_NOACCESS  0
#define MW_SECRET_READONLY  1
#define MW_SECRET_READWRITE 2

/*
 * Change the protection of a live guarded object (e.g. keep a key NOACCESS
 * except while it is used). Freeing an object restores what free needs.
 * Returns 0, or:
 *   -EOPNOTSUPP  the heap is in compact mode
 *   -EPERM       in a child of fork(), on a heap of the parent
 *   -EINVAL      h or p NULL, p not a live object of h, unknown prot
 *   -ENOMEM, -EAGAIN  mprotect() failed (VMA limit)
 */
MW_API int mw_secret_protect(struct mw_secret_heap *h, void *p, int prot);

enum mw_secret_backing {
	MW_SECRET_BACKING_SECRETMEM = 0,  /* memfd_secret: out of the direct map */
	MW_SECRET_BACKING_MLOCK = 1,      /* fallback: mlock + DONTDUMP + WIPEONFORK */
};

MW_API enum mw_secret_backing mw_secret_heap_backing(const struct mw_secret_heap *h);
/* "secretmem" / "mlock"; NULL for another value. */
MW_API const char *mw_secret_backing_name(enum mw_secret_backing b);
/* Why the heap uses the fallback ("memfd_secret: ENOSYS (...)", "forced by
 * MW_SECRET_FORCE_FALLBACK"), or "" for the secretmem backing. */
MW_API const char *mw_secret_heap_fallback_reason(const struct mw_secret_heap *h);

/* "compact" / "guarded"; NULL for another value. */
MW_API const char *mw_secret_mode_name(enum mw_secret_mode m);

/*
 * Statistics. Set st->sz = sizeof(*st) (fields may be appended later).
 *   bytes_in_use    sum of the sizes of live objects as requested
 *   bytes_reserved  bytes mapped for objects (chunks, guarded slots),
 *                   including free space and canaries, excluding guards
 *   bytes_locked    bytes charged to RLIMIT_MEMLOCK by this heap (mapped
 *                   secretmem or mlocked memory); with the current design
 *                   equal to bytes_reserved (where faults are charged,
 *                   Linux 6.1 and 6.12, guarded slots never handed out
 *                   are counted, not yet charged)
 *   chunks          secret mappings (compact chunks, guarded slots)
 *   live_objects    objects allocated and not freed
 * Objects held in per-thread caches count as free. Returns 0, or -EINVAL
 * when h or st is NULL or st->sz is too small, -EPERM in a child of fork()
 * on a heap of the parent.
 */
struct mw_secret_stats {
	size_t sz;
	size_t bytes_in_use;
	size_t bytes_reserved;
	size_t bytes_locked;
	size_t chunks;
	size_t live_objects;
	enum mw_secret_backing backing;
	enum mw_secret_mode mode;
};
MW_API int mw_secret_heap_stats(const struct mw_secret_heap *h, struct mw_secret_stats *st);

/*
 * Violation handler (process-wide, all heaps). what is a short English
 * description ("double free", "canary after the object overwritten
 * (overflow)", ...), ptr the pointer passed to free/realloc. NULL restores
 * the default, which writes one line to stderr and calls abort(). The
 * handler may longjmp/_exit; if it returns, the offending object is leaked.
 */
typedef void (*mw_secret_violation_fn)(const char *what, void *ptr, void *ctx);
MW_API void mw_secret_set_violation_handler(mw_secret_violation_fn fn, void *ctx);

/* The message of the last failed mw_secret_* call in this thread ("" when
 * none). Valid until the next mw_secret_* call in the same thread. Memlock
 * exhaustion reads "... RLIMIT_MEMLOCK (8388608 bytes) exhausted ...". The
 * same text also goes to the log callback (mw_set_log) at LOG_ERR. */
MW_API const char *mw_secret_last_error(void);

#ifdef __cplusplus
}
#endif
#endif
