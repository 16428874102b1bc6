/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The exec-seal probes (memward status: exec_seal_acl, exec_seal_hugetlb)
 * agree with what this test finds by trying the same kernel behaviour on a
 * memfd of its own: does a POSIX ACL, or fchmod on hugetlbfs, add exec bits
 * to a memfd sealed with F_SEAL_EXEC? A "yes" is a kernel bug (6.18 for the
 * ACL; hugetlbfs ignores the seal). The probe must change nothing (no fd
 * left open) and memward status must show both.
 *
 * usage: live-features-exec-seal MEMWARD
 */
#include "live.h"
#include "kernel.h"

#include <memward/features.h>

/* What the test's own try (kernel.h) found. */
enum found { NO_SEAL, HOLDS, BROKEN, NO_HUGETLB, UNDECIDED };

static enum found tried(bool acl)
{
	int e = lk_exec_seal_bypass(acl);

	return e == 0 ? HOLDS : e == EPROTO ? BROKEN : e == EINVAL ? NO_SEAL : e == ENOENT ? NO_HUGETLB : UNDECIDED;
}

static void compare(enum mw_feature feat, enum found f)
{
	struct mw_feature_status st = { .sz = sizeof(st) };
	const char *key = mw_feature_key(feat);

	REQUIRE(mw_feature_probe(feat, &st) == 0, "probe %s", key);
	printf("%s: %s (%s): %s\n", key, mw_feature_state_name(st.state), mw_feature_cause_name(st.cause), st.reason);
	switch (f) {
	case BROKEN:
		CHECK(st.state == MW_FEATURE_MISSING && st.cause == MW_CAUSE_KERNEL_BUG,
		      "%s: the seal does not hold here, probe says %s/%s", key, mw_feature_state_name(st.state),
		      mw_feature_cause_name(st.cause));
		break;
	case HOLDS:
		CHECK(st.state == MW_FEATURE_SUPPORTED, "%s: the seal holds here, probe says %s", key,
		      mw_feature_state_name(st.state));
		break;
	case NO_SEAL:
	case NO_HUGETLB:
		CHECK(st.state == MW_FEATURE_MISSING && st.cause == MW_CAUSE_NOT_BUILT,
		      "%s: nothing to test here (no seal or no hugetlb memfds), probe says %s/%s", key,
		      mw_feature_state_name(st.state), mw_feature_cause_name(st.cause));
		break;
	case UNDECIDED:
		CHECK(st.state != MW_FEATURE_SUPPORTED, "%s: memfd_create failed here, probe says supported", key);
		break;
	}
}

int main(int argc, char **argv)
{
	static char out[1 << 16];
	int fds = live_count_fds();

	REQUIRE(argc == 2, "usage: live-features-exec-seal MEMWARD");
	compare(MW_FEAT_EXEC_SEAL_ACL, tried(true));
	compare(MW_FEAT_EXEC_SEAL_HUGETLB, tried(false));
	CHECK(live_count_fds() == fds, "probing left fds open: %d before, %d after", fds, live_count_fds());
	{
		char *a[] = { argv[1], "status", "--json", NULL };
		CHECK(live_capture(a, false, NULL, out, sizeof(out)) == 0, "memward status --json failed");
		CHECK(strstr(out, "\"exec_seal_acl\"") && strstr(out, "\"exec_seal_hugetlb\""),
		      "memward status does not show the exec-seal probes:\n%.400s", out);
	}
	return live_done();
}
