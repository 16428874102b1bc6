/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A sandbox that refuses getrandom(2) (seccomp: EPERM, or ENOSYS as filters
 * written before it existed answer) must not keep a program from making a
 * secret heap: the canary key then comes from /dev/urandom. Before, heap_new
 * failed with "getrandom for the canary key" in both modes, and the shims
 * silently fell back to ordinary memory. Each case runs in a child: the
 * filter is installed, a compact and a guarded heap are made, an object is
 * allocated, written and freed, and a one-byte overflow is still reported
 * (the canary works with that key).
 *
 * And a sandbox that refuses mlock (EPERM from seccomp, RLIMIT_MEMLOCK well
 * above 0) with memfd_secret unavailable: the heap fails, and its message
 * says mlock was refused, not that RLIMIT_MEMLOCK is exhausted (it said
 * "RLIMIT_MEMLOCK ... exhausted, this heap holds 0 locked bytes; raise
 * RLIMIT_MEMLOCK", sending the admin to the wrong fix).
 *
 * And a sandbox that refuses ftruncate (EPERM): the heap falls back to
 * mlocked memory and its reason names ftruncate (it said "mmap of
 * memfd_secret").
 */
#include "live.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <memward/secret.h>


static int violations;

static void on_violation(const char *what, void *ptr, void *ctx)
{
	(void)what;
	(void)ptr;
	(void)ctx;
	violations++;
}

#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif
#ifndef SYS_mlock2
#define SYS_mlock2 325
#endif

static int refuse_ftruncate(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ftruncate, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -errno;
	return 0;
}

static int child_no_ftruncate(void)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = MW_SECRET_COMPACT };
	struct mw_secret_heap *h;
	const char *why;

	if (refuse_ftruncate() < 0)
		return 3;
	h = mw_secret_heap_new(&o);
	if (!h) {
		printf("heap_new with ftruncate refused: %s\n", mw_secret_last_error());
		fflush(stdout);
		return 1;
	}
	why = mw_secret_heap_fallback_reason(h);
	printf("backing %s, reason: %s\n", mw_secret_backing_name(mw_secret_heap_backing(h)), why ? why : "(none)");
	fflush(stdout);
	return why && strstr(why, "ftruncate") ? 0 : 1;
}

/* getrandom answers err; with no_mlock, memfd_secret ENOSYS and
 * mlock/mlock2 EPERM as well. */
static int refuse(int err, bool no_mlock)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, no_mlock ? SYS_memfd_secret : SYS_getrandom, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned int)(no_mlock ? ENOSYS : err)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, no_mlock ? SYS_mlock : SYS_getrandom, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned int)(no_mlock ? EPERM : err)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, no_mlock ? SYS_mlock2 : SYS_getrandom, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned int)(no_mlock ? EPERM : err)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -errno;
	return 0;
}

static int child(int err)
{
	char buf[8];

	if (refuse(err, false) < 0)
		return 3;
	if (syscall(SYS_getrandom, buf, sizeof(buf), 0) != -1 || errno != err) {
		printf("the filter did not refuse getrandom\n");
		return 3;
	}
	mw_secret_set_violation_handler(on_violation, NULL);
	for (int m = 0; m < 2; m++) {
		struct mw_secret_opts o = { .sz = sizeof(o), .mode = m ? MW_SECRET_GUARDED : MW_SECRET_COMPACT };
		struct mw_secret_heap *h = mw_secret_heap_new(&o);
		char *p;

		if (!h) {
			printf("%s heap with getrandom refused (%s): %s\n", mw_secret_mode_name(o.mode), strerror(err),
			       mw_secret_last_error());
			return 1;
		}
		p = mw_secret_alloc(h, 24);
		if (!p) {
			printf("alloc: %s\n", mw_secret_last_error());
			return 1;
		}
		memset(p, 0x5a, 24);
		mw_secret_free(h, p);
		/* compact: the canary after the object; guarded: the canary
		 * before it (its overflow faults on the guard page) */
		p = mw_secret_alloc(h, 24);
		violations = 0;
		if (m)
			p[-1] ^= 1;
		else
			p[24] ^= 1;
		mw_secret_free(h, p);
		if (violations != 1) {
			printf("%s: a damaged canary was not reported (%d reports)\n", mw_secret_mode_name(o.mode),
			       violations);
			return 1;
		}
		mw_secret_heap_destroy(h);
	}
	return 0;
}

#ifndef LIVE_ASAN
static int child_no_mlock(void)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = MW_SECRET_COMPACT };
	struct mw_secret_heap *h;
	struct rlimit rl = { 8 << 20, 8 << 20 };
	void *p = NULL;

	if (setrlimit(RLIMIT_MEMLOCK, &rl) < 0 || refuse(0, true) < 0)
		return 3;
	h = mw_secret_heap_new(&o);
	if (h)
		p = mw_secret_alloc(h, 32);
	if (p) {
		printf("a heap allocated with mlock refused (backing %s)\n", mw_secret_backing_name(mw_secret_heap_backing(h)));
		fflush(stdout);
		return 1;
	}
	printf("error: %s\n", mw_secret_last_error());
	fflush(stdout);
	return strstr(mw_secret_last_error(), "refuses mlock") && !strstr(mw_secret_last_error(), "exhausted") ? 0 : 1;
}
#endif

int main(void)
{
	static const int errs[] = { EPERM, ENOSYS };

	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		pid_t pid = fork();
		int rc;

		REQUIRE(pid >= 0, "fork: %s", strerror(errno));
		if (pid == 0)
			_exit(child(errs[i]));
		rc = live_wait(pid);
		REQUIRE(rc != 3, "could not install the seccomp filter");
		CHECK(rc == 0, "getrandom refused with %s: heap or canary failed (exit %d)", strerror(errs[i]), rc);
	}
	long sfd = syscall(SYS_memfd_secret, 0);

	if (sfd >= 0)
		close((int)sfd);
	if (sfd >= 0 || errno != ENOSYS) {
		pid_t pid = fork();
		int rc;

		REQUIRE(pid >= 0, "fork: %s", strerror(errno));
		if (pid == 0)
			_exit(child_no_ftruncate());
		rc = live_wait(pid);
		REQUIRE(rc != 3, "could not install the seccomp filter");
		CHECK(rc == 0, "ftruncate refused: the fallback reason does not name it (exit %d, see above)", rc);
	} else {
		live_note("no memfd_secret here: the ftruncate case is not run");
	}
#ifdef LIVE_ASAN
	/* ASan's mlock interceptor returns 0 without calling the kernel */
	live_note("built with ASan, which never passes mlock to the kernel: the mlock case is not run");
#else
	{
		pid_t pid = fork();
		int rc;

		REQUIRE(pid >= 0, "fork: %s", strerror(errno));
		if (pid == 0)
			_exit(child_no_mlock());
		rc = live_wait(pid);
		REQUIRE(rc != 3, "could not install the seccomp filter");
		CHECK(rc == 0, "mlock refused by seccomp: the error does not say so (exit %d, see above)", rc);
	}
#endif
	return live_done();
}
