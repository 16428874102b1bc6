/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a command line says of a process's fds (src/proc/cmdline.c): the
 * paths that name an fd, every fd (standard streams too), and the
 * interpreters whose standard input is their program. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "proc/proc.h"

static int fd_of(const char *arg, pid_t pid, bool any_pid, pid_t *other)
{
	pid_t o = -1;
	int fd = mw__proc_arg_fd(arg, strlen(arg), pid, any_pid, &o);

	if (other)
		*other = o;
	return fd;
}

static void names_fds(void **state)
{
	pid_t other;

	(void)state;
	assert_int_equal(fd_of("/dev/fd/3", 10, false, NULL), 3);
	assert_int_equal(fd_of("/dev/fd/0", 10, false, NULL), 0);
	assert_int_equal(fd_of("/dev/fd/2", 10, false, NULL), 2);
	assert_int_equal(fd_of("/dev/stdin", 10, false, NULL), 0);
	assert_int_equal(fd_of("/dev/stdout", 10, false, NULL), 1);
	assert_int_equal(fd_of("/dev/stderr", 10, false, NULL), 2);
	assert_int_equal(fd_of("//./dev//stdin", 10, false, NULL), 0);
	assert_int_equal(fd_of("-f/dev/stdin", 10, false, NULL), 0);
	assert_int_equal(fd_of("/proc/self/fd/0", 10, false, NULL), 0);
	assert_int_equal(fd_of("/proc/thread-self/fd/7", 10, false, NULL), 7);
	assert_int_equal(fd_of("--file=/proc/10/task/11/fd/4", 10, false, &other), 4);
	assert_int_equal(other, 0);
	assert_int_equal(fd_of("/proc/12/fd/5", 10, false, &other), 5);
	assert_int_equal(other, 12);
	assert_int_equal(fd_of("/proc/12/fd/5", 10, true, &other), 5);
	assert_int_equal(other, 0);
}

static void names_no_fd(void **state)
{
	(void)state;
	assert_int_equal(fd_of("/dev/stdio", 10, false, NULL), -1);
	assert_int_equal(fd_of("/dev/fd", 10, false, NULL), -1);
	assert_int_equal(fd_of("/dev/fd/03", 10, false, NULL), -1);
	assert_int_equal(fd_of("/dev/fd/-1", 10, false, NULL), -1);
	assert_int_equal(fd_of("/dev/fd/99999999999", 10, false, NULL), -1);
	assert_int_equal(fd_of("/dev/stdin/x", 10, false, NULL), -1);
	assert_int_equal(fd_of("dev/fd/3", 10, false, NULL), -1);
	assert_int_equal(fd_of("/proc/0/fd/3", 10, false, NULL), -1);
	assert_int_equal(fd_of("/proc/self/task/x/fd/3", 10, false, NULL), -1);
	assert_int_equal(fd_of("/tmp/dev/fd/3x", 10, false, NULL), -1);
}

/* ".." climbs as the kernel walks the links /dev/fd, /dev/stdin to
 * /proc/self/fd, and as a URL's path is normalised (by the words) */
static void names_fds_dotdot(void **state)
{
	(void)state;
	assert_int_equal(fd_of("/dev/fd/../fd/3", 10, false, NULL), 3);
	assert_int_equal(fd_of("/dev/fd/../task/11/fd/4", 10, false, NULL), 4);  /* /proc/self/task/11/fd/4 */
	assert_int_equal(fd_of("/dev/fd/../../self/fd/5", 10, false, NULL), 5);  /* /proc/self/fd/5 */
	assert_int_equal(fd_of("/dev/stdin/../6", 10, false, NULL), 6);          /* /proc/self/fd/6 */
	assert_int_equal(fd_of("/dev/fd/x/../3", 10, false, NULL), 3);
	assert_int_equal(fd_of("/tmp/../dev/fd/3", 10, false, NULL), 3);
	assert_int_equal(fd_of("/proc/self/fd/../fd/7", 10, false, NULL), 7);
	assert_int_equal(fd_of("/proc/self/../self/fd/8", 10, false, NULL), 8);
	assert_int_equal(fd_of("/dev/fd/a/b/c/d/e/f/g/h/i/../../../../../../../../../3", 10, false, NULL), 3);
	assert_int_equal(fd_of("/dev/fd/3/..", 10, false, NULL), -1);
	assert_int_equal(fd_of("/dev/fd/a/b/c/d/e/f/g/h/i/../3", 10, false, NULL), -1);
}

/* a file: URL, Node's --import: escapes decoded, query and fragment dropped */
static void names_fds_url(void **state)
{
	(void)state;
	assert_int_equal(fd_of("file:///dev/fd/%33", 10, false, NULL), 3);
	assert_int_equal(fd_of("--import=file:///dev/fd/%33", 10, false, NULL), 3);
	assert_int_equal(fd_of("file:///%64ev%2Ffd%2f3", 10, false, NULL), 3);
	assert_int_equal(fd_of("file:///dev/fd/%2533", 10, false, NULL), 3);
	assert_int_equal(fd_of("file://localhost/proc/self/fd/4", 10, false, NULL), 4);
	assert_int_equal(fd_of("file:///dev/fd/3?x=1", 10, false, NULL), 3);
	assert_int_equal(fd_of("file:///dev/fd/3#top", 10, false, NULL), 3);
	assert_int_equal(fd_of("file:///dev/fd/%2E%2E/fd/3", 10, false, NULL), 3);
	assert_int_equal(fd_of("file:///dev/fd/%3", 10, false, NULL), -1);
	assert_int_equal(fd_of("file:///dev/fd/%41", 10, false, NULL), -1);
	assert_int_equal(fd_of("file:///tmp/x?/dev/fd/3", 10, false, NULL), 3); /* the raw path, as sh would see it */
	{
		/* longer than the stack buffer */
		char big[2000];

		memset(big, 'a', sizeof(big));
		memcpy(big, "file:///dev/fd/%33?", 19);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(fd_of(big, 10, false, NULL), 3);
	}
}

/* a path inside text, a shell word, a URL as WHATWG parses it */
static void names_fds_in_text(void **state)
{
	(void)state;
	assert_int_equal(fd_of(". /dev/fd/3; :", 10, false, NULL), 3);
	assert_int_equal(fd_of(". \"/dev/fd/3\"; :", 10, false, NULL), 3);
	assert_int_equal(fd_of(". /dev/fd/3\n:", 10, false, NULL), 3);
	assert_int_equal(fd_of("require(\"/dev/fd/4\")", 10, false, NULL), 4);
	assert_int_equal(fd_of("/usr/lib:/dev/fd/3:/x", 10, false, NULL), 3);
	assert_int_equal(fd_of("--require=/dev/fd/3 --preserve-symlinks", 10, false, NULL), 3);
	assert_int_equal(fd_of("/proc/net/../fd/3", 10, false, NULL), 3);
	assert_int_equal(fd_of("/proc/net/../../self/fd/5", 10, false, NULL), 5);
	/* as a shell or Node reads a word */
	assert_int_equal(fd_of(". /dev/\"fd\"/3", 10, false, NULL), 3);
	assert_int_equal(fd_of(". /dev/'f'd/3", 10, false, NULL), 3);
	assert_int_equal(fd_of("--require \"/dev/f\\d/3\"", 10, false, NULL), 3);
	/* as a URL */
	assert_int_equal(fd_of("file:dev/fd/3", 10, false, NULL), 3);
	assert_int_equal(fd_of("FILE:dev/fd/3", 10, false, NULL), 3);
	assert_int_equal(fd_of("file:///dev\\fd\\3", 10, false, NULL), 3);
	assert_int_equal(fd_of("file:///dev/fd/\t3", 10, false, NULL), 3);
	assert_int_equal(fd_of("file:///dev/f\nd/3", 10, false, NULL), 3);
	assert_int_equal(fd_of("file:\\dev\\fd\\3", 10, false, NULL), 3);
	/* still not */
	assert_int_equal(fd_of("/dev/fd/3x", 10, false, NULL), -1);
	assert_int_equal(fd_of("/dev/fd/3/x", 10, false, NULL), -1);
	assert_int_equal(fd_of("file:tmp/fd/3", 10, false, NULL), -1);
}

/* a program file "-": awk -f -, make -f - */
static void names_stdin_file(void **state)
{
	(void)state;
	assert_int_equal(mw__proc_arg_stdin_file("-f", 2, "-", 1), 0);
	assert_int_equal(mw__proc_arg_stdin_file("-nf", 3, "-", 1), 0);
	assert_int_equal(mw__proc_arg_stdin_file("--file", 6, "-", 1), 0);
	assert_int_equal(mw__proc_arg_stdin_file(NULL, 0, "--file=-", 8), 0);
	assert_int_equal(mw__proc_arg_stdin_file(NULL, 0, "-f-", 3), 0);
	assert_int_equal(mw__proc_arg_stdin_file("-x", 2, "-", 1), -1);
	assert_int_equal(mw__proc_arg_stdin_file("--wolf", 6, "-", 1), -1);
	assert_int_equal(mw__proc_arg_stdin_file(NULL, 0, "-", 1), -1);
	assert_int_equal(mw__proc_arg_stdin_file("-f", 2, "--", 2), -1);
	assert_true(mw__proc_arg_is_file_option("-f", 2));
	assert_true(mw__proc_arg_is_file_option("--file", 6));
	assert_false(mw__proc_arg_is_file_option("--self", 6));
	assert_false(mw__proc_arg_is_file_option("-", 1));
	assert_false(mw__proc_arg_is_file_option(NULL, 0));
}

/* a relative path, from the working directory */
static void names_fds_relative(void **state)
{
	pid_t other = -1;
	const char *cwd = "/proc/10/fd", *dev = "/dev", *tmp = "/tmp";

	(void)state;
	assert_true(mw__proc_arg_maybe_relative_fd("3", 1));
	assert_true(mw__proc_arg_maybe_relative_fd("fd/3", 4));
	assert_true(mw__proc_arg_maybe_relative_fd("stdin", 5));
	assert_true(mw__proc_arg_maybe_relative_fd("./self/fd/12", 12));
	assert_false(mw__proc_arg_maybe_relative_fd("/dev/fd/3", 9));
	assert_false(mw__proc_arg_maybe_relative_fd("-c", 2));
	assert_false(mw__proc_arg_maybe_relative_fd("03", 2));
	assert_false(mw__proc_arg_maybe_relative_fd("3/", 2));
	assert_false(mw__proc_arg_maybe_relative_fd("", 0));
	assert_int_equal(mw__proc_arg_fd_at(cwd, strlen(cwd), "3", 1, 10, false, &other), 3);
	assert_int_equal(other, 0);
	assert_int_equal(mw__proc_arg_fd_at(cwd, strlen(cwd), "3", 1, 12, false, &other), 3);
	assert_int_equal(other, 10);
	assert_int_equal(mw__proc_arg_fd_at(dev, strlen(dev), "fd/3", 4, 10, false, &other), 3);
	assert_int_equal(mw__proc_arg_fd_at(dev, strlen(dev), "stdin", 5, 10, false, &other), 0);
	assert_int_equal(mw__proc_arg_fd_at(tmp, strlen(tmp), "3", 1, 10, false, &other), -1);
	assert_int_equal(mw__proc_arg_fd_at(tmp, strlen(tmp), "../dev/fd/3", 11, 10, false, &other), 3);
	assert_int_equal(mw__proc_arg_fd_at("", 0, "3", 1, 10, false, &other), -1);
	assert_int_equal(mw__proc_arg_fd_at("proc/10/fd", 10, "3", 1, 10, false, &other), -1);
	/* through the /proc/PID/cwd link: its own only */
	assert_true(mw__proc_arg_maybe_relative_fd("/proc/self/cwd/3", 16));
	assert_int_equal(mw__proc_arg_fd_at(cwd, strlen(cwd), "/proc/self/cwd/3", 16, 10, false, &other), 3);
	assert_int_equal(mw__proc_arg_fd_at(cwd, strlen(cwd), "/proc/thread-self/cwd/3", 23, 10, false, &other), 3);
	assert_int_equal(mw__proc_arg_fd_at(cwd, strlen(cwd), "/proc/10/cwd/3", 14, 10, false, &other), 3);
	assert_int_equal(mw__proc_arg_fd_at(cwd, strlen(cwd), "/proc/12/cwd/3", 14, 10, false, &other), -1);
	assert_int_equal(mw__proc_arg_fd_at(cwd, strlen(cwd), "/proc/12/cwd/3", 14, 10, true, &other), 3);
	assert_int_equal(mw__proc_arg_fd_at(dev, strlen(dev), "/proc/self/cwd/fd/3", 19, 10, false, &other), 3);
	assert_int_equal(mw__proc_arg_fd_at(cwd, strlen(cwd), "/tmp/cwd/3", 10, 10, false, &other), -1);
	assert_int_equal(mw__proc_arg_fd_at(cwd, strlen(cwd), "/proc/self/cwdx/3", 17, 10, false, &other), -1);
}

/* NUL-separated arguments, for mw__proc_runs_interpreter() */
static bool runs(const char *exe, const char *const *argv)
{
	char buf[512];
	size_t n = 0;

	for (; *argv; argv++) {
		memcpy(buf + n, *argv, strlen(*argv) + 1);
		n += strlen(*argv) + 1;
	}
	return mw__proc_runs_interpreter(exe, buf, n);
}

/* mw__proc_arg_built_fd() with the process holding memfds at fds 3 and
 * 5 (pid 10), a fresh budget. */
static int built(const char *arg)
{
	static const int fds[] = { 3, 5 };
	unsigned budget = MW__PROC_BUILT_BUDGET;

	return mw__proc_arg_built_fd(arg, strlen(arg), 10, fds, 2, &budget);
}

static void names_built_paths(void **state)
{
	(void)state;
	/* shell patterns: the fd the pattern matches */
	assert_int_equal(built(". /dev/fd/[3]"), 3);
	assert_int_equal(built(". /dev/fd/[5]; :"), 5);
	assert_int_equal(built("/dev/f?/5"), 5);
	assert_int_equal(built("/d*/fd/3"), 3);
	assert_int_equal(built("/?" "?" "?/?" "?/5"), 5);
	assert_int_equal(built("/dev/fd/{5,}"), 3); /* a brace list: any of them */
	assert_int_equal(built("source /proc/self/f[d]/5"), 5);
	/* expansions: variables, arithmetic, command output, $$ */
	assert_int_equal(built(". /dev/fd/$((1+2))"), 3);
	assert_int_equal(built(". /dev/fd/${n}"), 3);
	assert_int_equal(built(". \"/dev/fd/$n\""), 3);
	assert_int_equal(built(". /dev/fd/`echo 3`"), 3);
	assert_int_equal(built("x=3; . /proc/$$/fd/$x"), 3);
	assert_int_equal(built("d=/dev/fd; . $d/5"), 3); /* "d=/dev/fd" names the directory */
	/* red team, third pass: $'...' escapes, ~user (sys's home is /dev),
	 * a list of directories, bash's nocaseglob */
	assert_int_equal(built(". $'/dev/fd/\\63'"), 3);
	assert_int_equal(built(". $'\\x2fdev\\x2ffd\\x2f3'"), 3);
	assert_int_equal(built(". $'/dev/\\x66d/5'"), 5);
	assert_int_equal(built(". ~sys/fd/5"), 5);
	assert_int_equal(built("PATH=/usr/bin:/dev/fd; . 3"), 3);
	assert_int_equal(built("/usr/bin:/proc/self/fd"), 3);
	assert_int_equal(built(". /[D]EV/[F]D/[5]"), 5);
	assert_int_equal(built("echo ~/x $'a\\tb'"), -1);
	/* a literal path to an fd names that fd, not its directory */
	assert_int_equal(built("/dev/fd/4"), -1);
	assert_int_equal(built("cat /proc/self/fd/63"), -1);
	/* a path whose fd directory is wholly an expansion says nothing
	 * that "$HOME/5" does not: not counted (a limit) */
	assert_int_equal(built(". ${D}/5"), -1);
	assert_int_equal(built(". $(echo /dev/fd)/5"), -1);
	assert_int_equal(built("echo $x; echo $a/$b"), -1);
	assert_int_equal(built(". $x/../dev/fd/[5]"), 5);
	assert_int_equal(built("/dev/fd/../fd/$x"), 3);
	/* a directory of fds, named: cd into it, or joined by code */
	assert_int_equal(built("cd /dev/fd; . ./5"), 3);
	assert_int_equal(built("exec(open('/dev/fd/' + n).read())"), 3);
	assert_int_equal(built("require(\"/proc/self/fd/\" + n)"), 3);
	assert_int_equal(built("os.path.join('/proc/10/fd', n)"), 3);
	assert_int_equal(built("$fd = '/proc/self/task/10/fd'"), 3);
	/* none: no fd directory, a pattern matching no path to an fd, other
	 * directories, literal text that is not a path */
	assert_int_equal(built("echo $HOME/x"), -1);
	assert_int_equal(built("ls /dev/f*/x/y"), -1);
	assert_int_equal(built("cat /etc/*.conf"), -1);
	assert_int_equal(built("/proc/*/status"), -1);
	assert_int_equal(built("/dev/fd2"), -1);
	assert_int_equal(built("/usr/share/fdisk"), -1);
	assert_int_equal(built("for i in 1 2; do echo $i; done"), -1);
	assert_int_equal(built("'/dev/fd/[3]'x"), 3); /* quoted: "[3]" literal, a path in the directory */
	/* no memfd held: nothing to name */
	{
		unsigned b = MW__PROC_BUILT_BUDGET;

		assert_int_equal(mw__proc_arg_built_fd(". /dev/fd/[3]", 13, 10, (const int[]){ 3 }, 0, &b), -1);
		/* any fd (the watch: no fds known) */
		assert_int_equal(mw__proc_arg_built_fd(". /dev/fd/[3]", 13, 10, NULL, 0, &b), 3);
		assert_int_equal(mw__proc_arg_built_fd("cd /dev/fd", 10, 10, NULL, 0, &b), 0);
		assert_int_equal(mw__proc_arg_built_fd("ls /tmp/*", 9, 10, NULL, 0, &b), -1);
	}
}

/* The budget: patterns that may start a path to an fd but match none
 * are read up to it; past it, one more counts. Each text costs time
 * linear in its length. */
static void built_budget(void **state)
{
	static const int fds[] = { 3 };
	char text[64 * 16 + 32] = "";
	unsigned budget = MW__PROC_BUILT_BUDGET;

	(void)state;
	for (int i = 0; i < MW__PROC_BUILT_BUDGET; i++)
		strcat(text, "/proc/$a/x/y/z ");
	assert_int_equal(mw__proc_arg_built_fd(text, strlen(text), 10, fds, 1, &budget), -1);
	assert_int_equal(budget, 0);
	assert_int_equal(mw__proc_arg_built_fd("/proc/$b/q/r/s", 14, 10, fds, 1, &budget), 3);
	/* literal words cost no budget */
	budget = 1;
	assert_int_equal(mw__proc_arg_built_fd("/usr/fd /dev/fdx /proc/self/fdinfo/3", 36, 10, fds, 1, &budget), -1);
	assert_int_equal(budget, 1);
}

static void loaders(void **state)
{
	const char *ld = "/lib64/ld-linux-x86-64.so.2";

	(void)state;
	assert_true(mw__proc_is_loader(ld));
	assert_true(mw__proc_is_loader("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"));
	assert_true(mw__proc_is_loader("/lib/ld-linux.so.2"));
	assert_true(mw__proc_is_loader("/lib/ld-musl-x86_64.so.1"));
	assert_true(mw__proc_is_loader("/lib64/ld64.so.2"));
	assert_true(mw__proc_is_loader("/lib/ld.so.1"));
	assert_false(mw__proc_is_loader("/usr/bin/ld"));
	assert_false(mw__proc_is_loader("/usr/bin/ld.bfd"));
	assert_false(mw__proc_is_loader("/usr/lib/libc.so.6"));
	assert_true(runs(ld, (const char *const[]){ ld, "/bin/dash", NULL }));
	assert_true(runs(ld, (const char *const[]){ "x", "--library-path", "/nowhere", "--argv0", "cat", "--inhibit-cache",
						 "/usr/bin/python3.11", NULL }));
	assert_true(runs(ld, (const char *const[]){ "x", "--future-option", "/tmp", "/usr/bin/perl", NULL }));
	assert_true(runs(ld, (const char *const[]){ "x", ld, "/bin/sh", NULL }));
	assert_false(runs(ld, (const char *const[]){ "sh", "/usr/bin/cat", NULL }));
	assert_false(runs(ld, (const char *const[]){ "sh", NULL }));
	assert_false(runs("/usr/bin/cat", (const char *const[]){ "cat", "/bin/sh", NULL }));
	assert_true(runs("/bin/sh", (const char *const[]){ "cat", NULL }));
	assert_false(mw__proc_runs_interpreter(ld, NULL, 0));
	/* the last argument cut (no NUL): still read */
	assert_true(mw__proc_runs_interpreter(ld, "x\0/bin/bash", 11));
	assert_false(mw__proc_runs_interpreter(ld, "x\0/bin/bash", 10));
}

static void interpreters(void **state)
{
	(void)state;
	assert_true(mw__proc_is_interpreter("/usr/bin/dash"));
	assert_true(mw__proc_is_interpreter("/bin/bash"));
	assert_true(mw__proc_is_interpreter("/usr/bin/python3.11"));
	assert_true(mw__proc_is_interpreter("/usr/bin/perl5.36.0"));
	assert_true(mw__proc_is_interpreter("/usr/bin/ksh93"));
	assert_true(mw__proc_is_interpreter("/usr/bin/tclsh8.6"));
	assert_true(mw__proc_is_interpreter("/bin/busybox"));
	assert_true(mw__proc_is_interpreter("node"));
	/* a version, then more: Debian's second perl, vim's variants */
	assert_true(mw__proc_is_interpreter("/usr/bin/perl5.36-x86_64-linux-gnu"));
	assert_true(mw__proc_is_interpreter("/usr/bin/python3.11-dbg"));
	assert_true(mw__proc_is_interpreter("/usr/bin/vim.basic"));
	assert_true(mw__proc_is_interpreter("/usr/bin/busybox.static"));
	assert_false(mw__proc_is_interpreter("/usr/bin/sh-x"));
	assert_false(mw__proc_is_interpreter("/usr/bin/exa"));
	assert_false(mw__proc_is_interpreter("/usr/bin/cat"));
	assert_false(mw__proc_is_interpreter("/usr/bin/shx"));
	assert_false(mw__proc_is_interpreter("/usr/bin/sha256sum"));
	assert_false(mw__proc_is_interpreter("/usr/bin/bash (deleted)"));
	assert_false(mw__proc_is_interpreter("/"));
	assert_false(mw__proc_is_interpreter(""));
	assert_false(mw__proc_is_interpreter("3"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_fds),
		cmocka_unit_test(names_no_fd),
		cmocka_unit_test(names_fds_dotdot),
		cmocka_unit_test(names_fds_url),
		cmocka_unit_test(names_fds_in_text),
		cmocka_unit_test(names_stdin_file),
		cmocka_unit_test(names_fds_relative),
		cmocka_unit_test(names_built_paths),
		cmocka_unit_test(built_budget),
		cmocka_unit_test(loaders),
		cmocka_unit_test(interpreters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
