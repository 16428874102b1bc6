/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Backing memory of the secret heap: one anonymous PROT_NONE reservation per
 * heap, and one memfd_secret file per chunk mapped MAP_FIXED into it.
 * Whatever is not mapped (guards, gaps) stays anonymous PROT_NONE and is not
 * charged to RLIMIT_MEMLOCK; only the secret mappings are (memfd_secret
 * mappings are VM_LOCKED, Linux 5.14 mm/secretmem.c).
 *
 * The heap keeps NO secretmem descriptor: each chunk's file is closed right
 * after its mmap (the mapping holds the file). A descriptor kept open would be
 * inherited by fork(2) (O_CLOEXEC acts on exec only) and could be taken by
 * pidfd_getfd(2) (5.6) or opened via /proc/PID/fd, and mapped again: that
 * gives the pages back to whoever holds it, whatever MADV_DONTFORK says.
 * The descriptor lives only between memfd_secret() and close() in
 * map_secret(), under fd_lock, which our atfork handler also takes, so a
 * fork(3) never copies it (see mw__backing_fork_prepare()).
 */
#include "core/child.h"
#include "secret/internal.h"
#include "sys/shim.h"

#include <errno.h>
#include <string.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sched.h>
#include <signal.h>
#include <syslog.h>
#include <sys/wait.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* The longest message (memlock_error's, compact, with the limit and the
 * locked bytes in full) is about 400 bytes: room for all of it. */
static __thread char tl_err[640];

void mw__secret_error(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vsnprintf(tl_err, sizeof(tl_err), fmt, ap);
	va_end(ap);
	mw__log(LOG_ERR, "secret heap: %s", tl_err);
	errno = saved;
}

void mw__secret_clear_error(void)
{
	tl_err[0] = '\0';
}

MW_API const char *mw_secret_last_error(void)
{
	return tl_err;
}

static void memlock_error(struct mw_secret_heap *h, size_t len, int err)
{
	struct rlimit rl;
	char lim[32] = "unknown";

	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
		if (rl.rlim_cur == RLIM_INFINITY)
			snprintf(lim, sizeof(lim), "unlimited");
		else
			snprintf(lim, sizeof(lim), "%llu bytes", (unsigned long long)rl.rlim_cur);
	}
	/* Where the kernel charges secretmem faults to RLIMIT_MEMLOCK even with
	 * CAP_IPC_LOCK (Debian 6.1/6.12), granting it does not help. */
	bool cap = mw__cap_effective(MW_CAP_IPC_LOCK);

	/* mlock(2) gives EPERM for the limit only when the limit is 0; with a
	 * limit above 0 it is a seccomp filter or an LSM saying no. */
	if (err == EPERM && strcmp(lim, "0 bytes") != 0) {
		mw__secret_error("cannot lock %zu more bytes of %s memory: mlock refused with EPERM while "
				 "RLIMIT_MEMLOCK is %s: a seccomp filter or an LSM refuses mlock/mlock2 here",
				 len, h->backing == MW_SECRET_BACKING_SECRETMEM ? "secretmem" : "mlocked", lim);
		return;
	}
	mw__secret_error("cannot lock %zu more bytes of %s memory (%s): RLIMIT_MEMLOCK (%s) "
			 "exhausted, this heap holds %zu locked bytes%s; raise RLIMIT_MEMLOCK%s",
			 len, h->backing == MW_SECRET_BACKING_SECRETMEM ? "secretmem" : "mlocked",
			 mw_errno_name(err) ? mw_errno_name(err) : "?", lim, h->locked,
			 h->mode == MW_SECRET_COMPACT
				 ? " (slabs whose objects are all freed are unmapped before this is said; freed "
				   "objects held in other threads' caches keep theirs: bytes_in_use in "
				   "mw_secret_heap_stats() says how much is live)" : "",
			 !cap ? " or grant CAP_IPC_LOCK"
			      : " (this kernel charges secret memory to it even with CAP_IPC_LOCK)");
}

void mw__pagetab_set(struct mw_secret_heap *h, const void *p, size_t len, struct mw_chunk *c)
{
	size_t first = (size_t)((const char *)p - h->base) >> h->pshift;
	size_t n = (len + h->page - 1) >> h->pshift;

	for (size_t i = 0; i < n; i++)
		__atomic_store_n(&h->pagetab[first + i], c, __ATOMIC_RELEASE);
}

/* Free address ranges of the reservation, sorted by offset, merged with
 * their neighbours: large objects and guarded slots that were given back. */
struct mw_span {
	size_t off, len;
	struct mw_span *next;
};

int mw__span_get(struct mw_secret_heap *h, size_t len, size_t *off)
{
	struct mw_span **pp, *sp;

	for (pp = &h->spans; (sp = *pp); pp = &sp->next) {
		if (sp->len < len)
			continue;
		*off = sp->off;
		sp->off += len;
		sp->len -= len;
		if (sp->len == 0) {
			*pp = sp->next;
			free(sp);
		}
		return 0;
	}
	return mw__reserve(h, len, off);
}

void mw__span_put(struct mw_secret_heap *h, size_t off, size_t len)
{
	struct mw_span **pp = &h->spans, *sp, *prev = NULL;

	while ((sp = *pp) && sp->off < off) {
		prev = sp;
		pp = &sp->next;
	}
	if (prev && prev->off + prev->len == off) {
		prev->len += len;
		if (sp && prev->off + prev->len == sp->off) {
			prev->len += sp->len;
			prev->next = sp->next;
			free(sp);
		}
	} else if (sp && off + len == sp->off) {
		sp->off = off;
		sp->len += len;
	} else {
		struct mw_span *n = malloc(sizeof(*n));

		if (!n)
			return; /* the range is simply not reused */
		n->off = off;
		n->len = len;
		n->next = sp;
		*pp = n;
		prev = n;
	}
	/* The last free range at the top: give it back to the bump pointer. */
	for (pp = &h->spans; (sp = *pp); pp = &sp->next)
		if (!sp->next && sp->off + sp->len == h->bump) {
			h->bump = sp->off;
			*pp = NULL;
			free(sp);
			break;
		}
}

void mw__span_free_all(struct mw_secret_heap *h)
{
	struct mw_span *sp;

	while ((sp = h->spans)) {
		h->spans = sp->next;
		free(sp);
	}
}

int mw__reserve(struct mw_secret_heap *h, size_t span, size_t *off)
{
	if (span > h->resv || h->bump > h->resv - span) {
		mw__secret_error("the heap's address-space reservation (%zu bytes) is full", h->resv);
		return -ENOMEM;
	}
	*off = h->bump;
	h->bump += span;
	return 0;
}

/* Put the reservation back over [off, off+len) after our own mapping there
 * (MAP_FIXED atomically replaces it), or after a failed MAP_FIXED mmap that
 * may have left a hole (kernels before 6.12 unmap first): then only with
 * MAP_FIXED_NOREPLACE, so that nobody else's mapping is clobbered.
 * Returns 1: the range is the reservation again; 0: unmapped, but a hole
 * the heap cannot hold (h->range_lost); -1: still mapped (munmap refused). */
static int restore_reservation(struct mw_secret_heap *h, size_t off, size_t len, bool ours)
{
	void *want = h->base + off;
	void *p = mmap(want, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
		       (ours ? MAP_FIXED : MAP_FIXED_NOREPLACE), -1, 0);

	if (p == MAP_FAILED && errno == EEXIST)
		return 1; /* the reservation survived the failed mmap */
	if (p == MAP_FAILED && ours) {
		/* Refused (the process at vm.max_map_count: red-team round 4
		 * left the secret pages mapped and charged while the counters
		 * said they were gone). Unmapping whole mappings needs no new
		 * one: the pages go back; then hold the range again. */
		if (munmap(want, len) < 0) {
			h->range_lost = true;
			return -1;
		}
		p = mmap(want, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
			 -1, 0);
	}
	if (p != want) {
		/* A hole another mapping may take: never used again. */
		if (p != MAP_FAILED)
			munmap(p, len); /* a kernel before 4.17 took the address as a hint */
		h->range_lost = true;
		return 0;
	}
	if (!(h->flags & MW_SECRET_SHARE_WITH_CHILDREN))
		madvise(p, len, MADV_DONTFORK);
	return 1;
}

static bool is_memlock_errno(int err)
{
	return err == EAGAIN || err == ENOMEM || err == EPERM;
}

/*
 * Pre-faulting secret memory without risking the caller's life.
 *
 * Measured (tests/live/secret/prefault.c, run in the QEMU matrix): on Linux
 * 6.18 a secretmem mapping is charged to the mm's locked_vm (VmLck) at mmap
 * time and going over RLIMIT_MEMLOCK gives EAGAIN from mmap. On the Debian
 * 6.1 (secretmem.enable=1) and 6.12 kernels, mmap is never refused; the
 * charge is taken when a page is first faulted into the secretmem FILE, it
 * is per user (another process of the same uid holding secret pages reduces
 * what we can fault), it is independent of mlock()/VmLck in both directions,
 * it is not released by munmap while the file lives (only when the file is
 * released: the fd closed and every mapping gone), it applies to root with
 * CAP_IPC_LOCK too, and a fault over the limit raises SIGBUS. MADV_POPULATE_WRITE and mlock() cannot pre-fault
 * secretmem (it is excluded from GUP: EINVAL).
 *
 * No budget we can read tells whether that fault will succeed (the count is
 * per user and not exported), so we make the KERNEL take the first fault:
 * a syscall that writes to the page (mw_sys_kernel_write16). A failing fault
 * inside copy_to_user() gives the syscall EFAULT instead of a signal. No
 * helper process, no signal handler. Only when a sandbox refuses both
 * syscalls used for that, and a fault could fail (no CAP_IPC_LOCK, finite
 * limit), do we fall back to a helper that shares our memory (CLONE_VM |
 * CLONE_VFORK) and dies of the SIGBUS instead of us; when that helper cannot
 * be created either (RLIMIT_NPROC, seccomp), the growth fails and the message
 * says so, never "RLIMIT_MEMLOCK exhausted".
 */
struct prefault_arg {
	volatile char *p;
	size_t len, page;
};

static int prefault_child(void *varg)
{
	struct prefault_arg *a = varg;

	/* Default SIGBUS disposition: the fault kills this task only (it is
	 * not in our thread group) and the status says so. */
	signal(SIGBUS, SIG_DFL);
	for (size_t i = 0; i < a->len; i += a->page)
		a->p[i] = 0;
	mw_sys_exit_task(0);
}

/* CAP_IPC_LOCK does not make the fault safe: on the Debian 6.1/6.12 kernels
 * root with CAP_IPC_LOCK got SIGBUS over RLIMIT_MEMLOCK as well (measured,
 * tests/vm guests). Only an unlimited RLIMIT_MEMLOCK does. */
static bool fault_may_fail(void)
{
	struct rlimit rl;

	return !(getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur == RLIM_INFINITY);
}

int mw__secret_touch(char *p, size_t len, size_t page, char *why, size_t whylen)
{
	struct prefault_arg a = { .p = p, .len = len, .page = page };
	int status, err, refused = 0;
	size_t i;

	for (i = 0; i < len; i += page) {
		if (mw_sys_kernel_write16(p + i) == 0) {
			mw__wipe(p + i, 16);
			continue;
		}
		if (errno == EFAULT) {
			snprintf(why, whylen, "the kernel could not fault in a secret page "
				 "(%zu of %zu bytes done)", i, len);
			return -EAGAIN;
		}
		refused = errno;
		break;
	}
	if (i >= len)
		return 0;
	if (!fault_may_fail()) {
		for (; i < len; i += page)
			((volatile char *)p)[i] = 0;
		return 0;
	}
	a.p = p + i;
	a.len = len - i;
	err = mw__child_run(prefault_child, &a, MW__CHILD_SHARE_VM, &status);
	if (err == -ECHILD) {
		/* Started, but reaped by someone else (red-team round 4: a
		 * thread looping on waitpid(-1, __WALL)): its result is lost. */
		snprintf(why, whylen, "cannot pre-fault secret memory safely: the syscalls that "
			 "fault it in the kernel were refused (%s), and the helper process that "
			 "touches the pages instead was reaped by another thread of this process "
			 "(waitpid(-1) or waitid(P_ALL) with __WALL) before the library could read "
			 "its status", mw_errno_name(refused) ? mw_errno_name(refused) : "?");
		return -ENOMEM;
	}
	if (err < 0) {
		snprintf(why, whylen, "cannot pre-fault secret memory safely: the syscalls that "
			 "fault it in the kernel were refused (%s) and no helper process could "
			 "be started (%s)", mw_errno_name(refused) ? mw_errno_name(refused) : "?",
			 mw_errno_name(-err) ? mw_errno_name(-err) : "?");
		/* ENOMEM whatever the helper's errno (EPERM from seccomp,
		 * EAGAIN from RLIMIT_NPROC): mw_secret_heap_new(3) ERRORS. */
		return -ENOMEM;
	}
	if (MW__CHILD_OK(status))
		return 0;
	snprintf(why, whylen, "a helper touching the new secret pages %s %d",
		 WIFSIGNALED(status) ? "died of signal" : "exited with",
		 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS ? -EAGAIN : -EIO;
}

/* Process-wide secretmem bytes mapped by every heap: the part of the
 * RLIMIT_MEMLOCK budget we know we use ourselves. */
static size_t secret_bytes;

static int budget_check(struct mw_secret_heap *h, size_t len)
{
	struct rlimit rl;
	size_t used = __atomic_load_n(&secret_bytes, __ATOMIC_RELAXED);

	if (h->backing != MW_SECRET_BACKING_SECRETMEM || getrlimit(RLIMIT_MEMLOCK, &rl) < 0 ||
	    rl.rlim_cur == RLIM_INFINITY || used + len <= rl.rlim_cur ||
	    mw__cap_effective(MW_CAP_IPC_LOCK))
		return 0;
	return -EAGAIN;
}

/* Held while a secretmem descriptor exists (memfd_secret() to close()), and
 * by the atfork prepare handler: a fork(3) from another thread waits until
 * the descriptor is closed, so no child ever inherits one. */
static pthread_mutex_t fd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t vio_lock = PTHREAD_MUTEX_INITIALIZER; /* the violation handler */

void mw__backing_fork_prepare(void)
{
	pthread_mutex_lock(&fd_lock);
}

void mw__backing_fork_parent(void)
{
	pthread_mutex_unlock(&fd_lock);
}

/*
 * One file for `count` slots of len bytes, slot i at off + i * stride (the
 * gap between two slots stays the reservation: a guard, not charged).
 * Closed before returning: only the mappings hold it, and once all of them
 * are gone its pages go back. 0, or -errno with the message set and
 * nothing left mapped.
 */
/* The step of the last map_secret_file() that failed, for the fallback's
 * reason (heap_new's first map runs before the heap is shared). */
static __thread const char *map_step = "mmap of memfd_secret";

static int map_secret_file(struct mw_secret_heap *h, size_t off, size_t len, size_t stride,
			   size_t count)
{
	map_step = "mmap of memfd_secret";
	size_t i;
	int fd, err = 0;

	pthread_mutex_lock(&fd_lock);
	fd = mw_sys_memfd_secret(O_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)(len * count)) < 0) {
		err = errno;
		if (fd >= 0)
			close(fd);
		pthread_mutex_unlock(&fd_lock);
		mw__secret_error("%s for %zu bytes: %s", fd < 0 ? "memfd_secret" : "ftruncate of a memfd_secret file",
				 len * count, strerror(err));
		map_step = fd < 0 ? "memfd_secret" : "ftruncate of memfd_secret";
		return -err;
	}
	for (i = 0; i < count; i++)
		if (mmap(h->base + off + i * stride, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, fd, (off_t)(i * len)) == MAP_FAILED) {
			err = errno;
			break;
		}
	close(fd);
	pthread_mutex_unlock(&fd_lock);
	if (!err)
		return 0;
	if (i)
		restore_reservation(h, off, i * stride, true);
	restore_reservation(h, off + i * stride, len, false);
	if (err == EAGAIN) {
		memlock_error(h, len * count, err);
		return -EAGAIN;
	}
	mw__secret_error("mmap of %zu bytes of secret memory: %s", len, strerror(err));
	return -err;
}

/* Map count slots of len bytes of secret memory at h->base + off, one every
 * stride bytes, pre-faulted unless `cold`. */
static int map_secret(struct mw_secret_heap *h, size_t off, size_t len, size_t stride,
		      size_t count, bool cold)
{
	bool share = h->flags & MW_SECRET_SHARE_WITH_CHILDREN;
	char why[512];
	int err;

	if (budget_check(h, len * count) < 0) {
		memlock_error(h, len * count, EAGAIN);
		return -EAGAIN;
	}
	err = map_secret_file(h, off, len, stride, count);
	if (err < 0)
		return err;
	/* One call for the slots and the guards between them (the guards are
	 * the reservation, DONTFORK already): a call per slot cost 0.3 us. */
	if (!share)
		madvise(h->base + off, (count - 1) * stride + len, MADV_DONTFORK);
	for (size_t i = 0; i < count && !cold; i++) {
		char *p = h->base + off + i * stride;

		/* Pre-fault now: the first touch of a secret page removes it
		 * from the direct map (tens of microseconds), not in the
		 * caller's fast path. */
		err = mw__secret_touch(p, len, h->page, why, sizeof(why));
		if (err < 0) {
			restore_reservation(h, off, (count - 1) * stride + len, true);
			if (err == -EAGAIN)
				memlock_error(h, len * count, EAGAIN);
			else
				mw__secret_error("%s", why);
			return err;
		}
	}
	__atomic_fetch_add(&secret_bytes, len * count, __ATOMIC_RELAXED);
	return 0;
}

static int map_fallback(struct mw_secret_heap *h, size_t off, size_t len)
{
	bool share = h->flags & MW_SECRET_SHARE_WITH_CHILDREN;
	char *p = mmap(h->base + off, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	int err;

	if (p == MAP_FAILED) {
		err = errno;
		restore_reservation(h, off, len, false);
		mw__secret_error("mmap of %zu bytes: %s", len, strerror(err));
		return -err;
	}
	/* Not dumped; never inherited (DONTFORK), and should DONTFORK be
	 * undone, inherited as zeros (WIPEONFORK, 4.14). */
	madvise(p, len, MADV_DONTDUMP);
	if (!share) {
		madvise(p, len, MADV_WIPEONFORK);
		madvise(p, len, MADV_DONTFORK);
	}
	if (mlock(p, len) < 0) {
		err = errno;
		restore_reservation(h, off, len, true);
		if (is_memlock_errno(err)) {
			memlock_error(h, len, err);
			return -EAGAIN;
		}
		mw__secret_error("mlock of %zu bytes: %s", len, strerror(err));
		return -err;
	}
	return 0;
}

int mw__backing_map_slots(struct mw_secret_heap *h, size_t off, size_t len, size_t stride,
			  size_t count, bool *cold)
{
	size_t i;
	int err = 0;

	h->range_lost = false;
	if (h->max_locked && h->locked + len * count > h->max_locked) {
		mw__secret_error("max_locked (%zu bytes) reached: %zu held, %zu more needed",
				 h->max_locked, h->locked, len * count);
		return -ENOMEM;
	}
	if (h->backing == MW_SECRET_BACKING_SECRETMEM) {
		err = map_secret(h, off, len, stride, count, cold && *cold);
	} else {
		if (cold)
			*cold = false; /* mlock faulted them in */
		for (i = 0; i < count && !err; i++)
			err = map_fallback(h, off + i * stride, len);
		if (err && i > 1)
			restore_reservation(h, off, (i - 2) * stride + len, true);
	}
	if (err < 0)
		return err;
	h->locked += len * count;
	h->nchunks += count;
	return 0;
}

int mw__backing_map(struct mw_secret_heap *h, size_t off, size_t len)
{
	return mw__backing_map_slots(h, off, len, len, 1, NULL);
}

int mw__backing_fault(struct mw_secret_heap *h, char *p, size_t len)
{
	char why[512];
	int err = mw__secret_touch(p, len, h->page, why, sizeof(why));

	if (err == -EAGAIN) {
		pthread_mutex_lock(&h->lock); /* memlock_error reads h->locked */
		memlock_error(h, len, EAGAIN);
		pthread_mutex_unlock(&h->lock);
	} else if (err < 0) {
		mw__secret_error("%s", why);
	}
	return err;
}

bool mw__backing_release_slots(struct mw_secret_heap *h, size_t off, size_t len, size_t stride,
			       size_t count, bool wipe)
{
	int held;

	for (size_t i = 0; i < count && wipe; i++)
		mw__wipe(h->base + off + i * stride, len);
	/* One mapping over the slots and the guards between them: the file
	 * loses its last mapping and its pages go back at once. */
	h->range_lost = false;
	held = restore_reservation(h, off, (count - 1) * stride + len, true);
	if (held < 0)
		return false; /* still mapped and locked (wiped): counted, never reused */
	h->locked -= len * count;
	h->nchunks -= count;
	if (h->backing == MW_SECRET_BACKING_SECRETMEM)
		__atomic_fetch_sub(&secret_bytes, len * count, __ATOMIC_RELAXED);
	return held > 0;
}

/* Give back a mapping made by mw__backing_map(): wiped, then replaced by
 * the reservation, which releases its file and so its pages (and their
 * RLIMIT_MEMLOCK charge) at once. */
bool mw__backing_release(struct mw_secret_heap *h, size_t off, size_t len)
{
	return mw__backing_release_slots(h, off, len, len, 1, true);
}

void mw__backing_after_fork(void)
{
	pthread_mutex_unlock(&fd_lock);
	__atomic_store_n(&secret_bytes, 0, __ATOMIC_RELAXED);
	/* Held by another thread of the parent, maybe: made anew (one thread
	 * here). */
	pthread_mutex_init(&vio_lock, NULL);
}

void mw__backing_child_reserve(struct mw_secret_heap *h)
{
	void *p;

	if (!h->base || (h->flags & MW_SECRET_SHARE_WITH_CHILDREN) || h->child_resv)
		return; /* shared: inherited as it is; held already: a grandparent's */
	p = mmap(h->base, h->resv, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
		 -1, 0);
	if (p == h->base)
		h->child_resv = true;
	else if (p != MAP_FAILED)
		munmap(p, h->resv); /* a kernel before 4.17 took the address as a hint */
}

/* Called by destroy: the heap's own file goes away with it. */
void mw__backing_forget(size_t len)
{
	__atomic_fetch_sub(&secret_bytes, len, __ATOMIC_RELAXED);
}

static bool secretmem_unavailable(int err)
{
	/* ENOSYS: not built, or built and off (secretmem.enable=0, the
	 * default of 6.1 kernels); EPERM/EACCES: seccomp or an LSM;
	 * EINVAL/EOPNOTSUPP/ENODEV: a kernel or sandbox that refuses it. */
	return err == ENOSYS || err == EPERM || err == EACCES || err == EINVAL ||
	       err == EOPNOTSUPP || err == ENODEV;
}

static int fail_no_fallback(struct mw_secret_heap *h, const char *what, int err)
{
	(void)h;
	mw__secret_error("%s failed with %s (%s) and MW_SECRET_NO_FALLBACK forbids the "
			 "mlock fallback", what, mw_errno_name(err) ? mw_errno_name(err) : "?",
			 strerror(err));
	return -err;
}

/* Open the backing: decides secretmem or mlock, creates the reservation and
 * maps one page at offset 0 to check that mapping works and that some
 * locked memory is available. The page is then unmapped; it is the guard in
 * front of the first slot. */
int mw__backing_open(struct mw_secret_heap *h)
{
	bool fallback = h->flags & MW_SECRET_FORCE_FALLBACK;
	int err, fd;

	if (fallback) {
		snprintf(h->fallback_reason, sizeof(h->fallback_reason),
			 "forced by MW_SECRET_FORCE_FALLBACK");
	} else {
		/* Only to learn whether memfd_secret works: closed at once. */
		pthread_mutex_lock(&fd_lock);
		fd = mw_sys_memfd_secret(O_CLOEXEC);
		err = errno;
		if (fd >= 0)
			close(fd);
		pthread_mutex_unlock(&fd_lock);
		if (fd < 0) {
			if (!secretmem_unavailable(err)) {
				mw__secret_error("memfd_secret: %s", strerror(err));
				return -err;
			}
			if (h->flags & MW_SECRET_NO_FALLBACK)
				return fail_no_fallback(h, "memfd_secret", err);
			fallback = true;
			snprintf(h->fallback_reason, sizeof(h->fallback_reason),
				 "memfd_secret: %s (%s)", mw_errno_name(err) ? mw_errno_name(err) : "?",
				 err == ENOSYS ? "not built in, or disabled at boot (secretmem.enable=0)"
					       : "refused by a sandbox or security policy");
		}
	}
	h->backing = fallback ? MW_SECRET_BACKING_MLOCK : MW_SECRET_BACKING_SECRETMEM;

	h->base = mmap(NULL, h->resv, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	if (h->base == MAP_FAILED) {
		err = errno;
		h->base = NULL;
		mw__secret_error("reserving %zu bytes of address space: %s", h->resv, strerror(err));
		return -err;
	}
	if (!(h->flags & MW_SECRET_SHARE_WITH_CHILDREN))
		madvise(h->base, h->resv, MADV_DONTFORK);

	err = mw__backing_map(h, 0, h->page);
	if (err == -EAGAIN)
		return err;
	if (err < 0 && h->backing == MW_SECRET_BACKING_SECRETMEM && secretmem_unavailable(-err)) {
		/* The syscall exists but mapping is refused (an LSM). */
		if (h->flags & MW_SECRET_NO_FALLBACK)
			return fail_no_fallback(h, map_step, -err);
		snprintf(h->fallback_reason, sizeof(h->fallback_reason), "%s: %s", map_step, strerror(-err));
		h->backing = MW_SECRET_BACKING_MLOCK;
		err = mw__backing_map(h, 0, h->page);
	}
	if (err < 0)
		return err;
	mw__backing_release(h, 0, h->page);
	h->bump = h->page;
	return 0;
}

void mw__backing_close(struct mw_secret_heap *h)
{
	if (h->base)
		munmap(h->base, h->resv);
	h->base = NULL;
}

/* ---- violations ---- */

static mw_secret_violation_fn vio_fn;
static void *vio_ctx;

MW_API void mw_secret_set_violation_handler(mw_secret_violation_fn fn, void *ctx)
{
	pthread_mutex_lock(&vio_lock);
	vio_fn = fn;
	vio_ctx = ctx;
	pthread_mutex_unlock(&vio_lock);
}

void mw__violation(const char *what, void *ptr)
{
	mw_secret_violation_fn fn;
	void *ctx;
	char line[200];
	int len;

	pthread_mutex_lock(&vio_lock);
	fn = vio_fn;
	ctx = vio_ctx;
	pthread_mutex_unlock(&vio_lock);
	if (fn) {
		fn(what, ptr, ctx);
		return;
	}
	/* Like glibc's malloc: one line on stderr, then abort(). The heap is
	 * corrupt or misused; going on would be worse than dying. */
	len = snprintf(line, sizeof(line), "memward: secret heap: %s (pointer %p)\n", what, ptr);
	if (len > 0 && write(STDERR_FILENO, line, (size_t)len) < 0)
		line[0] = '\0';
	abort();
}
