/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The setup every MGLRU guest test shares: guests only (the host's MGLRU is
 * never written), a skip where there is no MGLRU (a failure in the guests,
 * which have it), the enabled bits saved before the test turns MGLRU on and
 * restored on every exit (6.1 ships it off; a REQUIRE that exits must not
 * leave it on for the next test).
 */
#ifndef MW_LIVE_MGLRU_SETUP_H
#define MW_LIVE_MGLRU_SETUP_H

#include "live.h"
#include "reclaim_wss.h"

#include <memward/mglru.h>

#define MGLRU_ENABLED "/sys/kernel/mm/lru_gen/enabled"

static char mglru_was[32];
static bool mglru_restored;

static inline void mglru_restore_at_exit(void)
{
	if (!mglru_restored && mglru_was[0])
		wl_write(MGLRU_ENABLED, mglru_was);
}

/* Check the machine, save the enabled bits, then turn everything on. */
static inline void mglru_setup(void)
{
	int fd;
	ssize_t n;

	wl_require_vm();
	fd = open(MGLRU_ENABLED, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		CHECK(!wl_profile("6.1") && !wl_profile("6.12"), "the guests have MGLRU: %s", strerror(errno));
		if (live_failures)
			exit(1);
		live_skip("no MGLRU (open " MGLRU_ENABLED ": %s)", strerror(errno));
	}
	n = read(fd, mglru_was, sizeof(mglru_was) - 1);
	close(fd);
	REQUIRE(n > 0, "read " MGLRU_ENABLED ": %s", strerror(errno));
	mglru_was[strcspn(mglru_was, "\n")] = '\0';
	atexit(mglru_restore_at_exit);
	if (wl_profile("6.1"))
		CHECK(mw_mglru_age("/", 1) == -EOPNOTSUPP, "aging with MGLRU off (6.1's default) is not -EOPNOTSUPP");
	REQUIRE(mw_mglru_enable(7) == 0, "enable MGLRU");
	REQUIRE(access("/sys/kernel/debug/lru_gen", R_OK) == 0, "no debugfs lru_gen: %s", strerror(errno));
}

/* Put the enabled bits back (checked; at exit it happens anyway). */
static inline void mglru_restore(void)
{
	CHECK(wl_write(MGLRU_ENABLED, mglru_was) == 0, "restore enabled=%s", mglru_was);
	mglru_restored = true;
}

#endif
