/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The memfd probes agree with what the kernel does when asked directly:
 * a "supported" flag works and has its documented effect, a "missing" one is
 * refused by the raw call the way the probe said.
 */
#include "live.h"
#include "kernel.h"
#include "sys/shim.h"

#include <sys/stat.h>

#include <memward/features.h>

static void check_noexec_seal(void)
{
	struct mw_feature_status st = { .sz = sizeof(st) };
	int fd;

	mw_feature_probe(MW_FEAT_MFD_NOEXEC_SEAL, &st);
	fd = mw_sys_memfd_create("t", MFD_CLOEXEC | MFD_NOEXEC_SEAL);
	if (st.state == MW_FEATURE_SUPPORTED) {
		struct stat sb;

		REQUIRE(fd >= 0, "probe says supported, raw call fails: %s", strerror(errno));
		REQUIRE(fstat(fd, &sb) == 0, "fstat");
		CHECK((sb.st_mode & 0111) == 0, "MFD_NOEXEC_SEAL memfd has exec bits: %o", sb.st_mode);
		CHECK(fcntl(fd, F_GET_SEALS) & F_SEAL_EXEC, "F_SEAL_EXEC not set");
		/* The exec seal makes chmod +x fail. */
		CHECK(fchmod(fd, 0755) < 0 && errno == EPERM, "chmod +x allowed on a noexec-sealed memfd");
		close(fd);
	} else {
		CHECK(fd < 0, "probe says %s, raw call succeeds", mw_feature_state_name(st.state));
		CHECK(st.state == MW_FEATURE_MISSING && st.cause == MW_CAUSE_NOT_BUILT && errno == EINVAL,
		      "missing MFD_NOEXEC_SEAL should be EINVAL/not_built, got %s / %s",
		      strerror(errno), mw_feature_cause_name(st.cause));
		if (fd >= 0)
			close(fd);
	}
	live_note("mfd_noexec_seal: %s (%s)", mw_feature_state_name(st.state), st.reason);
}

static void check_exec(void)
{
	struct mw_feature_status st = { .sz = sizeof(st) };
	int fd;

	mw_feature_probe(MW_FEAT_MFD_EXEC, &st);
	fd = mw_sys_memfd_create("t", MFD_CLOEXEC | MFD_EXEC);
	if (st.state == MW_FEATURE_SUPPORTED) {
		struct stat sb;

		REQUIRE(fd >= 0, "probe says supported, raw call fails: %s", strerror(errno));
		REQUIRE(fstat(fd, &sb) == 0, "fstat");
		CHECK((sb.st_mode & 0111) == 0111, "MFD_EXEC memfd lacks exec bits: %o", sb.st_mode);
		close(fd);
	} else {
		CHECK(fd < 0, "probe says %s, raw call succeeds", mw_feature_state_name(st.state));
		CHECK(errno == EINVAL || errno == EACCES, "unexpected errno %s", strerror(errno));
		CHECK(st.cause == (errno == EACCES ? MW_CAUSE_DISABLED : MW_CAUSE_NOT_BUILT),
		      "cause %s does not match errno %s", mw_feature_cause_name(st.cause), strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	/* Both flags together are refused by every kernel. */
	fd = mw_sys_memfd_create("t", MFD_CLOEXEC | MFD_EXEC | MFD_NOEXEC_SEAL);
	CHECK(fd < 0 && errno == EINVAL, "MFD_EXEC|MFD_NOEXEC_SEAL accepted");
	if (fd >= 0)
		close(fd);
	live_note("mfd_exec: %s (%s)", mw_feature_state_name(st.state), st.reason);
}

static void check_seal(enum mw_feature f, int seal)
{
	struct mw_feature_status st = { .sz = sizeof(st) };
	int fd = mw_sys_memfd_create("t", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int r;

	REQUIRE(fd >= 0, "memfd_create: %s", strerror(errno));
	mw_feature_probe(f, &st);
	r = fcntl(fd, F_ADD_SEALS, seal);
	if (st.state == MW_FEATURE_SUPPORTED)
		CHECK(r == 0 && (fcntl(fd, F_GET_SEALS) & seal), "%s: probe supported, seal fails: %s",
		      mw_feature_key(f), strerror(errno));
	else
		CHECK(r < 0 && errno == EINVAL, "%s: probe %s, raw seal result %d", mw_feature_key(f),
		      mw_feature_state_name(st.state), r);
	close(fd);
	live_note("%s: %s (%s)", mw_feature_key(f), mw_feature_state_name(st.state), st.reason);
}

int main(void)
{
	struct mw_feature_status st = { .sz = sizeof(st) };
	int err = lk_memfd_create(0);

	mw_feature_probe(MW_FEAT_MEMFD_CREATE, &st);
	CHECK((st.state == MW_FEATURE_SUPPORTED) == (err == 0), "memfd_create: probe says %s, the call gives %s",
	      mw_feature_state_name(st.state), err ? strerror(err) : "an fd");
	lk_need("memfd_create", err, "memfd_create");
	check_noexec_seal();
	check_exec();
	check_seal(MW_FEAT_SEAL_EXEC, F_SEAL_EXEC);
	check_seal(MW_FEAT_SEAL_FUTURE_WRITE, F_SEAL_FUTURE_WRITE);
	/* The cache answers the same twice. */
	{
		struct mw_feature_status a = { .sz = sizeof(a) }, b = { .sz = sizeof(b) };
		mw_feature_probe(MW_FEAT_SEAL_EXEC, &a);
		mw_feature_probe(MW_FEAT_SEAL_EXEC, &b);
		CHECK(a.state == b.state && !strcmp(a.reason, b.reason), "cache changed its answer");
	}
	return live_done();
}
