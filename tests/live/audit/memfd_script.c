/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A script run from a memfd: its process runs the interpreter (/bin/sh, an
 * ordinary file), so the exe rules see nothing, and it holds the memfd
 * the kernel or its parent gave it, named on its command line as
 * /dev/fd/N. Before, every scan reported it as exec_memfd, low (a memfd
 * that merely could be executed). It must be fileless_exec:
 *
 *   exec      fexecve(3) of a "#!/bin/sh" memfd: the kernel runs /bin/sh
 *             /dev/fd/3; critical where the kernel named the process "3"
 *             (before 6.14), else high
 *   sealed    the same with the contents sealed: high (no script is trusted)
 *   byhand    sh /proc/self/fd/3, the memfd mode 0600 (no exec bits): high
 *   ownpid    sh /proc/PID//fd/./3 (its own pid, a slash doubled, a "."): high
 *   dup       the memfd at fd 3 and fd 7, sh /dev/fd/7 (not the lowest
 *             fd holding it): high
 *   task      sh /proc/self/task/TID/fd/3: high
 *   joined    sh -c ". /dev/fd/3" --file=/dev/fd/3 (the path inside an
 *             argument, after an option): high
 *   padded    100 KB of arguments before /dev/fd/3 (past what the table
 *             and JSON show of a command line): high
 *   many      sixteen pipes named as /dev/fd/N before /dev/fd/3: high
 *   parent    a child runs sh /proc/PPID/fd/3 (its parent's fd 3, closed
 *             in it; a hundred /proc/1/fd/N after it) and holds the
 *             memfd it opened: high
 *   slashes   sh //./dev/fd/3: high
 *   stdin     sh -c LOOP /dev/fd/0, the memfd on its stdin (fds 0-2 count
 *             as any other): high
 *   stdinsh   sh with the memfd on its stdin and no argument (sh < memfd:
 *             it reads its program from there): high
 *   devstdin  a program that is no interpreter (this one) given /dev/stdin,
 *             the memfd on its stdin: high (the argument names it)
 *   ldso      the dynamic loader run as a command on /bin/sh, the memfd on
 *             its stdin (ld.so /bin/sh < memfd: the exe is ld.so): high
 *   ldsoopts  the same with the loader's options first (--library-path
 *             DIR --argv0 NAME --inhibit-cache): high
 *   urlenc    sh -c LOOP sh file:///dev/fd/%33 (a file: URL, escaped, as
 *             Node's --import takes it): high
 *   dotdot    sh /dev/fd/../fd/3 (".." through /dev/fd, which is
 *             /proc/self/fd): high
 *   relative  sh 3, run in /proc/self/fd: high
 *   devrel    sh fd/3, run in /dev: high
 *   bashenv   BASH_ENV=/dev/fd/3 sh -c LOOP (no argument names it, its
 *             environment does): high
 *   nodeopts  NODE_OPTIONS=--import=file:///dev/fd/%33 sh -c LOOP: high
 *   intext    sh -c '. /dev/fd/3; :' (the path inside the text): high
 *   quoted    sh -c '. /dev/"fd"/3' (a shell word): high
 *   procnet   sh /proc/net/../fd/3 (/proc/net is /proc/self/net): high
 *   cwdlink   sh /proc/self/cwd/3, run in /proc/self/fd: high
 *   urlslash  sh -c LOOP sh file:dev/fd/3 (a file: URL with no slash): high
 *   computed  BASH_ENV='/dev/fd/$((1+2))' sh -c LOOP (the shell computes
 *             the file it reads): high
 *   ldsofd    the loader run on /proc/self/fd/5, fd 5 on /bin/sh, the
 *             memfd on its stdin (the loader maps /bin/sh): high
 *   ldsolink  the loader run on a symlink of another name to /bin/sh, the
 *             memfd on its stdin (only its maps tell): high
 *   awkrel    mawk -f 3, run in /proc/self/fd (a relative program file): high
 *             (not run where there is no mawk)
 *   awkstdin  mawk -f - < memfd (its program from its stdin): high (not
 *             run where there is no mawk)
 *   glob      sh -c '. /dev/fd/[3]' (a pattern the shell expands): high
 *   globdir   sh -c '. /dev/f?/3': high
 *   arith     sh -c '. /dev/fd/$((1+2))' (arithmetic): high
 *   pidvar    sh -c '. /proc/$$/fd/3' (the shell's pid): high
 *   cdinto    sh -c 'cd /dev/fd && . ./3' (a directory of fds gone into): high
 *   vardir    sh -c 'd=/dev/fd; . "$d/3"' (the directory in a variable): high
 *   ansic     sh -c ". \$'/dev/fd/\\63'" where the shell is bash or
 *             busybox (another reading names fd 63 first: a pipe here):
 *             high (not run where neither is)
 *   textrel   sh -c '. fd/3; :' run in /dev (a relative path inside text): high
 *   textdot   sh -c '. ./3; :' run in /proc/self/fd: high
 *   pathenv   PATH=/usr/bin:/bin:/dev/fd sh -c '. 3' (the shell searches its
 *             PATH for the file: a directory of fds in its environment): high
 *
 * and these are not:
 *
 *   pipe      holds a memfd at fd 3, runs sh /dev/fd/4, fd 4 a pipe: the
 *             memfd is exec_memfd (low), nothing is fileless_exec
 *   argv0     its first argument (the program name) is /dev/fd/3 (this
 *             program, waiting): low
 *   stdindata a program that is no interpreter (this one) with the memfd
 *             on its stdin, no argument naming it: low
 *   ldsodata  the loader run on sleep, no interpreter, the memfd on its
 *             stdin: low
 *   envchild  a program that is no interpreter (this one) that inherited
 *             BASH_ENV='/dev/fd/${X}' and the memfd at fd 3: low (only a
 *             shell computes it)
 *   globother sh -c 'ls /proc/PATTERN/status ...; read line' (PATTERN a "*")
 *             holding the memfd at fd 3 (patterns and expansions that
 *             name no fd: $HOME/3 too): low
 *
 * The ldso fixtures need /bin/sh to be dynamically linked: where it is not
 * (the guests' static busybox) they are not run, and a note says so.
 *
 * in every mode (BPF, /proc, by pid) and without command lines
 * (MW_AUDIT_F_NO_CMDLINE, what the table and the metrics ask for: the
 * command line is still read for this rule, and not kept).
 */
#include "live.h"
#include "modes.h"

#include <signal.h>
#include <sys/mman.h>

#include <memward/memward.h>

extern char **environ;

#define SCRIPT "#!/bin/sh\nread line\n"

struct fixture {
	const char *name;
	const char *want;   /* severity of fileless_exec, NULL: none (exec_memfd low) */
	pid_t pid;          /* the process judged (for "parent", the child of the one started) */
	pid_t started;
	int stdin_w;        /* its stdin: the script waits for a line */
	bool off;           /* not run here (no dynamic loader) */
};

static struct fixture fx[] = {
	{ "exec", "critical-or-high" }, { "sealed", "high" }, { "byhand", "high" }, { "ownpid", "high" },
	{ "dup", "high" }, { "task", "high" }, { "joined", "high" }, { "padded", "high" }, { "many", "high" },
	{ "parent", "high" }, { "slashes", "high" }, { "stdin", "high" }, { "stdinsh", "high" },
	{ "devstdin", "high" }, { "ldso", "high" }, { "ldsoopts", "high" }, { "urlenc", "high" },
	{ "dotdot", "high" }, { "relative", "high" }, { "devrel", "high" }, { "bashenv", "high" },
	{ "nodeopts", "high" }, { "intext", "high" }, { "quoted", "high" }, { "procnet", "high" },
	{ "cwdlink", "high" }, { "urlslash", "high" }, { "computed", "high" }, { "ldsofd", "high" },
	{ "ldsolink", "high" }, { "awkstdin", "high" }, { "awkrel", "high" }, { "glob", "high" },
	{ "globdir", "high" }, { "arith", "high" }, { "pidvar", "high" }, { "cdinto", "high" }, { "vardir", "high" },
	{ "pathenv", "high" }, { "textrel", "high" }, { "ansic", "high" }, { "textdot", "high" },
	{ "pipe", NULL }, { "argv0", NULL }, { "stdindata", NULL }, { "ldsodata", NULL }, { "envchild", NULL },
	{ "globother", NULL },
};

static char loader[256]; /* /bin/sh's dynamic loader, "" if none */
static const char *ansic_shell; /* a shell that reads $'...': bash or busybox, NULL if none */
static char tmpdir[] = "/tmp/mw-memfd-script.XXXXXX";
#define NFX (sizeof(fx) / sizeof(fx[0]))

/* A memfd holding SCRIPT (mode, sealed as asked), or -1. */
static int make_memfd(unsigned int flags, mode_t mode, bool seal)
{
	int fd = memfd_create("mw-script", flags);

	if (fd < 0 || write(fd, SCRIPT, strlen(SCRIPT)) != (ssize_t)strlen(SCRIPT))
		return -1;
	if (mode && fchmod(fd, mode) < 0)
		return -1;
	if (seal && fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		return -1;
	return fd;
}

/* In the child: fixture name set up (fd 3 and others), then its exec. */
__attribute__((noreturn)) static void run(const char *name)
{
	char arg[64];
	int fd = -1;

	if (!strcmp(name, "exec") || !strcmp(name, "sealed")) {
		char *argv[] = { "ignored", NULL };

		fd = make_memfd(!strcmp(name, "sealed") ? MFD_ALLOW_SEALING : 0, 0, !strcmp(name, "sealed"));
		if (fd >= 0 && dup2(fd, 3) == 3)
			fexecve(3, argv, environ);
		_exit(120);
	}
	fd = make_memfd(0, !strcmp(name, "byhand") ? 0600 : 0, false);
	if (fd < 0 || dup2(fd, 3) != 3)
		_exit(121);
	if (!strcmp(name, "byhand")) {
		execl("/bin/sh", "sh", "/proc/self/fd/3", (char *)NULL);
	} else if (!strcmp(name, "ownpid")) {
		snprintf(arg, sizeof(arg), "/proc/%d//fd/./3", (int)getpid());
		execl("/bin/sh", "sh", arg, (char *)NULL);
	} else if (!strcmp(name, "dup")) {
		if (dup2(3, 7) == 7)
			execl("/bin/sh", "sh", "/dev/fd/7", (char *)NULL);
	} else if (!strcmp(name, "task")) {
		snprintf(arg, sizeof(arg), "/proc/self/task/%d/fd/3", (int)getpid());
		execl("/bin/sh", "sh", arg, (char *)NULL);
	} else if (!strcmp(name, "joined")) {
		/* the path after an option, in one argument: the shell takes
		 * its script from the last argument, the option is a decoy */
		execl("/bin/sh", "sh", "-c", ". /dev/fd/3", "--file=/dev/fd/3", (char *)NULL);
	} else if (!strcmp(name, "padded")) {
		/* 100 KB of arguments before the path (as $0 of sh -c: a
		 * multi-call busybox picks its applet by argv[0]) */
		static char pad[100 * 1024];

		memset(pad, 'p', sizeof(pad) - 1);
		execl("/bin/sh", "sh", "-c", ". \"$1\"", pad, "/dev/fd/3", (char *)NULL);
	} else if (!strcmp(name, "many")) {
		/* sixteen other fds named first (pipes) */
		char *argv[24], names[16][16];
		int p[2], n = 0;

		argv[n++] = "sh";
		argv[n++] = "-c";
		argv[n++] = ". /dev/fd/3";
		argv[n++] = "sh";
		for (int k = 0; k < 16; k++) {
			if (pipe(p) < 0 || dup2(p[0], 10 + k) < 0)
				_exit(123);
			snprintf(names[k], sizeof(names[k]), "/dev/fd/%d", 10 + k);
			argv[n++] = names[k];
		}
		argv[n++] = "/dev/fd/3";
		argv[n] = NULL;
		execv("/bin/sh", argv);
	} else if (!strcmp(name, "stdin")) {
		/* the memfd on stdin, named as /dev/fd/0 */
		if (dup2(3, 0) == 0)
			execl("/bin/sh", "sh", "-c", "while :; do sleep 1; done", "/dev/fd/0", (char *)NULL);
	} else if (!strcmp(name, "stdinsh") || !strncmp(name, "ldso", 4) || !strcmp(name, "awkstdin")) {
		/* sh < memfd: its program waits for the test's pipe in a
		 * child, named by path (dash moves its stdin to fd 10 and up
		 * while it runs a command with its stdin redirected: not
		 * recognised then); the only memfd it holds is its stdin.
		 * ldso*: the same through the loader (ld.so /bin/sh < memfd:
		 * the exe is the loader, the program one of its arguments) */
		const char *prog = strcmp(name, "awkstdin") ? "cat /dev/fd/4\n" : "BEGIN { getline line < \"/dev/fd/4\" }\n";
		int m;

		close(fd);
		close(3);
		m = memfd_create("mw-script", 0);
		if (m < 0 || write(m, prog, strlen(prog)) != (ssize_t)strlen(prog) || lseek(m, 0, SEEK_SET) != 0 ||
		    dup2(0, 4) != 4 || dup2(m, 0) != 0 || close(m) != 0)
			_exit(125);
		if (!strcmp(name, "stdinsh"))
			execl("/bin/sh", "sh", (char *)NULL);
		else if (!strcmp(name, "awkstdin"))
			execl("/usr/bin/mawk", "mawk", "-f", "-", (char *)NULL);
		else if (!strcmp(name, "ldsolink")) {
			char link[64];

			snprintf(link, sizeof(link), "%s/notashell", tmpdir);
			if (symlink("/bin/sh", link) == 0)
				execl(loader, loader, link, (char *)NULL);
		} else if (!strcmp(name, "ldsofd")) {
			int sh = open("/bin/sh", O_RDONLY | O_CLOEXEC);

			if (sh >= 0 && dup2(sh, 5) == 5)
				execl(loader, loader, "/proc/self/fd/5", (char *)NULL);
		}
		else if (!strcmp(name, "ldso"))
			execl(loader, loader, "/bin/sh", (char *)NULL);
		else if (!strcmp(name, "ldsoopts"))
			execl(loader, "ld", "--library-path", "/nonexistent", "--argv0", "cat", "--inhibit-cache", "/bin/sh",
			      (char *)NULL);
		else
			execl(loader, loader, "/bin/sleep", "1000", (char *)NULL);
	} else if (!strcmp(name, "urlenc")) {
		execl("/bin/sh", "sh", "-c", "read line", "sh", "file:///dev/fd/%33", (char *)NULL);
	} else if (!strcmp(name, "dotdot")) {
		execl("/bin/sh", "sh", "/dev/fd/../fd/3", (char *)NULL);
	} else if (!strcmp(name, "relative")) {
		if (chdir("/proc/self/fd") == 0)
			execl("/bin/sh", "sh", "3", (char *)NULL);
	} else if (!strcmp(name, "bashenv") || !strcmp(name, "nodeopts")) {
		if (!strcmp(name, "bashenv"))
			setenv("BASH_ENV", "/dev/fd/3", 1);
		else
			setenv("NODE_OPTIONS", "--import=file:///dev/fd/%33", 1);
		execl("/bin/sh", "sh", "-c", "read line", (char *)NULL);
	} else if (!strcmp(name, "awkrel")) {
		/* SCRIPT is an awk program too ("#!/bin/sh" a comment, "read
		 * line" a pattern): it reads the test's pipe */
		if (chdir("/proc/self/fd") == 0)
			execl("/usr/bin/mawk", "mawk", "-f", "3", (char *)NULL);
	} else if (!strcmp(name, "intext")) {
		execl("/bin/sh", "sh", "-c", ". /dev/fd/3; :", (char *)NULL);
	} else if (!strcmp(name, "glob")) {
		execl("/bin/sh", "sh", "-c", ". /dev/fd/[3]", (char *)NULL);
	} else if (!strcmp(name, "globdir")) {
		execl("/bin/sh", "sh", "-c", ". /dev/f?/3", (char *)NULL);
	} else if (!strcmp(name, "arith")) {
		execl("/bin/sh", "sh", "-c", ". /dev/fd/$((1+2))", (char *)NULL);
	} else if (!strcmp(name, "pidvar")) {
		execl("/bin/sh", "sh", "-c", ". /proc/$$/fd/3", (char *)NULL);
	} else if (!strcmp(name, "cdinto")) {
		execl("/bin/sh", "sh", "-c", "cd /dev/fd && . ./3", (char *)NULL);
	} else if (!strcmp(name, "vardir")) {
		execl("/bin/sh", "sh", "-c", "d=/dev/fd; . \"$d/3\"", (char *)NULL);
	} else if (!strcmp(name, "ansic")) {
		int p[2];

		/* fd 63 open too (a pipe): the misreading names a real fd */
		if (pipe(p) == 0 && dup2(p[0], 63) == 63)
			execl(ansic_shell, "sh", "-c", ". $'/dev/fd/\\63'", (char *)NULL);
	} else if (!strcmp(name, "textrel")) {
		if (chdir("/dev") == 0)
			execl("/bin/sh", "sh", "-c", ". fd/3; :", (char *)NULL);
	} else if (!strcmp(name, "textdot")) {
		if (chdir("/proc/self/fd") == 0)
			execl("/bin/sh", "sh", "-c", ". ./3; :", (char *)NULL);
	} else if (!strcmp(name, "pathenv")) {
		setenv("PATH", "/usr/bin:/bin:/dev/fd", 1);
		execl("/bin/sh", "sh", "-c", ". 3", (char *)NULL);
	} else if (!strcmp(name, "globother")) {
		execl("/bin/sh", "sh", "-c", "ls /proc/*/status /etc/host* $HOME/3 >/dev/null 2>&1; read line",
		      (char *)NULL);
	} else if (!strcmp(name, "quoted")) {
		execl("/bin/sh", "sh", "-c", ". /dev/\"fd\"/3", (char *)NULL);
	} else if (!strcmp(name, "procnet")) {
		execl("/bin/sh", "sh", "/proc/net/../fd/3", (char *)NULL);
	} else if (!strcmp(name, "cwdlink")) {
		if (chdir("/proc/self/fd") == 0)
			execl("/bin/sh", "sh", "/proc/self/cwd/3", (char *)NULL);
	} else if (!strcmp(name, "urlslash")) {
		execl("/bin/sh", "sh", "-c", "read line", "sh", "file:dev/fd/3", (char *)NULL);
	} else if (!strcmp(name, "computed")) {
		setenv("BASH_ENV", "/dev/fd/$((1+2))", 1);
		execl("/bin/sh", "sh", "-c", "read line", (char *)NULL);
	} else if (!strcmp(name, "devrel")) {
		if (chdir("/dev") == 0)
			execl("/bin/sh", "sh", "fd/3", (char *)NULL);
	} else if (!strcmp(name, "envchild")) {
		char *argv[] = { "mw-wait", "data", NULL };

		setenv("BASH_ENV", "/dev/fd/${X}", 1);
		setenv("MW_MEMFD_SCRIPT_WAIT", "0", 1);
		execve("/proc/self/exe", argv, environ);
	} else if (!strcmp(name, "devstdin") || !strcmp(name, "stdindata")) {
		/* this program waiting on fd 4, the memfd on its stdin */
		char *argv[] = { "mw-wait", !strcmp(name, "devstdin") ? "/dev/stdin" : "data", NULL };

		setenv("MW_MEMFD_SCRIPT_WAIT", "4", 1);
		if (dup2(0, 4) == 4 && dup2(3, 0) == 0)
			execve("/proc/self/exe", argv, environ);
	} else if (!strcmp(name, "parent")) {
		/* the script is this process's fd: its child runs sh
		 * /proc/PPID/fd/3 with fd 3 closed, and holds the memfd it
		 * opens; this one waits */
		pid_t c = fork();

		if (c == 0) {
			/* a hundred decoys naming another process's fds after
			 * it (sh's positional parameters) */
			static char decoys[100][32];
			char *argv[104];
			int n = 0;

			snprintf(arg, sizeof(arg), "/proc/%d/fd/3", (int)getppid());
			close(3);
			argv[n++] = "sh";
			argv[n++] = arg;
			for (int k = 0; k < 100; k++) {
				snprintf(decoys[k], sizeof(decoys[k]), "/proc/1/fd/%d", 3 + k);
				argv[n++] = decoys[k];
			}
			argv[n] = NULL;
			execv("/bin/sh", argv);
			_exit(124);
		}
		for (;;)
			pause();
	} else if (!strcmp(name, "slashes")) {
		execl("/bin/sh", "sh", "//./dev/fd/3", (char *)NULL);
	} else if (!strcmp(name, "pipe")) {
		int p[2];

		/* fd 4: a pipe holding the script, not a memfd */
		if (pipe(p) == 0 && dup2(p[0], 4) == 4 && write(p[1], SCRIPT, strlen(SCRIPT)) > 0) {
			close(p[1]);
			execl("/bin/sh", "sh", "/dev/fd/4", (char *)NULL);
		}
	} else if (!strcmp(name, "argv0")) {
		/* this program again, named /dev/fd/3, waiting for its line */
		char *argv[] = { "/dev/fd/3", NULL };

		setenv("MW_MEMFD_SCRIPT_WAIT", "0", 1);
		execve("/proc/self/exe", argv, environ);
	}
	_exit(122);
}

/* Start fixture f, its stdin a pipe the test holds. */
static void start(struct fixture *f)
{
	int p[2];

	REQUIRE(pipe2(p, O_CLOEXEC) == 0, "pipe");
	f->pid = f->started = fork();
	REQUIRE(f->pid >= 0, "fork");
	if (f->pid == 0) {
		dup2(p[0], 0);
		run(f->name);
	}
	close(p[0]);
	f->stdin_w = p[1];
}

/* The finding of kind k about pid in r, or NULL. */
static const struct mw_audit_finding *find(const struct mw_audit_report *r, pid_t pid, enum mw_audit_kind k)
{
	for (size_t i = 0; i < r->nfindings; i++)
		if (r->findings[i]->pid == pid && r->findings[i]->kind == k)
			return r->findings[i];
	return NULL;
}

/* The first child of pid, or 0. */
static pid_t first_child(pid_t pid)
{
	char path[96], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return (pid_t)atoi(buf);
}

/* Has it exec'd the shell (not this program, not a memfd)? */
static bool running(pid_t pid)
{
	char path[64], link[256], self[256];
	ssize_t n, m;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, link, sizeof(link) - 1);
	m = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || m <= 0)
		return false;
	link[n] = '\0';
	self[m] = '\0';
	if (!strcmp(link, self)) { /* argv0, devstdin, stdindata: this program, renamed */
		int fd;

		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		n = fd >= 0 ? read(fd, link, sizeof(link) - 1) : -1;
		if (fd >= 0)
			close(fd);
		return n > 0 && (!strcmp(link, "/dev/fd/3") || !strcmp(link, "mw-wait"));
	}
	return !strstr(link, "memfd");
}

/* The comm of pid into buf; its first byte (0 when unread). */
static char comm_of(pid_t pid, char *buf, size_t size)
{
	char path[64];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, size - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n - 1 : 0] = '\0';
	return buf[0];
}

/* The findings about fixtures [from, to) in r. */
static void check(struct mw_audit_report *r, const char *how, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		const struct mw_audit_finding *f = find(r, fx[i].pid, MW_AUDIT_FILELESS_EXEC);
		const char *got = f ? mw_audit_severity_name(f->severity) : NULL;
		char comm[32];

		if (fx[i].off)
			continue;

		if (!fx[i].want) {
			const struct mw_audit_finding *e = find(r, fx[i].pid, MW_AUDIT_EXEC_MEMFD);

			CHECK(!f, "%s: %s: fileless_exec %s (%s)", how, fx[i].name, got, f ? f->reason : "");
			CHECK(e && e->severity == MW_AUDIT_LOW, "%s: %s: want exec_memfd low, got %s", how, fx[i].name,
			      e ? mw_audit_severity_name(e->severity) : "nothing");
			continue;
		}
		if (!strcmp(fx[i].want, "critical-or-high")) {
			/* the name the kernel gave: "3" before 6.14 */
			bool exec_named = comm_of(fx[i].pid, comm, sizeof(comm)) && !strcmp(comm, "3");
			const char *want = exec_named ? "critical" : "high";

			CHECK(got && !strcmp(got, want), "%s: %s (comm \"%s\"): want fileless_exec %s, got %s", how,
			      fx[i].name, comm, want, got ? got : "none");
		} else {
			CHECK(got && !strcmp(got, fx[i].want), "%s: %s: want fileless_exec %s, got %s", how, fx[i].name,
			      fx[i].want, got ? got : "none");
		}
		CHECK(!f || strcmp(fx[i].name, "computed") || strstr(f->reason, "environment"),
		      "%s: %s: the reason does not say the environment names it: %s", how, fx[i].name,
		      f ? f->reason : "");
		CHECK(!f || strcmp(fx[i].name, "bashenv") || strstr(f->reason, "environment"),
		      "%s: %s: the reason does not say the environment names it: %s", how, fx[i].name,
		      f ? f->reason : "");
		CHECK(!f || strcmp(fx[i].name, "nodeopts") || strstr(f->reason, "environment"),
		      "%s: %s: the reason does not say the environment names it: %s", how, fx[i].name,
		      f ? f->reason : "");
		CHECK(!f || (strstr(f->object, "/memfd:mw-script") && f->fd >= 0),
		      "%s: %s: object '%s' fd %d", how, fx[i].name, f ? f->object : "", f ? f->fd : -1);
		{
			const struct mw_audit_finding *e = find(r, fx[i].pid, MW_AUDIT_EXEC_MEMFD);

			CHECK(!e, "%s: %s: exec_memfd next to fileless_exec (fd %d: %s)", how, fx[i].name, e ? e->fd : -1,
			      e ? e->reason : "");
		}
	}
}

int main(void)
{
	struct mw_audit_report *r;
	int err;

	if (getenv("MW_MEMFD_SCRIPT_WAIT")) { /* argv0, devstdin, stdindata */
		char c;

		return read(atoi(getenv("MW_MEMFD_SCRIPT_WAIT")), &c, 1) < 0;
	}
	signal(SIGCHLD, SIG_DFL);
	REQUIRE(mkdtemp(tmpdir), "mkdtemp: %s", strerror(errno));
	if (!live_loader_of("/bin/sh", loader, sizeof(loader)))
		live_note("/bin/sh has no dynamic loader (a static program): the ldso fixtures are not run");
	ansic_shell = access("/bin/bash", X_OK) == 0	  ? "/bin/bash"
		      : access("/bin/busybox", X_OK) == 0 ? "/bin/busybox"
		      : access("/usr/bin/busybox", X_OK) == 0 ? "/usr/bin/busybox"
							    : NULL;
	for (size_t i = 0; i < NFX; i++) {
		fx[i].off = (!loader[0] && !strncmp(fx[i].name, "ldso", 4)) ||
			    (!strncmp(fx[i].name, "awk", 3) && access("/usr/bin/mawk", X_OK) != 0) ||
			    (!strcmp(fx[i].name, "ansic") && !ansic_shell);
		if (fx[i].off && !strcmp(fx[i].name, "ansic"))
			live_note("neither bash nor busybox here: the ansic fixture is not run");
		if (fx[i].off && !strncmp(fx[i].name, "awk", 3))
			live_note("no /usr/bin/mawk here: the %s fixture is not run", fx[i].name);
		if (!fx[i].off)
			start(&fx[i]);
	}
	/* every script is waiting for its line (sh has read the script) */
	/* up to 30 s: a guest without KVM runs thirteen execs slowly */
	for (int t = 0; t < 3000; t++) {
		bool all = true;

		for (size_t i = 0; i < NFX; i++) {
			if (fx[i].off)
				continue;
			if (!strcmp(fx[i].name, "parent"))
				fx[i].pid = first_child(fx[i].started);
			all &= fx[i].pid > 0 && running(fx[i].pid);
		}
		if (all)
			break;
		usleep(10000);
	}
	usleep(100000);
	for (size_t i = 0; i < NFX; i++)
		REQUIRE(fx[i].off || running(fx[i].pid), "fixture %s did not start", fx[i].name);
	for (int m = 0; m < MODES; m++) {
		if (m == 2) {
			for (size_t i = 0; i < NFX; i++) {
				if (fx[i].off)
					continue;
				r = modes_scan(2, &fx[i].pid);
				check(r, modes_name[m], i, i + 1);
				mw_audit_report_free(r);
			}
			continue;
		}
		r = modes_scan(m, NULL);
		check(r, modes_name[m], 0, NFX);
		mw_audit_report_free(r);
	}
	/* without command lines: the same findings */
	{
		struct mw_audit_opts o = { .sz = sizeof(o), .flags = MW_AUDIT_F_BPF | MW_AUDIT_F_NO_CMDLINE };

		err = mw_audit_scan(&o, &r);
		REQUIRE(err == 0, "scan: %s", strerror(-err));
		check(r, "no cmdline", 0, NFX);
		for (size_t i = 0; i < NFX; i++) {
			const struct mw_audit_finding *f = find(r, fx[i].pid, MW_AUDIT_FILELESS_EXEC);

			CHECK(!f || !f->cmdline[0], "no cmdline: %s has cmdline '%s'", fx[i].name, f->cmdline);
		}
		mw_audit_report_free(r);
	}
	for (size_t i = 0; i < NFX; i++) {
		if (fx[i].off)
			continue;
		close(fx[i].stdin_w);
		if (fx[i].pid != fx[i].started && fx[i].pid > 0)
			kill(fx[i].pid, SIGKILL);
		kill(fx[i].started, SIGKILL);
		live_wait(fx[i].started);
	}
	{
		char link[64];

		snprintf(link, sizeof(link), "%s/notashell", tmpdir);
		unlink(link);
		rmdir(tmpdir);
	}
	return live_done();
}
