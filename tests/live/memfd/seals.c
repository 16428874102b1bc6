/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Seals through our API: the exec-seal cases of the kernel's memfd selftest
 * (tools/testing/selftests/memfd: SEAL-EXEC, ALL_SEALS implied, EXEC_NO_SEAL,
 * NOEXEC_SEAL) expressed with mw_memfd_create/mw_memfd_seal, the presets'
 * documented effects, and the errors: a seal the kernel lacks (-EOPNOTSUPP,
 * nothing applied), WRITE under a writable shared mapping (-EBUSY, also when
 * another process holds the mapping), sealing not allowed (-EPERM), a
 * read-only fd (-EBADF), not a memfd (-EINVAL).
 *
 * Cases that need the 6.3 flags are skipped, with the reason, on older
 * kernels; there the fallback cases run and assert the fallback.
 */
#include "live.h"
#include "kernel.h"
#include "core/internal.h"
#include "sys/shim.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <memward/memward.h>

#define SZ 8192

static bool have_exec_flags; /* MFD_EXEC, MFD_NOEXEC_SEAL, F_SEAL_EXEC */
static int skipped_cases;

static void case_skip(const char *name)
{
	skipped_cases++;
	live_note("case %s skipped: needs MFD_EXEC/MFD_NOEXEC_SEAL/F_SEAL_EXEC (Linux 6.3), "
		  "which this kernel lacks", name);
}

static int new_memfd(const char *name, unsigned int flags)
{
	struct mw_memfd_opts o = { .sz = sizeof(o), .flags = flags, .size = SZ };
	int fd = mw_memfd_create(name, &o, NULL);

	REQUIRE(fd >= 0, "create %s: %s", name, strerror(-fd));
	return fd;
}

static unsigned int mode_of(int fd)
{
	struct stat sb;

	REQUIRE(fstat(fd, &sb) == 0, "fstat");
	return sb.st_mode & 07777;
}

static void chmod_ok(int fd, unsigned int mode)
{
	CHECK(fchmod(fd, mode) == 0 && mode_of(fd) == mode, "chmod %04o refused: %s", mode,
	      strerror(errno));
}

static void chmod_refused(int fd, unsigned int mode)
{
	unsigned int before = mode_of(fd);

	CHECK(fchmod(fd, mode) < 0 && errno == EPERM, "chmod %04o allowed", mode);
	CHECK(mode_of(fd) == before, "mode changed by a refused chmod");
}

static bool can_write(int fd)
{
	void *p;

	if (pwrite(fd, "x", 1, 0) == 1)
		return true;
	p = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED) {
		munmap(p, SZ);
		return true;
	}
	return false;
}

/* selftest SEAL-EXEC "Apply SEAL_EXEC": sealed with no exec bit, only EXEC is added. */
static void case_seal_exec(void)
{
	int fd, r;

	if (!have_exec_flags)
		return case_skip("seal-exec");
	fd = new_memfd("seal-exec", MW_MEMFD_EXEC);
	CHECK(mode_of(fd) == 0777, "MFD_EXEC mode %o", mode_of(fd));
	chmod_ok(fd, 0644);
	CHECK(mw_memfd_get_seals(fd) == 0, "fresh seals %d", mw_memfd_get_seals(fd));
	r = mw_memfd_seal(fd, MW_SEAL_EXEC);
	CHECK(r == (int)MW_SEAL_EXEC, "seals after EXEC on mode 0644: 0x%x", r);
	chmod_ok(fd, 0600);
	chmod_refused(fd, 0777);
	chmod_refused(fd, 0670);
	chmod_refused(fd, 0605);
	chmod_refused(fd, 0700);
	chmod_refused(fd, 0100);
	chmod_ok(fd, 0666);
	CHECK(can_write(fd), "write refused: EXEC alone must not imply write seals here");
	close(fd);
}

/* selftest "Apply ALL_SEALS": EXEC on a file with an exec bit implies W seals. */
static void case_implied(void)
{
	const unsigned int wx = MW_SEAL_SHRINK | MW_SEAL_GROW | MW_SEAL_WRITE |
				MW_SEAL_FUTURE_WRITE | MW_SEAL_EXEC;
	int fd, r;

	if (!have_exec_flags)
		return case_skip("implied-seals");
	fd = new_memfd("implied", MW_MEMFD_EXEC);
	chmod_ok(fd, 0700);
	r = mw_memfd_seal(fd, MW_SEAL_EXEC);
	CHECK(r == (int)wx, "EXEC on mode 0700 gave 0x%x, want 0x%x (W^X implied)", r, wx);
	chmod_refused(fd, 0711);
	chmod_refused(fd, 0600);
	CHECK(!can_write(fd), "write allowed after implied WRITE seal");
	CHECK(ftruncate(fd, SZ / 2) < 0 && errno == EPERM, "shrink allowed");
	close(fd);
}

/* selftest EXEC_NO_SEAL: executable, sealing not allowed. Before 6.3 every
 * memfd is 0777, so this one runs everywhere. */
static void case_exec_no_seal(void)
{
	struct mw_memfd_info info = { .sz = sizeof(info) };
	int fd = new_memfd("exec-no-seal", MW_MEMFD_EXEC | MW_MEMFD_NO_SEALING);

	CHECK(mode_of(fd) == 0777, "mode %o", mode_of(fd));
	CHECK(mw_memfd_get_seals(fd) == (int)MW_SEAL_SEAL, "seals 0x%x", mw_memfd_get_seals(fd));
	CHECK(mw_memfd_query(fd, &info) == 0 && !info.sealing_allowed &&
	      info.exec == MW_MEMFD_EXEC_ALLOWED, "query: sealing %d exec %s", info.sealing_allowed,
	      mw_memfd_exec_name(info.exec));
	CHECK(mw_memfd_seal(fd, MW_SEAL_WRITE) == -EPERM, "sealing allowed");
	chmod_ok(fd, 0666);
	close(fd);
}

/* selftest NOEXEC_SEAL, with and without sealing; the fallback before 6.3. */
static void case_noexec(void)
{
	struct mw_memfd_info info = { .sz = sizeof(info) };
	int fd;

	if (!have_exec_flags) {
		/* Fallback: bits removed, not sealed, and the owner can put them back. */
		fd = new_memfd("noexec-fallback", 0);
		CHECK(mode_of(fd) == 0666, "fallback mode %o", mode_of(fd));
		CHECK(mw_memfd_get_seals(fd) == 0, "fallback seals 0x%x", mw_memfd_get_seals(fd));
		CHECK(mw_memfd_query(fd, &info) == 0 && info.exec == MW_MEMFD_EXEC_UNSEALED &&
		      info.exec_possible, "fallback reported as %s", mw_memfd_exec_name(info.exec));
		chmod_ok(fd, 0777); /* what "exec bits not sealable" means */
		close(fd);
		return;
	}
	fd = new_memfd("noexec", 0);
	CHECK(mode_of(fd) == 0666, "mode %o", mode_of(fd));
	CHECK(mw_memfd_get_seals(fd) == (int)MW_SEAL_EXEC, "seals 0x%x", mw_memfd_get_seals(fd));
	chmod_refused(fd, 0777);
	chmod_refused(fd, 0766);
	close(fd);

	/* The kernel: MFD_NOEXEC_SEAL without MFD_ALLOW_SEALING still allows
	 * sealing. Our NO_SEALING closes it explicitly. */
	fd = mw_sys_memfd_create("raw", MFD_CLOEXEC | MFD_NOEXEC_SEAL);
	REQUIRE(fd >= 0, "raw MFD_NOEXEC_SEAL");
	CHECK(fcntl(fd, F_GET_SEALS) == F_SEAL_EXEC, "raw NOEXEC_SEAL seals 0x%x",
	      fcntl(fd, F_GET_SEALS));
	close(fd);
	fd = new_memfd("noexec-nosealing", MW_MEMFD_NO_SEALING);
	CHECK(mode_of(fd) == 0666, "mode %o", mode_of(fd));
	CHECK(mw_memfd_get_seals(fd) == (int)(MW_SEAL_EXEC | MW_SEAL_SEAL), "seals 0x%x",
	      mw_memfd_get_seals(fd));
	chmod_refused(fd, 0777);
	close(fd);
}

/* A seal the kernel lacks is reported, nothing is applied. */
static void case_unsupported(void)
{
	unsigned int sup = mw_memfd_seals_supported();
	int fd = new_memfd("unsupported", 0);
	int r;

	CHECK((sup & 0x0f) == 0x0f, "basic seals not supported: 0x%x", sup);
	if (sup & MW_SEAL_EXEC) {
		r = mw_memfd_seal(fd, MW_SEALS_FROZEN);
		CHECK(r >= 0 && ((unsigned)r & MW_SEALS_FROZEN) == MW_SEALS_FROZEN, "frozen: %d", r);
		live_note("F_SEAL_EXEC supported: the -EOPNOTSUPP path runs on older kernels");
	} else {
		r = mw_memfd_seal(fd, MW_SEALS_FROZEN);
		CHECK(r == -EOPNOTSUPP, "frozen without F_SEAL_EXEC: %d", r);
		CHECK(mw_memfd_get_seals(fd) == 0, "something was sealed: 0x%x", mw_memfd_get_seals(fd));
		r = mw_memfd_seal(fd, MW_SEAL_EXEC);
		CHECK(r == -EOPNOTSUPP, "EXEC alone: %d", r);
		r = mw_memfd_seal(fd, MW_SEALS_FROZEN & sup);
		CHECK(r == (int)(MW_SEALS_FROZEN & ~MW_SEAL_EXEC), "frozen & supported: %d", r);
	}
	CHECK(mw_memfd_seal(fd, 0x40) == -EINVAL, "unknown bit accepted");
	close(fd);
}

static void case_busy(void)
{
	int fd = new_memfd("busy", 0);
	void *p = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int pipefd[2], r;
	pid_t pid;
	char c;

	int seals0 = mw_memfd_get_seals(fd);

	REQUIRE(p != MAP_FAILED, "mmap");
	CHECK(mw_memfd_seal(fd, MW_SEAL_WRITE) == -EBUSY, "WRITE under our own mapping");
	CHECK(mw_memfd_get_seals(fd) == seals0, "seals changed by the refusal");
	/* Other seals are fine meanwhile (selftest share_mmap). */
	CHECK(mw_memfd_seal(fd, MW_SEAL_SHRINK) >= 0, "SHRINK refused under a mapping");
	munmap(p, SZ);

	/* A mapping held by another process blocks it too. */
	REQUIRE(pipe2(pipefd, O_CLOEXEC) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		void *q = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (q == MAP_FAILED)
			_exit(2);
		close(fd);
		if (write(pipefd[1], "m", 1) != 1)
			_exit(3);
		pause(); /* hold the mapping until the parent kills us */
		_exit(0);
	}
	close(pipefd[1]);
	REQUIRE(read(pipefd[0], &c, 1) == 1, "child did not map");
	r = mw_memfd_seal(fd, MW_SEAL_WRITE);
	CHECK(r == -EBUSY, "WRITE while another process maps it writable: %d", r);
	kill(pid, SIGKILL);
	live_wait(pid);
	close(pipefd[0]);
	r = mw_memfd_seal(fd, MW_SEAL_WRITE);
	CHECK(r >= 0 && (r & MW_SEAL_WRITE), "WRITE refused after the mapping went away: %d", r);
	close(fd);
}

static void case_presets(void)
{
	unsigned int sup = mw_memfd_seals_supported();
	int fd, r;
	char *p;

	/* frozen */
	fd = new_memfd("frozen", 0);
	REQUIRE(pwrite(fd, "data", 4, 0) == 4, "write");
	r = mw_memfd_seal(fd, MW_SEALS_FROZEN & sup);
	CHECK(r >= 0, "frozen: %d", r);
	CHECK(!can_write(fd), "frozen memfd writable");
	CHECK(ftruncate(fd, SZ * 2) < 0 && errno == EPERM, "frozen memfd grows");
	CHECK(ftruncate(fd, 1) < 0 && errno == EPERM, "frozen memfd shrinks");
	CHECK(mw_memfd_seal(fd, MW_SEAL_GROW) == -EPERM, "seal added after SEAL");
	if (sup & MW_SEAL_EXEC)
		chmod_refused(fd, 0755);
	close(fd);

	/* fixed-size */
	fd = new_memfd("fixed", 0);
	CHECK(mw_memfd_seal(fd, MW_SEALS_FIXED_SIZE) >= 0, "fixed-size");
	CHECK(can_write(fd), "fixed-size memfd not writable");
	CHECK(ftruncate(fd, SZ * 2) < 0 && ftruncate(fd, 1) < 0, "fixed-size memfd resized");
	/* Issue 11 #9: without SEAL a peer could add FUTURE_WRITE later and
	 * break the others' writes. */
	CHECK(mw_memfd_seal(fd, MW_SEAL_FUTURE_WRITE & sup ? MW_SEAL_FUTURE_WRITE : MW_SEAL_WRITE) == -EPERM,
	      "a write seal could be added to a fixed-size memfd");
	CHECK(can_write(fd), "fixed-size memfd no longer writable");
	close(fd);

	/* producer: the existing mapping keeps writing, nothing new can. */
	if (!(sup & MW_SEAL_FUTURE_WRITE)) {
		live_note("producer preset skipped: F_SEAL_FUTURE_WRITE (5.1) missing");
		return;
	}
	fd = new_memfd("producer", 0);
	p = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	REQUIRE(p != MAP_FAILED, "mmap");
	r = mw_memfd_seal(fd, MW_SEALS_PRODUCER & sup);
	CHECK(r >= 0, "producer: %d", r);
	memcpy(p, "v2", 2);
	{
		char b[2] = "";
		CHECK(pread(fd, b, 2, 0) == 2 && !memcmp(b, "v2", 2), "producer mapping write lost");
	}
	CHECK(!can_write(fd), "new write path open under FUTURE_WRITE");
	CHECK(ftruncate(fd, 1) < 0, "producer memfd shrinks");
	munmap(p, SZ);
	close(fd);
}

static void case_errors(void)
{
	int fd = new_memfd("errors", 0);
	char path[64];
	int ro, pfd[2];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	REQUIRE(ro >= 0, "reopen read-only");
	CHECK(mw_memfd_seal(ro, MW_SEAL_SHRINK) == -EBADF, "sealing via a read-only fd");
	close(ro);
	close(fd);
	REQUIRE(pipe2(pfd, O_CLOEXEC) == 0, "pipe");
	CHECK(mw_memfd_seal(pfd[1], MW_SEAL_SHRINK) == -EINVAL, "sealing a pipe");
	CHECK(mw_memfd_get_seals(pfd[1]) == -EINVAL, "seals of a pipe");
	close(pfd[0]);
	close(pfd[1]);
	CHECK(mw_memfd_seal(-1, MW_SEAL_SHRINK) == -EBADF, "bad fd");
}

int main(void)
{
	int before;

	lk_need("memfd_create", lk_memfd_create(0), "memfd_create");
	have_exec_flags = lk_memfd_create(MFD_EXEC) == 0 && lk_memfd_create(MFD_NOEXEC_SEAL) == 0 &&
			  lk_seal(F_SEAL_EXEC) == 0;
	before = live_count_fds();
	case_seal_exec();
	case_implied();
	case_exec_no_seal();
	case_noexec();
	case_unsupported();
	case_busy();
	case_presets();
	case_errors();
	CHECK(live_count_fds() == before, "fds leaked: %d -> %d", before, live_count_fds());
	live_note("%d case(s) skipped", skipped_cases);
	return live_done();
}
