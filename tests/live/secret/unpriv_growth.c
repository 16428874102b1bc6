/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Issue 10 defect 1: heap growth as an unprivileged daemon runs it (nobody,
 * no CAP_IPC_LOCK, RLIMIT_MEMLOCK 8 MiB) with SIGCHLD ignored, under
 * RLIMIT_NPROC = 0 (OpenSSH's privsep child), and inside a seccomp filter
 * that allows clone() only for threads. Each time: 20 heaps are created and
 * grown past several chunks, the backing is secretmem wherever memfd_secret
 * works (no silent downgrade), and running out of RLIMIT_MEMLOCK (a 256 KiB
 * limit) gives EAGAIN naming RLIMIT_MEMLOCK, never a signal and never a
 * false reason. Kernel-dependent (how the limit is charged): also run in the
 * 6.1-secretmem and 6.12 guests.
 */
#include "unpriv.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#include <signal.h>
#include <stddef.h>
#include <memward/secret.h>

static int have_secretmem;

static int seccomp_threads_only(void)
{
	/* clone: allowed only with CLONE_THREAD; clone3: ENOSYS (glibc then
	 * uses clone for threads); everything else allowed. */
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -errno;
	return 0;
}

static void *thread_fn(void *arg)
{
	return arg;
}

enum { IGNORE_SIGCHLD, NPROC_ZERO, SECCOMP_THREADS };
static const char *const names[] = { "SIGCHLD ignored", "RLIMIT_NPROC=0", "seccomp: threads only" };

static int setup(int how)
{
	struct rlimit zero = { 0, 0 };

	switch (how) {
	case IGNORE_SIGCHLD:
		signal(SIGCHLD, SIG_IGN);
		return 0;
	case NPROC_ZERO:
		return setrlimit(RLIMIT_NPROC, &zero) < 0 ? -errno : 0;
	default:
		return seccomp_threads_only();
	}
}

static int grow(void *arg)
{
	int how = (int)(intptr_t)arg, bad = 0;
	pthread_t t;

	if (setup(how) < 0) {
		printf("cannot set up %s: %s\n", names[how], strerror(errno));
		return 2;
	}
	if (how == SECCOMP_THREADS) {
		/* The filter does what it says: threads yes, processes no. */
		if (pthread_create(&t, NULL, thread_fn, NULL) != 0 || pthread_join(t, NULL) != 0) {
			printf("seccomp filter blocks threads\n");
			return 2;
		}
		if (fork() >= 0 || errno != EPERM) {
			printf("seccomp filter lets fork() through\n");
			_exit(2);
		}
	}
	for (int i = 0; i < 20; i++) {
		struct mw_secret_opts o = { .sz = sizeof(o), .mode = i % 2 ? MW_SECRET_GUARDED
									   : MW_SECRET_COMPACT };
		struct mw_secret_heap *h = mw_secret_heap_new(&o);
		void *p[64];

		if (!h) {
			printf("%s: heap_new %d: %s (%s)\n", names[how], i, strerror(errno),
			       mw_secret_last_error());
			return 1;
		}
		if (have_secretmem && mw_secret_heap_backing(h) != MW_SECRET_BACKING_SECRETMEM) {
			printf("%s: memfd_secret works, yet the heap fell back: %s\n", names[how],
			       mw_secret_heap_fallback_reason(h));
			bad = 1;
		}
		/* Grow: 64 objects of 1000..4000 bytes (several slabs / slots). */
		for (int k = 0; k < 64; k++) {
			p[k] = mw_secret_alloc(h, 1000 + (size_t)k * 47);
			if (!p[k]) {
				printf("%s: heap %d alloc %d: %s (%s)\n", names[how], i, k,
				       strerror(errno), mw_secret_last_error());
				mw_secret_heap_destroy(h);
				return 1;
			}
			memset(p[k], 0x5a, 1000 + (size_t)k * 47);
		}
		for (int k = 0; k < 64; k++)
			mw_secret_free(h, p[k]);
		mw_secret_heap_destroy(h);
	}
	return bad;
}

/* Under a 256 KiB limit: fill until failure; must be EAGAIN + RLIMIT_MEMLOCK. */
static int exhaust(void *arg)
{
	int how = (int)(intptr_t)arg;
	struct mw_secret_heap *h;
	static void *keep[4096];
	int n;

	if (setup(how) < 0)
		return 2;
	h = mw_secret_heap_new(NULL);
	if (!h) {
		printf("%s: heap_new under 256 KiB: %s (%s)\n", names[how], strerror(errno),
		       mw_secret_last_error());
		return 1;
	}
	for (n = 0; n < 4096; n++)
		if (!(keep[n] = mw_secret_alloc(h, 3000)))
			break;
	if (n == 4096) {
		printf("%s: 12 MiB allocated under a 256 KiB RLIMIT_MEMLOCK\n", names[how]);
		return 1;
	}
	if (errno != EAGAIN || !strstr(mw_secret_last_error(), "RLIMIT_MEMLOCK")) {
		printf("%s: after %d objects: %s (%s), want EAGAIN naming RLIMIT_MEMLOCK\n",
		       names[how], n, strerror(errno), mw_secret_last_error());
		return 1;
	}
	printf("note: %s: out of RLIMIT_MEMLOCK after %d objects: %s\n", names[how], n,
	       mw_secret_last_error());
	for (int i = 0; i < n; i++)
		mw_secret_free(h, keep[i]);
	mw_secret_heap_destroy(h);
	return 0;
}

int main(void)
{
	have_secretmem = try_memfd_secret() == 0;
	live_note("memfd_secret %s here (tried directly)", have_secretmem ? "works" : "fails");
	for (int how = 0; how < 3; how++) {
		int rc = unpriv_run(8 * MIB, grow, (void *)(intptr_t)how);

		CHECK(rc == 0, "%s, nobody, 8 MiB: growth failed (exit %d)", names[how], rc);
		rc = unpriv_run(256 << 10, exhaust, (void *)(intptr_t)how);
		CHECK(rc == 0, "%s, nobody, 256 KiB: exhaustion not reported as EAGAIN (exit %d)",
		      names[how], rc);
	}
	return live_done();
}
