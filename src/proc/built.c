/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The paths to an fd that an interpreter builds from its program's text,
 * which no reading of the text as it is finds: a shell pattern
 * (". /dev/fd/[3]", "/dev/f?/3", "/dev/fd/{3,}"), an expansion (a variable,
 * arithmetic, a command's output: ". /dev/fd/$((1+2))", "/proc/$$/fd/3",
 * "$d/3"), a string joined by code ('"/dev/fd/" + n', "os.path.join(
 * '/dev/fd', n)"), or a directory of fds gone into ("cd /dev/fd; . ./3").
 * Each word of the text (a shell's: quotes, escapes and expansions read as
 * one) becomes an fnmatch(3) pattern, every expansion and brace list a
 * "*" (which may stand for slashes too: a variable's value may hold
 * some), its "." and ".." taken by the words; it counts when it matches a
 * path to one of the fds asked about, or its directory (or the word
 * itself) is a directory of fds. Linear in the text's length: an attacker
 * writes it.
 */
#include "proc/proc.h"

#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The deepest path to an fd (/proc/P/task/P/fd/N) and one more: a pattern
 * of more components matches none. */
#define BUILT_DEPTH 7
/* The longest brace list read as one ({3,}), and the longest pattern
 * matched (a longer one that may start a path to an fd counts). */
#define BUILT_BRACE_MAX 256
#define BUILT_PATTERN_MAX 1024
/* The fds tried one by one against a pattern's last component: the lowest. */
#define BUILT_FDS 8

/* A word being made into a pattern. */
struct word {
	char *pat;    /* the pattern (2 bytes a byte of text, and 1) */
	size_t n;     /* its length */
	size_t start; /* where the path starts in it: its first "/" or expansion */
	bool started;
	bool built;   /* an expansion or a shell pattern in it */
	bool expands; /* an expansion in it: its "*" may stand for slashes */
	bool fd;      /* "fd" or "std" in its text */
};

static void lit(struct word *w, char ch)
{
	if (!w->started && ch == '/') {
		w->start = w->n;
		w->started = true;
	}
	if (ch == '*' || ch == '?' || ch == '[' || ch == '\\')
		w->pat[w->n++] = '\\';
	w->pat[w->n++] = ch;
}

static void star(struct word *w)
{
	if (!w->started) {
		w->start = w->n;
		w->started = true;
	}
	if (!w->n || w->pat[w->n - 1] != '*' || (w->n > 1 && w->pat[w->n - 2] == '\\'))
		w->pat[w->n++] = '*';
	w->built = w->expands = true;
}

/* The end of the expansion that starts at t[i] ('$' or '`'), n bytes in
 * all; i + 1 when '$' starts none. Parentheses and braces are counted,
 * quotes inside taken as they come (a shell's own rules are richer: what
 * this misreads ends a word early or late, no worse). */
static size_t expansion_end(const char *t, size_t n, size_t i)
{
	size_t j = i + 1;

	if (t[i] == '`') {
		while (j < n && t[j] != '`')
			j++;
		return j < n ? j + 1 : n;
	}
	if (j < n && (t[j] == '(' || t[j] == '{')) {
		char open = t[j], close = open == '(' ? ')' : '}';
		size_t depth = 0;

		for (; j < n; j++) {
			if (t[j] == open)
				depth++;
			else if (t[j] == close && --depth == 0)
				return j + 1;
		}
		return n;
	}
	if (j < n && ((t[j] >= 'A' && t[j] <= 'Z') || (t[j] >= 'a' && t[j] <= 'z') || t[j] == '_')) {
		while (j < n && ((t[j] >= 'A' && t[j] <= 'Z') || (t[j] >= 'a' && t[j] <= 'z') ||
				 (t[j] >= '0' && t[j] <= '9') || t[j] == '_'))
			j++;
		return j;
	}
	if (j < n && strchr("0123456789#?$!@*-", t[j]) && t[j])
		return j + 1;
	return i + 1;
}

/* Does ch end a word outside quotes? Blanks, a shell's operators, and the
 * punctuation around a string in code (require("..."), join('...', n)),
 * and the colon of a list of directories (PATH=/usr/bin:/dev/fd). */
static bool ends_word(char ch)
{
	static const bool ends[256] = {
		[' '] = true, ['\t'] = true, ['\n'] = true, ['\v'] = true, ['\f'] = true, ['\r'] = true,
		[';'] = true, ['&'] = true, ['|'] = true, ['<'] = true, ['>'] = true, ['('] = true,
		[')'] = true, [','] = true, [':'] = true,
	};

	return ends[(unsigned char)ch];
}

/* The candidates: paths to fd N of process pid, or (N < 0) the
 * directories of fds; *k of them into out (room for 9 of 64 bytes). */
static void candidates(pid_t pid, int N, char out[][64], size_t *k)
{
	static const char *const dirs[] = { "/dev/fd", "/proc/self/fd", "/proc/thread-self/fd", "/proc/%d/fd",
					    "/proc/self/task/%d/fd", "/proc/%d/task/%d/fd" };
	static const char *const std[] = { "/dev/stdin", "/dev/stdout", "/dev/stderr" };

	*k = 0;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char d[48];

		snprintf(d, sizeof(d), dirs[i], (int)pid, (int)pid);
		if (N < 0)
			snprintf(out[(*k)++], 64, "%s", d);
		else
			snprintf(out[(*k)++], 64, "%s/%d", d, N);
	}
	if (N >= 0 && N <= 2)
		snprintf(out[(*k)++], 64, "%s", std[N]);
}

/* fnmatch(3) flags for a word: a shell pattern's wildcards match no
 * slash; an expansion's value may hold some. */
static int fnm_flags(const struct word *w)
{
	/* any case: bash's nocaseglob matches /[D]EV/[F]D/[3] */
	return FNM_CASEFOLD | (w->expands ? 0 : FNM_PATHNAME);
}

static bool matches_any(const char *pat, char cand[][64], size_t k, int flags)
{
	for (size_t i = 0; i < k; i++)
		if (fnmatch(pat, cand[i], flags) == 0)
			return true;
	return false;
}

/* Would pattern p match as well a path that is no fd's (fd N: ".../N";
 * N < 0: a directory), at the depths of those that are? Then it says
 * nothing ("$d/3", "$a/$b", "$HOME"). */
static bool generic(const char *p, int N, int flags)
{
	static const char *const decoys[] = { "/x", "/x/y", "/x/y/z", "/x/y/z/w", "/x/y/z/w/v" };

	for (size_t i = 0; i < sizeof(decoys) / sizeof(decoys[0]); i++) {
		char d[32];

		if (N < 0)
			snprintf(d, sizeof(d), "%s", decoys[i]);
		else
			snprintf(d, sizeof(d), "%s/%d", decoys[i], N);
		if (fnmatch(p, d, flags) == 0)
			return true;
	}
	return false;
}

/* The pattern of w from its path's start, "." and ".." taken by the words
 * (from the end: ".." drops the component before it), into out (room for
 * w->n + 3 bytes); false when more than BUILT_DEPTH components remain. */
static bool normalise(const struct word *w, char *out, size_t *nout)
{
	const char *p = w->pat + w->start;
	size_t len = w->n - w->start, e = len, skip = 0, nk = 0, kb[BUILT_DEPTH], kl[BUILT_DEPTH];

	while (e > 0) {
		size_t b;

		while (e > 0 && p[e - 1] == '/')
			e--;
		b = e;
		while (b > 0 && p[b - 1] != '/')
			b--;
		if (e - b == 2 && p[b] == '.' && p[b + 1] == '.')
			skip++;
		else if (e - b == 1 && p[b] == '.')
			;
		else if (e > b && skip)
			skip--;
		else if (e > b) {
			if (nk == BUILT_DEPTH)
				return false;
			kb[nk] = b;
			kl[nk++] = e - b;
		}
		e = b;
	}
	*nout = 0;
	/* what ".." climbed out of an expansion ("$x/../dev/fd/3") is
	 * unknown: any start */
	if (nk && p[0] != '/' && kb[nk - 1] != 0)
		out[(*nout)++] = '*';
	for (size_t i = nk; i-- > 0;) {
		/* a path that starts with an expansion ("$d/3") starts where
		 * its value does: no slash before it */
		if (i != nk - 1 || p[0] == '/' || kb[nk - 1] != 0)
			out[(*nout)++] = '/';
		memcpy(out + *nout, p + kb[i], kl[i]);
		*nout += kl[i];
	}
	if (!*nout)
		out[(*nout)++] = '/';
	out[*nout] = '\0';
	return true;
}

/* Could pattern p (NUL-terminated) start as a path to an fd does? Its
 * literal text before its first wildcard against "/dev/" and "/proc/". */
static bool prefix_fits(const char *p)
{
	static const char *const roots[] = { "/dev/fd", "/dev/std", "/proc/" };
	char lit[8];
	size_t n = 0;

	for (; *p && *p != '*' && *p != '?' && *p != '[' && n < sizeof(lit); p++) {
		if (*p == '\\' && p[1])
			p++;
		lit[n++] = *p;
	}
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		size_t k = strlen(roots[i]) < n ? strlen(roots[i]) : n;

		if (!memcmp(lit, roots[i], k))
			return true;
	}
	return false;
}

/* Is path (literal), or the directory it is in, one of cand? */
static bool dir_is(char *path, char cand[][64], size_t k)
{
	char *slash;

	for (size_t i = 0; i < k; i++)
		if (!strcmp(path, cand[i]))
			return true;
	slash = strrchr(path, '/');
	if (!slash || slash == path)
		return false;
	/* /dev/fd/4 names fd 4, a literal path (mw__proc_arg_fd()): not the
	 * directory, whatever fd 4 is */
	if (slash[1] && strspn(slash + 1, "0123456789") == strlen(slash + 1))
		return false;
	*slash = '\0';
	for (size_t i = 0; i < k; i++)
		if (!strcmp(path, cand[i]))
			return true;
	return false;
}

/* The fd the word w names (of fds, or any of 0..BUILT_FDS-1 with fds
 * NULL), or -1. scratch: room for w->n + 3 bytes. *budget: the words
 * still to match as patterns; past it, a word that may be one counts.
 * cand: the k directories of fds (candidates()). */
static int word_fd(struct word *w, pid_t pid, const int *fds, size_t nfds, char *scratch, unsigned *budget,
		   char cand[][64], size_t k)
{
	size_t np;
	int first = fds ? fds[0] : 0, fl = fnm_flags(w);
	char *slash;

	if (!w->started || !(w->built || w->fd) || !normalise(w, scratch, &np))
		return -1;
	if (!w->built) /* "cd /dev/fd", "/dev/fd/" + n: the directory named */
		return (!strncmp(scratch, "/dev/fd", 7) || !strncmp(scratch, "/proc/", 6)) &&
				       (strstr(scratch, "/fd/") || (np >= 3 && !strcmp(scratch + np - 3, "/fd"))) &&
				       dir_is(scratch, cand, k)
			       ? first
			       : -1;
	if (!prefix_fits(scratch))
		return -1;
	if (!*budget || np > BUILT_PATTERN_MAX)
		return first; /* more such words than are read, or longer: one may be it */
	(*budget)--;
	/* a directory of fds, or a path in one (not a pattern that would
	 * match any directory) */
	if (matches_any(scratch, cand, k, fl) && !generic(scratch, -1, fl))
		return first;
	/* a path to one of the fds asked about (by its number: /dev/fd/[3]) */
	for (size_t i = 0; i < (fds ? nfds : BUILT_FDS) && i < BUILT_FDS; i++) {
		int fd = fds ? fds[i] : (int)i;
		char c2[9][64];
		size_t k2;

		candidates(pid, fd, c2, &k2);
		if (matches_any(scratch, c2, k2, fl) && !generic(scratch, fd, fl))
			return fd;
	}
	slash = strrchr(scratch, '/');
	if (slash && slash > scratch) {
		*slash = '\0';
		if (matches_any(scratch, cand, k, fl) && !generic(scratch, -1, fl))
			return first;
	}
	return -1;
}

/* A wildcard ch ("?", "*", "[") into w's pattern as fnmatch(3) reads it;
 * expands: it stands for what an expansion gave (slashes too). */
static void raw(struct word *w, char ch, bool expands)
{
	if (!w->started) {
		w->start = w->n;
		w->started = true;
	}
	if (ch != '*' || !w->n || w->pat[w->n - 1] != '*' || (w->n > 1 && w->pat[w->n - 2] == '\\'))
		w->pat[w->n++] = ch;
	w->built = true;
	w->expands |= expands;
}

/* The end of the escape at arg[i] ('\\') inside $'...': \NNN (3 octal
 * digits), \xHH, \uHHHH, \UHHHHHHHH, else the one character after. */
static size_t escape_end(const char *arg, size_t len, size_t i)
{
	char k = arg[i + 1];
	bool oct = k >= '0' && k <= '7';
	size_t e = i + 2, most = oct ? 3 : k == 'x' ? 2 : k == 'u' ? 4 : k == 'U' ? 8 : 0;

	for (size_t d = oct ? 1 : 0; d < most && e < len; d++, e++) {
		char h = arg[e];

		if (!(oct ? (h >= '0' && h <= '7')
			  : ((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F'))))
			break;
	}
	return e;
}

/* $'...' (bash, busybox) at arg[i]: its text into w, each escape one
 * character, any, a slash too ($'\x2fdev\x2ffd\x2f3'). The index of its
 * closing quote (or len). */
static size_t ansi_c_quote(struct word *w, const char *arg, size_t len, size_t i)
{
	for (i += 2; i < len && arg[i] != '\''; i++) {
		if (arg[i] == '\\' && i + 1 < len) {
			raw(w, '?', true);
			i = escape_end(arg, len, i) - 1;
		} else {
			lit(w, arg[i]);
		}
	}
	return i;
}

/* A brace list at arg[i] ('{'): {3,}, {1..5}, as "*" into w; a longer one
 * than BUILT_BRACE_MAX, or none, as text, so that no "{" costs more than
 * that (*no_close: no "}" closes one before it). The index of its last
 * byte. */
static size_t brace_list(struct word *w, const char *arg, size_t len, size_t i, size_t *no_close)
{
	size_t e = i + 1 > *no_close ? i + 1 : *no_close;

	while (e < len && e - i < BUILT_BRACE_MAX && arg[e] != '}' && !ends_word(arg[e]))
		e++;
	if (e == len || arg[e] != '}')
		*no_close = e; /* a later "{" looks past e only */
	if (e < len && arg[e] == '}' && (memchr(arg + i, ',', e - i) || memmem(arg + i, e - i, "..", 2))) {
		star(w);
		return e;
	}
	lit(w, arg[i]);
	return i;
}

/* Is ch, outside quotes, text that only goes into the word as it is (no
 * quote, escape, expansion, wildcard, brace, tilde, word end (ends_word()),
 * slash, NUL, or the "f" and "s" of "fd" and "std")? Runs of them are
 * copied at once. */
static bool plain(char ch)
{
	static const bool special[256] = {
		[0] = true,   ['\''] = true, ['"'] = true, ['\\'] = true, ['$'] = true, ['`'] = true, ['*'] = true,
		['?'] = true, ['['] = true,  ['{'] = true, ['~'] = true,  ['/'] = true, ['f'] = true, ['s'] = true,
	};

	return !special[(unsigned char)ch] && !ends_word(ch);
}

int mw__proc_arg_built_fd(const char *arg, size_t len, pid_t pid, const int *fds, size_t nfds, unsigned *budget)
{
	char small[2 * 512 + 4], *buf;
	struct word w = { 0 };
	bool sq = false, dq = false;
	size_t no_close = 0; /* no "}" closes a brace list before this */
	char dirs[9][64];
	size_t ndirs;
	int fd = -1;

	if (!len || (fds && !nfds))
		return -1;
	buf = 2 * len + 4 <= sizeof(small) / 2 ? small : malloc(2 * (2 * len + 4));
	if (!buf)
		return -1;
	w.pat = buf;
	candidates(pid, -1, dirs, &ndirs);
	for (size_t i = 0; i <= len && fd < 0; i++) {
		char ch = i < len ? arg[i] : ' ';

		if ((ch == 'f' && i + 1 < len && arg[i + 1] == 'd') || (ch == 's' && len - i >= 3 && !memcmp(arg + i, "std", 3)))
			w.fd = true;
		if (!sq && !dq && i < len && plain(ch)) {
			size_t j = i + 1;

			while (j < len && plain(arg[j]))
				j++;
			memcpy(w.pat + w.n, arg + i, j - i);
			w.n += j - i;
			i = j - 1;
		} else if (sq) { /* '...': as it is */
			if (ch == '\'')
				sq = false;
			else if (i < len)
				lit(&w, ch);
		} else if (i == len || (!dq && ends_word(ch))) {
			w.pat[w.n] = '\0';
			fd = word_fd(&w, pid, fds, nfds, buf + 2 * len + 4, budget, dirs, ndirs);
			w = (struct word){ .pat = buf };
		} else if (!dq && ch == '$' && i + 1 < len && arg[i + 1] == '\'') {
			i = ansi_c_quote(&w, arg, len, i);
		} else if (!dq && ch == '~' && w.n == 0) {
			/* ~, ~user: a home directory (sys's is /dev) */
			while (i + 1 < len && arg[i + 1] != '/' && !ends_word(arg[i + 1]))
				i++;
			star(&w);
		} else if (ch == '\\' && i + 1 < len) {
			if (arg[++i] != '\n')
				lit(&w, arg[i]);
		} else if (ch == '\'' && !dq) {
			sq = true;
		} else if (ch == '"') {
			dq = !dq;
		} else if (ch == '$' || ch == '`') {
			size_t e = expansion_end(arg, len, i);

			if (e == i + 1 && ch == '$') {
				lit(&w, ch);
			} else {
				star(&w);
				i = e - 1;
			}
		} else if (!dq && (ch == '*' || ch == '?' || ch == '[')) {
			raw(&w, ch, false); /* a shell pattern, as fnmatch(3) reads it */
		} else if (!dq && ch == '{') {
			i = brace_list(&w, arg, len, i, &no_close);
		} else {
			lit(&w, ch);
		}
	}
	if (buf != small)
		free(buf);
	return fd;
}
