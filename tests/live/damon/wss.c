/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward wss --source damon (guests only): within 10% of a 64 MiB hot set in
 * 256 MiB; SIGTERM and SIGINT end it with memward's kdamond removed.
 */
#include "live.h"
#include "reclaim_wss.h"

#include <memward/damon.h>


/* Start memward wss in the background, stop it with sig once its kdamond runs. */
static void check_signal(const char *memward, pid_t target, int sig)
{
	char pidbuf[16];
	pid_t pid;
	int rc;

	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)target);
	fflush(stdout);
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		dup2(null, 1);
		execl(memward, memward, "wss", pidbuf, "--source", "damon", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && wl_read_ll(WL_NR_KDAMONDS) != 1; i++)
		wl_sleep_ms(50);
	CHECK(wl_read_ll(WL_NR_KDAMONDS) == 1, "memward wss did not start a kdamond");
	wl_sleep_ms(300);
	kill(pid, sig);
	rc = live_wait(pid);
	CHECK(rc == 0, "memward wss after signal %d exited %d", sig, rc);
	CHECK(wl_read_ll(WL_NR_KDAMONDS) == 0, "kdamond left after signal %d", sig);
}

int main(int argc, char **argv)
{
	struct workload wl;
	char cg[256];

	REQUIRE(argc == 2, "usage: %s MEMWARD", argv[0]);
	wl_require_damon();
	wl_cgroup("mw-damon-wss", cg, sizeof(cg));
	wl = wl_start(cg, TOTAL_MIB * WL_MIB, HOT_MIB * WL_MIB, 20);
	wl_wait_ready(&wl);

	wss_check("damon wss(1s)", wss_sample(argv[1], "damon", wl.pid, "8", "1s"));
	check_signal(argv[1], wl.pid, SIGTERM);
	check_signal(argv[1], wl.pid, SIGINT);

	wl_stop(&wl);
	rmdir(cg);
	return live_failures ? 1 : 0;
}
