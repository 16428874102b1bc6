/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The watch's reading of an exec: whether its arguments name one of its
 * fds, what its BPF record says (a fileless executable, an interpreter
 * with a memfd on its standard input), the identity and the findings of a
 * process from its record alone, and whether a scan already covered it.
 * Used by watch.c.
 */
#include "audit/watch_rec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "proc/proc.h"

/* Do the arguments after the first (len bytes, NUL-separated) name an fd
 * of process pid as a file (/dev/fd/N: a script's interpreter run on a
 * file it holds, maybe a memfd)? Any pid number: the process may be in a
 * pid namespace of its own (the read that follows tells). A relative one
 * that may name an fd ("sh 3" in /proc/self/fd) is taken from its
 * working directory, read once: any such with relative (an interpreter's),
 * else only one after a program-file option (awk -f 3) or that goes
 * through "fd/", "std" or "cwd" ("proc/self/fd/3" in /, /proc/self/cwd/3).
 * A program file "-" (awk -f -) names fd 0. With interp (an
 * interpreter's), a path it builds counts too: a pattern or an expansion
 * that may name an fd, a directory of fds (mw__proc_arg_built_fd()). */
/* Relative words of an interpreter's text joined to its working directory
 * at an exec (the scan reads them all). */
#define WATCH_TEXT_WORDS 256

bool mw__watch_args_name_fd(int procfd, const char *buf, size_t len, pid_t pid, bool relative, bool interp)
{
	unsigned budget = MW__PROC_BUILT_BUDGET, words = 0;
	const char *a = memchr(buf, '\0', len), *end = buf + len, *prev = buf;
	char name[32], cwd[PATH_MAX];
	ssize_t ncwd = -1;
	size_t nprev = a ? (size_t)(a - buf) : 0;

	while (a && ++a < end) {
		const char *z = memchr(a, '\0', (size_t)(end - a));
		size_t n = z ? (size_t)(z - a) : (size_t)(end - a);
		pid_t other;

		if (mw__proc_arg_fd(a, n, pid, true, &other) >= 0 || mw__proc_arg_stdin_file(prev, nprev, a, n) >= 0 ||
		    (interp && mw__proc_arg_built_fd(a, n, pid, NULL, 0, &budget) >= 0))
			return true;
		/* a relative path inside an interpreter's text (". fd/3" in
		 * /dev): its words, up to WATCH_TEXT_WORDS of them joined */
		if (interp && n > 1) {
			for (size_t i = 0; i < n && words < WATCH_TEXT_WORDS;) {
				size_t j = i;

				while (j < n && !strchr(" \t\n\r;&|()<>'\"`,{}", a[j]))
					j++;
				/* any such word where the working directory may be
				 * one of fds; else one through "fd/" or "std" (the
				 * record cannot tell /dev: a mount's root) */
				if (j > i && a[i] != '/' && (i > 0 || j < n) &&
				    (relative || memmem(a + i, j - i, "fd/", 3) || memmem(a + i, j - i, "std", 3)) &&
				    mw__proc_arg_maybe_relative_fd(a + i, j - i)) {
					words++;
					if (ncwd < 0) {
						snprintf(name, sizeof(name), "%d/cwd", (int)pid);
						ncwd = readlinkat(procfd, name, cwd, sizeof(cwd));
						ncwd = ncwd < 0 ? 0 : ncwd;
					}
					/* only under /proc or /dev, or from "/", does one reach an fd */
					if (ncwd > 0 && (!strncmp(cwd, "/proc", 5) || !strncmp(cwd, "/dev", 4) || ncwd == 1) &&
					    mw__proc_arg_fd_at(cwd, (size_t)ncwd, a + i, j - i, pid, true, &other) >= 0)
						return true;
				}
				i = j + 1;
			}
		}
		if (mw__proc_arg_maybe_relative_fd(a, n) &&
		    (relative || mw__proc_arg_is_file_option(prev, nprev) || memmem(a, n, "fd/", 3) ||
		     memmem(a, n, "std", 3) || memmem(a, n, "cwd", 3))) {
			if (ncwd < 0) {
				snprintf(name, sizeof(name), "%d/cwd", (int)pid);
				ncwd = readlinkat(procfd, name, cwd, sizeof(cwd));
				ncwd = ncwd < 0 ? 0 : ncwd;
			}
			if (mw__proc_arg_fd_at(cwd, (size_t)ncwd, a, n, pid, true, &other) >= 0)
				return true;
		}
		prev = a;
		nprev = n;
		a = z;
	}
	return false;
}

/* Its exec record's arguments name one of its fds (relative ones that
 * go through "fd/" or "std", or any where its working directory was on
 * procfs or named "dev" at exec: "sh 3" in /proc/self/fd). */
bool mw__watch_rec_script(int procfd, const struct mw_exec_rec *r)
{
	size_t len = r->nargs < MW_EXEC_ARGS ? r->nargs : MW_EXEC_ARGS;

	return mw__watch_args_name_fd(procfd, r->args, len, (pid_t)r->pid, r->flags & MW_EXEC_CWD_FDS,
				      mw__proc_runs_interpreter(r->name, r->args, len));
}

/* The record holds the first MW_EXEC_ARGS bytes of the arguments only, or
 * none (the program's read of them faulted): the rest is read from
 * /proc/PID/cmdline. */
bool mw__watch_rec_args_cut(const struct mw_exec_rec *r)
{
	return r->nargs == 0 || r->nargs >= MW_EXEC_ARGS;
}

/* Do the record's arguments name its fd 0 as a file (/dev/stdin, awk -f
 * -)? */
static bool args_name_stdin(const struct mw_exec_rec *r)
{
	size_t len = r->nargs < MW_EXEC_ARGS ? r->nargs : MW_EXEC_ARGS;
	const char *a = memchr(r->args, '\0', len), *end = r->args + len, *prev = r->args;
	size_t nprev = a ? (size_t)(a - r->args) : 0;

	while (a && ++a < end) {
		const char *z = memchr(a, '\0', (size_t)(end - a));
		size_t n = z ? (size_t)(z - a) : (size_t)(end - a);
		pid_t other;

		if (mw__proc_arg_fd(a, n, (pid_t)r->pid, true, &other) == 0 ||
		    mw__proc_arg_stdin_file(prev, nprev, a, n) == 0)
			return true;
		prev = a;
		nprev = n;
		a = z;
	}
	return false;
}

/* An interpreter whose standard input was a memfd at its exec: by its
 * name, or a dynamic loader whose arguments name one (any loader whose
 * arguments the record does not hold whole: the program may be past
 * them). */
bool mw__watch_rec_stdin(const struct mw_exec_rec *r)
{
	if (!(r->flags & MW_EXEC_STDIN_MEMFD))
		return false;
	if (mw__proc_is_loader(r->name) && mw__watch_rec_args_cut(r))
		return true;
	return mw__proc_runs_interpreter(r->name, r->args, r->nargs < MW_EXEC_ARGS ? r->nargs : MW_EXEC_ARGS) ||
	       args_name_stdin(r);
}


/* The executable had no name in any filesystem at exec: a memfd, internal
 * shared memory, an unlinked or O_TMPFILE file. */
bool mw__watch_rec_fileless(const struct mw_exec_rec *r)
{
	return r->flags & (MW_EXEC_UNLINKED | MW_EXEC_INTERNAL);
}

/* The path /proc would show for the record's executable: "/NAME (deleted)"
 * on the internal mounts (simple_dname()); an unlinked file's directories
 * as the program walked them (".../" in front when there were more). An
 * executable with a name (a record kept for its stdin): the absolute path
 * it was exec'd by, else its name alone. */
static char *rec_exe_path(const struct mw_exec_rec *r)
{
	char buf[MW_EXEC_DEPTH * (MW_EXEC_COMP + 1) + MW_EXEC_NAME_MAX + sizeof(r->filename) + 32];
	size_t len = 0;

	buf[0] = '\0';
	if (!mw__watch_rec_fileless(r)) {
		if (r->filename[0] == '/' && memchr(r->filename, '\0', sizeof(r->filename)) &&
		    strncmp(r->filename, "/dev/fd/", 8) && strncmp(r->filename, "/proc/", 6))
			snprintf(buf, sizeof(buf), "%s", r->filename);
		else
			snprintf(buf, sizeof(buf), "%.*s", MW_EXEC_NAME_MAX, r->name);
		return strdup(buf);
	}
	if (!(r->flags & MW_EXEC_INTERNAL)) {
		if (r->flags & MW_EXEC_DIRS_CUT)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "...");
		for (unsigned int i = r->ndirs < MW_EXEC_DEPTH ? r->ndirs : MW_EXEC_DEPTH; i-- > 0;)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "/%.*s", MW_EXEC_COMP, r->dirs[i]);
	}
	snprintf(buf + len, sizeof(buf) - len, "/%s%s", r->name, MW_PROC_DELETED);
	return strdup(buf);
}

/* The identity of a process from its exec record alone (kept by rep), or
 * NULL (no memory). */
struct mw__audit_ident *mw__watch_rec_ident(struct mw__audit_report *rep, const struct mw_exec_rec *r)
{
	struct mw__audit_ident *id = calloc(1, sizeof(*id));

	if (!id)
		return NULL;
	id->pid = (pid_t)r->pid;
	id->uid = r->ruid;
	id->comm = strdup(r->comm);
	id->exe = rec_exe_path(r);
	id->cmdline = strdup("");
	id->cgroup = strdup("");
	id->container = strdup("");
	id->pod = strdup("");
	if (!id->comm || !id->exe || !id->cmdline || !id->cgroup || !id->container || !id->pod ||
	    mw__audit_keep_ident(rep, id) < 0) {
		mw__audit_ident_free(id);
		return NULL;
	}
	return id;
}

/* The finding about an interpreter started with a memfd on its standard
 * input (mw__watch_rec_stdin()) that exited before it could be read: what the scan
 * would say (src/audit/rules.c), from the record. 0 or -ENOMEM. */
int mw__watch_judge_stdin_record(struct mw__audit_report *rep, const struct mw_exec_rec *r)
{
	struct mw__audit_ident *id = mw__watch_rec_ident(rep, r);
	char object[MW_EXEC_NAME_MAX + 32], sn[128];
	struct mw_audit_finding *f;

	if (!id)
		return -ENOMEM;
	snprintf(object, sizeof(object), "/%.*s%s", MW_EXEC_NAME_MAX, r->stdin_name, MW_PROC_DELETED);
	mw__audit_seal_names(r->stdin_seals, sn, sizeof(sn));
	f = mw__audit_add(rep, id, MW_AUDIT_FILELESS_EXEC, MW_AUDIT_HIGH, object,
			  "an interpreter whose standard input is a memfd (seals: %s): it runs the program it "
			  "reads from memory (fileless execution), or is fed data that way",
			  sn);
	if (!f)
		return -ENOMEM;
	f->dev = makedev(r->stdin_dev >> 20, r->stdin_dev & 0xfffff);
	f->ino = r->stdin_ino;
	f->seals = r->stdin_seals;
	f->fd = 0;
	f->exec_record = true;
	return 0;
}

/* Was the exec of record r covered by what the scan found (a finding about
 * that pid's executable, the same inode)? The inode number alone: stat's
 * st_dev is not the superblock's s_dev on btrfs subvolumes and some
 * overlayfs setups. */
bool mw__watch_covered(const struct mw_audit_report *rep, const struct mw_exec_rec *r)
{
	for (size_t k = 0; rep && k < rep->nfindings; k++) {
		const struct mw_audit_finding *f = rep->findings[k];

		if (f->pid == (pid_t)r->pid && f->ino == r->ino &&
		    (f->kind == MW_AUDIT_FILELESS_EXEC || f->kind == MW_AUDIT_SEALED_EXEC))
			return true;
	}
	return false;
}

/* The same for the memfd on its standard input (mw__watch_rec_stdin()): any
 * finding about that pid and that inode. */
bool mw__watch_covered_stdin(const struct mw_audit_report *rep, const struct mw_exec_rec *r)
{
	for (size_t k = 0; rep && k < rep->nfindings; k++)
		if (rep->findings[k]->pid == (pid_t)r->pid && rep->findings[k]->ino == r->stdin_ino)
			return true;
	return false;
}
