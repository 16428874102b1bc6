/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a process's arguments say of its fds: the paths by which a program
 * names one of its own open files (/dev/fd/N and its kin), as a script's
 * interpreter is given the memfd it runs from (src/audit/rules.c).
 * Command lines themselves are read from /proc/PID/cmdline, which reads
 * anonymous memory only and never waits for a page (a userfaultfd that is
 * never answered, a FUSE file mapped over the arguments).
 */
#include "proc/proc.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>

/* The next path component of p[*i..len) (repeated slashes and "."
 * components skipped) into *c, *n; false at the end. */
static bool component(const char *p, size_t len, size_t *i, const char **c, size_t *n)
{
	for (;;) {
		size_t s;

		while (*i < len && p[*i] == '/')
			(*i)++;
		if (*i >= len)
			return false;
		s = *i;
		while (*i < len && p[*i] != '/')
			(*i)++;
		if (*i - s == 1 && p[s] == '.')
			continue;
		*c = p + s;
		*n = *i - s;
		return true;
	}
}

/* Is component c (n bytes) word? */
static bool is(const char *c, size_t n, const char *word)
{
	return strlen(word) == n && !memcmp(c, word, n);
}

/* A decimal number (no sign, no leading zero but "0") up to INT_MAX; -1 else. */
static long long number(const char *c, size_t n)
{
	long long v = 0;

	if (!n || n > 10 || (n > 1 && c[0] == '0'))
		return -1;
	for (size_t k = 0; k < n; k++) {
		if (c[k] < '0' || c[k] > '9')
			return -1;
		v = v * 10 + (c[k] - '0');
	}
	return v <= INT_MAX ? v : -1;
}

/* The fd a whole path names (see mw__proc_arg_fd()), or -1. */
static int path_fd(const char *arg, size_t len, pid_t pid, bool any_pid, pid_t *other)
{
	const char *c[7];
	size_t n[7], i = 0, k = 0;
	long long fd = -1, who;

	while (k < 7 && component(arg, len, &i, &c[k], &n[k]))
		k++;
	if (k == 2 && is(c[0], n[0], "dev")) /* udev's and systemd's links to /proc/self/fd/0..2 */
		return is(c[1], n[1], "stdin") ? 0 : is(c[1], n[1], "stdout") ? 1 : is(c[1], n[1], "stderr") ? 2 : -1;
	if (k == 7 || k < 3)
		return -1;
	if (k == 3 && is(c[0], n[0], "dev") && is(c[1], n[1], "fd"))
		fd = number(c[2], n[2]);
	else if (is(c[0], n[0], "proc") && is(c[k - 2], n[k - 2], "fd") && (k == 4 || k == 6)) {
		/* /proc/WHO/fd/N, /proc/WHO/task/TID/fd/N */
		who = number(c[1], n[1]);
		if (!(is(c[1], n[1], "self") || (k == 4 && is(c[1], n[1], "thread-self")) || who > 0))
			return -1;
		*other = who > 0 && !any_pid && who != (long long)pid ? (pid_t)who : 0;
		if (k == 6 && (!is(c[2], n[2], "task") || number(c[3], n[3]) < 0))
			return -1;
		fd = number(c[k - 1], n[k - 1]);
	}
	return fd >= 0 ? (int)fd : -1;
}

int mw__proc_arg_fd(const char *arg, size_t len, pid_t pid, bool any_pid, pid_t *other)
{
	/* the path may follow an option in the same argument (-f/dev/fd/3,
	 * --file=/dev/fd/3): from every "/dev/" or "/proc/" to the end */
	for (size_t at = 0; at < len; at++) {
		size_t s = at;
		int fd;

		/* the start of a run of slashes ("//dev/fd/3" too), then its
		 * first component must be dev or proc */
		if (arg[at] != '/' || (at && arg[at - 1] == '/'))
			continue;
		while (s < len && (arg[s] == '/' || (arg[s] == '.' && s + 1 < len && arg[s + 1] == '/')))
			s++;
		if (!(len - s >= 4 && !memcmp(arg + s, "dev/", 4)) && !(len - s >= 5 && !memcmp(arg + s, "proc/", 5)))
			continue;
		*other = 0;
		fd = path_fd(arg + at, len - at, pid, any_pid, other);
		if (fd >= 0)
			return fd;
	}
	return -1;
}

/* A name of an interpreter's program as installed (bash, python3.11,
 * perl5.36.0, ksh93, tclsh8.6): the name with its trailing version
 * (digits, dots, hyphens) removed; or one of these names followed by a
 * digit or a dot and anything (perl5.36-x86_64-linux-gnu, Debian's second
 * perl; python3.11-dbg; vim.basic; busybox.static). */
static const char *const interpreters[] = {
	/* shells */
	"sh", "ash", "dash", "bash", "rbash", "zsh", "ksh", "mksh", "lksh", "pdksh", "oksh", "yash", "posh",
	"csh", "tcsh", "fish", "elvish", "xonsh", "nu", "osh", "ysh", "busybox", "toybox",
	/* languages that run a program read from standard input */
	"python", "pypy", "perl", "ruby", "jruby", "node", "nodejs", "deno", "bun", "php", "php-cgi", "lua",
	"luajit", "tclsh", "wish", "expect", "Rscript", "R", "julia", "guile", "racket", "pwsh", "gdb",
	"sqlite", "m4", "jshell", "scala", "groovy", "elixir", "erl", "swipl", "ocaml", "ghci", "raku",
	"rakudo", "pike", "vim", "nvim", "ex",
};

bool mw__proc_is_interpreter(const char *path)
{
	const char *b = strrchr(path, '/');
	size_t n;

	b = b ? b + 1 : path;
	n = strlen(b);
	while (n > 1 && ((b[n - 1] >= '0' && b[n - 1] <= '9') || b[n - 1] == '.' || b[n - 1] == '-'))
		n--;
	for (size_t i = 0; i < sizeof(interpreters) / sizeof(interpreters[0]); i++) {
		size_t k = strlen(interpreters[i]);

		if (is(b, n, interpreters[i]) || (strlen(b) > k && !memcmp(b, interpreters[i], k) &&
						  ((b[k] >= '0' && b[k] <= '9') || b[k] == '.')))
			return true;
	}
	return false;
}
