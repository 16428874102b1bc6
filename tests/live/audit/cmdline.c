/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hostile memory over a process's arguments must neither stall a scan nor
 * put words in its mouth (red team, issue 12). A scan reads the command
 * line of every process that holds a memfd (for the fds its arguments
 * name) and of every reported one for --json; an earlier version read it
 * with process_vm_readv from where the BPF iterator had found it, which
 * waited as long as an attacker liked on a page registered with
 * userfaultfd, and read a file mapped over the arguments after the
 * iterator's check. The children here hold a memfd (so that every scan
 * reads their command line) and:
 *
 *   file   map a file (a memfd copy whose arguments read MARKER) over the
 *          pages of their arguments, MAP_SHARED: /proc/PID/cmdline reads
 *          anonymous memory only, so the scans must not show MARKER, and
 *          must agree with each other;
 *   uffd   register their stack with userfaultfd, drop a page of their
 *          arguments and never answer a fault (root: vm.unprivileged_
 *          userfaultfd is 0 on most hosts; a note where it cannot be had):
 *          every scan must end within 5 s;
 *   uffdenv  the same with the dropped page in their environment, which
 *          a scan reads too (for the fds its variables name);
 *   long   fifteen arguments of 128 KiB each (the kernel's most), every one
 *          "/dev/" over and over: a search from each "/dev/" to the end of
 *          its argument took seconds per argument (minutes a process);
 *          every scan must end within 5 s.
 *
 * Modes: BPF iterators (--bpf), /proc (--no-bpf), by pid.
 */
#include "live.h"
#include "modes.h"

#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define MARKER "FILE-MAPPED-OVER-ARGS"

/* Where the argument and environment strings end. */
static char *strings_end(int argc, char **argv, char **envp)
{
	char **e = envp;

	while (*e)
		e++;
	if (e != envp)
		return e[-1] + strlen(e[-1]) + 1;
	return argv[argc - 1] + strlen(argv[argc - 1]) + 1;
}

/* The pages holding [from, to) replaced by a shared mapping of a memfd
 * holding the same bytes, but MARKER at from. */
static int map_file_over(char *from, char *to)
{
	long ps = sysconf(_SC_PAGESIZE);
	char *lo = (char *)((uintptr_t)from & ~(uintptr_t)(ps - 1));
	char *hi = (char *)(((uintptr_t)to + (uintptr_t)ps - 1) & ~(uintptr_t)(ps - 1));
	size_t n = (size_t)(hi - lo), m = strlen(MARKER);
	int fd = memfd_create("mw-args-file", MFD_CLOEXEC);
	char *copy = malloc(n);

	if (fd < 0 || !copy)
		return -1;
	memcpy(copy, lo, n);
	memcpy(copy + (from - lo), MARKER, m < (size_t)(to - from) ? m : (size_t)(to - from));
	if (write(fd, copy, n) != (ssize_t)n)
		return -1;
	free(copy);
	return mmap(lo, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == lo ? 0 : -1;
}

/* The pages of [from, to) (the argument and environment strings: one
 * mapping then, split from the rest of the stack) registered with a
 * userfaultfd, and the first whole page inside the argument at p (three
 * pages long: it holds nothing else, no frame of a thread) dropped, so that
 * a read of it waits for an answer that never comes. 0, or -errno (no
 * userfaultfd here). */
static int uffd_trap(char *from, char *to, char *p)
{
	long ps = sysconf(_SC_PAGESIZE);
	uintptr_t lo = (uintptr_t)from & ~(uintptr_t)(ps - 1);
	uintptr_t hi = ((uintptr_t)to + (uintptr_t)ps - 1) & ~(uintptr_t)(ps - 1);
	char *page = (char *)(((uintptr_t)p + (uintptr_t)ps - 1) & ~(uintptr_t)(ps - 1));
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	int u = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (u < 0)
		return -errno;
	if (ioctl(u, UFFDIO_API, &api) < 0)
		return -errno;
	reg.range.start = lo;
	reg.range.len = hi - lo;
	if (ioctl(u, UFFDIO_REGISTER, &reg) < 0)
		return -errno;
	if (madvise(page, (size_t)ps, MADV_DONTNEED) < 0)
		return -errno;
	return 0; /* u stays open, unanswered */
}

struct job {
	char *from, *to, *arg;
	const char *mode;
	int ret;
};

/* On a thread of its own: the pages may hold the main thread's frames,
 * which must not change meanwhile (it waits in pthread_join()). */
static void *job_thread(void *arg)
{
	struct job *j = arg;

	j->ret = !strcmp(j->mode, "file") ? map_file_over(j->arg, j->to) : uffd_trap(j->from, j->to, j->arg);
	return NULL;
}

/* What the children run: set up mode (argv[1]), say so on stdout, wait. */
__attribute__((noreturn)) static void child(int argc, char **argv, char **envp)
{
	if (!strcmp(argv[1], "long")) {
		char c = memfd_create("mw-cmdline-child", 0) < 0 ? 'E' : 'R';

		(void)!write(1, &c, 1);
		for (;;)
			pause();
	}
	{
	struct job j = { argv[0], strings_end(argc, argv, envp), argv[2], argv[1], 0 };

	if (!strcmp(argv[1], "uffdenv")) {
		j.arg = getenv("MW_CMDLINE_BIG");
		j.mode = "uffd";
		if (!j.arg)
			_exit(126);
	}
	pthread_t t;
	char c = 'R';

	/* a memfd held: every scan reads this command line */
	if (memfd_create("mw-cmdline-child", 0) < 0)
		c = 'E';
	if (pthread_create(&t, NULL, job_thread, &j) || pthread_join(t, NULL))
		c = 'E';
	else if (j.ret < 0)
		c = j.ret == -EPERM || j.ret == -ENOSYS || j.ret == -EINVAL ? 'S' : 'E';
	(void)!write(1, &c, 1);
	for (;;)
		pause();
	}
}

/* A child in mode; 0 when it could not set itself up for lack of a privilege. */
static pid_t spawn(const char *mode)
{
	int p[2];
	char c = 0;
	pid_t pid = live_fork_ready(p);
	struct pollfd pfd;

	if (pid == 0) {
		static char arg[3 * 4096 + 1];
		static char big[sizeof("MW_CMDLINE_BIG=") + 3 * 4096 + 1] = "MW_CMDLINE_BIG=";
		char *argv[] = { "/proc/self/exe", (char *)mode, arg, "and-another", NULL };
		char *envp[] = { "PATH=/usr/bin:/bin", big, "MW_CMDLINE_LAST=1", NULL };

		memset(arg, 'a', sizeof(arg) - 1);
		memset(big + strlen(big), 'e', sizeof(big) - strlen(big) - 1);
		close(p[0]);
		dup2(p[1], 1);
		if (!strcmp(mode, "long")) {
			/* 128 KiB - 1 of "/dev/" each (MAX_ARG_STRLEN) */
			static char dev[128 * 1024];
			char *lv[20];
			int n = 0;

			for (size_t i = 0; i + 5 < sizeof(dev); i += 5)
				memcpy(dev + i, "/dev/", 5);
			dev[sizeof(dev) - 1] = '\0';
			lv[n++] = "/proc/self/exe";
			lv[n++] = (char *)mode;
			while (n < 17)
				lv[n++] = dev;
			lv[n] = NULL;
			execve("/proc/self/exe", lv, envp);
			_exit(127);
		}
		execve("/proc/self/exe", argv, envp);
		_exit(127);
	}
	close(p[1]);
	pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
	if (poll(&pfd, 1, 10000) <= 0) {
		kill(pid, SIGKILL);
		live_wait(pid);
		REQUIRE(0, "child %s did not get ready in 10 s", mode);
	}
	REQUIRE(read(p[0], &c, 1) == 1, "child %s did not start", mode);
	close(p[0]);
	REQUIRE(c == 'R' || c == 'S', "child %s failed to set itself up", mode);
	if (c == 'S') {
		kill(pid, SIGKILL);
		live_wait(pid);
		return 0;
	}
	return pid;
}

/* The cmdline of pid's first finding in r, or NULL. */
static const char *cmdline_of(const struct mw_audit_report *r, pid_t pid)
{
	for (size_t i = 0; i < r->nfindings; i++)
		if (r->findings[i]->pid == pid)
			return r->findings[i]->cmdline;
	return NULL;
}

/* Scan in mode m in a child, which must finish within 5 s; its cmdline of
 * pid into out. */
static bool timed_scan(int m, pid_t pid, char *out, size_t size)
{
	int p[2];
	pid_t s;
	struct pollfd pfd;
	ssize_t n;
	bool done;

	REQUIRE(pipe2(p, O_CLOEXEC) == 0, "pipe");
	s = fork();
	REQUIRE(s >= 0, "fork");
	if (s == 0) {
		struct mw_audit_report *r = modes_scan(m, &pid);
		const char *c = cmdline_of(r, pid);

		(void)!write(p[1], c ? c : "(none)", strlen(c ? c : "(none)"));
		_exit(0);
	}
	close(p[1]);
	pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
	done = poll(&pfd, 1, 5000) > 0;
	n = done ? read(p[0], out, size - 1) : -1;
	out[n > 0 ? n : 0] = '\0';
	close(p[0]);
	kill(s, SIGKILL);
	live_wait(s);
	return done;
}

int main(int argc, char **argv, char **envp)
{
	static const char *const modes[] = { "file", "uffd", "uffdenv", "long" };

	if (argc >= 3 && (!strcmp(argv[1], "file") || !strcmp(argv[1], "uffd") || !strcmp(argv[1], "uffdenv") ||
			  !strcmp(argv[1], "long")))
		child(argc, argv, envp);
	signal(SIGCHLD, SIG_DFL);
	for (size_t k = 0; k < 4; k++) {
		pid_t pid = spawn(modes[k]);
		char got[MODES][8192];

		if (!pid) {
			live_note("%s: userfaultfd cannot be had here: not tried", modes[k]);
			continue;
		}
		for (int m = 0; m < MODES; m++) {
			bool done = timed_scan(m, pid, got[m], sizeof(got[m]));

			CHECK(done, "%s: the %s scan did not end within 5 s", modes[k], modes_name[m]);
			CHECK(!strstr(got[m], MARKER), "%s: %s scan read the file over the arguments: '%.80s'", modes[k],
			      modes_name[m], got[m]);
		}
		CHECK(!strcmp(got[0], got[1]) && !strcmp(got[1], got[2]), "%s: cmdlines differ: '%.80s', '%.80s', '%.80s'",
		      modes[k], got[0], got[1], got[2]);
		live_note("%s: a cmdline of %zu bytes in every mode", modes[k], strlen(got[0]));
		kill(pid, SIGKILL);
		live_wait(pid);
	}
	return live_done();
}
