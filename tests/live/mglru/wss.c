/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward wss --source mglru (guests only): within 10% of a 64 MiB hot set
 * in 256 MiB, from aging every second. On 6.1, where MGLRU ships disabled,
 * the test enables it and restores the setting.
 */
#include "live.h"
#include "reclaim_wss.h"

#include <memward/mglru.h>

int main(int argc, char **argv)
{
	struct workload wl;
	char cg[256], was[32] = "";
	int fd;

	REQUIRE(argc == 2, "usage: %s MEMWARD", argv[0]);
	wl_require_vm();
	fd = open("/sys/kernel/mm/lru_gen/enabled", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		CHECK(!wl_profile("6.1") && !wl_profile("6.12"), "the guests have MGLRU: %s", strerror(errno));
		if (live_failures)
			return 1;
		live_skip("no MGLRU (open /sys/kernel/mm/lru_gen/enabled: %s)", strerror(errno));
	}
	REQUIRE(read(fd, was, sizeof(was) - 1) > 0, "read enabled");
	close(fd);
	REQUIRE(wl_write("/sys/kernel/mm/lru_gen/enabled", "y") == 0, "enable MGLRU");
	REQUIRE(access("/sys/kernel/debug/lru_gen", R_OK) == 0, "no debugfs lru_gen: %s", strerror(errno));
	wl_cgroup("mw-mglru-wss", cg, sizeof(cg));
	wl = wl_start(cg, TOTAL_MIB * WL_MIB, HOT_MIB * WL_MIB, 20);
	wl_wait_ready(&wl);

	wss_check("mglru wss(1s)", wss_sample(argv[1], "mglru", wl.pid, "5", "interval"));

	wl_stop(&wl);
	rmdir(cg);
	was[strcspn(was, "\n")] = '\0';
	CHECK(wl_write("/sys/kernel/mm/lru_gen/enabled", was) == 0, "restore enabled=%s", was);
	return live_failures ? 1 : 0;
}
