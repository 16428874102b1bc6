/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the audit --watch tests share: the clock they time events with, their
 * own check that the proc connector can be listened to, a median's compare,
 * and the copy of the test program into a memfd that the fileless processes
 * run.
 */
#ifndef MW_TEST_AUDIT_WATCH_H
#define MW_TEST_AUDIT_WATCH_H

#include "live.h"
#include "sys/shim.h"

#include <linux/connector.h>
#include <linux/netlink.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

/* Wall-clock seconds: the watch's JSON lines carry wall-clock times. */
static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Can this process listen to the proc connector? (the test's own check)
 * 0 or the errno of socket/bind. */
static inline int connector_error(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC };
	int s = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	int err = 0;

	if (s < 0)
		return errno;
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		err = errno;
	close(s);
	return err;
}

/* qsort order of doubles, for medians. */
static inline int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* In a child about to exec: a memfd (flags for memfd_create) holding a
 * copy of this program, mode 0755, or _exit(120/121) (no test checks can
 * run there). */
static inline int self_memfd(const char *name, unsigned int flags)
{
	int m = mw_sys_memfd_create(name, flags), self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (m < 0 || self < 0 || fstat(self, &st) < 0)
		_exit(120);
	for (off_t off = 0; off < st.st_size;)
		if (sendfile(m, self, &off, (size_t)(st.st_size - off)) <= 0)
			_exit(121);
	close(self);
	fchmod(m, 0755);
	return m;
}

#endif
