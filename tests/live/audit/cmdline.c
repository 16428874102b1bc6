/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit reads command lines from the processes' memory
 * (src/proc/cmdline.c, one process_vm_readv) where its BPF record says
 * where they are and that they lie in anonymous memory
 * (MW_BREC_PROC_ARGS_ANON, bpf/audit_iter3.bpf.c). This checks:
 *
 *  1. mw__proc_cmdline_vm() gives the bytes /proc/PID/cmdline gives, read
 *     at the same size (1 to 8192), for children that rewrote their
 *     arguments in each way the kernel tells apart: plain arguments,
 *     arguments longer than the read, a title (setproctitle(3)) run on
 *     into the environment, one with no NUL for more than a page, one
 *     shorter than the arguments, arguments moved away from the
 *     environment with prctl(PR_SET_MM_ARG_START/END) (needs
 *     CAP_SYS_RESOURCE: a note where it is refused), an empty argv; and
 *     for every process of the system whose bounds /proc/PID/stat shows;
 *  2. (root, where the iterators load) the records carry the bounds
 *     /proc/PID/stat shows and the flag for a plain child; not the flag for
 *     a child with a file mapped over its arguments (/proc/PID/cmdline
 *     reads anonymous memory only: such a file, FUSE that never answers,
 *     could stall the read); never the flag from the older iterators;
 *  3. a scan through the iterators reports the same command line as one
 *     through /proc for those children, and never the file's bytes; and
 *     the right one when a seccomp filter refuses process_vm_readv (EPERM,
 *     as ptrace's check or an LSM would, or ENOSYS).
 */
#include "live.h"
#include "modes.h"

#include "audit/collect.h"
#include "audit/bpf_rec.h"
#include "proc/proc.h"

#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>

extern char **environ;

#define MARKER "FILE-MAPPED-OVER-ARGS"

static const size_t sizes[] = { 1, 2, 3, 5, 6, 7, 64, 100, 1000, 4094, 4095, 4096, 4097, 5000, 8192 };

/* ---- the children -------------------------------------------------- */

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

/* A copy of the pages holding [from, to) in a memfd, mapped over them:
 * the same bytes, with the arguments' first bytes replaced by MARKER. */
static int map_file_over(char *from, char *to)
{
	long ps = sysconf(_SC_PAGESIZE);
	char *lo = (char *)((uintptr_t)from & ~(uintptr_t)(ps - 1));
	char *hi = (char *)(((uintptr_t)to + (uintptr_t)ps - 1) & ~(uintptr_t)(ps - 1));
	size_t n = (size_t)(hi - lo);
	int fd = memfd_create("mw-args-file", MFD_CLOEXEC);
	char *copy = malloc(n);

	if (fd < 0 || !copy)
		return -1;
	memcpy(copy, lo, n);
	memcpy(copy + (from - lo), MARKER, sizeof(MARKER) - 1 < (size_t)(to - from) ? sizeof(MARKER) - 1 : (size_t)(to - from));
	if (write(fd, copy, n) != (ssize_t)n)
		return -1;
	free(copy);
	return mmap(lo, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == lo ? 0 : -1;
}

/* map_file_over() on a thread of its own: the pages may hold the main
 * thread's frames (small environments), which must not change between the
 * copy and the mapping; the main thread waits in pthread_join(). */
struct over { char *from, *to; int ret; };

static void *over_thread(void *arg)
{
	struct over *o = arg;

	o->ret = map_file_over(o->from, o->to);
	return NULL;
}

__attribute__((noreturn)) static void child(int argc, char **argv, char **envp)
{
	const char *mode = argv[2];
	char *start = argv[0], *end = strings_end(argc, argv, envp);
	char *args_end = argv[argc - 1] + strlen(argv[argc - 1]) + 1;
	char c = 'R';

	/* an executable memfd held: a finding, so that scans report the
	 * process with its command line */
	if (memfd_create("mw-cmdline-child", 0) < 0)
		c = 'E';
	if (!strcmp(mode, "title-env")) {
		/* a title past the arguments, halfway into the environment */
		memset(start, 'T', (size_t)(args_end - start) + (size_t)(end - args_end) / 2);
	} else if (!strcmp(mode, "title-all")) {
		memset(start, 'Y', (size_t)(end - start)); /* no NUL left */
	} else if (!strcmp(mode, "title-short")) {
		memset(start, ' ', (size_t)(args_end - start));
		memcpy(start, "short", 6);
		args_end[-1] = 'Z';
	} else if (!strcmp(mode, "moved")) {
		static char buf[64] = "moved-title-without-nul";
		size_t n = strlen(buf);

		/* away from the environment, in the data segment (anonymous
		 * once written), its last byte not NUL */
		if (prctl(PR_SET_MM, PR_SET_MM_ARG_START, (unsigned long)buf, 0, 0) ||
		    prctl(PR_SET_MM, PR_SET_MM_ARG_END, (unsigned long)(buf + n), 0, 0))
			c = 'S';
	} else if (!strcmp(mode, "file")) {
		struct over o = { start, end, -1 };
		pthread_t t;

		if (pthread_create(&t, NULL, over_thread, &o) || pthread_join(t, NULL) || o.ret < 0)
			c = 'E';
	}
	(void)!write(1, &c, 1);
	for (;;)
		pause();
}

/* A child in mode, with extra arguments and its environment (NULL: ours).
 * NULL mode "empty": no argument at all. Returns its pid, or 0 when it
 * could not do what mode asks for because it lacks a privilege. */
static pid_t spawn(const char *mode, char **extra, char **envp)
{
	int p[2];
	char c = 0;
	pid_t pid = live_fork_ready(p);

	if (pid == 0) {
		char *argv[16] = { "/proc/self/exe", "--child", (char *)mode };
		char *none[] = { NULL };
		int n = 3;

		close(p[0]);
		dup2(p[1], 1);
		for (size_t i = 0; extra && extra[i] && n < 15; i++)
			argv[n++] = extra[i];
		argv[n] = NULL;
		if (!strcmp(mode, "empty")) {
			/* one empty argument from the kernel (5.18) or none:
			 * either way, what /proc shows */
			setenv("MW_CMDLINE_CHILD", "empty", 1);
			execve("/proc/self/exe", none, environ);
		}
		execve("/proc/self/exe", argv, envp ? envp : environ);
		_exit(127);
	}
	close(p[1]);
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

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	live_wait(pid);
}

/* ---- 1. the bytes --------------------------------------------------- */

/* Fields 48-51 of /proc/PID/stat (0 where not shown to us). */
static bool stat_bounds(pid_t pid, struct mw__cmdline_bounds *b)
{
	char path[64], buf[4096];
	unsigned long long v[4];
	const char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	for (int f = 2; f < 48 && p; f++) {
		p = strchr(p + 1, ' ');
	}
	if (!p || sscanf(p + 1, "%llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3]) != 4)
		return false;
	*b = (struct mw__cmdline_bounds){ v[0], v[1], v[2], v[3] };
	return b->arg_end != 0;
}

/* The first size bytes of /proc/PID/cmdline. */
static ssize_t proc_cmdline(pid_t pid, char *buf, size_t size)
{
	char path[64];
	size_t len = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < size) {
		ssize_t n = read(fd, buf + len, size - len);

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	return (ssize_t)len;
}

/* 1 equal, 0 different, -1 not comparable (gone; a range the function
 * refuses, which the audit then reads through /proc). */
static int compare(pid_t pid, size_t size, bool report)
{
	static char a[16384], b[16384];
	struct mw__cmdline_bounds bd;
	ssize_t na, nb, i = 0;

	if (!stat_bounds(pid, &bd))
		return -1;
	na = mw__proc_cmdline_vm(pid, &bd, a, size);
	nb = proc_cmdline(pid, b, size);
	if (na < 0 || nb < 0) {
		if (report)
			live_note("pid %d size %zu: vm %zd, /proc %zd", (int)pid, size, na, nb);
		return -1;
	}
	if (na == nb && !memcmp(a, b, (size_t)na))
		return 1;
	while (i < na && i < nb && a[i] == b[i])
		i++;
	if (report)
		printf("pid %d size %zu: vm gave %zd bytes, /proc %zd, first difference at %zd\n", (int)pid, size,
		       na, nb, i);
	return 0;
}

static char *make_str(const char *prefix, size_t n, char c)
{
	size_t pl = strlen(prefix);
	char *s = malloc(pl + n + 1);

	REQUIRE(s, "malloc");
	memcpy(s, prefix, pl);
	memset(s + pl, c, n);
	s[pl + n] = '\0';
	return s;
}

static unsigned int cases;

static void check_mode(const char *mode, char **extra, char **envp)
{
	pid_t pid = spawn(mode, extra, envp);

	if (!pid) {
		live_note("%s: prctl(PR_SET_MM) refused here (no CAP_SYS_RESOURCE): not compared", mode);
		return;
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int r = compare(pid, sizes[i], true);

		CHECK(r == 1, "%s: mw__proc_cmdline_vm() and /proc/PID/cmdline differ at size %zu (%d)", mode,
		      sizes[i], r);
		cases++;
	}
	reap(pid);
}

static void bytes(void)
{
	char *x = make_str("", 3000, 'x'), *y = make_str("", 3000, 'y');
	char *e2k = make_str("A=", 2000, 'e'), *e9k = make_str("A=", 9000, 'e');
	char *plain[] = { "one", "two three", "", "four", NULL };
	char *longer[] = { x, y, NULL };
	char *short_args[] = { "a-longer-argument", "and-another", NULL };
	char *env2k[] = { e2k, "B=short", NULL }, *env9k[] = { e9k, "B=short", NULL };
	unsigned int compared = 0, unequal = 0;
	DIR *d;
	struct dirent *e;

	check_mode("plain", plain, NULL);
	check_mode("plain", longer, NULL);
	check_mode("title-env", NULL, env2k);
	check_mode("title-all", NULL, env9k);
	check_mode("title-short", short_args, NULL);
	check_mode("moved", NULL, NULL);
	check_mode("empty", NULL, NULL);
	free(x);
	free(y);
	free(e2k);
	free(e9k);
	/* every process whose bounds we see; a title that changes meanwhile
	 * is equal on one of three tries */
	d = opendir("/proc");
	REQUIRE(d, "/proc: %s", strerror(errno));
	while ((e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);
		int r = -1;

		if (pid <= 0)
			continue;
		for (int t = 0; t < 3 && r != 1; t++)
			r = compare(pid, 4095, t == 2);
		compared += r >= 0;
		unequal += r == 0;
	}
	closedir(d);
	live_note("%u crafted cases and %u processes compared, %u unequal", cases, compared, unequal);
	CHECK(compared >= 1 && unequal == 0, "%u of %u processes read differently", unequal, compared);
	/* bad input: an error, never bytes */
	{
		struct mw__cmdline_bounds b = { 0x1000, 0x2000, 0x2000, 0x3000 };
		char buf[8];

		CHECK(mw__proc_cmdline_vm(getpid(), &b, buf, 0) == -EINVAL, "size 0");
		CHECK(mw__proc_cmdline_vm(0, &b, buf, sizeof(buf)) == -EINVAL, "pid 0");
		CHECK(mw__proc_cmdline_vm(getpid(), &b, buf, sizeof(buf)) < 0, "an unmapped range gave bytes");
		b.env_end = 0;
		CHECK(mw__proc_cmdline_vm(getpid(), &b, buf, sizeof(buf)) == 0, "no environment end: not empty");
	}
}

/* ---- 2. the records, 3. the scans ---------------------------------- */

static const struct mw_brec_proc *record(const struct mw__audit_bpf *b, pid_t pid)
{
	for (size_t i = 0; i < b->nprocs; i++)
		if ((pid_t)b->procs[i]->pid == pid)
			return b->procs[i];
	return NULL;
}

static const char *scan_cmdline(struct mw_audit_report *r, pid_t pid)
{
	for (size_t i = 0; i < r->nfindings; i++)
		if (r->findings[i]->pid == pid)
			return r->findings[i]->cmdline;
	return NULL;
}

static void records_and_scans(void)
{
	char *plain_args[] = { "--some", "arguments", NULL };
	pid_t plain = spawn("plain", plain_args, NULL), filed = spawn("file", plain_args, NULL);
	pid_t moved = spawn("moved", NULL, NULL);
	struct mw__audit_bpf b = { 0 };
	const struct mw_brec_proc *r;
	struct mw__cmdline_bounds sb;
	struct mw_audit_report *x, *y;
	int err;

	err = mw__audit_bpf_collect(&b, false);
	if (err) {
		live_note("the BPF iterators do not load here (%s): records and scans not checked",
			  strerror(-err));
		mw__audit_bpf_free(&b);
		reap(plain);
		reap(filed);
		if (moved)
			reap(moved);
		return;
	}
	live_note("iterators: audit_iter%s", b.kind == 3 ? "3" : b.kind == 2 ? "2" : "");
	r = record(&b, plain);
	REQUIRE(r, "no record of the plain child %d", (int)plain);
	CHECK(stat_bounds(plain, &sb) && r->arg_start == sb.arg_start && r->arg_end == sb.arg_end &&
		      r->env_start == sb.env_start && r->env_end == sb.env_end,
	      "record bounds %llx-%llx %llx-%llx, /proc/PID/stat %llx-%llx %llx-%llx",
	      (unsigned long long)r->arg_start, (unsigned long long)r->arg_end,
	      (unsigned long long)r->env_start, (unsigned long long)r->env_end,
	      (unsigned long long)sb.arg_start, (unsigned long long)sb.arg_end,
	      (unsigned long long)sb.env_start, (unsigned long long)sb.env_end);
	if (b.kind == 3)
		CHECK(r->flags & MW_BREC_PROC_ARGS_ANON, "plain child: arguments on the stack not flagged anonymous");
	else
		CHECK(!(r->flags & MW_BREC_PROC_ARGS_ANON), "audit_iter%d set MW_BREC_PROC_ARGS_ANON", b.kind);
	r = record(&b, filed);
	REQUIRE(r, "no record of the file-mapped child %d", (int)filed);
	CHECK(!(r->flags & MW_BREC_PROC_ARGS_ANON), "a file mapped over the arguments flagged anonymous");
	if (moved) {
		r = record(&b, moved);
		REQUIRE(r, "no record of the moved child");
		if (b.kind == 3)
			CHECK(r->flags & MW_BREC_PROC_ARGS_ANON, "moved arguments (written data) not flagged anonymous");
	}
	mw__audit_bpf_free(&b);

	x = modes_scan(0, NULL);
	y = modes_scan(1, NULL);
	for (int k = 0; k < 3; k++) {
		pid_t pid = k == 0 ? plain : k == 1 ? filed : moved;
		const char *a, *c;

		if (!pid)
			continue;
		a = scan_cmdline(x, pid);
		c = scan_cmdline(y, pid);
		CHECK(a && c && !strcmp(a, c), "child %d: --bpf cmdline '%s', --no-bpf '%s'", (int)pid, a ? a : "(none)",
		      c ? c : "(none)");
		CHECK(!a || !strstr(a, MARKER), "the bytes of a file mapped over the arguments were read: '%s'", a);
	}
	CHECK(scan_cmdline(x, plain) && !strcmp(scan_cmdline(x, plain), "/proc/self/exe --child plain --some arguments"),
	      "plain child cmdline '%s'", scan_cmdline(x, plain) ? scan_cmdline(x, plain) : "(none)");
	mw_audit_report_free(x);
	mw_audit_report_free(y);
	/* process_vm_readv refused (a seccomp filter: EPERM, as ptrace's
	 * check or an LSM would; ENOSYS): the command lines from /proc */
	for (int k = 0; k < 2; k++) {
		int err_no = k ? ENOSYS : EPERM;
		pid_t pid = fork();

		REQUIRE(pid >= 0, "fork");
		if (pid == 0) {
			scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
			const char *a;

			if (!f || seccomp_rule_add(f, SCMP_ACT_ERRNO(err_no), SCMP_SYS(process_vm_readv), 0) ||
			    seccomp_load(f))
				_exit(3);
			x = modes_scan(0, NULL);
			a = scan_cmdline(x, plain);
			if (a && !strcmp(a, "/proc/self/exe --child plain --some arguments"))
				_exit(0);
			printf("with process_vm_readv refused (%s): cmdline '%s'\n", strerror(err_no), a ? a : "(none)");
			_exit(1);
		}
		CHECK(live_wait(pid) == 0, "process_vm_readv refused with %s: no command line from /proc",
		      strerror(err_no));
	}
	reap(plain);
	reap(filed);
	if (moved)
		reap(moved);
}

int main(int argc, char **argv, char **envp)
{
	if (argc >= 3 && !strcmp(argv[1], "--child"))
		child(argc, argv, envp);
	if (getenv("MW_CMDLINE_CHILD")) { /* the empty argv */
		(void)!write(1, "R", 1);
		for (;;)
			pause();
	}
	signal(SIGCHLD, SIG_DFL);
	bytes();
	records_and_scans();
	return live_done();
}
