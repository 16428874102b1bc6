/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * examples/secret_gcrypt, a real program linked against Debian's libgcrypt
 * that installs memward through gcry_set_allocation_handler() and answers
 * libgcrypt's is_secure with mw_secret_owns(), run as it is and as nobody
 * (uid 65534, no capabilities, RLIMIT_MEMLOCK 8 MiB): gcry_malloc_secure,
 * a secure MPI and a GCRY_CIPHER_SECURE key schedule must all come from
 * the secret heap (the example checks each and exits 1 otherwise; this test
 * also reads its lines), in a secretmem mapping where memfd_secret works.
 * Usage: live-secret-gcrypt-example build/examples/secret_gcrypt
 */
#include "unpriv.h"

/* The number right after `tag` in out, or -1. */
static long count_after(const char *out, const char *tag)
{
	const char *p = strstr(out, tag);

	return p ? strtol(p + strlen(tag), NULL, 10) : -1;
}

/* "AES-128 with GCRY_CIPHER_SECURE: first byte 0xNN, K secure allocations" */
static long cipher_allocs(const char *out)
{
	const char *p = strstr(out, "GCRY_CIPHER_SECURE: first byte 0x");
	unsigned int b;
	long k;

	return p && sscanf(p, "GCRY_CIPHER_SECURE: first byte 0x%x, %ld secure", &b, &k) == 2 ? k : -1;
}

static void drop(void)
{
	if (unpriv_drop(8 * MIB) < 0)
		_exit(2);
}

static void run(const char *prog, bool nobody, bool secretmem)
{
	char *argv[] = { (char *)prog, NULL };
	char out[8192];
	const char *who = nobody ? "as nobody" : "as is";
	int rc = live_capture(argv, true, nobody ? drop : NULL, out, sizeof(out));

	printf("--- %s (exit %d)\n%s", who, rc, out);
	CHECK(rc == 0, "%s: the example exited %d", who, rc);
	CHECK(strstr(out, "in the memward secret heap, gcry_is_secure 1"),
	      "%s: gcry_malloc_secure not in the heap", who);
	CHECK(!secretmem || strstr(out, "mapping /secretmem"),
	      "%s: memfd_secret works here, the secure object is not in a secretmem mapping", who);
	CHECK(count_after(out, "gcry_mpi_snew(2048): ") > 0, "%s: secure MPI not from the heap", who);
	CHECK(cipher_allocs(out) > 0, "%s: the secure key schedule not from the heap", who);
	CHECK(strstr(out, "all of libgcrypt's secure allocations were in the secret heap"),
	      "%s: the example's own checks failed", who);
}

int main(int argc, char **argv)
{
	char copy[4096];
	bool secretmem;

	REQUIRE(argc == 2, "usage: %s SECRET_GCRYPT", argv[0]);
	secretmem = try_memfd_secret() == 0;
	run(argv[1], false, secretmem);
	if (geteuid() == 0) {
		/* nobody may not traverse the build tree: a public copy. */
		live_public_copy(argv[1], copy, sizeof(copy));
		run(copy, true, secretmem);
		live_public_copy_remove(copy);
	} else {
		live_note("not root: the nobody run is the run above");
	}
	return live_done();
}
