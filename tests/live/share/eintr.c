/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Issue 11 #5: EINTR was swallowed, so a caller's alarm() could not end a
 * wait on a silent peer. Now a signal whose handler returns ends the wait
 * with -EINTR (SA_RESTART or not: the library must not retry), and
 * policy->timeout_ms / mw_share_recv_fd()'s timeout give -ETIMEDOUT. The
 * silent peer stays connected the whole time.
 */
#include "share_test.h"

#include <time.h>

static void on_alarm(int sig) { (void)sig; }

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void silent(int s, void *arg)
{
	char b;

	(void)arg;
	(void)read(s, &b, 1); /* until the receiver is done */
}

int main(void)
{
	struct mw_share_result res = { .sz = sizeof(res) };
	struct sigaction sa = { .sa_handler = on_alarm };
	pid_t pid;
	long t0, dt;
	int sock, r;

	sock = st_sender(SOCK_STREAM, silent, NULL, &pid);
	for (int timed = 0; timed < 2; timed++) {
		struct mw_share_policy pol = { .sz = sizeof(pol), .timeout_ms = timed ? 60000 : 0 };

		sa.sa_flags = timed ? SA_RESTART : 0;
		REQUIRE(sigaction(SIGALRM, &sa, NULL) == 0, "sigaction");
		t0 = now_ms();
		alarm(1);
		r = mw_share_recv(sock, &pol, NULL, 0, &res);
		dt = now_ms() - t0;
		alarm(0);
		CHECK(r == -EINTR, "alarm (%s): got %d (%s) after %ld ms", timed ?
		      "timed wait, SA_RESTART" : "blocking", r, mw_errno_name(r), dt);
		CHECK(dt < 5000, "the wait outlived the alarm: %ld ms", dt);
	}
	{
		struct mw_share_policy pol = { .sz = sizeof(pol), .timeout_ms = 300 };

		t0 = now_ms();
		r = mw_share_recv(sock, &pol, NULL, 0, &res);
		dt = now_ms() - t0;
		CHECK(r == -ETIMEDOUT && res.reason == MW_SHARE_ERROR,
		      "timeout: got %d (%s)", r, res.detail);
		CHECK(dt >= 290 && dt < 5000, "timeout of 300 ms took %ld ms", dt);
		pol.timeout_ms = -1;
		CHECK(mw_share_recv(sock, &pol, NULL, 0, &res) == -EINVAL, "negative timeout");
	}
	t0 = now_ms();
	r = mw_share_recv_fd(sock, NULL, 0, 200, &res);
	dt = now_ms() - t0;
	CHECK(r == -ETIMEDOUT && dt >= 190 && dt < 5000, "recv_fd timeout: %d after %ld ms", r, dt);
	(void)write(sock, "e", 1);
	close(sock);
	CHECK(live_wait(pid) == 0, "sender");
	return live_done();
}
