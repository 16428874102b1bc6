/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `memward secret check`: whole-buffer I/O with a timeout (protocol.h). */
#include "protocol.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

int sc_read_full(int fd, void *buf, size_t n, int timeout_ms)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = timeout_ms >= 0 ? poll(&p, 1, timeout_ms) : 1;
		ssize_t k;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		k = read(fd, (char *)buf + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -EPIPE;
		got += (size_t)k;
	}
	return 0;
}

int sc_write_full(int fd, const void *buf, size_t n)
{
	size_t put = 0;

	while (put < n) {
		ssize_t k = write(fd, (const char *)buf + put, n - put);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		put += (size_t)k;
	}
	return 0;
}



