/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The memfd_secret probe agrees with the raw syscall, and its cause matches
 * the boot parameter: "disabled" exactly when secretmem.enable is N.
 */
#include "live.h"
#include "sys/shim.h"

#include <memward/features.h>

int main(void)
{
	struct mw_feature_status st = { .sz = sizeof(st) };
	struct mw_feature_sysinfo si = { .sz = sizeof(si) };
	int fd;

	mw_feature_probe(MW_FEAT_MEMFD_SECRET, &st);
	REQUIRE(mw_feature_sysinfo_get(&si) == 0, "mw_feature_sysinfo_get");
	fd = mw_sys_memfd_secret(O_CLOEXEC);
	live_note("memfd_secret: %s/%s (%s); boot_enabled=%d", mw_feature_state_name(st.state),
		  mw_feature_cause_name(st.cause), st.reason, si.secretmem_boot_enabled);
	if (st.state == MW_FEATURE_SUPPORTED) {
		long page = sysconf(_SC_PAGESIZE);
		char *p;

		REQUIRE(fd >= 0, "probe supported, raw memfd_secret fails: %s", strerror(errno));
		REQUIRE(ftruncate(fd, page) == 0, "ftruncate: %s", strerror(errno));
		p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		REQUIRE(p != MAP_FAILED, "mmap: %s", strerror(errno));
		p[0] = 42;
		CHECK(p[0] == 42, "secret page does not hold a byte");
		/* MAP_PRIVATE is refused on secret memory. */
		CHECK(mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0) == MAP_FAILED,
		      "MAP_PRIVATE of memfd_secret accepted");
		munmap(p, (size_t)page);
		close(fd);
		CHECK(si.secretmem_boot_enabled != 0, "works although secretmem.enable says N");
	} else {
		CHECK(fd < 0, "probe says %s but the raw call works", mw_feature_state_name(st.state));
		if (si.secretmem_boot_enabled == 0)
			CHECK(st.cause == MW_CAUSE_DISABLED && errno == ENOSYS,
			      "secretmem.enable=N should give cause disabled, got %s (%s)",
			      mw_feature_cause_name(st.cause), strerror(errno));
		else
			CHECK(st.cause != MW_CAUSE_DISABLED, "cause disabled without the boot flag saying so");
		if (fd >= 0)
			close(fd);
	}
	return live_done();
}
