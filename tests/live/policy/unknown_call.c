/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The supervisor refuses every notification it cannot identify (issue 14 F):
 * answering CONTINUE would let a call that nobody checked through. A crafted
 * filter sends the supervisor a call that is none of its own (getpriority);
 * it must fail with ENOSYS and be logged. On x86-64 an x32 memfd_create
 * (nr 319 | 0x40000000, reported with the x86-64 arch) must be recognised as
 * memfd_create: the unlisted caller gets a non-executable memfd from the
 * supervisor, on kernels with x32 off too (the kernel itself would answer
 * ENOSYS, which is what the old supervisor let happen, unlogged).
 *
 * usage: live-policy-unknown-call
 */
#include "policy_common.h"

#include <seccomp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <memward/policy.h>
#include <memward/share.h>

#include "core/scm.h"

struct seen {
	int unknown_denied;
	int x32_memfd;
};

static void on_decision(const struct mw_policy_decision *d, void *p)
{
	struct seen *s = p;

	printf("decision: %s %s errno %d: %s (%s)\n", mw_policy_call_name(d->call),
	       mw_policy_verdict_name(d->verdict), d->error, d->reason, d->detail);
	if (d->call == MW_POLICY_CALL_UNKNOWN && d->verdict == MW_POLICY_VERDICT_DENY && d->error == ENOSYS)
		s->unknown_denied++;
	if (d->call == MW_POLICY_CALL_MEMFD_CREATE && d->verdict == MW_POLICY_VERDICT_NOEXEC &&
	    !strcmp(d->detail, "x32-memfd"))
		s->x32_memfd++;
}

#ifdef __x86_64__
/* memfd_create through the x32 ABI, from this 64-bit process. */
static long x32_memfd_create(const char *name, unsigned int flags)
{
	long ret;
	long nr = 0x40000000L | 319;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(name), "S"((long)flags) : "rcx", "r11", "memory");
	return ret;
}
#endif

/* The supervised side: crafted filter, listener to the parent, the calls. */
static int child(int sock)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int fd, r, failures = 0;

	REQUIRE(ctx, "seccomp_init");
	if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
		REQUIRE(seccomp_arch_add(ctx, SCMP_ARCH_X32) == 0, "arch x32");
	}
	REQUIRE(seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(getpriority), 0) == 0, "rule getpriority");
	REQUIRE(seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(memfd_create), 0) == 0, "rule memfd_create");
	/* No notification support (before 5.0): the load fails. */
	if (seccomp_load(ctx) != 0 || (fd = seccomp_notify_fd(ctx)) < 0)
		_exit(77);
	REQUIRE(mw__scm_send(sock, &fd, 1, NULL, 0) == 0, "send the listener");
	close(fd);
	close(sock);

	errno = 0;
	r = getpriority(PRIO_PROCESS, 0);
	if (!(r == -1 && errno == ENOSYS)) {
		printf("FAILED: getpriority under the supervisor: %d (%s), expected ENOSYS\n", r, strerror(errno));
		failures++;
	}
#ifdef __x86_64__
	{
		struct stat st;
		long x = x32_memfd_create("x32-memfd", MFD_CLOEXEC);

		if (x < 0 || fstat((int)x, &st) < 0 || (st.st_mode & 0111)) {
			printf("FAILED: x32 memfd_create: %ld (%s), expected a non-executable memfd from the supervisor\n",
			       x, x < 0 ? strerror((int)-x) : "executable");
			failures++;
		}
	}
#endif
	return failures ? 1 : 0;
}

int main(void)
{
	struct mw_policy *pol = mw_policy_parse("", 0, MW_POLICY_NO_RESOLVE);
	struct seen seen = { 0 };
	int sv[2], listener, pidfd, rc, r;
	pid_t pid;

	REQUIRE(pol, "parse an empty policy");
	/* Established here, not from the library's probe: can this process get
	 * a listener at all? */
	{
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
		bool ok = ctx && seccomp_api_get() >= 5;
		if (ctx)
			seccomp_release(ctx);
		if (!ok)
			live_skip("seccomp user notification is not available (libseccomp API level < 5)");
	}
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		close(sv[0]);
		_exit(child(sv[1]));
	}
	close(sv[1]);
	listener = mw_share_recv_fd(sv[0], NULL, 0, 0, NULL);
	close(sv[0]);
	if (listener < 0) {
		rc = live_wait(pid);
		REQUIRE(rc == 77, "the child failed before sending the listener (exit %d)", rc);
		live_skip("seccomp_load of a SCMP_ACT_NOTIFY filter failed: no user notification here");
	}
	pidfd = mw_sys_pidfd_open(pid, 0);
	REQUIRE(pidfd >= 0, "pidfd_open: %s", strerror(errno));
	{
		struct mw_policy_supervise_opts so = {
			.sz = sizeof(so), .policy = pol, .listener = listener, .stop_fd = pidfd,
			.on_decision = on_decision, .ctx = &seen,
		};
		r = mw_policy_supervise(&so);
	}
	CHECK(r == 0, "mw_policy_supervise: %d", r);
	rc = live_wait(pid);
	CHECK(rc == 0, "the supervised child saw the wrong results (exit %d)", rc);
	CHECK(seen.unknown_denied == 1, "the unidentified getpriority was not refused and logged (%d)",
	      seen.unknown_denied);
#ifdef __x86_64__
	CHECK(seen.x32_memfd == 1, "the x32 memfd_create was not recognised (%d decisions)", seen.x32_memfd);
#endif
	close(pidfd);
	close(listener);
	mw_policy_free(pol);
	return live_done();
}
