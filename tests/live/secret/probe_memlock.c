/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Issue 9 item 4: the memfd_secret feature probe must not kill its caller.
 * On Debian 6.1 (secretmem.enable=1) and 6.12, mmap of memfd_secret succeeds
 * over RLIMIT_MEMLOCK and the first touch raises SIGBUS; a probe that touched
 * the page itself killed `memward status`. Here, as nobody without
 * CAP_IPC_LOCK and with RLIMIT_MEMLOCK below one page: mw_feature_probe()
 * returns, `memward status` exits normally, and where memfd_secret exists
 * the probe does not claim it works.
 * Usage: live-secret-probe-memlock MEMWARD
 */
#include "unpriv.h"

#include <memward/features.h>

static int have;

static int probe(void *arg)
{
	struct mw_feature_status st = { .sz = sizeof(st) };
	int err = mw_feature_probe(MW_FEAT_MEMFD_SECRET, &st);

	(void)arg;
	if (err < 0) {
		printf("mw_feature_probe: %s\n", strerror(-err));
		return 1;
	}
	printf("note: probe as nobody under 1 KiB: state %d: %s\n", (int)st.state, st.reason);
	if (have == 0 && st.state == MW_FEATURE_SUPPORTED) {
		printf("probe says memfd_secret works with RLIMIT_MEMLOCK below one page\n");
		return 1;
	}
	return 0;
}

static const char *memward;

static int status(void *arg)
{
	(void)arg;
	execl(memward, memward, "status", (char *)NULL);
	printf("exec %s: %s\n", memward, strerror(errno));
	return 127;
}

int main(int argc, char **argv)
{
	char copy[4096];
	int rc;

	REQUIRE(argc == 2, "usage: %s MEMWARD", argv[0]);
	have = try_memfd_secret();
	live_note("memfd_secret: %s (tried directly)", have ? strerror(have) : "works");
	rc = unpriv_run(1024, probe, NULL);
	CHECK(rc == 0, "mw_feature_probe(MEMFD_SECRET) as nobody under 1 KiB: exit %d%s", rc,
	      rc > 128 ? " (killed by a signal)" : "");
	live_public_copy(argv[1], copy, sizeof(copy));
	memward = copy;
	rc = unpriv_run(1024, status, NULL);
	CHECK(rc < 128, "memward status as nobody under 1 KiB was killed by signal %d", rc - 128);
	CHECK(rc == 0 || rc == 1, "memward status as nobody under 1 KiB: exit %d", rc);
	live_public_copy_remove(copy);
	return live_done();
}
