/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Minimal helpers for live tests: programs that exercise real syscalls and
 * run on the host and, statically linked, inside the QEMU kernel matrix
 * (where cmocka is not available as a static library).
 *
 * Exit codes: 0 pass, 1 fail, 77 skip (after printing "SKIP: reason").
 */
#ifndef MW_LIVE_H
#define MW_LIVE_H

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <stdbool.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LIVE_SKIP_CODE 77

/* LIVE_ASAN: built with AddressSanitizer (gcc defines __SANITIZE_ADDRESS__,
 * clang answers __has_feature). Tests use it where the sanitizer changes what
 * can be checked (mlock is a no-op under it, its runtime is not fork-safe). */
#if defined(__SANITIZE_ADDRESS__)
#define LIVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LIVE_ASAN 1
#endif
#endif

static int live_failures;

__attribute__((format(printf, 4, 5)))
static inline void live_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
	va_list ap;

	live_failures++;
	printf("FAILED %s:%d: %s: ", file, line, expr);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Record a failed expectation and go on (the test ends with live_done()).
 * cond is evaluated once. */
#define CHECK(cond, ...)                                                    \
	do {                                                                \
		if (!(cond))                                                \
			live_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);  \
	} while (0)

/* Like CHECK, but the test cannot go on without it. */
#define REQUIRE(cond, ...)                                                  \
	do {                                                                \
		if (!(cond)) {                                              \
			live_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);  \
			exit(1);                                            \
		}                                                           \
	} while (0)

/*
 * Skip: this kernel or machine cannot run the test, as the test established
 * itself (it tried the syscall) or as the profile's expectations say. A skip
 * after a failed CHECK is a failure: what failed was checked, and a skip would
 * hide it (run-suite also fails a skip whose output has a FAILED line).
 */
__attribute__((format(printf, 1, 2), noreturn))
static inline void live_skip(const char *fmt, ...)
{
	va_list ap;

	if (live_failures)
		printf("FAIL: skip after %d failed checks; the skip reason was: ", live_failures);
	else
		printf("SKIP: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(live_failures ? 1 : LIVE_SKIP_CODE);
}

__attribute__((format(printf, 1, 2)))
static inline void live_note(const char *fmt, ...)
{
	va_list ap;

	printf("note: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/*
 * A measured figure worth keeping from a passing test (run-suite shows no
 * output of passes): appended to the file $MW_FIGURES names, which the QEMU
 * guests' /init prints as "FIGURE PROFILE: line" and tests/vm/matrix
 * repeats. Elsewhere (no MW_FIGURES) nothing happens: the test's stdout has it.
 */
static inline void live_figure(const char *line)
{
	const char *path = getenv("MW_FIGURES");
	int fd;

	if (!path || !*path)
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, strlen(line)) < 0)
		live_note("cannot write to %s: %s", path, strerror(errno));
	close(fd);
}

/* Number of open fds in this process (for leak checks). */
static inline int live_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}

/* Wait for a child; returns its exit code, or 128+signal when killed. */
/* A pipe p (the child writes p[1] when ready) and a fork: the child's
 * pid, or 0 in the child. The test stops when either fails. */
static inline pid_t live_fork_ready(int p[2])
{
	pid_t pid;

	REQUIRE(pipe2(p, 0) == 0, "pipe: %s", strerror(errno));
	pid = fork();
	REQUIRE(pid >= 0, "fork: %s", strerror(errno));
	return pid;
}

static inline int live_wait(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

/* Run fn in a child of fork() and wait for it: its result as the exit code
 * (stdout flushed on both sides), or 128+signal when it was killed. */
static inline int live_run_child(int (*fn)(void))
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("fork: %s\n", strerror(errno));
		exit(1);
	}
	if (pid == 0) {
		int rc = fn();

		fflush(stdout);
		_exit(rc);
	}
	return live_wait(pid);
}

/*
 * Run argv[0] with argv, its stdout (and stderr, with `merge_stderr`) read
 * into out (NUL-terminated; the first size-1 bytes are kept, the rest is read
 * and dropped so the child never blocks). `setup`, when given, runs
 * in the child before exec (to drop privileges, say). Returns the exit code,
 * 128+signal when killed, 127 when exec failed.
 */
static inline int live_capture(char *const argv[], bool merge_stderr, void (*setup)(void),
			       char *out, size_t size)
{
	int fds[2];
	size_t len = 0;
	pid_t pid;

	REQUIRE(pipe2(fds, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	REQUIRE(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(fds[1], 1);
		if (merge_stderr)
			dup2(fds[1], 2);
		if (setup)
			setup();
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		char spill[4096];
		bool full = len == size - 1;
		ssize_t n = full ? read(fds[0], spill, sizeof(spill)) /* drain, keep the head */
				 : read(fds[0], out + len, size - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (!full)
			len += (size_t)n;
	}
	close(fds[0]);
	out[len] = '\0';
	return live_wait(pid);
}

/*
 * Copy the program at src to a fresh directory under /tmp that every user can
 * reach, so that a child dropped to nobody can execute it even when the build
 * tree is not reachable (a clone in root's 0700 home). dst gets the copy's
 * path; live_public_copy_remove() deletes it. The test fails if it cannot.
 */
static inline void live_copy_file(const char *src, const char *dst)
{
	char buf[65536];
	int in, out;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	REQUIRE(in >= 0, "open %s: %s", src, strerror(errno));
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	REQUIRE(out >= 0, "create %s: %s", dst, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		REQUIRE(write(out, buf, (size_t)n) == n, "write %s: %s", dst, strerror(errno));
	REQUIRE(n == 0, "read %s: %s", src, strerror(errno));
	close(in);
	REQUIRE(close(out) == 0, "close %s: %s", dst, strerror(errno));
}

/* The copy keeps the build tree's layout around it: the program in DIR/bin,
 * and libmemward.so.0 (when the program links it: RUNPATH $ORIGIN/..) in DIR. */
static inline void live_public_copy(const char *src, char *dst, size_t size)
{
	char dir[] = "/tmp/memward-test-XXXXXX";
	char lib[4096], libdst[4200], bin[64];
	const char *slash = strrchr(src, '/');

	REQUIRE(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	REQUIRE(chmod(dir, 0755) == 0, "chmod %s: %s", dir, strerror(errno));
	snprintf(bin, sizeof(bin), "%s/bin", dir);
	REQUIRE(mkdir(bin, 0755) == 0, "mkdir %s: %s", bin, strerror(errno));
	snprintf(dst, size, "%s/%s", bin, slash ? slash + 1 : src);
	live_copy_file(src, dst);
	snprintf(lib, sizeof(lib), "%.*s/../libmemward.so.0", slash ? (int)(slash - src) : 1,
		 slash ? src : ".");
	snprintf(libdst, sizeof(libdst), "%s/libmemward.so.0", dir);
	if (access(lib, R_OK) == 0)
		live_copy_file(lib, libdst);
}

static inline void live_public_copy_remove(const char *path)
{
	char dir[4096];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	unlink(path);
	for (int up = 0; up < 2; up++) { /* DIR/bin, then DIR */
		slash = strrchr(dir, '/');
		if (!slash)
			break;
		*slash = '\0';
		if (up == 1) {
			char lib[4200];

			snprintf(lib, sizeof(lib), "%s/libmemward.so.0", dir);
			unlink(lib);
		}
		rmdir(dir);
	}
}

/* The dynamic loader an ELF program names (its PT_INTERP: ld.so run as a
 * command loads it, "ld.so /bin/sh"), into buf; false for a static
 * program (the guests' busybox) or one unread. */
static inline bool live_loader_of(const char *prog, char *buf, size_t size)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	bool ok = false;
	int fd = open(prog, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (pread(fd, &eh, sizeof(eh), 0) == (ssize_t)sizeof(eh) && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
	    eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(ph)) {
		for (unsigned int i = 0; i < eh.e_phnum && !ok; i++) {
			if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) != (ssize_t)sizeof(ph))
				break;
			if (ph.p_type != PT_INTERP || !ph.p_filesz || ph.p_filesz >= size)
				continue;
			ok = pread(fd, buf, ph.p_filesz, (off_t)ph.p_offset) == (ssize_t)ph.p_filesz &&
			     buf[ph.p_filesz - 1] == '\0' && access(buf, X_OK) == 0;
		}
	}
	close(fd);
	return ok;
}

static inline int live_done(void)
{
	if (live_failures)
		printf("%d check(s) failed\n", live_failures);
	fflush(stdout);
	return live_failures ? 1 : 0;
}

#endif
