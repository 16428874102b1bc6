/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sealed exec: the sealed copy of this very binary executes (it prints a
 * marker and shows it runs from a memfd), and nobody can modify it: not the
 * holder of the fd (write, pwrite, ftruncate, fallocate, mmap PROT_WRITE,
 * mprotect to PROT_WRITE, F_ADD_SEALS, chmod of the exec bits, chmod +w then
 * reopen for writing), not another process through /proc/PID/exe while it
 * runs. Bad arguments fail cleanly without leaking fds. The CLI finds PROG
 * in PATH and exits 127/126/2/64 as documented.
 *
 * usage: live-exec-sealed MEMWARD
 */
#include "exec_run.h"
#include "kernel.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <memward/memward.h>

#include "sys/shim.h"

/* An O_RDWR fd of the same file, made by its owner: add the write bit
 * (F_SEAL_EXEC covers exec bits only), reopen, restore the mode. */
static int writable_twin(int fd)
{
	char path[64];
	struct stat st;
	int w, e;

	if (fstat(fd, &st) < 0 || fchmod(fd, (st.st_mode & 07777) | 0200) < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	w = open(path, O_RDWR | O_CLOEXEC);
	e = errno;
	fchmod(fd, st.st_mode & 07777);
	errno = e;
	return w;
}

static char self[PATH_MAX];
static const char *memward;
static bool seal_exec;

static void check_copy_matches(int fd, const char *orig)
{
	static char a[65536], b[65536];
	int src = open(orig, O_RDONLY | O_CLOEXEC);
	off_t off = 0;

	REQUIRE(src >= 0, "open %s", orig);
	for (;;) {
		ssize_t na = pread(src, a, sizeof(a), off), nb = pread(fd, b, sizeof(b), off);

		CHECK(na == nb, "copy length differs at %lld", (long long)off);
		if (na <= 0 || na != nb)
			break;
		if (memcmp(a, b, (size_t)na)) {
			CHECK(0, "copy differs from the original near offset %lld", (long long)off);
			break;
		}
		off += na;
	}
	close(src);
}

static void test_prepare_and_tamper(void)
{
	struct mw_exec_info info = { .sz = sizeof(info) };
	int before = live_count_fds(), fd, seals, rw;
	char procpath[64];
	struct stat st, sst;
	void *p;

	fd = mw_exec_sealed_prepare(self, NULL, &info);
	REQUIRE(fd >= 0, "prepare: %d %s", fd, info.reason);
	live_note("prepare: backing %s, copy %s: %s", mw_exec_backing_name(info.backing),
		  mw_exec_copy_name(info.copy), info.reason);
	CHECK(info.backing == (seal_exec ? MW_EXEC_BACKING_MEMFD_EXEC : MW_EXEC_BACKING_MEMFD_LEGACY),
	      "backing %s", mw_exec_backing_name(info.backing));
	CHECK(info.step == MW_EXEC_STEP_NONE && !info.script, "step %d script %d", info.step, info.script);
	CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC, "the sealed fd must be O_CLOEXEC");

	seals = fcntl(fd, F_GET_SEALS);
	CHECK(seals >= 0 && (seals & (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)) ==
				    (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE),
	      "seals 0x%x", seals);
	CHECK((unsigned int)seals == info.seals, "info.seals 0x%x vs 0x%x", info.seals, seals);
	CHECK(!!(seals & F_SEAL_EXEC) == seal_exec && info.exec_sealed == seal_exec,
	      "F_SEAL_EXEC 0x%x, kernel has it: %d", seals, seal_exec);
	REQUIRE(fstat(fd, &st) == 0 && stat(self, &sst) == 0, "fstat");
	CHECK((st.st_mode & 07777) == 0511, "mode %04o", st.st_mode & 07777);
	CHECK(st.st_size == sst.st_size && info.size == (uint64_t)sst.st_size, "size %lld vs %lld",
	      (long long)st.st_size, (long long)sst.st_size);
	check_copy_matches(fd, self);

	/* The prepared fd is read-only (issue 11 #12)... */
	errno = 0;
	CHECK(write(fd, "X", 1) < 0 && errno == EBADF, "write to the prepared fd: %s", strerror(errno));
	/* ...so the holder makes itself a writable one (it owns the file) and
	 * tries every way to change the contents: the seals must stop each. */
	{
		int w = writable_twin(fd);

		REQUIRE(w >= 0, "a writable fd of the copy: %s", strerror(errno));
		errno = 0;
		CHECK(write(w, "X", 1) < 0 && errno == EPERM, "write: %s", strerror(errno));
		errno = 0;
		CHECK(pwrite(w, "X", 1, 0) < 0 && errno == EPERM, "pwrite at 0: %s", strerror(errno));
		errno = 0;
		CHECK(pwrite(w, "X", 1, st.st_size) < 0 && errno == EPERM, "pwrite at end: %s", strerror(errno));
		errno = 0;
		CHECK(ftruncate(w, 0) < 0 && errno == EPERM, "ftruncate 0: %s", strerror(errno));
		errno = 0;
		CHECK(ftruncate(w, st.st_size + 4096) < 0 && errno == EPERM, "ftruncate grow: %s", strerror(errno));
		errno = 0;
		CHECK(fallocate(w, 0, st.st_size, 4096) < 0 && errno == EPERM, "fallocate: %s", strerror(errno));
		errno = 0;
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, w, 0);
		CHECK(p == MAP_FAILED && errno == EPERM, "mmap PROT_WRITE MAP_SHARED: %s", strerror(errno));
		if (p != MAP_FAILED)
			munmap(p, 4096);
		close(w);
	}
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "a read-only shared mapping is allowed: %s", strerror(errno));
	if (p != MAP_FAILED) {
		errno = 0;
		CHECK(mprotect(p, 4096, PROT_READ | PROT_WRITE) < 0 && errno == EACCES,
		      "mprotect of a read-only mapping to PROT_WRITE: %s", strerror(errno));
		munmap(p, 4096);
	}
	errno = 0;
	CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) < 0 && errno == EPERM,
	      "F_ADD_SEALS after F_SEAL_SEAL: %s", strerror(errno));
	CHECK(fcntl(fd, F_GET_SEALS) == seals, "seals changed");

	snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d", fd);
	if (seal_exec) {
		errno = 0;
		CHECK(fchmod(fd, 0400) < 0 && errno == EPERM, "fchmod clearing exec bits: %s", strerror(errno));
		errno = 0;
		CHECK(chmod(procpath, 0444) < 0 && errno == EPERM, "chmod via /proc clearing exec bits: %s",
		      strerror(errno));
		errno = 0;
		CHECK(fchmod(fd, 0500) < 0 && errno == EPERM, "fchmod dropping group/other x: %s", strerror(errno));
	}
	/* F_SEAL_EXEC guards the exec bits only: the kernel lets the owner add
	 * a write bit, but that grants nothing once F_SEAL_WRITE is set. */
	if (fchmod(fd, 0711) == 0) {
		live_note("fchmod +w is allowed by the kernel (F_SEAL_EXEC covers exec bits only)");
		rw = open(procpath, O_RDWR | O_CLOEXEC);
		CHECK(rw >= 0, "reopen O_RDWR after chmod +w: %s", strerror(errno));
		if (rw >= 0) {
			errno = 0;
			CHECK(write(rw, "X", 1) < 0 && errno == EPERM, "write through a new O_RDWR fd: %s",
			      strerror(errno));
			errno = 0;
			CHECK(ftruncate(rw, 0) < 0 && errno == EPERM, "ftruncate through it: %s", strerror(errno));
			close(rw);
		}
		CHECK(fchmod(fd, 0511) == 0, "restore 0511");
	}
	check_copy_matches(fd, self);
	close(fd);
	CHECK(live_count_fds() == before, "fd leak: %d -> %d", before, live_count_fds());
}

static void test_exec(void)
{
	char out[4096], err[4096];
	char *run_argv[] = { self, "--run-lib-exec", NULL };
	int rc = run_capture(run_argv, NULL, out, sizeof(out), err, sizeof(err));

	CHECK(rc == 0, "mw_exec_sealed child exit %d: %s", rc, err);
	CHECK(strstr(out, MARKER " lib exe=/memfd:"), "marker from a memfd image: '%s'", out);
}

/* Child mode: exec ourselves (or path, a padded copy of us) sealed, through
 * the library; small: with MW_EXEC_NO_HUGEPAGES. */
static void lib_exec_mode(const char *path, bool small)
{
	char *argv[] = { "sealed-self", "--marker", "lib", NULL };
	struct mw_exec_opts opts = { .sz = sizeof(opts), .flags = small ? MW_EXEC_NO_HUGEPAGES : 0 };
	struct mw_exec_info info = { .sz = sizeof(info) };
	int r = mw_exec_sealed(path, argv, NULL, &opts, &info);

	fprintf(stderr, "mw_exec_sealed returned %d: %s\n", r, info.reason);
	exit(99);
}

/* Another process (root, or the same user) attacks the running image. */
static void test_running_image_is_immutable(void)
{
	int in[2], out[2], rw;
	char buf[256], path[64];
	pid_t pid;
	ssize_t n;

	REQUIRE(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0, "pipe");
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		char *argv[] = { "sealed-self", "--marker", "held", "--hold", NULL };

		dup2(in[0], 0);
		dup2(out[1], 1);
		mw_exec_sealed(self, argv, NULL, NULL, NULL);
		_exit(99);
	}
	close(in[0]);
	close(out[1]);
	n = read(out[0], buf, sizeof(buf) - 1);
	CHECK(n > 0 && !strncmp(buf, "READY", 5), "child not ready");
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	rw = open(path, O_RDWR | O_CLOEXEC);
	if (rw >= 0) {
		errno = 0;
		CHECK(write(rw, "X", 1) < 0 && errno == EPERM, "write to the running image: %s", strerror(errno));
		errno = 0;
		CHECK(ftruncate(rw, 0) < 0 && errno == EPERM, "truncate the running image: %s", strerror(errno));
		close(rw);
	} else {
		CHECK(errno == EACCES || errno == ETXTBSY, "open %s O_RDWR: %s", path, strerror(errno));
		live_note("open O_RDWR of the running image refused: %s", strerror(errno));
	}
	errno = 0;
	CHECK(truncate(path, 0) < 0, "truncate(%s) succeeded", path);
	close(in[1]);
	n = read(out[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	CHECK(strstr(buf, MARKER " held exe=/memfd:"), "held child output '%s'", buf);
	close(out[0]);
	CHECK(live_wait(pid) == 0, "held child exit");
}

static void test_bad_args(void)
{
	struct mw_exec_opts opts = { .sz = sizeof(opts), .flags = 0x80 };
	struct mw_exec_info info = { .sz = sizeof(info) };
	int before = live_count_fds();

	CHECK(mw_exec_sealed_prepare(self, &opts, &info) == -EINVAL && info.step == MW_EXEC_STEP_ARGS,
	      "unknown flag: %s", info.reason);
	CHECK(mw_exec_sealed_prepare(NULL, NULL, NULL) == -EINVAL, "NULL path");
	CHECK(mw_exec_sealed_prepare("", NULL, NULL) == -EINVAL, "empty path");
	opts.sz = 0;
	CHECK(mw_exec_sealed_prepare(self, &opts, NULL) == -EINVAL, "opts.sz 0");
	info.sz = 0;
	CHECK(mw_exec_sealed_prepare(self, NULL, &info) == -EINVAL, "info.sz 0");
	info.sz = sizeof(info);
	CHECK(mw_exec_sealed_prepare("/nonexistent/prog", NULL, &info) == -ENOENT &&
	      info.step == MW_EXEC_STEP_OPEN, "missing program: %s", info.reason);
	CHECK(mw_exec_sealed_prepare("/", NULL, &info) == -EACCES, "a directory: %s", info.reason);
	CHECK(mw_exec_sealed_prepare("/proc/self/status", NULL, &info) == -EACCES,
	      "a non-executable file: %s", info.reason);
	CHECK(mw_exec_fd(-1, NULL, NULL, false) == -EINVAL, "mw_exec_fd(-1)");
	CHECK(live_count_fds() == before, "fd leak: %d -> %d", before, live_count_fds());
}

/* A writable directory for temporary files (busybox guests have /tmp or
 * at least /dev/shm). */
static const char *scratch_dir(char *out, size_t size)
{
	const char *cands[] = { "/tmp", "/dev/shm", "/run" };

	for (size_t i = 0; i < 3; i++) {
		snprintf(out, size, "%s/mw-exec-XXXXXX", cands[i]);
		if (mkdtemp(out))
			return out;
	}
	return NULL;
}

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25 /* Linux 6.1 */
#endif

/*
 * Whether a shmem huge page can be had here now, tried by the test: a fresh
 * memfd of one PMD, one byte written, mapped PMD-aligned and collapsed with
 * MADV_COLLAPSE (what mw_exec_sealed_prepare() documents it does).
 */
static bool thp_collapse_works(uint64_t pmd)
{
	int fd = memfd_create("thp-try", MFD_CLOEXEC);
	void *reserve, *map;
	uintptr_t aligned;
	bool ok = false;

	if (fd < 0)
		return false;
	if (ftruncate(fd, (off_t)pmd) == 0 && pwrite(fd, "", 1, 0) == 1) {
		reserve = mmap(NULL, (size_t)(2 * pmd), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (reserve != MAP_FAILED) {
			aligned = ((uintptr_t)reserve + (uintptr_t)pmd - 1) & ~(uintptr_t)(pmd - 1);
			map = mmap((void *)aligned, (size_t)pmd, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
			ok = map != MAP_FAILED && madvise(map, (size_t)pmd, MADV_COLLAPSE) == 0;
			munmap(reserve, (size_t)(2 * pmd));
		}
	}
	close(fd);
	return ok;
}

/*
 * A program larger than a huge page: this binary padded with a pattern to
 * 2 MiB + 300 KiB + 123 bytes (the loader ignores bytes after the image).
 * With and without MW_EXEC_NO_HUGEPAGES the copy matches byte for byte,
 * holds its seals (the writable mapping used to collapse the huge pages is
 * gone) and runs; huge pages cover exactly the whole 2 MiB block wherever
 * the test could collapse one itself just before, and are never used with
 * MW_EXEC_NO_HUGEPAGES.
 */
static void test_large_copy(void)
{
	const uint64_t pmd = 2u << 20;
	const off_t want = (off_t)pmd + 300 * 1024 + 123;
	char dir[PATH_MAX], big[PATH_MAX + 16], hps[32];
	static char buf[65536], out[4096], err[4096];
	int before = live_count_fds(), src, dst;
	bool thp2m;
	off_t off = 0;
	ssize_t n;

	src = open("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", O_RDONLY | O_CLOEXEC);
	n = src >= 0 ? read(src, hps, sizeof(hps) - 1) : -1;
	hps[n > 0 ? n : 0] = '\0';
	thp2m = strtoull(hps, NULL, 10) == pmd;
	if (src >= 0)
		close(src);
	if (!scratch_dir(dir, sizeof(dir))) {
		live_note("no writable scratch directory: large copy not checked");
		return;
	}
	snprintf(big, sizeof(big), "%s/big", dir);
	src = open(self, O_RDONLY | O_CLOEXEC);
	dst = open(big, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0755);
	REQUIRE(src >= 0 && dst >= 0, "create %s", big);
	while ((n = read(src, buf, sizeof(buf))) > 0) {
		REQUIRE(write(dst, buf, (size_t)n) == n, "write %s", big);
		off += n;
	}
	REQUIRE(off > 0 && off < want, "self is %lld bytes", (long long)off);
	while (off < want) {
		size_t chunk = want - off < (off_t)sizeof(buf) ? (size_t)(want - off) : sizeof(buf);

		for (size_t i = 0; i < chunk; i++)
			buf[i] = (char)((off + (off_t)i) * 7 + 3);
		REQUIRE(write(dst, buf, chunk) == (ssize_t)chunk, "pad %s", big);
		off += (off_t)chunk;
	}
	close(src);
	close(dst);

	for (int small = 0; small < 2; small++) {
		struct mw_exec_opts opts = { .sz = sizeof(opts), .flags = small ? MW_EXEC_NO_HUGEPAGES : 0 };
		struct mw_exec_info info = { .sz = sizeof(info) };
		char *run_argv[] = { self, "--run-lib-exec", big, small ? "small" : "default", NULL };
		struct stat st;
		int fd, seals, rc;
		void *p;

		/* Tried right before, so that memory state is as alike as can be. */
		bool huge_here = !small && thp2m && thp_collapse_works(pmd);

		fd = mw_exec_sealed_prepare(big, &opts, &info);
		if (fd == -EACCES && info.step == MW_EXEC_STEP_OPEN) {
			live_note("%s: %s: large copy not checked", dir, info.reason);
			break;
		}
		REQUIRE(fd >= 0, "prepare %s: %d %s", big, fd, info.reason);
		live_note("large copy%s: %s", small ? " (MW_EXEC_NO_HUGEPAGES)" : "", info.reason);
		CHECK(info.huge_bytes == 0 || (!small && thp2m && info.huge_bytes == pmd),
		      "huge_bytes %llu (small %d, 2 MiB THP %d)", (unsigned long long)info.huge_bytes, small,
		      thp2m);
		CHECK(!huge_here || info.huge_bytes == pmd,
		      "the test collapsed a shmem huge page itself, but the copy has %llu bytes in huge pages, want %llu",
		      (unsigned long long)info.huge_bytes, (unsigned long long)pmd);
		if (!small)
			live_note("huge pages: %s here", huge_here ? "available (required)" : "not available");
		CHECK(fstat(fd, &st) == 0 && st.st_size == want && info.size == (uint64_t)want,
		      "size %lld, want %lld", (long long)st.st_size, (long long)want);
		check_copy_matches(fd, big);
		seals = fcntl(fd, F_GET_SEALS);
		CHECK(seals >= 0 && (seals & (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)) ==
					    (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE),
		      "seals 0x%x", seals);
		{
			int w = writable_twin(fd);

			REQUIRE(w >= 0, "a writable fd of the copy: %s", strerror(errno));
			errno = 0;
			CHECK(pwrite(w, "X", 1, 0) < 0 && errno == EPERM, "pwrite into the huge block: %s",
			      strerror(errno));
			errno = 0;
			p = mmap(NULL, (size_t)pmd, PROT_READ | PROT_WRITE, MAP_SHARED, w, 0);
			CHECK(p == MAP_FAILED && errno == EPERM, "mmap PROT_WRITE MAP_SHARED: %s",
			      strerror(errno));
			if (p != MAP_FAILED)
				munmap(p, (size_t)pmd);
			close(w);
		}
		close(fd);
		rc = run_capture(run_argv, NULL, out, sizeof(out), err, sizeof(err));
		CHECK(rc == 0 && strstr(out, MARKER " lib exe=/memfd:big"), "exec of the large copy: %d '%s' '%s'",
		      rc, out, err);
	}
	unlink(big);
	rmdir(dir);
	CHECK(live_count_fds() == before, "fd leak: %d -> %d", before, live_count_fds());
}

static void test_cli(void)
{
	static char out[8192], err[8192];
	char dir[PATH_MAX], script[PATH_MAX + 16], plain[PATH_MAX + 16], pathenv[PATH_MAX + 32];
	char selfdir[PATH_MAX], *base;
	int rc, fd;

	{
		char *a[] = { (char *)memward, "exec-sealed", "--", self, "--marker", "cli", NULL };
		rc = run_capture(a, NULL, out, sizeof(out), err, sizeof(err));
		CHECK(rc == 0 && strstr(out, MARKER " cli exe=/memfd:"), "exec-sealed self: %d '%s' '%s'", rc, out, err);
	}
	{
		/* PATH search, like execvp. */
		char *env[] = { pathenv, NULL };
		char *a[] = { (char *)memward, "exec-sealed", NULL, "--marker", "path", NULL };

		snprintf(selfdir, sizeof(selfdir), "%s", self);
		base = strrchr(selfdir, '/');
		REQUIRE(base, "self path");
		*base++ = '\0';
		snprintf(pathenv, sizeof(pathenv), "PATH=/nonexistent:%s", selfdir);
		a[2] = base;
		rc = run_capture(a, env, out, sizeof(out), err, sizeof(err));
		CHECK(rc == 0 && strstr(out, MARKER " path"), "PATH search: %d '%s' '%s'", rc, out, err);
	}
	{
		char *env[] = { "PATH=/nonexistent", NULL };
		char *a[] = { (char *)memward, "exec-sealed", "no-such-program-mw", NULL };
		rc = run_capture(a, env, out, sizeof(out), err, sizeof(err));
		CHECK(rc == 127 && strstr(err, "not found"), "not in PATH: %d '%s'", rc, err);
	}
	{
		char *a[] = { (char *)memward, "exec-sealed", "/nonexistent/prog", NULL };
		rc = run_capture(a, NULL, out, sizeof(out), err, sizeof(err));
		CHECK(rc == 127 && strstr(err, "cannot open"), "missing path: %d '%s'", rc, err);
	}
	{
		char *a[] = { (char *)memward, "exec-sealed", NULL };
		rc = run_capture(a, NULL, out, sizeof(out), err, sizeof(err));
		CHECK(rc == 64 && strstr(err, "no program given"), "no program: %d '%s'", rc, err);
	}
	{
		char *a[] = { (char *)memward, "exec-sealed", "--frob", "x", NULL };
		rc = run_capture(a, NULL, out, sizeof(out), err, sizeof(err));
		CHECK(rc == 64 && strstr(err, "unknown option '--frob'"), "bad option: %d '%s'", rc, err);
	}
	{
		char *a[] = { (char *)memward, "exec-sealed", "--help", NULL };
		rc = run_capture(a, NULL, out, sizeof(out), err, sizeof(err));
		CHECK(rc == 0 && strstr(out, "Usage: memward exec-sealed") && strstr(out, "--allow-tmpfile-fallback"),
		      "--help: %d", rc);
	}
	if (!scratch_dir(dir, sizeof(dir))) {
		live_note("no writable scratch directory: file-based CLI checks not run");
		return;
	}
	snprintf(plain, sizeof(plain), "%s/plain", dir);
	fd = open(plain, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	REQUIRE(fd >= 0 && write(fd, "\177ELF", 4) == 4, "create %s", plain);
	close(fd);
	{
		char *a[] = { (char *)memward, "exec-sealed", plain, NULL };
		rc = run_capture(a, NULL, out, sizeof(out), err, sizeof(err));
		CHECK(rc == 126 && strstr(err, "no execute permission"), "not executable: %d '%s'", rc, err);
	}
	snprintf(script, sizeof(script), "%s/script", dir);
	fd = open(script, O_CREAT | O_WRONLY | O_CLOEXEC, 0755);
	REQUIRE(fd >= 0, "create %s", script);
	dprintf(fd, "#!/bin/sh\necho SCRIPT-RAN \"$1\"\n");
	close(fd);
	{
		char *a[] = { (char *)memward, "exec-sealed", script, NULL };
		rc = run_capture(a, NULL, out, sizeof(out), err, sizeof(err));
		CHECK(rc == 126 && strstr(err, "script") && strstr(err, "--allow-script"),
		      "script refused: %d '%s'", rc, err);
	}
	if (access("/bin/sh", X_OK) == 0) {
		char *a[] = { (char *)memward, "exec-sealed", "--allow-script", script, "arg1", NULL };
		rc = run_capture(a, NULL, out, sizeof(out), err, sizeof(err));
		if (rc == 126 && strstr(err, "noexec"))
			live_note("scratch dir is noexec: script run not checked");
		else if (access("/dev/fd", X_OK) < 0)
			CHECK(rc == 126 && strstr(err, "/dev/fd is missing"), "--allow-script without /dev/fd: %d '%s'",
			      rc, err);
		else
			CHECK(rc == 0 && strstr(out, "SCRIPT-RAN arg1"), "--allow-script: %d '%s' '%s'", rc, out, err);
	}
	unlink(script);
	unlink(plain);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	marker_mode(argc, argv);
	self_path(self, sizeof(self));
	if (argc >= 2 && !strcmp(argv[1], "--run-lib-exec"))
		lib_exec_mode(argc > 2 ? argv[2] : self, argc > 3 && !strcmp(argv[3], "small"));
	REQUIRE(argc == 2, "usage: live-exec-sealed MEMWARD");
	memward = argv[1];
	lk_need("memfd_create", lk_memfd_create(0), "memfd_create");
	if (lk_memfd_create(MFD_EXEC) == EACCES)
		live_skip("memfd_create(MFD_EXEC): EACCES, vm.memfd_noexec=2 in this pid namespace (tried by the test); the exec-noexec-ns test covers that case");
	seal_exec = lk_seal(F_SEAL_EXEC) == 0;

	test_prepare_and_tamper();
	test_exec();
	test_running_image_is_immutable();
	test_bad_args();
	test_large_copy();
	test_cli();
	return live_done();
}
