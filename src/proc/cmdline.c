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
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* The deepest path that names an fd: /proc/WHO/task/TID/fd/N, with room
 * for the links below. */
#define PATH_DEPTH 8

/* A path's components with "." and ".." resolved (resolve()). */
struct comps {
	const char *c[PATH_DEPTH];
	size_t n[PATH_DEPTH];
	size_t k;    /* components kept */
	size_t over; /* more beneath them than kept: no fd */
};

static void push(struct comps *s, const char *c, size_t n)
{
	if (s->k < PATH_DEPTH && !s->over) {
		s->c[s->k] = c;
		s->n[s->k++] = n;
	} else {
		s->over++;
	}
}

/*
 * The components of the absolute path p (len bytes) into *s, "." dropped
 * and ".." climbing one up, as the kernel walks it (links) or as a URL's
 * path is normalised (!links: by the words alone). The links are the
 * usual ones to /proc/self/fd (udev's, systemd's): /dev/fd is
 * /proc/self/fd, /dev/stdin /proc/self/fd/0 (stdout 1, stderr 2), so that
 * "/dev/fd/../fd/3" is /proc/self/fd/3 as the kernel sees it; and
 * /proc/net is /proc/self/net ("/proc/net/../fd/3"). A ".."
 * above a name that does not exist is taken as the words say: more paths
 * are taken for fds than the kernel would open, none fewer.
 */
static void resolve(const char *p, size_t len, bool links, struct comps *s)
{
	static const char *const self_fd[] = { "proc", "self", "fd" };
	static const char *const std[] = { "0", "1", "2" };
	const char *c;
	size_t i = 0, n;

	s->k = s->over = 0;
	while (component(p, len, &i, &c, &n)) {
		if (is(c, n, "..")) {
			if (s->over)
				s->over--;
			else if (s->k)
				s->k--;
			continue;
		}
		push(s, c, n);
		if (links && s->k == 2 && !s->over && is(s->c[0], s->n[0], "proc") && is(s->c[1], s->n[1], "net")) {
			/* /proc/net is self/net */
			s->k = 1;
			push(s, "self", 4);
			push(s, "net", 3);
			continue;
		}
		if (!links || s->k != 2 || s->over || !is(s->c[0], s->n[0], "dev"))
			continue;
		if (is(s->c[1], s->n[1], "fd") || is(s->c[1], s->n[1], "stdin") || is(s->c[1], s->n[1], "stdout") ||
		    is(s->c[1], s->n[1], "stderr")) {
			int which = is(s->c[1], s->n[1], "stdin") ? 0 : is(s->c[1], s->n[1], "stdout") ? 1
								    : is(s->c[1], s->n[1], "stderr") ? 2 : -1;

			s->k = 0;
			for (size_t w = 0; w < 3; w++)
				push(s, self_fd[w], strlen(self_fd[w]));
			if (which >= 0)
				push(s, std[which], 1);
		}
	}
}

/* The fd the resolved components name (see mw__proc_arg_fd()), or -1. */
static int comps_fd(const struct comps *s, pid_t pid, bool any_pid, pid_t *other)
{
	const char *const *c = s->c;
	const size_t *n = s->n;
	size_t k = s->k;
	long long fd = -1, who;

	if (s->over)
		return -1;
	if (k == 2 && is(c[0], n[0], "dev")) /* udev's and systemd's links to /proc/self/fd/0..2 */
		return is(c[1], n[1], "stdin") ? 0 : is(c[1], n[1], "stdout") ? 1 : is(c[1], n[1], "stderr") ? 2 : -1;
	if (k > 6 || k < 3)
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

/* The fd the path from arg to its end names, walked either way (resolve()). */
static int path_fd(const char *arg, size_t len, pid_t pid, bool any_pid, pid_t *other)
{
	struct comps s;
	int fd;

	for (int links = 1; links >= 0; links--) {
		resolve(arg, len, links, &s);
		*other = 0;
		fd = comps_fd(&s, pid, any_pid, other);
		if (fd >= 0)
			return fd;
	}
	return -1;
}

/* Does ch end a path inside an argument? What a shell, a script's text or
 * a list puts after a word (". /dev/fd/3; :", require("/dev/fd/3"),
 * PYTHONPATH=/dev/fd/3:/usr/lib). No path to an fd holds one. */
static bool ends_path(char ch)
{
	return ch == ' ' || (ch >= '\t' && ch <= '\r') || (ch && strchr("\"'`;&|()<>,:{}[]$", ch));
}

/* mw__proc_arg_fd() on arg as it is. */
static int plain_arg_fd(const char *arg, size_t len, pid_t pid, bool any_pid, pid_t *other)
{
	/* the path may follow an option in the same argument (-f/dev/fd/3,
	 * --file=/dev/fd/3), a URL's scheme (file:///dev/fd/3,
	 * file://localhost/dev/fd/3) or any text (". /dev/fd/3; :"): from
	 * every "/dev/" or "/proc/" to the end of the path (ends_path()), "/x/../dev/fd/3" too:
	 * ".." climbs no higher than "/" */
	for (size_t at = 0; at < len; at++) {
		size_t s = at, end = at;
		int fd;

		/* the start of a run of slashes ("//dev/fd/3" too), then its
		 * first component must be dev or proc */
		if (arg[at] != '/' || (at && arg[at - 1] == '/'))
			continue;
		while (s < len && (arg[s] == '/' || (arg[s] == '.' && s + 1 < len && arg[s + 1] == '/')))
			s++;
		if (!(len - s >= 4 && !memcmp(arg + s, "dev/", 4)) && !(len - s >= 5 && !memcmp(arg + s, "proc/", 5)))
			continue;
		while (end < len && !ends_path(arg[end]))
			end++;
		fd = path_fd(arg + at, end - at, pid, any_pid, other);
		if (fd >= 0)
			return fd;
	}
	*other = 0;
	return -1;
}

static int hexval(char h)
{
	return h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
}

/* Decode the %XX escapes of buf[0..*len) in place; true if there was one. */
static bool unescape(char *buf, size_t *len)
{
	size_t o = 0;
	bool any = false;

	for (size_t i = 0; i < *len; i++) {
		if (buf[i] == '%' && i + 2 < *len && hexval(buf[i + 1]) >= 0 && hexval(buf[i + 2]) >= 0) {
			buf[o++] = (char)(hexval(buf[i + 1]) * 16 + hexval(buf[i + 2]));
			i += 2;
			any = true;
		} else {
			buf[o++] = buf[i];
		}
	}
	*len = o;
	return any;
}

/* arg as a shell (or Node's option parser) reads a word of it: quotes
 * removed ("/dev/"fd/3), a backslash's character taken as it is
 * (/dev/f\d/3), a backslash and newline removed. Into buf; its length. */
static size_t unquote(const char *arg, size_t len, char *buf)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (arg[i] == '\'' || arg[i] == '"')
			continue;
		if (arg[i] == '\\' && i + 1 < len) {
			if (arg[++i] != '\n')
				buf[o++] = arg[i];
			continue;
		}
		buf[o++] = arg[i];
	}
	return o;
}

/* Is there "file:" (any case) at arg[i]? */
static bool file_scheme(const char *arg, size_t len, size_t i)
{
	return len - i >= 5 && !strncasecmp(arg + i, "file:", 5);
}

/* arg as a URL parser (WHATWG's, Node's) reads a file: URL in it: ASCII
 * tab, newline and carriage return removed, backslashes taken as
 * slashes, a path after "file:" that starts with no slash given one
 * (file:dev/fd/3 is file:///dev/fd/3). Into buf (room for 2 * len
 * bytes); its length. */
static size_t url_form(const char *arg, size_t len, char *buf)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (arg[i] == '\t' || arg[i] == '\n' || arg[i] == '\r')
			continue;
		buf[o++] = arg[i] == '\\' ? '/' : arg[i];
		if (o >= 5 && file_scheme(buf, o, o - 5)) {
			size_t k = i + 1;

			while (k < len && (arg[k] == '\t' || arg[k] == '\n' || arg[k] == '\r'))
				k++;
			if (k < len && arg[k] != '/' && arg[k] != '\\')
				buf[o++] = '/';
		}
	}
	return o;
}

/* Might arg be read some other way than as it is (quotes, escapes, a URL)? */
static bool other_forms(const char *arg, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (strchr("%?#\\'\"\t\n\r", arg[i] ? arg[i] : 'x') || file_scheme(arg, len, i))
			return true;
	return false;
}

int mw__proc_arg_fd(const char *arg, size_t len, pid_t pid, bool any_pid, pid_t *other)
{
	char small[512], *buf;
	size_t n;
	int fd = plain_arg_fd(arg, len, pid, any_pid, other);

	if (fd >= 0 || !other_forms(arg, len))
		return fd;
	buf = 2 * len <= sizeof(small) ? small : malloc(2 * len);
	if (!buf)
		return -1;
	/* as a shell word */
	n = unquote(arg, len, buf);
	if (n != len)
		fd = plain_arg_fd(buf, n, pid, any_pid, other);
	/* as a URL (file:///dev/fd/%33, file:///dev/fd/3?x: Node's
	 * --import): its query and fragment dropped, its escapes decoded,
	 * more than once (%2533) */
	if (fd < 0)
		n = url_form(arg, len, buf);
	for (int round = 0; fd < 0 && round < 4; round++) {
		char *q = memchr(buf, '?', n), *h = memchr(buf, '#', n);
		bool decoded;

		if (q)
			n = (size_t)(q - buf);
		if (h && h < buf + n)
			n = (size_t)(h - buf);
		decoded = unescape(buf, &n);
		if (round && !decoded)
			break;
		fd = plain_arg_fd(buf, n, pid, any_pid, other);
		if (!decoded)
			break;
	}
	if (buf != small)
		free(buf);
	return fd;
}

bool mw__proc_arg_is_file_option(const char *prev, size_t nprev)
{
	if (!prev || nprev < 2 || prev[0] != '-')
		return false;
	if (nprev == 6 && !memcmp(prev, "--file", 6))
		return true;
	return prev[1] != '-' && prev[nprev - 1] == 'f';
}

int mw__proc_arg_stdin_file(const char *prev, size_t nprev, const char *arg, size_t len)
{
	/* "-f -", "-nf -", "--file -", "--file=-", "-f-": the program file
	 * named "-", which awk, make and sed read from their standard input */
	if ((len == 8 && !memcmp(arg, "--file=-", 8)) || (len == 3 && !memcmp(arg, "-f-", 3)))
		return 0;
	return len == 1 && arg[0] == '-' && mw__proc_arg_is_file_option(prev, nprev) ? 0 : -1;
}

bool mw__proc_arg_maybe_relative_fd(const char *arg, size_t len)
{
	size_t s = len;

	if (len >= 4 && memmem(arg, len, "/cwd", 4))
		return true; /* /proc/self/cwd/3 */
	if (!len || arg[0] == '/' || arg[len - 1] == '/')
		return false;
	while (s > 0 && arg[s - 1] != '/')
		s--;
	return number(arg + s, len - s) >= 0 || is(arg + s, len - s, "stdin") || is(arg + s, len - s, "stdout") ||
	       is(arg + s, len - s, "stderr");
}

/* mw__proc_arg_fd() on cwd, "/" and the len bytes of rest. */
static int joined_fd(const char *cwd, size_t ncwd, const char *rest, size_t len, pid_t pid, bool any_pid,
		     pid_t *other)
{
	char buf[PATH_MAX + 256];

	if (ncwd + 1 + len > sizeof(buf))
		return -1;
	memcpy(buf, cwd, ncwd);
	buf[ncwd] = '/';
	memcpy(buf + ncwd + 1, rest, len);
	return mw__proc_arg_fd(buf, ncwd + 1 + len, pid, any_pid, other);
}

/* The path component that ends at end (slashes before end skipped), in
 * arg: *c, *n; false if none. */
static bool comp_before(const char *arg, const char *end, const char **c, size_t *n)
{
	const char *e = end, *b;

	while (e > arg && e[-1] == '/')
		e--;
	b = e;
	while (b > arg && b[-1] != '/')
		b--;
	*c = b;
	*n = (size_t)(e - b);
	return e > b;
}

int mw__proc_arg_fd_at(const char *cwd, size_t ncwd, const char *arg, size_t len, pid_t pid, bool any_pid,
		       pid_t *other)
{
	*other = 0;
	if (!ncwd || cwd[0] != '/')
		return -1;
	if (len && arg[0] != '/') {
		int fd = joined_fd(cwd, ncwd, arg, len, pid, any_pid, other);

		if (fd >= 0)
			return fd;
	}
	/* /proc/self/cwd/3, /proc/PID/cwd/3, /proc/thread-self/cwd/3: its own
	 * working directory's 3 */
	for (const char *k = arg; (k = memmem(k, len - (size_t)(k - arg), "/cwd", 4)); k += 4) {
		size_t at = (size_t)(k - arg) + 4, wn, pn;
		const char *w, *pc;
		long long who;
		int fd;

		if ((at < len && arg[at] != '/') || !comp_before(arg, k, &w, &wn) || !comp_before(arg, w, &pc, &pn) ||
		    !is(pc, pn, "proc"))
			continue;
		who = number(w, wn);
		if (!(is(w, wn, "self") || is(w, wn, "thread-self") || (who > 0 && (any_pid || who == (long long)pid))))
			continue;
		fd = joined_fd(cwd, ncwd, arg + at, len - at, pid, any_pid, other);
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

/* mw__proc_is_interpreter() on the len bytes of path. */
static bool interpreter_n(const char *path, size_t len)
{
	const char *b = path;
	size_t n, all;

	for (size_t i = 0; i < len; i++)
		if (path[i] == '/')
			b = path + i + 1;
	all = n = len - (size_t)(b - path);
	while (n > 1 && ((b[n - 1] >= '0' && b[n - 1] <= '9') || b[n - 1] == '.' || b[n - 1] == '-'))
		n--;
	for (size_t i = 0; i < sizeof(interpreters) / sizeof(interpreters[0]); i++) {
		size_t k = strlen(interpreters[i]);

		if (is(b, n, interpreters[i]) ||
		    (all > k && !memcmp(b, interpreters[i], k) && ((b[k] >= '0' && b[k] <= '9') || b[k] == '.')))
			return true;
	}
	return false;
}

bool mw__proc_is_interpreter(const char *path)
{
	return interpreter_n(path, strlen(path));
}

bool mw__proc_is_loader(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	return (!strncmp(b, "ld-", 3) || !strncmp(b, "ld.", 3) || !strncmp(b, "ld64.", 5)) && strstr(b, ".so");
}

bool mw__proc_runs_interpreter(const char *exe, const char *args, size_t len)
{
	const char *a, *end;

	if (mw__proc_is_interpreter(exe))
		return true;
	if (!mw__proc_is_loader(exe) || !args)
		return false;
	end = args + len;
	/* The program a loader loads is one of its arguments, after its
	 * own options and theirs (--library-path DIR, --argv0 NAME...):
	 * any of them, so that no option it knows and we do not hides it. */
	a = memchr(args, '\0', len);
	while (a && ++a < end) {
		const char *z = memchr(a, '\0', (size_t)(end - a));
		size_t n = z ? (size_t)(z - a) : (size_t)(end - a);

		if (interpreter_n(a, n))
			return true;
		a = z;
	}
	return false;
}
