/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small internal helpers: file I/O on procfs/sysfs, parsers, logging. */
#include "core/internal.h"
#include "sys/shim.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <memward/common.h>
#include <memward/features.h>

void mw__closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
		*fd = -1;
	}
}

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static mw_log_fn log_fn;
static void *log_ctx;

/* A child of fork() has one thread: log_lock, which another thread of the
 * parent may have held at the fork, is made anew there (else the child's
 * first message, such as a secret heap's error, waited for ever: red-team
 * round 3). Not taken in a prepare handler: a thread holding another lock
 * of the library while logging would then deadlock the fork. */
static void log_after_fork(void)
{
	pthread_mutex_init(&log_lock, NULL);
}

__attribute__((constructor)) static void log_atfork(void)
{
	pthread_atfork(NULL, NULL, log_after_fork);
}

MW_API void mw_set_log(mw_log_fn fn, void *ctx)
{
	pthread_mutex_lock(&log_lock);
	log_fn = fn;
	log_ctx = ctx;
	pthread_mutex_unlock(&log_lock);
}

void mw__log(int level, const char *fmt, ...)
{
	mw_log_fn fn;
	void *ctx;
	char msg[512];
	va_list ap;
	int saved = errno;

	pthread_mutex_lock(&log_lock);
	fn = log_fn;
	ctx = log_ctx;
	pthread_mutex_unlock(&log_lock);
	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fn(level, msg, ctx);
	errno = saved;
}

MW_API const char *mw_version(void)
{
	return MW_VERSION_STRING;
}

MW_API const char *mw_errno_name(int err)
{
	if (err < 0)
		err = -err;
	return strerrorname_np(err);
}

ssize_t mw__read_file(const char *path, char *buf, size_t size)
{
	MW_AUTOCLOSE int fd = -1;
	size_t len = 0;

	if (!buf || size == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	while (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	return (ssize_t)len;
}

/* O_TRUNC as a shell's `>` does: no effect on sysfs, procfs or debugfs
 * files, and a fake sysfs of regular files (MEMWARD_TEST_SYSROOT) sees a
 * second, shorter write whole. */
int mw__write_file(const char *path, const char *text)
{
	MW_AUTOCLOSE int fd = -1;
	size_t len = strlen(text);
	ssize_t n;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

const char *mw__sysroot(void)
{
	const char *r = secure_getenv("MEMWARD_TEST_SYSROOT");

	return r && r[0] == '/' ? r : "";
}

int mw__parse_long(const char *text, long *out)
{
	char *end;
	long v;

	if (!text || !*text || isspace((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	v = strtol(text, &end, 0);
	if (errno || end == text)
		return -EINVAL;
	while (*end == '\n' || *end == ' ')
		end++;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

bool mw__list_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	if (!list || n == 0)
		return false;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == ' '))
			len--;
		if (len == n && memcmp(p, name, n) == 0)
			return true;
		if (!end)
			break;
		p = end + 1;
	}
	return false;
}

unsigned int mw__parse_damon_ops(const char *text)
{
	unsigned int ops = 0;
	const char *p = text;

	while (p && *p) {
		size_t len;

		while (*p && isspace((unsigned char)*p))
			p++;
		len = 0;
		while (p[len] && !isspace((unsigned char)p[len]))
			len++;
		if (len == 5 && !memcmp(p, "vaddr", 5))
			ops |= MW_DAMON_OPS_VADDR;
		else if (len == 6 && !memcmp(p, "fvaddr", 6))
			ops |= MW_DAMON_OPS_FVADDR;
		else if (len == 5 && !memcmp(p, "paddr", 5))
			ops |= MW_DAMON_OPS_PADDR;
		p += len;
	}
	return ops;
}

static const char *status_field(const char *status, const char *key)
{
	size_t klen = strlen(key);
	const char *p = status;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			p += klen + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

int mw__parse_status_hex(const char *status, const char *key, uint64_t *out)
{
	const char *p = status_field(status, key);
	char *end;
	unsigned long long v;

	if (!p)
		return -ENOENT;
	errno = 0;
	v = strtoull(p, &end, 16);
	if (errno || end == p || (*end && *end != '\n'))
		return -EINVAL;
	*out = v;
	return 0;
}

int mw__parse_status_long(const char *status, const char *key, long *out)
{
	const char *p = status_field(status, key);
	char *end;
	long v;

	if (!p)
		return -ENOENT;
	errno = 0;
	v = strtol(p, &end, 10);
	if (errno || end == p || (*end && *end != '\n'))
		return -EINVAL;
	*out = v;
	return 0;
}

bool mw__cap_effective(int cap)
{
	char st[4096];
	uint64_t caps;

	/* One system call; the secret heap asks at every growth past
	 * RLIMIT_MEMLOCK, where reading /proc/self/status was an open, two
	 * reads and a close each time. /proc where a sandbox refuses it. */
	if (mw_sys_capget_effective(&caps) == 0)
		return (caps >> cap) & 1;
	if (mw__read_file("/proc/self/status", st, sizeof(st)) < 0 ||
	    mw__parse_status_hex(st, "CapEff", &caps) < 0)
		return false;
	return (caps >> cap) & 1;
}

ssize_t mw__read_grow(int fd, char **bufp, size_t *capp, size_t max)
{
	size_t len = 0;

	for (;;) {
		ssize_t n;

		if (*capp - len < 4096) {
			size_t cap = *capp ? *capp * 2 : 16384;
			char *nb = realloc(*bufp, cap);

			if (!nb)
				return -ENOMEM;
			*bufp = nb;
			*capp = cap;
		}
		n = read(fd, *bufp + len, *capp - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
		if (max && len > max)
			return -EFBIG;
	}
	(*bufp)[len] = '\0';
	return (ssize_t)len;
}

char *mw__read_fd_alloc(int fd, size_t max, size_t *lenp)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n = mw__read_grow(fd, &buf, &cap, max);

	if (n < 0) {
		free(buf);
		errno = (int)-n;
		return NULL;
	}
	if (lenp)
		*lenp = (size_t)n;
	return buf;
}
