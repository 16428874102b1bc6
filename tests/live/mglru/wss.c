/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward wss --source mglru (guests only): within 10% of a 64 MiB hot set
 * in 256 MiB, from aging every second. On 6.1, where MGLRU ships disabled,
 * the test enables it and restores the setting.
 */
#include "setup.h"

int main(int argc, char **argv)
{
	struct workload wl;
	char cg[256];

	REQUIRE(argc == 2, "usage: %s MEMWARD", argv[0]);
	mglru_setup();
	wl_cgroup("mw-mglru-wss", cg, sizeof(cg));
	wl = wl_start(cg, TOTAL_MIB * WL_MIB, HOT_MIB * WL_MIB, 20);
	wl_wait_ready(&wl);

	wss_check("mglru wss(1s)", wss_sample(argv[1], "mglru", wl.pid, "5", "interval"));

	wl_stop(&wl);
	rmdir(cg);
	mglru_restore();
	return live_failures ? 1 : 0;
}
