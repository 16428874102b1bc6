/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a process's arguments say of its fds: the paths by which a program
 * names one of its own open files (/dev/fd/N and its kin), as a script's
 * interpreter is given the memfd it runs from (src/audit/rules.c).
 * Command lines themselves are read from /proc/PID/cmdline, which reads
 * anonymous memory only and never waits for a page (a userfaultfd that is
 * never answered, a FUSE file mapped over the arguments). Every reading
 * of an argument costs time linear in its length: an attacker writes the
 * arguments (128 KiB each, 2 MiB in all).
 */
#include "proc/proc.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* The deepest path that names an fd: /proc/WHO/task/TID/fd/N. */
#define PATH_DEPTH 6
/* The shortest: /dev/fd/N (/dev/stdin, /proc/P/fd/N are longer). Reading
 * a path by its words only drops some, so no shorter run holds one. */
#define PATH_MIN (sizeof("/dev/fd/0") - 1)

/* The components of a path that names an fd, from its root. */
struct comps {
	const char *c[PATH_DEPTH];
	size_t n[PATH_DEPTH];
	size_t k;
};

/* The fd the components name (see mw__proc_arg_fd()), or -1. */
static int comps_fd(const struct comps *s, pid_t pid, bool any_pid, pid_t *other)
{
	const char *const *c = s->c;
	const size_t *n = s->n;
	size_t k = s->k;
	long long fd = -1, who;

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

/* Does ch end a path inside an argument? What a shell, a script's text or
 * a list puts after a word (". /dev/fd/3; :", require("/dev/fd/3"),
 * PYTHONPATH=/dev/fd/3:/usr/lib). No path to an fd holds one. */
static bool ends_path(char ch)
{
	static const bool ends[256] = {
		[' '] = true, ['\t'] = true, ['\n'] = true, ['\v'] = true, ['\f'] = true, ['\r'] = true,
		['"'] = true, ['\''] = true, ['`'] = true, [';'] = true, ['&'] = true, ['|'] = true,
		['('] = true, [')'] = true, ['<'] = true, ['>'] = true, [','] = true, [':'] = true,
		['{'] = true, ['}'] = true, ['['] = true, [']'] = true, ['$'] = true,
	};

	return ends[(unsigned char)ch];
}

/*
 * The fd a path that starts at a slash inside run r (len bytes, no
 * ends_path() character in it) and ends at its end names, or -1. Each
 * path from a "/" to the end is normalised by its words ("." dropped, ".."
 * climbing one up, none above "/"), as a URL's path is and as the kernel
 * walks one through real directories: "--file=/dev/fd/3", "-f/dev/fd/3",
 * "/x/../dev/fd/3", "/dev/fd/../fd/3". One pass from the end: the
 * components kept, nearest the end first, only grow as the start moves
 * left, so that the first start that keeps more than a path to an fd has
 * ends the search (no argument costs more than its length).
 */
static int run_fd(const char *r, size_t len, pid_t pid, bool any_pid, pid_t *other)
{
	const char *kc[PATH_DEPTH];
	size_t kn[PATH_DEPTH], nk = 0, skip = 0, e = len;

	while (e > 0) {
		size_t b;
		bool added = false;

		while (e > 0 && r[e - 1] == '/')
			e--;
		b = e;
		while (b > 0 && r[b - 1] != '/')
			b--;
		if (e - b == 2 && r[b] == '.' && r[b + 1] == '.') {
			skip++;
		} else if (e - b == 1 && r[b] == '.') {
			/* nothing */
		} else if (e > b && skip) {
			skip--;
		} else if (e > b) {
			if (nk == PATH_DEPTH)
				return -1; /* deeper than any path to an fd */
			kc[nk] = r + b;
			kn[nk++] = e - b;
			added = true;
		}
		/* r[b - 1] is a slash: a path starts there. Its words are those
		 * of the last start unless one was just added, and every path
		 * to an fd has two or more and starts at /dev or /proc. */
		if (b > 0 && added && nk >= 2 && (is(kc[nk - 1], kn[nk - 1], "dev") || is(kc[nk - 1], kn[nk - 1], "proc"))) {
			struct comps s = { .k = nk };
			int fd;

			for (size_t i = 0; i < nk; i++) {
				s.c[i] = kc[nk - 1 - i];
				s.n[i] = kn[nk - 1 - i];
			}
			*other = 0;
			fd = comps_fd(&s, pid, any_pid, other);
			if (fd >= 0)
				return fd;
		}
		e = b;
	}
	return -1;
}

/* The links the kernel follows on the way to an fd, expanded in arg (len
 * bytes) into buf (room for 2 * len bytes), so that ".." after them climbs
 * where the kernel's walk does: /dev/fd is /proc/self/fd, /dev/stdin
 * /proc/self/fd/0 (stdout 1, stderr 2), /proc/net /proc/self/net
 * ("/dev/fd/../task/T/fd/3", "/proc/net/../fd/3"). Its length. */
static size_t expand_links(const char *arg, size_t len, char *buf)
{
	static const struct { const char *from, *to; } links[] = {
		{ "dev/fd", "proc/self/fd" },      { "dev/stdin", "proc/self/fd/0" },
		{ "dev/stdout", "proc/self/fd/1" }, { "dev/stderr", "proc/self/fd/2" },
		{ "proc/net", "proc/self/net" },
	};
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		bool done = false;

		if ((arg[i] == 'd' || arg[i] == 'p') && (i == 0 || arg[i - 1] == '/')) {
			for (size_t l = 0; l < sizeof(links) / sizeof(links[0]) && !done; l++) {
				size_t f = strlen(links[l].from), t = strlen(links[l].to);

				if (len - i >= f && !memcmp(arg + i, links[l].from, f) &&
				    (i + f == len || arg[i + f] == '/' || ends_path(arg[i + f]))) {
					memcpy(buf + o, links[l].to, t);
					o += t;
					i += f;
					done = true;
				}
			}
		}
		if (!done)
			buf[o++] = arg[i++];
	}
	return o;
}

/* The fd some path in arg (len bytes, as it is) names: each run between
 * ends_path() characters (run_fd()). */
static int runs_fd(const char *arg, size_t len, pid_t pid, bool any_pid, pid_t *other)
{
	for (size_t i = 0; i < len;) {
		size_t j = i;
		int fd;

		while (j < len && !ends_path(arg[j]))
			j++;
		if (j - i >= PATH_MIN && (fd = run_fd(arg + i, j - i, pid, any_pid, other)) >= 0)
			return fd;
		i = j + 1;
	}
	*other = 0;
	return -1;
}

/* mw__proc_arg_fd() on arg as it is: its paths by their words, then, if a
 * ".." may climb out of a link (dots: the caller found ".." in arg), as
 * the kernel walks them (expanded into scratch, room for 2 * len bytes). */
static int plain_arg_fd(const char *arg, size_t len, bool dots, char *scratch, pid_t pid, bool any_pid, pid_t *other)
{
	int fd = runs_fd(arg, len, pid, any_pid, other);

	if (fd >= 0 || !dots)
		return fd;
	return runs_fd(scratch, expand_links(arg, len, scratch), pid, any_pid, other);
}

/* Is there ".." in arg (len bytes)? */
static bool has_dots(const char *arg, size_t len)
{
	return len >= 2 && memmem(arg, len, "..", 2);
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
		if (arg[i] == ':' && o >= 5 && file_scheme(buf, o, o - 5)) {
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
	for (size_t i = 0; i < len; i++) {
		char ch = arg[i];

		if (ch == '%' || ch == '?' || ch == '#' || ch == '\\' || ch == '\'' || ch == '"' || ch == '\t' ||
		    ch == '\n' || ch == '\r' || ((ch == 'f' || ch == 'F') && file_scheme(arg, len, i)))
			return true;
	}
	return false;
}

int mw__proc_arg_fd(const char *arg, size_t len, pid_t pid, bool any_pid, pid_t *other)
{
	char small[1024], *buf, *scratch;
	bool forms, dots;
	size_t n;
	int fd;

	if (!len)
		return -1;
	forms = other_forms(arg, len);
	dots = has_dots(arg, len);
	/* as it is, with nothing to expand or to read another way: no copy */
	if (!forms && !dots)
		return runs_fd(arg, len, pid, any_pid, other);
	/* one block for every reading: a variant of arg (no longer than
	 * len + len / 5: url_form()) in 2 * len bytes, then the links
	 * expanded in it (at most twice its length) in the 4 * len after */
	buf = 6 * len <= sizeof(small) ? small : malloc(6 * len);
	if (!buf)
		return -1;
	scratch = buf + 2 * len;
	fd = plain_arg_fd(arg, len, dots, scratch, pid, any_pid, other);
	if (fd >= 0 || !forms)
		goto out;
	/* as a shell word */
	n = unquote(arg, len, buf);
	if (n != len)
		fd = plain_arg_fd(buf, n, has_dots(buf, n), scratch, pid, any_pid, other);
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
		fd = plain_arg_fd(buf, n, has_dots(buf, n), scratch, pid, any_pid, other);
		if (!decoded)
			break;
	}
out:
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
	 * working directory's 3. The last two such links only: what precedes
	 * a link is climbed out of or names no fd, and each try costs a
	 * reading of what follows (an attacker repeats the link) */
	const char *last[2] = { NULL, NULL };

	for (const char *k = arg; (k = memmem(k, len - (size_t)(k - arg), "/cwd", 4)); k += 4) {
		size_t at = (size_t)(k - arg) + 4, wn, pn;
		const char *w, *pc;
		long long who;

		if ((at < len && arg[at] != '/') || !comp_before(arg, k, &w, &wn) || !comp_before(arg, w, &pc, &pn) ||
		    !is(pc, pn, "proc"))
			continue;
		who = number(w, wn);
		if (!(is(w, wn, "self") || is(w, wn, "thread-self") || (who > 0 && (any_pid || who == (long long)pid))))
			continue;
		last[0] = last[1];
		last[1] = k + 4;
	}
	for (int i = 1; i >= 0; i--) {
		int fd;

		if (!last[i])
			continue;
		fd = joined_fd(cwd, ncwd, last[i], len - (size_t)(last[i] - arg), pid, any_pid, other);
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
