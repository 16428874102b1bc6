/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A sender that makes the receiver's own open(2) block. The receiver reopens
 * what it verifies read-only through /proc/self/fd; a red team found that a
 * FIFO with no writer made that open wait forever (timeout_ms did not help,
 * the wait is not in recvmsg). A write lease the sender takes on the file
 * after sending would make it wait for the lease-break time (45 s) too.
 * Both must come back at once: the FIFO refused as not a memfd, the leased
 * memfd refused or accepted, never a hang.
 */
#include "share_test.h"

#include <sys/stat.h>
#include <time.h>
#include <sys/ioctl.h>

#define LIMIT_MS 5000

static char fifo_path[64];

static void send_fifo(int sock, void *arg)
{
	int fd;

	(void)arg;
	fd = open(fifo_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* no writer, ever */
	if (fd < 0 || mw_share_send(sock, fd, "f", 1) < 0)
		_exit(2);
	sleep(10);
}

static void send_leased(int sock, void *arg)
{
	char ok = 'n';
	int fd = st_memfd(MFD_ALLOW_SEALING, 0, 4096);

	(void)arg;
	if (fd < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0 ||
	    mw_share_send(sock, fd, "l", 1) < 0)
		_exit(2);
	/* The message holds the only other reference to this open file, so the
	 * lease can be taken now; a reader's open must break it. */
	if (fcntl(fd, F_SETLEASE, F_WRLCK) == 0)
		ok = 'y';
	(void)!write(sock, &ok, 1);
	sleep(10);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void one(const char *what, void (*fn)(int, void *), bool leased)
{
	struct mw_share_policy pol = { .sz = sizeof(pol), .flags = MW_SHARE_REQUIRE_MEMFD,
				       .required_seals = F_SEAL_WRITE, .timeout_ms = 3000 };
	struct mw_share_result res = { .sz = sizeof(res) };
	struct timespec t0;
	char data[4], lease = 'n';
	int before = st_count_fds(), sock, r;
	pid_t pid;
	long took;

	sock = st_sender(SOCK_STREAM, fn, NULL, &pid);
	if (leased) {
		/* Wait until the sender holds its lease (or says it cannot). The
		 * lease byte comes after the memfd's message on the stream, so
		 * peek at it without consuming the message first: wait for 2
		 * bytes to be queued. */
		for (int i = 0; i < 300; i++) {
			int q = 0;

			if (ioctl(sock, FIONREAD, &q) == 0 && q >= 2)
				break;
			usleep(10000);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = mw_share_recv(sock, &pol, data, 1, &res);
	took = ms_since(&t0);
	if (leased)
		(void)!read(sock, &lease, 1);
	printf("note: %s -> %d (%s) in %ld ms: %s%s\n", what, r, r < 0 ? strerror(-r) : "ok", took,
	       res.detail, leased ? (lease == 'y' ? " [lease held]" : " [no lease here]") : "");
	CHECK(took < LIMIT_MS, "%s: the receiver waited %ld ms", what, took);
	if (!leased)
		CHECK(r == -EMEDIUMTYPE, "%s: want EMEDIUMTYPE, got %d", what, r);
	if (r >= 0)
		close(r);
	if (res.pidfd >= 0)
		close(res.pidfd);
	close(sock);
	kill(pid, SIGKILL);
	live_wait(pid);
	CHECK(st_count_fds() == before, "%s: fds leaked (%d -> %d)", what, before, st_count_fds());
}

int main(void)
{
	snprintf(fifo_path, sizeof(fifo_path), "/tmp/mw-share-fifo-%d", (int)getpid());
	unlink(fifo_path);
	REQUIRE(mkfifo(fifo_path, 0600) == 0, "mkfifo: %s", strerror(errno));
	one("fifo without a writer", send_fifo, false);
	unlink(fifo_path);
	one("memfd under the sender's write lease", send_leased, true);
	return live_done();
}
