/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scripts run from a memfd: the whole command line and environment of a
 * process that holds a memfd, and the memfds it holds at the fds they name
 * as files (/dev/fd/N and its kin, mw__proc_arg_fd()), or, for an
 * interpreter, at its standard input, marked for the rules (src/audit/rules.c:
 * fileless_exec). Called by mw__audit_proc_ident()
 * (proc.c), which keeps the command line's first bytes when asked.
 */
#include "audit/collect.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc/proc.h"

/* The whole of the current process's /proc/PID/NAME (cmdline, environ)
 * into *buf (grown, *cap bytes; up to MW__AUDIT_ARGS_MAX). Returns its
 * length, or -errno. */
static ssize_t read_all(struct mw__audit_collector *c, const char *name, char **buf, size_t *cap)
{
	char path[48];
	MW_AUTOCLOSE int fd = -1;
	size_t len = 0;

	if (c->dirfd >= 0) {
		fd = openat(c->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	} else {
		snprintf(path, sizeof(path), "%s/%s", c->pidname, name);
		fd = openat(c->env->procfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	}
	if (fd < 0)
		return -errno;
	for (;;) {
		size_t want;
		ssize_t n;

		if (len == *cap) {
			size_t ncap = *cap ? 2 * *cap : 4096;
			char *a;

			if (ncap > MW__AUDIT_ARGS_MAX || !(a = realloc(*buf, ncap)))
				break;
			*buf = a;
			*cap = ncap;
		}
		want = *cap - len;
		n = read(fd, *buf + len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if ((size_t)n < want) /* cmdline, environ fill a read up to their end */
			break;
	}
	return (ssize_t)len;
}

/* Does p hold a memfd (an fd, not only a mapping)? Its objects are read. */
static bool holds_memfd(const struct mw__audit_proc *p)
{
	for (size_t i = 0; i < p->nobjs; i++)
		if (p->objs[i].fd >= 0 && !p->objs[i].secret)
			return true;
	return false;
}

/* The object of the memfd p holds at fd (from every fd on a memfd that
 * was read, objs.c: no syscall), or NULL. */
static struct mw__audit_obj *own_memfd(struct mw__audit_collector *c, struct mw__audit_proc *p, int fd)
{
	size_t lo = 0, hi = c->nmemfds;

	if (!c->nmemfds || c->memfds[0].fd > fd)
		return NULL;
	/* in fd order: the fd walk and the BPF records go up */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->memfds[mid].fd < fd)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == c->nmemfds || c->memfds[lo].fd != fd) {
		/* not sorted after all: a linear look */
		for (lo = 0; lo < c->nmemfds && c->memfds[lo].fd != fd; lo++)
			;
		if (lo == c->nmemfds)
			return NULL;
	}
	for (size_t i = 0; i < p->nobjs; i++)
		if (p->objs[i].fd >= 0 && !p->objs[i].secret && p->objs[i].dev == c->memfds[lo].dev &&
		    p->objs[i].ino == c->memfds[lo].ino)
			return &p->objs[i];
	return NULL;
}

/* The current process's parent (its stat's fourth field), or 0. */
static pid_t parent_of(struct mw__audit_collector *c)
{
	char buf[1024], path[48];
	const char *q;
	int ppid;

	snprintf(path, sizeof(path), "%s/stat", c->pidname);
	if (mw__proc_read_at(c->env->procfd, path, buf, sizeof(buf)) <= 0)
		return 0;
	q = strrchr(buf, ')');
	return q && sscanf(q + 1, " %*c %d", &ppid) == 1 ? (pid_t)ppid : 0;
}

/* The object of the memfd p holds that is its parent's fd (a stat of a
 * /proc magic link: it walks no path of the process's), or NULL. */
static struct mw__audit_obj *parent_memfd(struct mw__audit_collector *c, struct mw__audit_proc *p, pid_t ppid,
					  int fd)
{
	char name[64];
	struct stat st;

	snprintf(name, sizeof(name), "%d/fd/%d", (int)ppid, fd);
	if (fstatat(c->env->procfd, name, &st, 0) < 0)
		return NULL;
	for (size_t i = 0; i < p->nobjs; i++)
		if (p->objs[i].fd >= 0 && !p->objs[i].secret && p->objs[i].dev == (uint64_t)st.st_dev &&
		    p->objs[i].ino == (uint64_t)st.st_ino)
			return &p->objs[i];
	return NULL;
}

/* The current process's working directory (its cwd link) into buf
 * (size bytes, NUL-terminated); its length, or 0 when unread. */
static size_t cwd_of(struct mw__audit_collector *c, char *buf, size_t size)
{
	char path[48];
	ssize_t n;

	if (c->dirfd >= 0) {
		n = readlinkat(c->dirfd, "cwd", buf, size - 1);
	} else {
		snprintf(path, sizeof(path), "%s/cwd", c->pidname);
		n = readlinkat(c->env->procfd, path, buf, size - 1);
	}
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return (size_t)n;
}

/* Is variable name (nname bytes) one whose value a shell expands before it
 * reads the file it names (BASH_ENV, ENV), and is that value (n bytes)
 * computed (a "$" or "`" in it: /dev/fd/$((1+2)), ${X})? Which file it
 * names, only the shell knows: any memfd the process holds may be it, when
 * it is an interpreter (a child that inherits the variable, sleep, is
 * not). */
static bool computed_rc(const char *name, size_t nname, const char *v, size_t n)
{
	if (!((nname == 8 && !memcmp(name, "BASH_ENV", 8)) || (nname == 3 && !memcmp(name, "ENV", 3))))
		return false;
	return memchr(v, '$', n) || memchr(v, '`', n);
}

/* qsort() order of ints. */
static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

#define MW__AUDIT_PARENT_FDS 1024

/* One walk of a process's arguments or environment (mark_scripts()). */
struct walk {
	struct mw__audit_collector *c;
	struct mw__audit_proc *p;
	bool env;               /* its environment: the values of its variables */
	bool interp;            /* it runs an interpreter */
	bool other_ns;          /* in a pid namespace of its own */
	bool cwd_read;
	bool fds_read;
	unsigned budget;        /* words left to read as patterns (mw__proc_arg_built_fd()) */
	unsigned relative_left; /* relative words of text left to join (text_relative_fd()) */
	size_t nfds;
	int fds[8];             /* the lowest fds of the memfds it holds, ascending */
	size_t ncwd;
	char cwd[PATH_MAX];     /* its working directory, read when first needed */
};

/* The lowest fds at which the process holds a memfd, ascending, into
 * w->fds (what a path its interpreter builds may name): from every fd on
 * a memfd that was read (c->memfds: no secret memory), no syscall. */
static void lowest_memfds(struct walk *w)
{
	const size_t room = sizeof(w->fds) / sizeof(w->fds[0]);

	w->nfds = 0;
	for (size_t i = 0; i < w->c->nmemfds; i++) {
		int fd = w->c->memfds[i].fd;
		size_t k;

		/* insertion into the sorted lowest "room" */
		for (k = w->nfds; k > 0 && w->fds[k - 1] > fd; k--)
			if (k < room)
				w->fds[k] = w->fds[k - 1];
		if (k < room) {
			w->fds[k] = fd;
			if (w->nfds < room)
				w->nfds++;
		}
	}
	w->fds_read = true;
}

/* The relative paths read from text, and the longest, that are joined to
 * the working directory for one process; past them such a word counts. */
#define TEXT_RELATIVE_MAX 256
#define TEXT_WORD_MAX 64

/* Does ch end a word of text (an interpreter's program: "cd /dev; . fd/3")? */
static bool text_sep(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == ';' || ch == '&' || ch == '|' ||
	       ch == '(' || ch == ')' || ch == '<' || ch == '>' || ch == '\'' || ch == '"' || ch == '`' ||
	       ch == ',' || ch == '{' || ch == '}';
}

static bool has_sep(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (text_sep(v[i]))
			return true;
	return false;
}

/* The fd a relative path inside an interpreter's text (v, n bytes: ". fd/3"
 * run in /dev, ". ./3" in /proc/self/fd, open("fd/3")) names from its
 * working directory, or -1. Only where that directory is under /proc or
 * /dev, or is "/": elsewhere no relative path reaches an fd. At most
 * TEXT_RELATIVE_MAX words joined (an attacker writes the text): past them,
 * such a word counts (the memfd at the lowest fd). */
static int text_relative_fd(struct walk *w, const char *v, size_t n, pid_t *other)
{
	if (!w->cwd_read)
		w->ncwd = cwd_of(w->c, w->cwd, sizeof(w->cwd));
	w->cwd_read = true;
	if (!w->ncwd || !(strncmp(w->cwd, "/proc", 5) == 0 || strncmp(w->cwd, "/dev", 4) == 0 || w->ncwd == 1))
		return -1;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		int fd;

		while (j < n && !text_sep(v[j]))
			j++;
		if (j > i && v[i] != '/' && mw__proc_arg_maybe_relative_fd(v + i, j - i)) {
			if (w->relative_left == 0 || j - i > TEXT_WORD_MAX) {
				if (!w->fds_read)
					lowest_memfds(w);
				return w->nfds ? w->fds[0] : -1;
			}
			w->relative_left--;
			fd = mw__proc_arg_fd_at(w->cwd, w->ncwd, v + i, j - i, w->p->id->pid, w->other_ns, other);
			if (fd >= 0)
				return fd;
		}
		i = j + 1;
	}
	return -1;
}

/* The fd the argument v (n bytes, after prev, nprev bytes), or the value v
 * of variable name (nname bytes), names as a file, or -1; *other: the pid
 * whose fd it is, 0 its own. */
static int names_fd(struct walk *w, const char *prev, size_t nprev, const char *name, size_t nname, const char *v,
		    size_t n, pid_t *other)
{
	int fd = mw__proc_arg_fd(v, n, w->p->id->pid, w->other_ns, other);

	if (fd < 0 && !w->env)
		fd = mw__proc_arg_stdin_file(prev, nprev, v, n); /* awk -f - */
	if (fd < 0 && w->env && w->interp && computed_rc(name, nname, v, n) && w->c->nmemfds)
		fd = w->c->memfds[0].fd; /* BASH_ENV='/dev/fd/$((1+2))' */
	/* an own fd that holds no memfd (a pipe's /dev/fd/63, or a reading
	 * that is not the shell's: $'/dev/fd/\63' read as fd 63) does not end
	 * the reading: the rules after may find the memfd it names */
	if (fd >= 0 && !*other && !w->other_ns && !own_memfd(w->c, w->p, fd))
		fd = -1;
	/* "sh 3" run in /proc/self/fd: from its working directory (an
	 * interpreter's, or a program file's: awk -f 3) */
	if (fd < 0 && mw__proc_arg_maybe_relative_fd(v, n) &&
	    (w->interp || (!w->env && mw__proc_arg_is_file_option(prev, nprev)) || memmem(v, n, "/cwd", 4))) {
		if (!w->cwd_read)
			w->ncwd = cwd_of(w->c, w->cwd, sizeof(w->cwd));
		w->cwd_read = true;
		fd = mw__proc_arg_fd_at(w->cwd, w->ncwd, v, n, w->p->id->pid, w->other_ns, other);
	}
	/* a relative path inside its text: ". fd/3" run in /dev */
	if (fd < 0 && !w->env && w->interp && n > 1 && has_sep(v, n))
		fd = text_relative_fd(w, v, n, other);
	/* a path the interpreter builds: ". /dev/fd/[3]", "cd /dev/fd"; in
	 * its environment, a directory of fds it searches or expands
	 * (PATH=/usr/bin:/dev/fd, HOME=/dev/fd, PERL5LIB=/dev/fd) */
	if (fd < 0 && w->interp) {
		if (!w->fds_read)
			lowest_memfds(w);
		*other = 0;
		fd = mw__proc_arg_built_fd(v, n, w->p->id->pid, w->fds, w->nfds, &w->budget);
	}
	return fd;
}

/*
 * Mark the memfds p holds at fds its arguments after the first
 * (NUL-separated, len bytes of buf), or with env the values of its
 * environment's variables, name as files (mw__proc_arg_fd()): a script
 * its interpreter runs from memory (src/audit/rules.c). Its own
 * fds are looked up among those read (no syscall, however many the
 * arguments name). Another process's fd counts when that process is its
 * parent (the usual "sh /proc/$PPID/fd/N") and it holds the same memfd: a
 * stat each, for the distinct fd numbers named, at most
 * MW__AUDIT_PARENT_FDS of them. A relative argument that may name an fd
 * ("3", "fd/3") is taken from its working directory, read once, where it
 * is an interpreter's (interp) or follows a program-file option (-f). In
 * a pid namespace of its own, where the numbers are not ours,
 * /proc/PID/fd/N is its own fd N, else its parent's.
 */
static void mark_scripts(struct mw__audit_collector *c, struct mw__audit_proc *p, const char *buf, size_t len,
			 bool env, bool interp)
{
	struct walk w = { .c = c, .p = p, .env = env, .interp = interp, .budget = MW__PROC_BUILT_BUDGET,
			  .relative_left = TEXT_RELATIVE_MAX,
			  .other_ns = p->pidns && c->env->self_ns && p->pidns != c->env->self_ns };
	const char *a = buf, *end = buf + len, *prev = NULL;
	int pfd[MW__AUDIT_PARENT_FDS];
	size_t npfd = 0, nprev = 0;
	pid_t ppid = -1;

	/* the arguments after the first; every variable's value */
	if (!env && (a = memchr(buf, '\0', len))) {
		prev = buf;
		nprev = (size_t)(a - buf);
		a++;
	}
	for (; a && a < end; a = memchr(a, '\0', (size_t)(end - a)), a = a ? a + 1 : NULL) {
		const char *z = memchr(a, '\0', (size_t)(end - a)), *v = a, *eq;
		size_t n = z ? (size_t)(z - a) : (size_t)(end - a);
		pid_t other = 0;
		int fd;
		struct mw__audit_obj *o = NULL;

		if (env) {
			if (!(eq = memchr(a, '=', n)))
				continue;
			v = eq + 1;
			n -= (size_t)(v - a);
		}
		fd = names_fd(&w, prev, nprev, a, env ? (size_t)(v - a - 1) : 0, v, n, &other);
		prev = v;
		nprev = n;
		if (fd < 0)
			continue;
		if (!other)
			o = own_memfd(c, p, fd);
		if (o && o->script_fd < 0) {
			char num[16];

			snprintf(num, sizeof(num), "%d", fd);
			o->script_fd = fd;
			o->script_env = env;
			o->script_exec = !env && p->id->comm && !strcmp(p->id->comm, num);
		}
		if (o || (!other && !w.other_ns))
			continue;
		/* another process's fd: its parent's? */
		if (ppid < 0)
			ppid = parent_of(c);
		if (ppid > 0 && (w.other_ns || other == ppid) && npfd < MW__AUDIT_PARENT_FDS)
			pfd[npfd++] = fd;
	}
	if (!npfd)
		return;
	qsort(pfd, npfd, sizeof(pfd[0]), cmp_int);
	for (size_t k = 0; k < npfd; k++) {
		struct mw__audit_obj *o;

		if (k && pfd[k] == pfd[k - 1])
			continue;
		o = parent_memfd(c, p, ppid, pfd[k]);
		if (o && o->script_fd < 0) {
			o->script_fd = o->fd;
			o->script_env = env;
		}
	}
}

/* Does the current process map an interpreter's file executable
 * (mw__proc_is_interpreter() on the path its maps show)? What a loader
 * run on one loads, however its arguments named it (ld.so /proc/self/fd/5
 * with fd 5 on /usr/bin/dash, a symlink of another name). Its maps are
 * read into c->envs. */
static bool maps_interpreter(struct mw__audit_collector *c)
{
	ssize_t len = read_all(c, "maps", &c->envs, &c->envs_cap);
	const size_t nd = strlen(MW_PROC_DELETED);
	const char *l, *end;

	if (len <= 0)
		return false;
	end = c->envs + len;
	for (l = c->envs; l < end;) {
		const char *nl = memchr(l, '\n', (size_t)(end - l)), *e = nl ? nl : end;
		const char *sp = memchr(l, ' ', (size_t)(e - l)), *path;
		char name[PATH_MAX];
		size_t n;

		l = e + 1;
		/* "start-end perms offset dev inode path": r-xp */
		if (!sp || e - sp < 5 || sp[3] != 'x' || !(path = memchr(sp, '/', (size_t)(e - sp))))
			continue;
		n = (size_t)(e - path);
		if (n > nd && !memcmp(e - nd, MW_PROC_DELETED, nd))
			n -= nd;
		if (n >= sizeof(name))
			continue;
		memcpy(name, path, n);
		name[n] = '\0';
		if (mw__proc_is_interpreter(name))
			return true;
	}
	return false;
}

/* Does a dynamic loader run as a command load an interpreter that one of
 * its arguments (args, len bytes) names by a link of /proc: an fd
 * (ld.so /proc/self/fd/5, fd 5 on /usr/bin/dash) or an exe
 * (/proc/PID/exe)? A readlink(2) of that link each: no path is walked. */
static bool loader_links_interpreter(struct mw__audit_collector *c, struct mw__audit_proc *p, const char *args,
				     size_t len)
{
	const char *a, *end;

	/* in a pid namespace of its own, its pid numbers are not ours */
	if (!args || !mw__proc_is_loader(p->id->exe) || (p->pidns && c->env->self_ns && p->pidns != c->env->self_ns))
		return false;
	a = memchr(args, '\0', len);
	end = args + len;
	while (a && ++a < end) {
		const char *z = memchr(a, '\0', (size_t)(end - a)), *arg = a;
		size_t n = z ? (size_t)(z - a) : (size_t)(end - a);
		char name[64], link[PATH_MAX], word[32];
		pid_t other = 0;
		int fd = mw__proc_arg_fd(arg, n, p->id->pid, false, &other), who, used = 0;
		ssize_t k;

		a = z;
		if (fd >= 0) {
			snprintf(name, sizeof(name), "%d/fd/%d", (int)(other ? other : p->id->pid), fd);
		} else if (n < sizeof(word)) {
			memcpy(word, arg, n);
			word[n] = '\0';
			if (sscanf(word, "/proc/%d/exe%n", &who, &used) != 1 || (size_t)used != n || who <= 0)
				continue;
			snprintf(name, sizeof(name), "%d/exe", who);
		} else {
			continue;
		}
		k = readlinkat(c->env->procfd, name, link, sizeof(link) - 1);
		if (k <= 0)
			continue;
		link[k] = '\0';
		if (k > (ssize_t)strlen(MW_PROC_DELETED) && !strcmp(link + k - strlen(MW_PROC_DELETED), MW_PROC_DELETED))
			link[k - strlen(MW_PROC_DELETED)] = '\0';
		if (mw__proc_is_interpreter(link))
			return true;
	}
	return false;
}

/* An interpreter (mw__proc_runs_interpreter(): a shell, python..., or a
 * dynamic loader run on one; or a process that maps one's file
 * executable) whose standard input is a memfd runs the program it reads
 * from there, as "sh < /dev/fd/3" does, with no argument naming it.
 * args: its arguments (len bytes), NULL if unread. */
static void mark_stdin(struct mw__audit_collector *c, struct mw__audit_proc *p, const char *args, size_t len)
{
	struct mw__audit_obj *o;

	if (!p->id->exe)
		return;
	o = own_memfd(c, p, 0);
	if (!o || o->script_fd >= 0)
		return;
	/* by its executable's name, a loader's arguments, or what it maps
	 * (read only for a memfd on stdin) */
	if (mw__proc_runs_interpreter(p->id->exe, args, len) || loader_links_interpreter(c, p, args, len) ||
	    maps_interpreter(c)) {
		o->script_fd = 0;
		o->script_stdin = true;
	}
}

ssize_t mw__audit_scripts(struct mw__audit_collector *c, struct mw__audit_proc *p)
{
	ssize_t len, elen;
	bool interp;

	if (!holds_memfd(p))
		return -ENOENT;
	/* all of it: arguments padded past what is shown must not hide one
	 * that names a memfd */
	len = read_all(c, "cmdline", &c->args, &c->args_cap);
	interp = p->id->exe && mw__proc_runs_interpreter(p->id->exe, len > 0 ? c->args : NULL, len > 0 ? (size_t)len : 0);
	if (len > 0)
		mark_scripts(c, p, c->args, (size_t)len, false, interp);
	mark_stdin(c, p, len > 0 ? c->args : NULL, len > 0 ? (size_t)len : 0);
	/* then an interpreter's environment (BASH_ENV=/dev/fd/3), where we
	 * may read it (the right to ptrace it): what it reads a program from
	 * (a library a variable names, LD_PRELOAD, shows in its maps) */
	if (interp && (elen = read_all(c, "environ", &c->envs, &c->envs_cap)) > 0)
		mark_scripts(c, p, c->envs, (size_t)elen, true, interp);
	return len;
}
