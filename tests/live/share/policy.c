/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Issue 11 #6 and #9: what a policy asks for.
 *  - A required seal is met by any seal that implies it: F_SEAL_WRITE
 *    satisfies FUTURE_WRITE (memward's own frozen preset was refused).
 *  - The fixed-size preset includes SEAL: without it a peer adds
 *    FUTURE_WRITE later and breaks the others' writes.
 *  - The default policy has a size bound (MW_SHARE_MAX_SIZE_DEFAULT): a
 *    sparse 1 TiB memfd is refused; max_size 0 means that bound.
 *  - Copies keep holes: a 64 MiB sparse memfd with 8 KiB of data costs
 *    8 KiB, not 64 MiB, and its contents are exact.
 * mw_share_verify() is used on memfds made here with raw syscalls.
 */
#include "share_test.h"

#include <sys/stat.h>

static unsigned int sup;

static int verify(int fd, const struct mw_share_policy *pol, struct mw_share_result *res)
{
	res->sz = sizeof(*res);
	return mw_share_verify(fd, pol, res);
}

static void implied_seals(void)
{
	struct mw_share_policy fw = { .sz = sizeof(fw), .flags = MW_SHARE_REQUIRE_MEMFD,
				      .required_seals = MW_SEAL_FUTURE_WRITE | MW_SEAL_SHRINK };
	struct mw_share_result res;
	int fd, r;

	if (!(sup & F_SEAL_FUTURE_WRITE)) {
		live_note("FUTURE_WRITE (5.1) unknown here: implied-seal case not run");
		return;
	}
	/* Made with MFD_NOEXEC_SEAL (where it exists): F_SEAL_EXEC on a file
	 * with exec bits would add FUTURE_WRITE itself and hide the point. */
	for (int i = 0; i < 2; i++) {
		unsigned int seals = i ? MW_SEALS_FROZEN & sup : F_SEAL_WRITE | F_SEAL_SHRINK;

		fd = st_memfd(MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL * !!(sup & F_SEAL_EXEC), seals, 64);
		REQUIRE(fd >= 0, "memfd: %s", strerror(-fd));
		REQUIRE(!(fcntl(fd, F_GET_SEALS) & F_SEAL_FUTURE_WRITE), "FUTURE_WRITE set by the kernel");
		r = verify(fd, &fw, &res);
		CHECK(r == 0, "WRITE-sealed memfd (%s) refused by a FUTURE_WRITE policy: %s",
		      i ? "frozen preset" : "write,shrink", res.detail);
		close(fd);
	}
	/* Not the other way round: FUTURE_WRITE does not imply WRITE. */
	fd = st_memfd(MFD_ALLOW_SEALING, F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK, 64);
	fw.required_seals = MW_SEAL_WRITE;
	r = verify(fd, &fw, &res);
	CHECK(r == -EPERM, "FUTURE_WRITE accepted for WRITE: %d %s", r, res.detail);
	close(fd);
}

static void fixed_size(void)
{
	struct mw_share_policy pol = { .sz = sizeof(pol), .flags = MW_SHARE_REQUIRE_MEMFD,
				       .required_seals = MW_SEALS_FIXED_SIZE };
	struct mw_share_result res;
	int fd = st_memfd(MFD_ALLOW_SEALING, F_SEAL_SHRINK | F_SEAL_GROW, 4096), r;

	REQUIRE(fd >= 0, "memfd");
	r = verify(fd, &pol, &res);
	CHECK(r == -EPERM && strstr(res.detail, "seal"), "fixed-size without SEAL accepted: %d %s",
	      r, res.detail);
	/* ...because this is what the peer could do to it later: */
	CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == 0, "the peer could not add WRITE");
	close(fd);
	fd = st_memfd(MFD_ALLOW_SEALING, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, 4096);
	CHECK(verify(fd, &pol, &res) == 0, "fixed-size with SEAL refused: %s", res.detail);
	close(fd);
}

static void size_bound(void)
{
	struct mw_share_policy pol = { .sz = sizeof(pol), .flags = MW_SHARE_REQUIRE_MEMFD,
				       .required_seals = MW_SEAL_SHRINK | MW_SEAL_GROW };
	struct mw_share_result res;
	int fd = mw_sys_memfd_create("sparse", MFD_CLOEXEC | MFD_ALLOW_SEALING), r;

	REQUIRE(fd >= 0, "memfd");
	if (ftruncate(fd, 1ll << 40) < 0) {
		live_note("1 TiB ftruncate refused here (%s): bound case on 4 GiB", strerror(errno));
		REQUIRE(ftruncate(fd, 4ll << 30) == 0, "ftruncate 4 GiB");
	}
	REQUIRE(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0, "seals");
	r = verify(fd, &pol, &res);
	CHECK(r == -ERANGE && res.reason == MW_SHARE_SIZE, "sparse huge memfd accepted by "
	      "max_size 0 (the default bound): %d %s", r, res.detail);
	pol.max_size = MW_SHARE_NO_MAX;
	CHECK(verify(fd, &pol, &res) == 0, "MW_SHARE_NO_MAX still bounded: %s", res.detail);
	close(fd);
	/* Just under the bound passes. */
	fd = mw_sys_memfd_create("sparse", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	REQUIRE(fd >= 0 && ftruncate(fd, (off_t)MW_SHARE_MAX_SIZE_DEFAULT) == 0, "ftruncate");
	pol.max_size = 0;
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
	CHECK(verify(fd, &pol, &res) == 0, "a memfd of exactly the bound refused: %s", res.detail);
	close(fd);
}

static void sparse_copy(void)
{
	const off_t size = 64 << 20;
	struct stat st;
	char a[4096], b[4096];
	int fd = mw_sys_memfd_create("sparse-src", MFD_CLOEXEC | MFD_ALLOW_SEALING), copy;

	REQUIRE(fd >= 0 && ftruncate(fd, size) == 0, "source");
	memset(a, 'D', sizeof(a));
	REQUIRE(pwrite(fd, a, sizeof(a), 0) == sizeof(a) &&
		pwrite(fd, a, sizeof(a), size - (off_t)sizeof(a)) == sizeof(a), "data");
	copy = mw_share_copy_frozen(fd, "sparse-copy", (uint64_t)size);
	REQUIRE(copy >= 0, "copy: %s", strerror(-copy));
	REQUIRE(fstat(copy, &st) == 0, "fstat");
	CHECK(st.st_size == size, "copy size %lld", (long long)st.st_size);
	CHECK(st.st_blocks * 512 <= 64 * 1024, "the copy materialised the holes: %lld bytes "
	      "allocated for 8 KiB of data", (long long)st.st_blocks * 512);
	CHECK(pread(copy, b, sizeof(b), 0) == sizeof(b) && !memcmp(a, b, sizeof(b)), "head");
	CHECK(pread(copy, b, sizeof(b), size - (off_t)sizeof(b)) == sizeof(b) &&
	      !memcmp(a, b, sizeof(b)), "tail");
	CHECK(pread(copy, b, sizeof(b), size / 2) == sizeof(b) && b[0] == 0 &&
	      !memcmp(b, b + 1, sizeof(b) - 1), "hole not zero");
	live_note("64 MiB sparse copy: %lld bytes allocated", (long long)st.st_blocks * 512);
	close(copy);
	close(fd);
}

/* A memfd made without sealing has exactly F_SEAL_SEAL, like any tmpfs
 * file: only its device proves it. This process has made no memfd through
 * the library yet, and verification makes none: "not proven". Once
 * mw_memfd_create() made one, its device is known and the same memfd passes,
 * while a tmpfs file named like a memfd (root: own mount namespace) fails on
 * the device. */
static void identity(void)
{
	struct mw_share_policy pol = { .sz = sizeof(pol), .flags = MW_SHARE_REQUIRE_MEMFD };
	struct mw_share_result res;
	int fd = st_memfd(0, 0, 16), own, r;

	REQUIRE(fd >= 0, "memfd");
	r = verify(fd, &pol, &res);
	CHECK(r == -EMEDIUMTYPE && strstr(res.detail, "not proven"),
	      "no-sealing memfd before any library memfd: %d %s", r, res.detail);
	own = mw_memfd_create("identity", NULL, NULL);
	REQUIRE(own >= 0, "mw_memfd_create: %d", own);
	close(own);
	r = verify(fd, &pol, &res);
	CHECK(r == 0, "no-sealing memfd once the device is known: %d %s", r, res.detail);
	close(fd);
	if (getuid() == 0) {
		int sv[2];
		pid_t pid;

		REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
		pid = fork();
		REQUIRE(pid >= 0, "fork");
		if (pid == 0) {
			int f = st_forged_memfd("memfd:evil");
			_exit(f >= 0 && mw_share_send(sv[1], f, NULL, 0) == 0 ? 0 : LIVE_SKIP_CODE);
		}
		close(sv[1]);
		res.sz = sizeof(res);
		r = mw_share_recv(sv[0], &pol, NULL, 0, &res);
		if (live_wait(pid) == 0)
			CHECK(r == -EMEDIUMTYPE && strstr(res.detail, "another device"),
			      "forged memfd with the device known: %d %s", r, res.detail);
		if (r >= 0)
			close(r);
		close(sv[0]);
	}
}

int main(void)
{
	int probe = mw_sys_memfd_create("probe", MFD_CLOEXEC);

	if (probe < 0)
		live_skip("memfd_create: %s", strerror(errno));
	close(probe);
	sup = st_seals_supported();
	identity();
	implied_seals();
	fixed_size();
	size_bound();
	sparse_copy();
	return live_done();
}
