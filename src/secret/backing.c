/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Backing memory of the secret heap: one memfd_secret fd and one anonymous
 * PROT_NONE reservation per heap. Secret memory is mapped MAP_FIXED into the
 * reservation, so whatever is not mapped (guards, gaps) stays anonymous
 * PROT_NONE and is not charged to RLIMIT_MEMLOCK; only the secret mappings
 * are (memfd_secret mappings are VM_LOCKED, Linux 5.14 mm/secretmem.c).
 * The file offset of a mapping equals its offset in the reservation, so a
 * range mapped again reuses the pages already removed from the direct map.
 */
#include "core/child.h"
#include "secret/internal.h"
#include "sys/shim.h"

#include <errno.h>
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

static __thread char tl_err[320];

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
	mw__secret_error("cannot lock %zu more bytes of %s memory (%s): RLIMIT_MEMLOCK (%s) "
			 "exhausted, this heap holds %zu locked bytes; raise RLIMIT_MEMLOCK "
			 "or grant CAP_IPC_LOCK",
			 len, h->backing == MW_SECRET_BACKING_SECRETMEM ? "secretmem" : "mlocked",
			 mw_errno_name(err) ? mw_errno_name(err) : "?", lim, h->locked);
}

void mw__pagetab_set(struct mw_secret_heap *h, const void *p, size_t len, struct mw_chunk *c)
{
	size_t first = (size_t)((const char *)p - h->base) >> h->pshift;
	size_t n = (len + h->page - 1) >> h->pshift;

	for (size_t i = 0; i < n; i++)
		__atomic_store_n(&h->pagetab[first + i], c, __ATOMIC_RELEASE);
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
 * MAP_FIXED_NOREPLACE, so that nobody else's mapping is clobbered. */
static void restore_reservation(struct mw_secret_heap *h, size_t off, size_t len, bool ours)
{
	void *want = h->base + off;
	void *p = mmap(want, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
		       (ours ? MAP_FIXED : MAP_FIXED_NOREPLACE), -1, 0);

	if (p == MAP_FAILED) {
		if (errno == EEXIST) /* the reservation survived the failed mmap */
			return;
		/* Keep going: the range is simply never used again. */
		return;
	}
	if (!(h->flags & MW_SECRET_SHARE_WITH_CHILDREN))
		madvise(p, len, MADV_DONTFORK);
}

static bool is_memlock_errno(int err)
{
	return err == EAGAIN || err == ENOMEM || err == EPERM;
}

/*
 * Pre-faulting secret memory without risking the caller's life.
 *
 * Where the kernel checks RLIMIT_MEMLOCK for a secretmem mapping at mmap
 * time (6.18 here), going over gives EAGAIN from mmap. The Debian 6.1 and
 * 6.12 kernels of our QEMU matrix accept the mmap and then fail the first
 * touch with SIGBUS when the caller lacks CAP_IPC_LOCK and is over the
 * limit (seen in tests/live/secret_memlock.c). MADV_POPULATE_WRITE cannot
 * help: secretmem is excluded from GUP, so it gives EINVAL.
 *
 * So when a fault could fail that way (no CAP_IPC_LOCK, finite limit), the
 * pages are touched by a helper that shares our address space
 * (CLONE_VM | CLONE_VFORK) but not our signal handlers (no CLONE_SIGHAND):
 * it catches SIGBUS and exits 1; the pages it faulted are ours. Otherwise
 * the pages are touched directly. Returns 0 or -EAGAIN.
 */
struct prefault_arg {
	volatile char *p;
	size_t len, page;
};

static void prefault_bus(int sig)
{
	(void)sig;
	mw_sys_exit_task(1); /* this task only: it is not in our thread group */
}

static int prefault_child(void *varg)
{
	struct prefault_arg *a = varg;
	struct sigaction sa = { .sa_handler = prefault_bus };

	sigaction(SIGBUS, &sa, NULL);
	for (size_t i = 0; i < a->len; i += a->page)
		a->p[i] = 0;
	return 0;
}

static bool fault_may_fail(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur == RLIM_INFINITY)
		return false;
	return !mw__cap_effective(MW_CAP_IPC_LOCK);
}

static int prefault(struct mw_secret_heap *h, char *p, size_t len)
{
	struct prefault_arg a = { .p = p, .len = len, .page = h->page };
	int status, err;

	if (!fault_may_fail()) {
		for (size_t i = 0; i < len; i += h->page)
			((volatile char *)p)[i] = 0;
		return 0;
	}
	err = mw__child_run(prefault_child, &a, MW__CHILD_SHARE_VM, &status);
	if (err < 0)
		return err;
	return MW__CHILD_OK(status) ? 0 : -EAGAIN;
}

int mw__backing_map(struct mw_secret_heap *h, size_t off, size_t len)
{
	char *want = h->base + off;
	bool share = h->flags & MW_SECRET_SHARE_WITH_CHILDREN;
	char *p;
	int err;

	if (h->max_locked && h->locked + len > h->max_locked) {
		mw__secret_error("max_locked (%zu bytes) reached: %zu held, %zu more needed",
				 h->max_locked, h->locked, len);
		return -ENOMEM;
	}
	if (h->backing == MW_SECRET_BACKING_SECRETMEM) {
		p = mmap(want, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, h->fd,
			 (off_t)off);
		if (p == MAP_FAILED) {
			err = errno;
			restore_reservation(h, off, len, false);
			/* memfd_secret mappings are charged to RLIMIT_MEMLOCK at
			 * mmap time and going over gives EAGAIN. */
			if (err == EAGAIN) {
				memlock_error(h, len, err);
				return -EAGAIN;
			}
			mw__secret_error("mmap of %zu bytes of secret memory: %s", len, strerror(err));
			return -err;
		}
		if (!share)
			madvise(p, len, MADV_DONTFORK);
		/* Pre-fault: the first touch of a secret page removes it from
		 * the direct map (tens of microseconds); do it now, not in
		 * the caller's fast path. */
		err = prefault(h, p, len);
		if (err < 0) {
			restore_reservation(h, off, len, true);
			if (err == -EAGAIN) {
				memlock_error(h, len, EAGAIN);
				return -EAGAIN;
			}
			mw__secret_error("pre-faulting %zu bytes of secret memory: %s", len,
					 strerror(-err));
			return err;
		}
	} else {
		p = mmap(want, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p == MAP_FAILED) {
			err = errno;
			restore_reservation(h, off, len, false);
			mw__secret_error("mmap of %zu bytes: %s", len, strerror(err));
			return -err;
		}
		/* Not dumped; never inherited (DONTFORK), and should DONTFORK
		 * be undone, inherited as zeros (WIPEONFORK, 4.14). */
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
	}
	h->locked += len;
	h->nchunks++;
	return 0;
}

void mw__backing_unmap(struct mw_secret_heap *h, size_t off, size_t len)
{
	mw__wipe(h->base + off, len);
	restore_reservation(h, off, len, true);
	h->locked -= len;
	h->nchunks--;
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
	int err;

	h->fd = -1;
	if (fallback) {
		snprintf(h->fallback_reason, sizeof(h->fallback_reason),
			 "forced by MW_SECRET_FORCE_FALLBACK");
	} else {
		h->fd = mw_sys_memfd_secret(O_CLOEXEC);
		if (h->fd < 0) {
			err = errno;
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
		} else if (ftruncate(h->fd, (off_t)h->resv) < 0) {
			err = errno;
			mw__secret_error("ftruncate of memfd_secret to %zu bytes: %s", h->resv,
					 strerror(err));
			return -err;
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
			return fail_no_fallback(h, "mmap of memfd_secret", -err);
		snprintf(h->fallback_reason, sizeof(h->fallback_reason),
			 "mmap of memfd_secret: %s", strerror(-err));
		close(h->fd);
		h->fd = -1;
		h->backing = MW_SECRET_BACKING_MLOCK;
		err = mw__backing_map(h, 0, h->page);
	}
	if (err < 0)
		return err;
	mw__backing_unmap(h, 0, h->page);
	h->bump = h->page;
	return 0;
}

void mw__backing_close(struct mw_secret_heap *h)
{
	if (h->base)
		munmap(h->base, h->resv);
	h->base = NULL;
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}

/* ---- violations ---- */

static pthread_mutex_t vio_lock = PTHREAD_MUTEX_INITIALIZER;
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
