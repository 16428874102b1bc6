/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What an execve/execveat names and what the file behind it is, for the
 * supervisor. The file is judged on what it is (its mount, its filesystem),
 * not on its name: a memfd, an anonymous shared mapping and a SysV segment
 * are all files of the kernel's internal shmem mount, and /proc/PID/map_files
 * reopens the latter two as executable (0777) files.
 */
#include "policy/internal.h"
#include "proc/proc.h"
#include "sys/shim.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

static bool prefix(const char **s, const char *p)
{
	size_t n = strlen(p);

	if (strncmp(*s, p, n))
		return false;
	*s += n;
	return true;
}

/* "123/" -> 123, moving *s past the slash; -1 if not digits and a slash. */
static long number_dir(const char **s)
{
	char *end;
	long v;

	if (**s < '0' || **s > '9')
		return -1;
	v = strtol(*s, &end, 10);
	if (*end != '/' || v > INT_MAX)
		return -1;
	*s = end + 1;
	return v;
}

static void fd_number(const char *rest, struct mw__exec_path *out)
{
	char *end;
	long v;

	out->kind = MW__PATH_OTHER_PROC; /* "fd/x": not a number we can check */
	if (*rest < '0' || *rest > '9')
		return;
	v = strtol(rest, &end, 10);
	if (*end != '\0' || v > INT_MAX)
		return;
	out->kind = MW__PATH_FD;
	out->fd = (int)v;
}

/* Lexically: "//" and "/./" collapse. Only called for names without "..":
 * the kernel applies ".." after following the component before it, which
 * under /proc is a magic link (cwd, root, fd/N), so no lexical reading of
 * ".." is right there. A name that does not fit is cut short: it then
 * matches nothing and is refused by the caller's check of the kind. */
static void normalize(const char *path, char *out, size_t size)
{
	size_t len = 0;
	const char *p = path;

	out[0] = '\0';
	while (*p) {
		const char *e;
		size_t n;

		while (*p == '/')
			p++;
		e = strchrnul(p, '/');
		n = (size_t)(e - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (len + 1 + n < size) {
			out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
		} else {
			break;
		}
		out[len] = '\0';
		p = e;
	}
	if (len == 0 && size > 1)
		strcpy(out, "/");
}

/* Does the name have a ".." component? */
static bool has_dotdot(const char *path)
{
	for (const char *p = path; (p = strstr(p, "..")); p += 2)
		if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return true;
	return false;
}

void mw__policy_exec_path(const char *path, pid_t nspid, struct mw__exec_path *out)
{
	char norm[PATH_MAX];
	const char *rest = norm;
	bool other = false;
	long p;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	/* A name with "..": left to the resolver of plain names, which walks it
	 * as the kernel will and refuses any /proc magic link on the way
	 * ("/proc/self/cwd/../fd/N", "/proc/self/fd/D/../N"). */
	if (path[0] != '/' || has_dotdot(path))
		return;
	normalize(path, norm, sizeof(norm));
	if (prefix(&rest, "/dev/fd/")) {
		fd_number(rest, out);
		return;
	}
	if (!prefix(&rest, "/proc/"))
		return;
	if (!prefix(&rest, "self/") && !prefix(&rest, "thread-self/")) {
		p = number_dir(&rest);
		if (p < 0)
			return;
		other = p != nspid;
	}
	if (prefix(&rest, "task/") && number_dir(&rest) < 0)
		return;
	if (prefix(&rest, "fd/")) {
		fd_number(rest, out);
	} else if (!strncmp(rest, "map_files/", 10) || !strcmp(rest, "exe")) {
		out->kind = MW__PATH_PROC_FILE;
		if (strlen(rest) >= sizeof(out->sub))
			out->kind = MW__PATH_OTHER_PROC;
		else
			strcpy(out->sub, rest);
	} else {
		return; /* a plain file under /proc: not executable anyway */
	}
	if (other && out->kind != MW__PATH_PLAIN)
		out->kind = MW__PATH_OTHER_PROC;
}

dev_t mw__policy_shm_dev(void)
{
	struct stat st;
	int fd = mw_sys_memfd_create("memward-shm-probe", MFD_CLOEXEC);
	dev_t dev = 0;

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0)
		dev = st.st_dev;
	close(fd);
	return dev;
}

enum mw__file_kind mw__policy_file_kind(int fd, dev_t shm_dev)
{
	char link[64], target[PATH_MAX];
	struct statfs sfs;
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || fstatfs(fd, &sfs) < 0)
		return MW__FILE_OTHER;
	/* hugetlbfs: memfds and anonymous MAP_HUGETLB mappings live unlinked on
	 * the internal hugetlbfs mounts; F_SEAL_EXEC does not hold there. */
	if ((unsigned long)sfs.f_type == HUGETLBFS_MAGIC)
		return st.st_nlink == 0 ? MW__FILE_HUGETLB : MW__FILE_OTHER;
	/* Any other file without a name (O_TMPFILE, or unlinked while open) is
	 * as fileless as a memfd: nothing on disk shows what ran. */
	if ((unsigned long)sfs.f_type != TMPFS_MAGIC || (shm_dev && st.st_dev != shm_dev))
		return st.st_nlink == 0 ? MW__FILE_UNLINKED : MW__FILE_OTHER;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	if (shm_dev ? st.st_dev != shm_dev : st.st_nlink != 0)
		return MW__FILE_OTHER;
	/* "/memfd:NAME (deleted)"; the others show "/dev/zero (deleted)" or
	 * "/SYSV%08x (deleted)". */
	return mw__link_classify(target, strlen(target), NULL) == MW__LINK_MEMFD ? MW__FILE_MEMFD
										: MW__FILE_SHMEM;
}

pid_t mw__policy_ns_pid(pid_t pid)
{
	char path[64], status[4096], *line, *last, *tok, *save = NULL;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (mw__read_file(path, status, sizeof(status)) < 0)
		return pid;
	line = strstr(status, "\nNSpid:");
	if (!line)
		return pid;
	line += 7;
	*strchrnul(line, '\n') = '\0';
	last = NULL;
	for (tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
		last = tok;
	return last ? (pid_t)atoi(last) : pid;
}
