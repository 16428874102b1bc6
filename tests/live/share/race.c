/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Racing senders. A verified fd must really be immutable, whatever the sender
 * does after sending:
 *  1. The sender freezes and sends a memfd, then keeps trying to change it
 *     (write, pwrite, ftruncate, fallocate, a writable shared mapping, mprotect
 *     of a read-only one, chmod +x, more seals) while the receiver watches the
 *     contents through its verified fd and tries to write through it itself.
 *  2. The sender keeps a writable shared mapping and a thread writing into
 *     it: F_SEAL_WRITE fails for it (-EBUSY); it sends anyway. The default
 *     policy refuses the fd; the COPY mode returns a frozen snapshot that
 *     stays unchanged while the sender goes on writing.
 *  3. The producer preset (FUTURE_WRITE): a policy that asks only for it
 *     accepts the fd, the receiver cannot write, but the sender's old mapping
 *     still can; a policy that requires WRITE refuses it.
 */
#include "live.h"
#include "kernel.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <memward/memward.h>

#define SZ 65536
#define RACE_MS 300

static unsigned int sup;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int filled_memfd(char c)
{
	struct mw_memfd_opts o = { .sz = sizeof(o), .size = SZ };
	int fd = mw_memfd_create("race", &o, NULL);
	char *p;

	if (fd < 0)
		_exit(90);
	p = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		_exit(91);
	memset(p, c, SZ);
	munmap(p, SZ);
	return fd;
}

/* Every way to change a frozen memfd; returns how many succeeded. */
static int attack(int fd)
{
	int wins = 0;
	void *p;

	if (write(fd, "X", 1) > 0)
		wins++;
	if (pwrite(fd, "X", 1, 100) > 0)
		wins++;
	if (ftruncate(fd, SZ / 2) == 0 || ftruncate(fd, SZ * 2) == 0)
		wins++;
	if (fallocate(fd, 0, 0, SZ * 2) == 0)
		wins++;
	p = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED) {
		((char *)p)[0] = 'X';
		munmap(p, SZ);
		wins++;
	}
	p = mmap(NULL, SZ, PROT_READ, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED) {
		if (mprotect(p, SZ, PROT_READ | PROT_WRITE) == 0) {
			((char *)p)[1] = 'X';
			wins++;
		}
		munmap(p, SZ);
	}
	if ((sup & MW_SEAL_EXEC) && fchmod(fd, 0755) == 0)
		wins++;
	if (fcntl(fd, F_ADD_SEALS, 0) == 0) /* SEAL is set: even no-op adds fail */
		wins++;
	return wins;
}

static bool all(const char *p, char c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != c)
			return false;
	return true;
}

static void race_frozen(void)
{
	int sv[2], fd;
	pid_t pid;
	struct mw_share_result res = { .sz = sizeof(res) };
	struct mw_share_policy pol = {
		.sz = sizeof(pol), .flags = MW_SHARE_REQUIRE_MEMFD,
		.required_seals = MW_SEAL_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW | MW_SEAL_SEAL,
		.min_size = SZ, .max_size = SZ,
	};
	size_t len;
	char *view;
	long end;
	int checks = 0, rc;

	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	pid = fork();
	if (pid == 0) {
		int m = filled_memfd('A'), wins = 0;
		close(sv[0]);
		if (mw_memfd_seal(m, MW_SEALS_FROZEN & sup) < 0)
			_exit(92);
		if (mw_share_send(sv[1], m, NULL, 0) < 0)
			_exit(93);
		end = now_ms() + RACE_MS;
		while (now_ms() < end)
			wins += attack(m);
		_exit(wins ? 1 : 0);
	}
	close(sv[1]);
	fd = mw_share_recv(sv[0], &pol, NULL, 0, &res);
	REQUIRE(fd >= 0, "frozen memfd refused: %s", res.detail);
	view = mw_share_map_ro(fd, &len);
	REQUIRE(view && len == SZ, "map_ro: %s", strerror(errno));
	end = now_ms() + RACE_MS;
	while (now_ms() < end) {
		void *w;
		CHECK(all(view, 'A', SZ), "contents changed under the receiver");
		/* EBADF: the verified fd is our own read-only description. */
		CHECK(pwrite(fd, "R", 1, 0) < 0 && (errno == EPERM || errno == EBADF),
		      "receiver can write via its fd");
		w = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		CHECK(w == MAP_FAILED && (errno == EPERM || errno == EACCES),
		      "receiver got a writable shared mapping");
		if (w != MAP_FAILED)
			munmap(w, SZ);
		checks++;
		if (live_failures)
			break;
	}
	rc = live_wait(pid);
	CHECK(rc == 0, "the sender modified the frozen memfd after sending (exit %d)", rc);
	CHECK(all(view, 'A', SZ), "contents changed");
	live_note("frozen: %d receiver checks during %d ms of sender attacks, contents intact",
		  checks, RACE_MS);
	munmap(view, len);
	close(fd);
	close(sv[0]);
}

static int stop_writer; /* atomic */
static void *writer(void *arg)
{
	volatile char *p = arg;
	unsigned char c = 0;

	while (!__atomic_load_n(&stop_writer, __ATOMIC_ACQUIRE)) {
		p[(c * 251u) % SZ] = (char)('a' + (c % 26));
		c++;
	}
	return NULL;
}

/* The sender keeps writing through its mapping until the receiver says stop. */
static void race_mapped(bool copy)
{
	int sv[2], ack[2], fd;
	pid_t pid;
	struct mw_share_result res = { .sz = sizeof(res) };
	struct mw_share_policy pol = {
		.sz = sizeof(pol), .flags = MW_SHARE_REQUIRE_MEMFD | (copy ? MW_SHARE_COPY : 0),
		.required_seals = MW_SEAL_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW,
		.max_size = SZ,
	};

	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	REQUIRE(pipe2(ack, O_CLOEXEC) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		int m = filled_memfd('B');
		char *p = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
		pthread_t t;
		char c;

		close(sv[0]);
		close(ack[1]);
		if (p == MAP_FAILED || pthread_create(&t, NULL, writer, p))
			_exit(92);
		/* The lie: try to seal, fail, send anyway. */
		if (mw_memfd_seal(m, MW_SEAL_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW) != -EBUSY)
			_exit(93);
		if (mw_memfd_seal(m, MW_SEAL_SHRINK | MW_SEAL_GROW) < 0)
			_exit(94);
		if (mw_share_send(sv[1], m, NULL, 0) < 0)
			_exit(95);
		if (read(ack[0], &c, 1) < 0) /* the receiver is done */
			_exit(96);
		__atomic_store_n(&stop_writer, 1, __ATOMIC_RELEASE);
		pthread_join(t, NULL);
		_exit(0);
	}
	close(sv[1]);
	fd = mw_share_recv(sv[0], &pol, NULL, 0, &res);
	if (!copy) {
		CHECK(fd == -EPERM && res.reason == MW_SHARE_MISSING_SEALS,
		      "memfd under a live writable mapping accepted: %d %s", fd, res.detail);
	} else {
		char snap[SZ], again[SZ];
		REQUIRE(fd >= 0, "copy mode refused: %d %s", fd, res.detail);
		CHECK(res.copied, "not a copy");
		REQUIRE(pread(fd, snap, SZ, 0) == SZ, "read copy");
		usleep(50 * 1000); /* the sender's writer thread keeps going */
		REQUIRE(pread(fd, again, SZ, 0) == SZ, "read copy");
		CHECK(!memcmp(snap, again, SZ), "the copy changed while the sender wrote");
		CHECK(pwrite(fd, "R", 1, 0) < 0, "copy writable");
		close(fd);
	}
	REQUIRE(write(ack[1], "d", 1) == 1, "ack");
	CHECK(live_wait(pid) == 0, "mapped sender failed");
	close(ack[0]);
	close(ack[1]);
	close(sv[0]);
}

static void race_producer(void)
{
	int sv[2], ack[2], fd;
	pid_t pid;
	struct mw_share_result res = { .sz = sizeof(res) };
	struct mw_share_policy pol = {
		.sz = sizeof(pol), .flags = MW_SHARE_REQUIRE_MEMFD,
		.required_seals = MW_SEAL_FUTURE_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW,
	};
	int back[2];
	size_t len;
	char *view, c;

	if (!(sup & MW_SEAL_FUTURE_WRITE)) {
		live_note("producer race skipped: F_SEAL_FUTURE_WRITE (5.1) missing");
		return;
	}
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	REQUIRE(pipe2(ack, O_CLOEXEC) == 0 && pipe2(back, O_CLOEXEC) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		int m = filled_memfd('P');
		char *p = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);

		close(sv[0]);
		close(ack[1]);
		close(back[0]);
		if (p == MAP_FAILED || mw_memfd_seal(m, MW_SEALS_PRODUCER & sup) < 0)
			_exit(92);
		/* Twice: once for the refusing policy, once for the accepting one. */
		if (mw_share_send(sv[1], m, NULL, 0) < 0 || mw_share_send(sv[1], m, NULL, 0) < 0)
			_exit(93);
		if (read(ack[0], &c, 1) != 1)
			_exit(94);
		p[0] = 'Q'; /* the producer's old mapping still writes */
		if (write(back[1], "w", 1) != 1)
			_exit(95);
		_exit(0);
	}
	close(sv[1]);
	close(ack[0]);
	close(back[1]);
	{
		struct mw_share_policy strict = pol;
		strict.required_seals |= MW_SEAL_WRITE;
		fd = mw_share_recv(sv[0], &strict, NULL, 0, &res);
		CHECK(fd == -EPERM, "FUTURE_WRITE accepted where WRITE is required: %d", fd);
		if (fd >= 0)
			close(fd);
	}
	fd = mw_share_recv(sv[0], &pol, NULL, 0, &res);
	REQUIRE(fd >= 0, "producer memfd refused: %s", res.detail);
	CHECK(pwrite(fd, "R", 1, 0) < 0 && (errno == EPERM || errno == EBADF),
	      "receiver writes under FUTURE_WRITE");
	{
		void *w = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		CHECK(w == MAP_FAILED, "receiver maps writable under FUTURE_WRITE");
		if (w != MAP_FAILED)
			munmap(w, SZ);
	}
	view = mw_share_map_ro(fd, &len);
	REQUIRE(view, "map_ro");
	CHECK(view[0] == 'P', "initial contents");
	REQUIRE(write(ack[1], "g", 1) == 1, "ack");
	close(ack[1]);
	/* Wait for the producer's write. */
	REQUIRE(read(back[0], &c, 1) == 1, "producer did not write");
	CHECK(view[0] == 'Q', "the producer's update is not visible (read-only map must share pages)");
	live_note("producer preset: receiver cannot write, sees the producer's updates, as documented");
	CHECK(live_wait(pid) == 0, "producer failed");
	munmap(view, len);
	close(fd);
	close(back[0]);
	close(sv[0]);
}

int main(void)
{
	int before;

	lk_need("memfd_create", lk_memfd_create(0), "memfd_create");
	sup = lk_seals_supported();
	CHECK(mw_memfd_seals_supported() == sup, "mw_memfd_seals_supported() 0x%x, F_ADD_SEALS takes 0x%x",
	      mw_memfd_seals_supported(), sup);
	before = live_count_fds();
	race_frozen();
	race_mapped(false);
	race_mapped(true);
	race_producer();
	CHECK(live_count_fds() == before, "fds leaked: %d -> %d", before, live_count_fds());
	return live_done();
}
