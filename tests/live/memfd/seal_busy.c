/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * F_SEAL_WRITE while a page of the memfd holds an extra reference: a pipe
 * that splice() filled from it. The kernel waits about 150 ms for the
 * reference to go, then refuses with EBUSY. mw_memfd_seal() (and the
 * library's own sealing: the exec copy, the share copy, through the same
 * mw__seals_add()) tries again: it succeeds when the reference goes within
 * its tries (here the pipe is drained 250 ms in), and gives -EBUSY, after
 * a bounded time, when it never does. Nothing here needs privilege.
 */
#include "live.h"

#include <fcntl.h>
#include <pthread.h>
#include <time.h>

#include <memward/memward.h>

#define PAGE 4096

struct drain {
	int rfd;
	int after_ms;
};

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void *drain_main(void *arg)
{
	struct drain *d = arg;
	struct timespec ts = { d->after_ms / 1000, (long)(d->after_ms % 1000) * 1000000L };
	char buf[PAGE];

	nanosleep(&ts, NULL);
	while (read(d->rfd, buf, sizeof(buf)) > 0)
		;
	return NULL;
}

/* A memfd with one written page, that page held by the pipe p. */
static int pinned_memfd(const char *name, int p[2])
{
	struct mw_memfd_opts o = { .sz = sizeof(o) };
	char page[PAGE];
	loff_t off = 0;
	int fd = mw_memfd_create(name, &o, NULL);

	REQUIRE(fd >= 0, "mw_memfd_create: %s", strerror(-fd));
	memset(page, 'x', sizeof(page));
	REQUIRE(write(fd, page, sizeof(page)) == PAGE, "write: %s", strerror(errno));
	REQUIRE(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0, "pipe2: %s", strerror(errno));
	REQUIRE(splice(fd, &off, p[1], NULL, PAGE, 0) == PAGE, "splice: %s", strerror(errno));
	return fd;
}

int main(void)
{
	struct drain d = { .after_ms = 250 };
	pthread_t t;
	double t0, dt;
	int p[2], q[2], fd, fd2, r;

	/* The kernel must count the pipe's reference, or there is nothing
	 * to test: a plain F_ADD_SEALS is refused while the pipe holds it. */
	fd = pinned_memfd("busy-probe", p);
	t0 = now_ms();
	r = fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE);
	dt = now_ms() - t0;
	if (r == 0)
		live_skip("this kernel sealed a memfd whose page a pipe holds (F_SEAL_WRITE did not wait for the "
			  "reference): no EBUSY to retry");
	REQUIRE(errno == EBUSY, "F_ADD_SEALS while pinned: %s (expected EBUSY)", strerror(errno));
	live_note("a plain F_ADD_SEALS(F_SEAL_WRITE) while a pipe holds the page: EBUSY after %.0f ms", dt);
	close(fd);
	close(p[0]);
	close(p[1]);

	/* The reference goes 250 ms in: mw_memfd_seal() seals. */
	fd = pinned_memfd("busy-drained", p);
	d.rfd = p[0];
	REQUIRE(pthread_create(&t, NULL, drain_main, &d) == 0, "pthread_create");
	t0 = now_ms();
	r = mw_memfd_seal(fd, MW_SEAL_WRITE);
	dt = now_ms() - t0;
	pthread_join(t, NULL);
	CHECK(r >= 0 && (r & MW_SEAL_WRITE), "mw_memfd_seal(WRITE) with the pipe drained 250 ms in: %s after %.0f ms",
	      r < 0 ? strerror(-r) : "sealed without WRITE", dt);
	CHECK(fcntl(fd, F_GET_SEALS) >= 0 && (fcntl(fd, F_GET_SEALS) & F_SEAL_WRITE), "F_SEAL_WRITE not set");
	live_note("mw_memfd_seal(WRITE), pipe drained 250 ms in: %s after %.0f ms", r >= 0 ? "sealed" : "failed",
		  dt);
	close(fd);
	close(p[0]);
	close(p[1]);

	/* The reference never goes: -EBUSY, in bounded time, nothing sealed. */
	fd2 = pinned_memfd("busy-held", q);
	t0 = now_ms();
	r = mw_memfd_seal(fd2, MW_SEAL_WRITE);
	dt = now_ms() - t0;
	CHECK(r == -EBUSY, "mw_memfd_seal(WRITE) with the page held throughout: %s (expected EBUSY)",
	      r < 0 ? strerror(-r) : "sealed");
	CHECK(dt < 5000, "mw_memfd_seal took %.0f ms to give up (its tries are bounded)", dt);
	CHECK(!(fcntl(fd2, F_GET_SEALS) & F_SEAL_WRITE), "F_SEAL_WRITE set though mw_memfd_seal failed");
	live_note("mw_memfd_seal(WRITE), page held throughout: %s after %.0f ms", r == -EBUSY ? "EBUSY" : "?", dt);
	close(fd2);
	close(q[0]);
	close(q[1]);
	return live_done();
}
