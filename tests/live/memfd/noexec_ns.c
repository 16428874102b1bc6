/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vm.memfd_noexec inside pid namespaces we create (the host value is never
 * touched, and is checked to be unchanged at the end).
 *
 * How the sysctl resolves its namespace (kernel/pid_sysctl.h): the handler
 * uses task_active_pid_ns(current), the pid namespace of the *writing
 * process*, not the one of the /proc mount. So no fresh /proc mount is
 * needed: the process that called unshare(CLONE_NEWPID) stays in the parent
 * namespace (and sees the host value), its forked child is the new
 * namespace's init and reads and writes that namespace's value through the
 * same /proc/sys. This test checks exactly that.
 *
 * In a namespace with vm.memfd_noexec=2: mw_memfd_create(MW_MEMFD_EXEC) fails
 * with -EACCES and a note (and log message) naming the sysctl; the default,
 * non-executable creation still works and is sealed; a nested namespace
 * inherits it and cannot go below it (since 6.6 a namespace may lower its own
 * value, never below its parent's; 6.3-6.5 only ratchet up). With 1: the default
 * is non-executable anyway, and an explicit MW_MEMFD_EXEC still works (mode
 * 0777, no seals), as in the kernel selftest's sysctl-1 case.
 */
#include "live.h"
#include "kernel.h"
#include "core/internal.h"
#include "sys/shim.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <syslog.h>

#include <memward/memward.h>

#define SYSCTL "/proc/sys/vm/memfd_noexec"

static char logged[512];

static void on_log(int level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level <= LOG_ERR)
		snprintf(logged, sizeof(logged), "%s", msg);
}

static int read_sysctl(void)
{
	char buf[16];
	long v;

	if (mw__read_file(SYSCTL, buf, sizeof(buf)) < 0 || mw__parse_long(buf, &v) < 0)
		return -1;
	return (int)v;
}

/* Run fn as init of a new pid namespace (unshare in a child, then fork). */
static int in_new_pidns(int (*fn)(void))
{
	pid_t outer = fork();

	if (outer < 0)
		return -1;
	if (outer == 0) {
		pid_t inner;

		if (unshare(CLONE_NEWPID) < 0)
			_exit(LIVE_SKIP_CODE);
		inner = fork();
		if (inner < 0)
			_exit(2);
		if (inner == 0) {
			if (getpid() != 1)
				_exit(3);
			live_failures = 0; /* count this namespace's checks only */
			_exit(fn());
		}
		_exit(live_wait(inner));
	}
	return live_wait(outer);
}

static void check_exec_refused(const char *where)
{
	struct mw_memfd_opts o = { .sz = sizeof(o), .flags = MW_MEMFD_EXEC };
	struct mw_memfd_info info = { .sz = sizeof(info) };
	int before = live_count_fds();
	int fd;

	logged[0] = '\0';
	fd = mw_memfd_create("ns-exec", &o, &info);
	CHECK(fd == -EACCES, "%s: MW_MEMFD_EXEC under vm.memfd_noexec=2 gave %d", where, fd);
	CHECK(strstr(info.note, "vm.memfd_noexec=2") != NULL, "%s: note does not name the sysctl: %s",
	      where, info.note);
	CHECK(strstr(logged, "vm.memfd_noexec") != NULL, "%s: log does not name the sysctl: %s",
	      where, logged);
	CHECK(live_count_fds() == before, "%s: fd leaked", where);
	if (fd >= 0)
		close(fd);
	/* The kernel itself: EACCES for MFD_EXEC (6.6+; 6.3-6.5 let it through). */
	fd = mw_sys_memfd_create("raw", MFD_CLOEXEC | MFD_EXEC);
	if (fd >= 0) {
		live_note("%s: raw MFD_EXEC allowed under 2 (the 6.3-6.5 behaviour)", where);
		close(fd);
	} else {
		CHECK(errno == EACCES, "%s: raw MFD_EXEC: %s", where, strerror(errno));
	}
}

static void check_default_ok(const char *where)
{
	struct mw_memfd_info info = { .sz = sizeof(info) };
	int fd = mw_memfd_create("ns-default", NULL, &info);

	CHECK(fd >= 0, "%s: default creation failed: %d %s", where, fd, info.note);
	CHECK(fd < 0 || (info.exec == MW_MEMFD_EXEC_SEALED && (info.mode & 0111) == 0),
	      "%s: default memfd exec %s mode %o", where, mw_memfd_exec_name(info.exec), info.mode);
	if (fd >= 0)
		close(fd);
}

static int nested_inherits(void)
{
	CHECK(read_sysctl() == 2, "nested namespace reads %d, want 2 (inherited)", read_sysctl());
	/* A child namespace cannot go below its parent's value. */
	CHECK(mw__write_file(SYSCTL, "1") < 0 && mw__write_file(SYSCTL, "0") < 0,
	      "nested namespace lowered vm.memfd_noexec below its parent's 2");
	CHECK(read_sysctl() == 2, "nested value changed to %d", read_sysctl());
	check_exec_refused("nested ns");
	check_default_ok("nested ns");
	return live_done();
}

static int ns_two(void)
{
	int rc;

	mw_set_log(on_log, NULL);
	CHECK(read_sysctl() == 0 || read_sysctl() == 1, "new ns starts at %d", read_sysctl());
	REQUIRE(mw__write_file(SYSCTL, "2") == 0, "cannot set vm.memfd_noexec=2 in our pid namespace");
	CHECK(read_sysctl() == 2, "reads %d after writing 2", read_sysctl());
	check_exec_refused("ns=2");
	check_default_ok("ns=2");
	rc = in_new_pidns(nested_inherits);
	CHECK(rc == 0, "nested namespace checks failed (%d)", rc);
	return live_done();
}

static int ns_one(void)
{
	struct mw_memfd_opts o = { .sz = sizeof(o), .flags = MW_MEMFD_EXEC };
	struct mw_memfd_info info = { .sz = sizeof(info) };
	int fd;

	REQUIRE(mw__write_file(SYSCTL, "1") == 0, "cannot set vm.memfd_noexec=1");
	/* The kernel's default flips to non-executable... */
	fd = mw_sys_memfd_create("raw", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	REQUIRE(fd >= 0, "raw memfd under 1");
	{
		struct stat sb;
		fstat(fd, &sb);
		CHECK((sb.st_mode & 0111) == 0 && (fcntl(fd, F_GET_SEALS) & F_SEAL_EXEC),
		      "raw default under 1: mode %o", sb.st_mode & 0777);
	}
	close(fd);
	/* ...and an explicit exec request is still honoured. */
	fd = mw_memfd_create("ns-exec", &o, &info);
	CHECK(fd >= 0 && info.mode == 0777 && info.seals == 0,
	      "MW_MEMFD_EXEC under 1: %d mode %o seals 0x%x (%s)", fd, info.mode, info.seals, info.note);
	if (fd >= 0)
		close(fd);
	check_default_ok("ns=1");
	return live_done();
}

int main(void)
{
	int host, rc;

	lk_need("memfd_create", lk_memfd_create(0), "memfd_create");
	host = read_sysctl();
	if (host < 0)
		lk_need("memfd_noexec_sysctl", ENOENT, "/proc/sys/vm/memfd_noexec (added in Linux 6.3)");
	if (host == 2)
		live_skip("vm.memfd_noexec is already 2 here: cannot show 0/1 behaviour in a child ns");

	rc = in_new_pidns(ns_two);
	if (rc == LIVE_SKIP_CODE)
		live_skip("cannot create a pid namespace here (unshare(CLONE_NEWPID) refused)");
	CHECK(rc == 0, "checks in the vm.memfd_noexec=2 namespace failed (%d)", rc);
	rc = in_new_pidns(ns_one);
	CHECK(rc == 0, "checks in the vm.memfd_noexec=1 namespace failed (%d)", rc);

	/* Nothing leaked out: the host namespace is unchanged and exec works. */
	CHECK(read_sysctl() == host, "host vm.memfd_noexec changed: %d -> %d", host, read_sysctl());
	{
		struct mw_memfd_opts o = { .sz = sizeof(o), .flags = MW_MEMFD_EXEC };
		int fd = mw_memfd_create("host-exec", &o, NULL);
		CHECK(fd >= 0, "exec memfd on the host after the test: %d", fd);
		if (fd >= 0)
			close(fd);
	}
	live_note("host vm.memfd_noexec=%d unchanged; child namespaces held 2 and 1", host);
	return live_done();
}
