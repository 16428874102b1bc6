/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memfd inspection through /proc. See include/memward/inspect.h. */
#include <memward/features.h>
#include <memward/inspect.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/internal.h"
#include "core/seals.h"
#include "sys/shim.h"

#define MEMFD_PREFIX "/memfd:"
#define SECRETMEM_LINK "/secretmem (deleted)"
#define DELETED_SUFFIX " (deleted)"

/* One /proc/PID/maps line that names a memfd or secretmem. */
struct map_line {
	uint64_t start, end, offset, inode;
	unsigned int major, minor;
	char perms[5];
	char path[300];
	bool claimed; /* matched to an fd entry */
};

struct maps {
	struct map_line *v;
	size_t n, cap;
};

static bool is_memfd_path(const char *p)
{
	return !strncmp(p, MEMFD_PREFIX, strlen(MEMFD_PREFIX)) || !strcmp(p, SECRETMEM_LINK);
}

/* Read a whole /proc file of unknown size. Returns a malloc'd string or NULL
 * with errno set. */
static char *read_all(const char *path)
{
	MW_AUTOCLOSE int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	return mw__read_fd_alloc(fd, 0, NULL);
}

static int parse_maps(pid_t pid, struct maps *m)
{
	char path[64], *text, *line, *save = NULL;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	text = read_all(path);
	if (!text)
		return -errno;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct map_line ml = { 0 };
		int pos = -1;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 " %n",
			   &ml.start, &ml.end, ml.perms, &ml.offset, &ml.major, &ml.minor, &ml.inode,
			   &pos) < 7 || pos < 0)
			continue;
		if (!is_memfd_path(line + pos))
			continue;
		snprintf(ml.path, sizeof(ml.path), "%s", line + pos);
		if (m->n == m->cap) {
			size_t cap = m->cap ? m->cap * 2 : 16;
			struct map_line *nv = realloc(m->v, cap * sizeof(*nv));

			if (!nv) {
				free(text);
				return -ENOMEM;
			}
			m->v = nv;
			m->cap = cap;
		}
		m->v[m->n++] = ml;
	}
	free(text);
	return 0;
}

/* "/memfd:NAME (deleted)" -> "NAME". */
static void name_from_link(const char *link, struct mw_inspect_entry *e)
{
	size_t len, slen = strlen(DELETED_SUFFIX);

	if (!strcmp(link, SECRETMEM_LINK)) {
		e->kind = MW_INSPECT_SECRETMEM;
		e->name[0] = '\0';
		return;
	}
	e->kind = MW_INSPECT_MEMFD;
	link += strlen(MEMFD_PREFIX);
	len = strlen(link);
	if (len >= slen && !strcmp(link + len - slen, DELETED_SUFFIX))
		len -= slen;
	if (len >= sizeof(e->name))
		len = sizeof(e->name) - 1;
	memcpy(e->name, link, len);
	e->name[len] = '\0';
}

/* Open the file behind a /proc link for F_GET_SEALS; fall back to
 * pidfd_getfd(2) (5.6+, needs ptrace rights) when the open is refused,
 * e.g. for a memfd whose mode has no read bit for us. */
static int open_target(pid_t pid, const char *link_path, int fd)
{
	int r = open(link_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (r >= 0 || fd < 0)
		return r;
	{
		int saved = errno;
		MW_AUTOCLOSE int pidfd = mw_sys_pidfd_open(pid, 0);

		if (pidfd >= 0) {
			r = mw_sys_pidfd_getfd(pidfd, fd, 0);
			if (r >= 0)
				return r;
		}
		errno = saved;
	}
	return -1;
}

static void analyse_exec(struct mw_inspect_entry *e)
{
	e->exec_seal_supported = mw_feature_state(MW_FEAT_SEAL_EXEC) == MW_FEATURE_SUPPORTED;
	if (e->mode < 0) {
		e->exec_possible = -1;
		snprintf(e->exec_text, sizeof(e->exec_text), "unknown (mode unreadable)");
		return;
	}
	e->exec_bits = e->mode & 0111;
	if (e->kind == MW_INSPECT_SECRETMEM) {
		e->exec_possible = e->exec_bits;
		snprintf(e->exec_text, sizeof(e->exec_text), "%s",
			 e->exec_bits ? "yes: exec bits set" : "no: secret memory, mode cannot change");
		return;
	}
	if (e->seals < 0) {
		e->exec_possible = e->exec_bits ? 1 : -1;
		snprintf(e->exec_text, sizeof(e->exec_text), "%s",
			 e->exec_bits ? "yes: exec bits set (seals unknown)"
				      : "unknown: no exec bit, seals unreadable");
		return;
	}
	e->exec_sealed = e->seals & F_SEAL_EXEC;
	e->write_sealed = e->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE);
	if (e->exec_bits) {
		e->exec_possible = 1;
		snprintf(e->exec_text, sizeof(e->exec_text), "%s",
			 e->exec_sealed ? "yes: exec bits set and frozen (F_SEAL_EXEC)"
			 : e->exec_seal_supported ? "yes: exec bits set, not exec-sealed"
						  : "yes: exec bits set (exec seal unsupported)");
	} else if (e->exec_sealed) {
		e->exec_possible = 0;
		snprintf(e->exec_text, sizeof(e->exec_text), "no: no exec bit, frozen (F_SEAL_EXEC)");
	} else {
		e->exec_possible = 1;
		snprintf(e->exec_text, sizeof(e->exec_text), "%s",
			 e->exec_seal_supported ? "after chmod: no exec bit, not exec-sealed"
						: "after chmod: no exec bit (exec seal unsupported)");
	}
}

/* Fill everything but the mappings from a /proc link (fd or map_files). */
static void fill_entry(pid_t pid, const char *link_path, const char *link, int fd,
		       struct mw_inspect_entry *e)
{
	struct stat st;

	e->fd = fd;
	e->size = -1;
	e->mode = -1;
	e->fd_access = -1;
	e->seals = -1;
	name_from_link(link, e);
	if (stat(link_path, &st) == 0) {
		e->inode = st.st_ino;
		e->dev = st.st_dev;
		e->size = st.st_size;
		e->mode = (int)(st.st_mode & 07777);
	}
	if (fd >= 0) {
		char path[64], buf[512];
		const char *p;

		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
		if (mw__read_file(path, buf, sizeof(buf)) >= 0 && (p = strstr(buf, "flags:")))
			e->fd_access = (int)(strtoul(p + 6, NULL, 8) & O_ACCMODE);
	}
	if (e->kind == MW_INSPECT_SECRETMEM) {
		/* Seals are a shmem/hugetlbfs notion; secretmem has none. */
		e->seals_error = EINVAL;
		snprintf(e->seals_text, sizeof(e->seals_text), "n/a");
	} else {
		MW_AUTOCLOSE int tfd = open_target(pid, link_path, fd);
		struct stat tst;

		if (tfd < 0) {
			e->seals_error = errno;
		} else {
			if (e->mode < 0 && fstat(tfd, &tst) == 0) {
				e->inode = tst.st_ino;
				e->dev = tst.st_dev;
				e->size = tst.st_size;
				e->mode = (int)(tst.st_mode & 07777);
			}
			e->seals = fcntl(tfd, F_GET_SEALS);
			if (e->seals < 0)
				e->seals_error = errno;
		}
		if (e->seals >= 0)
			mw__seals_string((unsigned int)e->seals, e->seals_text, sizeof(e->seals_text));
		else
			snprintf(e->seals_text, sizeof(e->seals_text), "unknown");
	}
	analyse_exec(e);
}

static void add_mapping(struct mw_inspect_entry *e, struct map_line *ml)
{
	ml->claimed = true;
	e->mapped = true;
	e->map_read |= ml->perms[0] == 'r';
	e->map_write |= ml->perms[1] == 'w';
	e->map_exec |= ml->perms[2] == 'x';
	e->map_shared |= ml->perms[3] == 's';
	if (e->nmappings < MW_INSPECT_MAX_MAPPINGS) {
		struct mw_inspect_mapping *mp = &e->mappings[e->nmappings];

		mp->start = ml->start;
		mp->end = ml->end;
		mp->offset = ml->offset;
		memcpy(mp->perms, ml->perms, sizeof(mp->perms));
	}
	e->nmappings++;
}

/* Match mappings by inode and device (names are not unique). */
static void match_maps(struct mw_inspect_entry *e, struct maps *m)
{
	if (e->mode < 0)
		return;
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].inode == e->inode && m->v[i].major == major(e->dev) &&
		    m->v[i].minor == minor(e->dev))
			add_mapping(e, &m->v[i]);
}

static int push(struct mw_inspect_report *r, size_t *cap, struct mw_inspect_entry **out)
{
	if (r->count == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct mw_inspect_entry *nv = realloc(r->entries, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		r->entries = nv;
		*cap = ncap;
	}
	*out = &r->entries[r->count++];
	memset(*out, 0, sizeof(**out));
	return 0;
}

static int cmp_fd(const void *a, const void *b)
{
	const struct mw_inspect_entry *x = a, *y = b;

	return (x->fd > y->fd) - (x->fd < y->fd);
}

static int inspect_one(pid_t pid, int fd, struct maps *m, struct mw_inspect_report *r, size_t *cap)
{
	char path[64], link[PATH_MAX];
	struct mw_inspect_entry *e;
	ssize_t n;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return errno == ENOENT ? -EBADF : -errno;
	link[n] = '\0';
	if (!is_memfd_path(link))
		return -EMEDIUMTYPE;
	ret = push(r, cap, &e);
	if (ret < 0)
		return ret;
	fill_entry(pid, path, link, fd, e);
	match_maps(e, m);
	return 0;
}

/* Memfds that are mapped but no longer open: one entry per inode. */
static int add_mapped_only(pid_t pid, struct maps *m, struct mw_inspect_report *r, size_t *cap)
{
	for (size_t i = 0; i < m->n; i++) {
		struct map_line *ml = &m->v[i];
		struct mw_inspect_entry *e;
		char path[96];
		int ret;

		if (ml->claimed)
			continue;
		ret = push(r, cap, &e);
		if (ret < 0)
			return ret;
		/* map_files needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE;
		 * without it size, mode and seals stay unknown. */
		snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid,
			 ml->start, ml->end);
		fill_entry(pid, path, ml->path, -1, e);
		if (e->mode < 0) {
			e->inode = ml->inode;
			e->dev = makedev(ml->major, ml->minor);
			e->mode = -1;
		}
		for (size_t j = i; j < m->n; j++)
			if (!m->v[j].claimed && m->v[j].inode == ml->inode &&
			    m->v[j].major == ml->major && m->v[j].minor == ml->minor)
				add_mapping(e, &m->v[j]);
	}
	return 0;
}

MW_API int mw_inspect_pid(pid_t pid, int fd, struct mw_inspect_report *out)
{
	struct mw_inspect_report r = { .pid = pid };
	struct maps m = { 0 };
	char path[64];
	struct stat st;
	size_t cap = 0;
	int ret = 0;

	if (!out || pid <= 0)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (stat(path, &st) < 0)
		return errno == ENOENT ? -ESRCH : -errno;

	{
		DIR *d;
		struct dirent *de;

		/* Opening the directory first tells "no permission" apart
		 * from "no such fd". */
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
		d = opendir(path);
		if (!d) {
			ret = errno == ENOENT ? -ESRCH : (errno == EPERM || errno == EACCES) ? -EACCES : -errno;
			goto out;
		}
		ret = parse_maps(pid, &m);
		if (ret < 0) {
			r.maps_error = -ret;
			ret = 0;
		}
		if (fd >= 0) {
			closedir(d);
			ret = inspect_one(pid, fd, &m, &r, &cap);
			goto out;
		}
		while ((de = readdir(d))) {
			long n;

			if (de->d_name[0] == '.' || mw__parse_long(de->d_name, &n) < 0)
				continue;
			ret = inspect_one(pid, (int)n, &m, &r, &cap);
			if (ret == -EBADF || ret == -EMEDIUMTYPE || ret == -ENOENT || ret == -EACCES)
				ret = 0; /* closed meanwhile, or not a memfd */
			if (ret < 0)
				break;
		}
		closedir(d);
		if (ret < 0)
			goto out;
		qsort(r.entries, r.count, sizeof(*r.entries), cmp_fd);
		ret = add_mapped_only(pid, &m, &r, &cap);
	}
out:
	free(m.v);
	if (ret < 0) {
		free(r.entries);
		return ret;
	}
	*out = r;
	return 0;
}

MW_API void mw_inspect_report_free(struct mw_inspect_report *report)
{
	if (!report)
		return;
	free(report->entries);
	report->entries = NULL;
	report->count = 0;
}

MW_API const char *mw_inspect_kind_name(enum mw_inspect_kind kind)
{
	switch (kind) {
	case MW_INSPECT_MEMFD: return "memfd";
	case MW_INSPECT_SECRETMEM: return "secretmem";
	}
	return NULL;
}
