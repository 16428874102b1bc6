/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mw_memfd_create: non-executable by default on every kernel (sealed where
 * MFD_NOEXEC_SEAL exists, exec bits removed and reported otherwise), names
 * validated, executable only on request, and the O_TMPFILE fallbacks when
 * memfd_create is missing (ENOSYS) or blocked (EPERM), forced here with a
 * seccomp filter in a child, inside a private mount namespace with fresh
 * tmpfs mounts on /dev/shm and /tmp so that the result does not depend on
 * the machine.
 */
#include "live.h"
#include "kernel.h"
#include "core/internal.h"
#include "sys/shim.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <memward/memward.h>

#include "acl_exec.h"

static bool have_noexec_seal;

static void check_default(void)
{
	struct mw_memfd_info info = { .sz = sizeof(info) };
	int fd = mw_memfd_create("mw-default", NULL, &info);
	struct stat sb;

	REQUIRE(fd >= 0, "default create: %s (%s)", strerror(-fd), info.note);
	REQUIRE(fstat(fd, &sb) == 0, "fstat");
	CHECK((sb.st_mode & 0111) == 0, "default memfd has exec bits: %o", sb.st_mode & 0777);
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC, "not O_CLOEXEC");
	CHECK(info.kind == MW_MEMFD_KIND_MEMFD && info.is_memfd, "kind %s",
	      mw_memfd_kind_name(info.kind));
	CHECK(!strcmp(info.name, "mw-default"), "name '%s'", info.name);
	CHECK(info.sealing_allowed, "sealing not allowed");
	if (have_noexec_seal) {
		/* exec_possible: "could become executable". F_SEAL_EXEC stops
		 * chmod, but where an ACL gets around it (6.18) it stays possible. */
		int acl = live_acl_adds_exec();

		live_note("an ACL %s exec bits to an exec-sealed memfd here (%d)",
			  acl == 1 ? "adds" : acl == 0 ? "does not add" : "could not be tried:", acl);
		CHECK(info.exec == MW_MEMFD_EXEC_SEALED && info.exec_sealed &&
		      info.exec_possible == (acl != 0),
		      "exec %s sealed %d possible %d (ACL path %d)", mw_memfd_exec_name(info.exec),
		      info.exec_sealed, info.exec_possible, acl);
		CHECK(fchmod(fd, 0755) < 0 && errno == EPERM, "chmod +x allowed on the default memfd");
	} else {
		/* Fallback (before 6.3): bits gone, reported as not sealable. */
		CHECK(info.exec == MW_MEMFD_EXEC_UNSEALED && !info.exec_sealed && info.exec_possible,
		      "fallback: exec %s", mw_memfd_exec_name(info.exec));
		CHECK(strstr(info.note, "exec bits removed but not sealable") != NULL,
		      "fallback note does not say so: %s", info.note);
		live_note("fallback path: %s", info.note);
	}
	close(fd);

	/* REQUIRE_EXEC_SEAL: succeeds only where exec can be sealed. */
	{
		struct mw_memfd_opts o = { .sz = sizeof(o), .flags = MW_MEMFD_REQUIRE_EXEC_SEAL };
		int before = live_count_fds();
		fd = mw_memfd_create("mw-req", &o, &info);
		if (have_noexec_seal)
			CHECK(fd >= 0 && info.exec_sealed, "REQUIRE_EXEC_SEAL failed: %d", fd);
		else
			CHECK(fd == -EOPNOTSUPP && strstr(info.note, "not sealable"),
			      "REQUIRE_EXEC_SEAL on an old kernel: %d %s", fd, info.note);
		if (fd >= 0)
			close(fd);
		CHECK(live_count_fds() == before, "fd leaked");
	}
}

static void check_names(void)
{
	char name[300];
	int before = live_count_fds(), fd;
	struct mw_memfd_info info = { .sz = sizeof(info) };

	memset(name, 'n', sizeof(name));
	name[249] = '\0';
	fd = mw_memfd_create(name, NULL, NULL);
	CHECK(fd >= 0, "249-byte name refused: %s", strerror(-fd));
	if (fd >= 0)
		close(fd);
	name[249] = 'n';
	name[250] = '\0';
	fd = mw_memfd_create(name, NULL, &info);
	CHECK(fd == -ENAMETOOLONG, "250-byte name: %d", fd);
	CHECK(strstr(info.note, "249") != NULL, "note: %s", info.note);
	/* The kernel agrees about the limit. */
	fd = mw_sys_memfd_create(name, MFD_CLOEXEC);
	CHECK(fd < 0 && errno == EINVAL, "kernel accepted a 250-byte name");
	if (fd >= 0)
		close(fd);
	CHECK(mw_memfd_create("a/b", NULL, NULL) == -EINVAL, "'/' accepted");
	CHECK(mw_memfd_create("tab\there", NULL, NULL) == -EINVAL, "control char accepted");
	CHECK(mw_memfd_create("esc\x1b[31m", NULL, NULL) == -EINVAL, "escape accepted");
	CHECK(mw_memfd_create("caf\xc3\xa9", NULL, NULL) == -EINVAL, "non-ASCII accepted");
	CHECK(mw_memfd_create(NULL, NULL, NULL) == -EINVAL, "NULL name accepted");
	fd = mw_memfd_create("", NULL, NULL);
	CHECK(fd >= 0, "empty name refused: %d", fd);
	if (fd >= 0)
		close(fd);
	CHECK(live_count_fds() == before, "fd leaked by name checks");
}

static void check_opts(void)
{
	struct mw_memfd_opts o = { .sz = sizeof(o), .flags = 0x100 };
	struct { struct mw_memfd_opts o; int extra; } big = { { .sz = sizeof(big) }, 1 };
	int fd;

	CHECK(mw_memfd_create("o", &o, NULL) == -EINVAL, "unknown flag accepted");
	o.flags = 0;
	o.seals = 0x40;
	CHECK(mw_memfd_create("o", &o, NULL) == -EINVAL, "unknown seal accepted");
	o.seals = 0;
	o.sz = 4;
	CHECK(mw_memfd_create("o", &o, NULL) == -EINVAL, "tiny sz accepted");
	CHECK(mw_memfd_create("o", &big.o, NULL) == -EINVAL, "non-zero unknown tail accepted");
	big.extra = 0;
	fd = mw_memfd_create("o", &big.o, NULL);
	CHECK(fd >= 0, "zero tail of a newer struct refused: %d", fd);
	if (fd >= 0)
		close(fd);
	o = (struct mw_memfd_opts){ .sz = sizeof(o), .flags = MW_MEMFD_EXEC | MW_MEMFD_REQUIRE_EXEC_SEAL };
	CHECK(mw_memfd_create("o", &o, NULL) == -EINVAL, "EXEC with REQUIRE_EXEC_SEAL accepted");

	/* size + seals applied in one go. */
	o = (struct mw_memfd_opts){ .sz = sizeof(o), .size = 8192, .seals = MW_SEALS_FIXED_SIZE };
	fd = mw_memfd_create("o", &o, NULL);
	REQUIRE(fd >= 0, "size+seals: %d", fd);
	{
		struct stat sb;
		fstat(fd, &sb);
		CHECK(sb.st_size == 8192, "size %lld", (long long)sb.st_size);
		CHECK((mw_memfd_get_seals(fd) & MW_SEALS_FIXED_SIZE) == MW_SEALS_FIXED_SIZE, "seals");
		CHECK(ftruncate(fd, 4096) < 0 && errno == EPERM, "shrink allowed");
	}
	close(fd);
}

static void check_exec_request(void)
{
	struct mw_memfd_opts o = { .sz = sizeof(o), .flags = MW_MEMFD_EXEC };
	struct mw_memfd_info info = { .sz = sizeof(info) };
	char v[8] = "";
	int fd;

	mw__read_file("/proc/sys/vm/memfd_noexec", v, sizeof(v));
	fd = mw_memfd_create("mw-exec", &o, &info);
	if (v[0] == '2') {
		CHECK(fd == -EACCES && strstr(info.note, "vm.memfd_noexec"), "exec under sysctl 2: %d %s",
		      fd, info.note);
		return;
	}
	REQUIRE(fd >= 0, "exec request: %s", info.note);
	CHECK(info.exec == MW_MEMFD_EXEC_ALLOWED && (info.mode & 0777) == 0777,
	      "exec memfd mode %o", info.mode);
	CHECK(info.exec_possible, "exec not possible");
	close(fd);
}

/* Run fn in a child where memfd_create fails with err (seccomp), inside a
 * private mount namespace with fresh tmpfs on /dev/shm and /tmp. */
static int blocked_child(int err, void (*fn)(int))
{
	pid_t pid = fork();

	if (pid == 0) {
		struct sock_filter f[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_memfd_create, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)err),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

		/* What could not be set up is said, and the parent skips. */
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
			live_note("fallback child: private mount namespace: %s", strerror(errno));
			_exit(LIVE_SKIP_CODE);
		}
		mkdir("/dev/shm", 01777);
		mkdir("/tmp", 01777);
		if (mount("mwshm", "/dev/shm", "tmpfs", 0, "mode=1777") < 0 ||
		    mount("mwtmp", "/tmp", "tmpfs", 0, "mode=1777") < 0) {
			live_note("fallback child: tmpfs on /dev/shm and /tmp: %s", strerror(errno));
			_exit(LIVE_SKIP_CODE);
		}
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    mw_sys_seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
			live_note("fallback child: seccomp filter: %s", strerror(errno));
			_exit(LIVE_SKIP_CODE);
		}
		fn(err);
		exit(live_done());
	}
	return live_wait(pid);
}

static void fallback_body(int err)
{
	struct mw_memfd_info info = { .sz = sizeof(info) };
	struct mw_memfd_opts o = { .sz = sizeof(o) };
	int before = live_count_fds();
	int fd;

	CHECK(mw_sys_memfd_create("x", MFD_CLOEXEC) < 0 && errno == err, "filter not active");
	fd = mw_memfd_create("fb", NULL, &info);
	REQUIRE(fd >= 0, "fallback failed: %d %s", fd, info.note);
	CHECK(info.kind == MW_MEMFD_KIND_TMPFILE_SHM, "kind %s", mw_memfd_kind_name(info.kind));
	CHECK(!info.is_memfd && !info.sealing_allowed, "tmpfile claims memfd/sealing");
	CHECK((info.mode & 0111) == 0, "tmpfile mode %o", info.mode);
	CHECK(strstr(info.note, err == ENOSYS ? "missing" : "blocked") && strstr(info.note, "/dev/shm"),
	      "note: %s", info.note);
	CHECK(mw_memfd_seal(fd, MW_SEAL_WRITE) == -EPERM, "tmpfile sealable?");
	CHECK(write(fd, "abc", 3) == 3, "tmpfile not writable");
	close(fd);
	live_note("memfd_create %s: %s", strerrorname_np(err), info.note);

	/* /dev/shm unusable: /tmp. */
	REQUIRE(mount(NULL, "/dev/shm", NULL, MS_REMOUNT | MS_RDONLY, NULL) == 0, "remount ro");
	fd = mw_memfd_create("fb", NULL, &info);
	REQUIRE(fd >= 0, "/tmp fallback failed: %d %s", fd, info.note);
	CHECK(info.kind == MW_MEMFD_KIND_TMPFILE_TMP, "kind %s (%s)", mw_memfd_kind_name(info.kind),
	      info.note);
	close(fd);

	/* No fallback wanted, seals wanted, exec wanted: clear errors. */
	o.flags = MW_MEMFD_NO_FALLBACK;
	CHECK(mw_memfd_create("fb", &o, &info) == -err, "NO_FALLBACK: %s", info.note);
	o.flags = 0;
	o.seals = MW_SEAL_WRITE;
	CHECK(mw_memfd_create("fb", &o, &info) == -EOPNOTSUPP, "seals on fallback: %s", info.note);
	o.seals = 0;
	o.flags = MW_MEMFD_EXEC;
	CHECK(mw_memfd_create("fb", &o, &info) == -err, "EXEC fell back: %s", info.note);
	CHECK(live_count_fds() == before, "fd leaked in the fallback paths");
}

int main(void)
{
	const char *skipped = NULL;
	int rc;

	lk_need("memfd_create", lk_memfd_create(0), "memfd_create");
	have_noexec_seal = lk_memfd_create(MFD_NOEXEC_SEAL) == 0;
	live_note("MFD_NOEXEC_SEAL %s", have_noexec_seal ? "supported" : "missing: fallback asserted");
	check_default();
	check_names();
	check_opts();
	check_exec_request();
	for (int i = 0; i < 2; i++) {
		int err = i ? EPERM : ENOSYS;
		fflush(stdout);
		rc = blocked_child(err, fallback_body);
		if (rc == LIVE_SKIP_CODE)
			skipped = "the fallback cases could not be set up (see the note above)";
		else
			CHECK(rc == 0, "fallback child (%s) failed: %d", strerrorname_np(err), rc);
	}
	/* The fallback is half of what this test is for: not run is not passed
	 * (and after a failed check, live_skip() fails). */
	if (skipped)
		live_skip("%s", skipped);
	return live_done();
}
