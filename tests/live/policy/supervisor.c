/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward run --policy: the supervisor.
 *  - an attacker (an executable the policy does not list) gets only
 *    non-executable memfds, MFD_EXEC is refused, and every way to execute a
 *    memfd it tries is refused (execveat AT_EMPTY_PATH, /proc/self/fd/N,
 *    /dev/fd/N, after chmod +x, after sealing);
 *  - a runtime the policy lists executes a fully sealed copy of itself,
 *    but not an unsealed one;
 *  - a second thread swapping an unsealed memfd over the sealed fd number
 *    during execveat never gets the unsealed one executed;
 *  - audit mode logs and allows; every decision is a JSON line.
 * Works on 6.1 too: there the supervisor makes memfds without exec bits.
 *
 * usage: live-policy-supervisor MEMWARD
 *        live-policy-supervisor ROLE ...   (run under the supervisor)
 */
#include "policy_common.h"
#include "kernel.h"

#include <pthread.h>

#include <memward/features.h>
#include <memward/policy.h>

static const char *memward;
static bool have_seal;

#define RAN_SEALED 42
#define RAN_UNSEALED 99
#define REFUSED 10

/* What a memfd image does when it runs: say which memfd it came from. */
static int role_ran(void)
{
	char exe[256];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0)
		return 98;
	exe[n] = '\0';
	if (strstr(exe, "unsealed"))
		return RAN_UNSEALED;
	if (strstr(exe, "sealed-copy"))
		return RAN_SEALED;
	return 97;
}

static int make_copy(const char *name, unsigned int flags, bool seal)
{
	int fd = mw_sys_memfd_create(name, flags);

	if (fd < 0)
		return -1;
	pc_copy_into("/proc/self/exe", fd);
	if (seal) {
		int seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | (have_seal ? F_SEAL_EXEC : 0);
		int r, tries = 0;

		/* F_SEAL_WRITE fails with EBUSY while a page of the file has an
		 * extra reference the kernel has not dropped yet (seen once
		 * under ASan on a loaded machine): the fixture tries again */
		while ((r = fcntl(fd, F_ADD_SEALS, seals)) < 0 && errno == EBUSY && ++tries < 50)
			usleep(2000);
		REQUIRE(r == 0, "add seals: %s (%d tries)", strerror(errno), tries + 1);
	}
	return fd;
}

static char *ran_argv[] = { "memfd-image", "ran", NULL };
extern char **environ;

/* Listed runtime: run a fully sealed copy of itself (like runc). */
static int role_runtime(const char *how)
{
	unsigned int flags = MFD_CLOEXEC | MFD_ALLOW_SEALING | (have_seal ? MFD_EXEC : 0);
	bool sealed = strcmp(how, "unsealed") != 0;
	int fd = make_copy(sealed ? "sealed-copy" : "unsealed", flags, sealed);
	char path[64];

	REQUIRE(fd >= 0, "runtime memfd_create: %s", strerror(errno));
	if (!strcmp(how, "procfd")) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		execve(path, ran_argv, environ);
	} else {
		mw_sys_execveat(fd, "", ran_argv, environ, AT_EMPTY_PATH);
	}
	printf("runtime (%s): exec failed: %s\n", how, strerror(errno));
	return errno == EACCES ? REFUSED : 1;
}

/* Unlisted attacker: every attempt must fail. */
static int role_attacker(void)
{
	char path[64];
	struct stat st;
	int fd, seals, e;

	fd = mw_sys_memfd_create("exec-request", MFD_CLOEXEC | MFD_EXEC);
	CHECK(fd < 0 && errno == EACCES, "MFD_EXEC not refused: %d (%s)", fd, strerror(errno));

	fd = make_copy("unsealed-payload", MFD_CLOEXEC | MFD_ALLOW_SEALING, false);
	REQUIRE(fd >= 0, "plain memfd_create refused: %s", strerror(errno));
	REQUIRE(fstat(fd, &st) == 0, "fstat");
	CHECK((st.st_mode & 0111) == 0, "the attacker's memfd is executable (mode %o)", st.st_mode & 0777);
	seals = fcntl(fd, F_GET_SEALS);
	if (have_seal)
		CHECK(seals >= 0 && (seals & F_SEAL_EXEC), "no F_SEAL_EXEC on the attacker's memfd (%#x)", seals);

	mw_sys_execveat(fd, "", ran_argv, environ, AT_EMPTY_PATH);
	CHECK(errno == EACCES, "execveat of the payload: %s", strerror(errno));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	execve(path, ran_argv, environ);
	CHECK(errno == EACCES, "execve %s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "/dev/fd/%d", fd);
	execve(path, ran_argv, environ);
	CHECK(errno == EACCES, "execve %s: %s", path, strerror(errno));

	/* chmod +x: refused by F_SEAL_EXEC on 6.3+; allowed on 6.1, where
	 * the supervisor's exec check is what stops it. */
	e = fchmod(fd, 0755) < 0 ? errno : 0;
	if (have_seal)
		CHECK(e == EPERM, "chmod +x of the payload: %s", e ? strerror(e) : "allowed");
	mw_sys_execveat(fd, "", ran_argv, environ, AT_EMPTY_PATH);
	CHECK(errno == EACCES, "execveat after chmod: %s", strerror(errno));

	/* Fully sealed but not listed: still refused. */
	CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) == 0, "seal: %s",
	      strerror(errno));
	mw_sys_execveat(fd, "", ran_argv, environ, AT_EMPTY_PATH);
	CHECK(errno == EACCES, "execveat of a sealed payload by an unlisted program: %s", strerror(errno));
	close(fd);
	return live_done();
}

/* Audit mode: the attacker's exec goes through (and is logged). */
static int role_audit_attacker(void)
{
	int fd = make_copy("unsealed-audit", MFD_CLOEXEC | MFD_ALLOW_SEALING, false);

	REQUIRE(fd >= 0, "memfd_create: %s", strerror(errno));
	mw_sys_execveat(fd, "", ran_argv, environ, AT_EMPTY_PATH);
	printf("audit attacker: exec failed: %s\n", strerror(errno));
	return REFUSED;
}

struct swap {
	int target, sealed_dup, unsealed;
	volatile int stop;
};

static void *swapper(void *p)
{
	struct swap *s = p;

	while (!s->stop) {
		dup2(s->unsealed, s->target);
		dup2(s->sealed_dup, s->target);
	}
	return NULL;
}

/* One attempt: execveat(sealed fd) while a thread dup2()s an unsealed
 * memfd over that fd number. Exit status says what ran. */
static int race_once(bool listed)
{
	struct swap s = { .stop = 0 };
	pthread_t t;
	unsigned int xflags = MFD_CLOEXEC | MFD_ALLOW_SEALING | (have_seal && listed ? MFD_EXEC : 0);

	s.target = make_copy("sealed-copy", xflags, true);
	s.unsealed = make_copy("unsealed", xflags, false);
	REQUIRE(s.target >= 0 && s.unsealed >= 0, "memfds: %s", strerror(errno));
	s.sealed_dup = fcntl(s.target, F_DUPFD_CLOEXEC, 0);
	REQUIRE(pthread_create(&t, NULL, swapper, &s) == 0, "pthread_create");
	mw_sys_execveat(s.target, "", ran_argv, environ, AT_EMPTY_PATH);
	return errno == EACCES ? REFUSED : 11;
}

static int role_racer(const char *which, int iters)
{
	int counts[256] = { 0 };
	double end = pc_now() + 6.0;
	int done = 0;

	for (; done < iters && pc_now() < end; done++) {
		pid_t pid = fork();

		REQUIRE(pid >= 0, "fork");
		if (pid == 0)
			_exit(race_once(!strcmp(which, "listed")));
		counts[live_wait(pid) & 255]++;
	}
	printf("racer (%s): %d attempts: %d refused, %d ran the sealed copy, %d ran the UNSEALED memfd\n", which,
	       done, counts[REFUSED], counts[RAN_SEALED], counts[RAN_UNSEALED]);
	CHECK(counts[RAN_UNSEALED] == 0, "an unsealed memfd was executed %d times", counts[RAN_UNSEALED]);
	CHECK(counts[REFUSED] + counts[RAN_SEALED] == done, "unexpected outcomes (%d of %d)",
	      done - counts[REFUSED] - counts[RAN_SEALED], done);
	return live_done();
}

static void read_log(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	/* start afresh for the next run */
	unlink(path);
}

int main(int argc, char **argv)
{
	static char out[1 << 16], logtext[1 << 17];
	char policy[512], audit_policy[512], attacker[512], logp[512], text[4400];
	const char *self, *dir;
	int rc;

	have_seal = lk_memfd_create(MFD_NOEXEC_SEAL) == 0;
	if (argc >= 2 && !strcmp(argv[1], "ran"))
		return role_ran();
	if (argc == 3 && !strcmp(argv[1], "runtime"))
		return role_runtime(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "attacker"))
		return role_attacker();
	if (argc == 2 && !strcmp(argv[1], "audit-attacker"))
		return role_audit_attacker();
	if (argc == 4 && !strcmp(argv[1], "racer"))
		return role_racer(argv[2], atoi(argv[3]));
	/* The memfd image runs with argv {"memfd-image", "ran"}. */
	REQUIRE(argc == 2, "usage: live-policy-supervisor MEMWARD");
	memward = argv[1];
	self = pc_self();
	lk_need("seccomp_user_notif", lk_seccomp_listener(), "a seccomp filter with a listener (5.0+)");
	lk_need("pidfd_getfd", lk_pidfd_getfd(), "pidfd_getfd (5.6+)");
	lk_need("seccomp_notif_addfd", lk_seccomp_addfd(), "SECCOMP_IOCTL_NOTIF_ADDFD (5.9+)");

	dir = pc_tmpdir();
	snprintf(policy, sizeof(policy), "%s/policy", dir);
	snprintf(audit_policy, sizeof(audit_policy), "%s/audit-policy", dir);
	snprintf(attacker, sizeof(attacker), "%s/attacker", dir);
	snprintf(logp, sizeof(logp), "%s/log", dir);
	snprintf(text, sizeof(text), "# the test binary is the runtime\nmode enforce\nallow-exec-memfd %s\n", self);
	pc_write_file(policy, text, 0644);
	pc_write_file(audit_policy, "mode audit\n", 0644);
	/* The attacker: the same code under another inode, so not listed. */
	pc_copy_file(self, attacker);

	/* 1. The attacker is refused at every step. */
	rc = RUN(out, "run", "--policy", policy, "--log", logp, "--", attacker, "attacker");
	read_log(logp, logtext, sizeof(logtext));
	CHECK(rc == 0, "attacker under the policy: exit %d\n%s", rc, out);
	CHECK(strstr(logtext, "\"call\":\"memfd_create\",\"decision\":\"noexec\""), "no noexec decision logged:\n%s",
	      logtext);
	CHECK(strstr(logtext, "\"call\":\"execveat\",\"decision\":\"deny\""), "no execveat deny logged:\n%s",
	      logtext);
	CHECK(strstr(logtext, "\"errno\":\"EACCES\"") && strstr(logtext, attacker) && strstr(logtext, "\"time\":\""),
	      "log lines lack errno/exe/time:\n%s", logtext);

	/* 2. The listed runtime runs its sealed copy, via fd and via /proc path. */
	rc = RUN(out, "run", "--policy", policy, "--log", logp, "--", (char *)self, "runtime", "execveat");
	read_log(logp, logtext, sizeof(logtext));
	CHECK(rc == RAN_SEALED, "listed runtime, sealed copy via execveat: exit %d, expected %d\n%s\n%s", rc,
	      RAN_SEALED, out, logtext);
	CHECK(strstr(logtext, "sealed memfd"), "the allow decision is not logged:\n%s", logtext);
	rc = RUN(out, "run", "--policy", policy, "--", (char *)self, "runtime", "procfd");
	CHECK(rc == RAN_SEALED, "listed runtime, sealed copy via /proc/self/fd: exit %d\n%s", rc, out);
	/* ... but not an unsealed one. */
	rc = RUN(out, "run", "--policy", policy, "--log", logp, "--", (char *)self, "runtime", "unsealed");
	read_log(logp, logtext, sizeof(logtext));
	CHECK(rc == REFUSED, "listed runtime, unsealed memfd: exit %d, expected refusal\n%s", rc, out);
	CHECK(strstr(logtext, "not fully sealed"), "reason not logged:\n%s", logtext);
	/* Without the supervisor the same unsealed exec works: the refusal
	 * above is the supervisor's doing (skipped where the host level says no). */
	if (mw_policy_noexec_level() <= 0) {
		char *a[] = { (char *)self, "runtime", "unsealed", NULL };
		rc = pc_run(a, out, sizeof(out));
		CHECK(rc == RAN_UNSEALED, "unsupervised unsealed exec: exit %d\n%s", rc, out);
	}

	/* 3. The fd-swapping race, listed and unlisted. */
	rc = RUN(out, "run", "--policy", policy, "--log", "/dev/null", "--", (char *)self, "racer", "listed", "150");
	CHECK(rc == 0, "listed racer: %d\n%s", rc, out);
	printf("%s", out);
	rc = RUN(out, "run", "--policy", policy, "--log", "/dev/null", "--", attacker, "racer", "unlisted", "150");
	CHECK(rc == 0, "unlisted racer: %d\n%s", rc, out);
	printf("%s", out);

	/* 4. Audit mode logs and allows. */
	rc = RUN(out, "run", "--policy", audit_policy, "--log", logp, "--", attacker, "audit-attacker");
	read_log(logp, logtext, sizeof(logtext));
	if (mw_policy_noexec_level() <= 0)
		CHECK(rc == RAN_UNSEALED, "audit mode did not let the exec through: %d\n%s", rc, out);
	CHECK(strstr(logtext, "\"decision\":\"noexec\",\"mode\":\"audit\",\"enforced\":false"),
	      "audit memfd_create not logged:\n%s", logtext);
	CHECK(strstr(logtext, "\"call\":\"execveat\",\"decision\":\"deny\",\"mode\":\"audit\",\"enforced\":false"),
	      "audit exec not logged:\n%s", logtext);

	unlink(policy);
	unlink(audit_policy);
	unlink(attacker);
	rmdir(dir);
	return live_done();
}
