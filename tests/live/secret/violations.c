/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Memory-safety violations of the secret heap are detected, each in a child
 * process: one-byte overflow and underflow in both modes (guarded overflow
 * by SIGSEGV from the guard page), double free, invalid free, use after free
 * of a guarded slot (SIGSEGV with MW_SECRET_TRAP_FREED, detection at reuse
 * without it), and the default handler's abort with one line on stderr.
 * Also: freed bytes are zero, fresh memory is zero, canaries of neighbours
 * are not disturbed by legal use.
 */
#include "live.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <memward/secret.h>

enum { V_OVER = 10, V_UNDER = 11, V_DOUBLE = 12, V_INVALID = 13, V_WAF = 14, V_OTHER = 15 };

static void handler(const char *what, void *ptr, void *ctx)
{
	(void)ptr;
	(void)ctx;
	if (strstr(what, "overflow"))
		_exit(V_OVER);
	if (strstr(what, "underflow"))
		_exit(V_UNDER);
	if (strstr(what, "double free"))
		_exit(V_DOUBLE);
	if (strstr(what, "invalid"))
		_exit(V_INVALID);
	if (strstr(what, "write after free"))
		_exit(V_WAF);
	_exit(V_OTHER);
}

static struct mw_secret_heap *heap(enum mw_secret_mode mode, unsigned int flags)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = mode, .flags = flags };
	struct mw_secret_heap *h = mw_secret_heap_new(&o);

	if (!h) {
		printf("heap_new: %s: %s\n", strerror(errno), mw_secret_last_error());
		_exit(99);
	}
	return h;
}

enum scenario { S_OVER, S_UNDER, S_DOUBLE, S_INVALID_MID, S_INVALID_STACK, S_UAF_READ, S_WAF };

/* Run one scenario in a child; returns its exit code (128+sig if killed). */
static int run(enum mw_secret_mode mode, unsigned int flags, enum scenario s, size_t n)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct mw_secret_heap *h = heap(mode, flags);
		unsigned char *p, *q;
		char stack[32];

		mw_secret_set_violation_handler(handler, NULL);
		signal(SIGSEGV, SIG_DFL); /* a sanitizer's handler would exit 1 */
		q = mw_secret_alloc(h, n); /* a neighbour */
		p = mw_secret_alloc(h, n);
		if (!p || !q)
			_exit(98);
		memset(p, 0x5a, n);
		memset(q, 0x5a, n);
		switch (s) {
		case S_OVER:
			p[n] = (unsigned char)~p[n]; /* guarded: faults here */
			break;
		case S_UNDER:
			p[-1] = (unsigned char)~p[-1];
			break;
		case S_DOUBLE:
			mw_secret_free(h, p);
			break;
		case S_INVALID_MID:
			p += 1;
			break;
		case S_INVALID_STACK:
			p = (unsigned char *)stack;
			break;
		case S_UAF_READ:
			mw_secret_free(h, p);
			*(volatile unsigned char *)p; /* trap: faults */
			_exit(0);
		case S_WAF:
			mw_secret_free(h, p);
			p[0] = 1;
			p = mw_secret_alloc(h, n); /* reuse: detects */
			_exit(0);
		}
		mw_secret_free(h, p);
		_exit(0);
	}
	return live_wait(pid);
}

static void check_mode(enum mw_secret_mode mode, unsigned int flags)
{
	const char *m = mw_secret_mode_name(mode);
	static const size_t sizes[] = { 32, 20, 29, 1, 100, 4096, 5000 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		int rc;

		rc = run(mode, flags, S_OVER, n);
		if (mode == MW_SECRET_GUARDED)
			CHECK(rc == 128 + SIGSEGV, "%s n=%zu: overflow by one byte: exit %d, want SIGSEGV", m, n, rc);
		else
			CHECK(rc == V_OVER, "%s n=%zu: overflow by one byte: exit %d, want %d", m, n, rc, V_OVER);
		rc = run(mode, flags, S_UNDER, n);
		CHECK(rc == V_UNDER, "%s n=%zu: underflow by one byte: exit %d, want %d", m, n, rc, V_UNDER);
		rc = run(mode, flags, S_DOUBLE, n);
		CHECK(rc == V_DOUBLE, "%s n=%zu: double free: exit %d, want %d", m, n, rc, V_DOUBLE);
		rc = run(mode, flags, S_INVALID_MID, n);
		CHECK(rc == V_INVALID, "%s n=%zu: free(p+1): exit %d, want %d", m, n, rc, V_INVALID);
	}
	CHECK(run(mode, flags, S_INVALID_STACK, 32) == V_INVALID, "%s: free of a stack address", m);
}

/* The permissions of the mapping that holds address a ("rw-s", "---s"). */
static void perms_at(const void *a, char perms[5])
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];

	REQUIRE(f, "/proc/self/maps: %s", strerror(errno));
	strcpy(perms, "none");
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char p[5];

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) == 3 && (uintptr_t)a >= lo && (uintptr_t)a < hi)
			memcpy(perms, p, 5);
	}
	fclose(f);
}

/*
 * The n bytes at p, freed under MW_SECRET_TRAP_FREED: the slot must be
 * PROT_NONE (the trap) and, read by lifting the protection for a moment
 * (the test's own mprotect, restored after), all zero (the wipe).
 */
static bool trapped_and_wiped(unsigned char *p, size_t n)
{
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t lo = (uintptr_t)p & ~(uintptr_t)(page - 1);
	uintptr_t hi = ((uintptr_t)p + n + (uintptr_t)page - 1) & ~(uintptr_t)(page - 1);
	char perms[5];
	bool zero = true;

	perms_at(p, perms);
	CHECK(perms[0] == '-' && perms[1] == '-' && perms[2] == '-',
	      "freed %zu-byte object under TRAP_FREED is %s, not PROT_NONE", n, perms);
	REQUIRE(mprotect((void *)lo, hi - lo, PROT_READ) == 0, "mprotect to read the freed slot: %s",
		strerror(errno));
	for (size_t j = 0; j < n; j++)
		zero &= p[j] == 0;
	REQUIRE(mprotect((void *)lo, hi - lo, PROT_NONE) == 0, "mprotect back: %s", strerror(errno));
	return zero;
}

/* Freed bytes are zero; fresh memory is zero; legal use trips nothing. */
static void check_zero(enum mw_secret_mode mode, unsigned int flags)
{
	struct mw_secret_heap *h = heap(mode, flags);
	unsigned char *p, *q;
	static const size_t sizes[] = { 1, 16, 20, 32, 29, 255, 4096, 6000 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		bool zero = true;

		p = mw_secret_alloc(h, n);
		REQUIRE(p, "alloc %zu: %s", n, strerror(errno));
		for (size_t j = 0; j < n; j++)
			zero &= p[j] == 0;
		CHECK(zero, "%s: fresh %zu-byte object not zero", mw_secret_mode_name(mode), n);
		CHECK(mw_secret_size(h, p) == n, "size %zu, want %zu", mw_secret_size(h, p), n);
		memset(p, 0xa5, n);
		mw_secret_free(h, p);
		zero = true;
		if (flags & MW_SECRET_TRAP_FREED)
			zero = trapped_and_wiped(p, n);
		else
			for (size_t j = 0; j < n; j++)
				zero &= p[j] == 0;
		CHECK(zero, "%s: freed %zu-byte object not wiped", mw_secret_mode_name(mode), n);
		CHECK(mw_secret_size(h, p) == 0, "freed object still has a size");
		/* Reused memory is zero as well. */
		q = mw_secret_alloc(h, n);
		zero = true;
		for (size_t j = 0; j < n; j++)
			zero &= q[j] == 0;
		CHECK(zero, "%s: reused %zu-byte object not zero", mw_secret_mode_name(mode), n);
		mw_secret_free(h, q);
	}
	mw_secret_heap_destroy(h);
}

static int default_handler_child(void)
{
	int pfd[2];
	pid_t pid;
	char buf[256] = "";
	ssize_t r;
	int rc;

	REQUIRE(pipe(pfd) == 0, "pipe");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct mw_secret_heap *h = heap(MW_SECRET_COMPACT, 0);
		unsigned char *p = mw_secret_alloc(h, 32);

		dup2(pfd[1], STDERR_FILENO);
		close(pfd[0]);
		p[32] ^= 0xff;
		mw_secret_free(h, p);
		_exit(0);
	}
	close(pfd[1]);
	rc = live_wait(pid);
	r = read(pfd[0], buf, sizeof(buf) - 1);
	close(pfd[0]);
	if (r > 0)
		buf[r] = '\0';
	CHECK(rc == 128 + SIGABRT, "default handler: exit %d, want SIGABRT", rc);
	CHECK(strstr(buf, "memward: secret heap: canary after the object overwritten (overflow)") != NULL,
	      "default handler's stderr line: '%s'", buf);
	CHECK(strchr(buf, '\n') == buf + strlen(buf) - 1, "more than one line on stderr: '%s'", buf);
	return 0;
}

int main(void)
{
	int rc;

	check_mode(MW_SECRET_COMPACT, 0);
	check_mode(MW_SECRET_GUARDED, 0);
	check_mode(MW_SECRET_COMPACT, MW_SECRET_FORCE_FALLBACK);
	check_mode(MW_SECRET_GUARDED, MW_SECRET_FORCE_FALLBACK);

	/* Use after free of a guarded slot. */
	rc = run(MW_SECRET_GUARDED, MW_SECRET_TRAP_FREED, S_UAF_READ, 32);
	CHECK(rc == 128 + SIGSEGV, "guarded+TRAP_FREED: read after free: exit %d, want SIGSEGV", rc);
	rc = run(MW_SECRET_GUARDED, MW_SECRET_TRAP_FREED, S_WAF, 32);
	CHECK(rc == 128 + SIGSEGV, "guarded+TRAP_FREED: write after free: exit %d, want SIGSEGV", rc);
	rc = run(MW_SECRET_GUARDED, 0, S_WAF, 32);
	CHECK(rc == V_WAF, "guarded: write after free detected at reuse: exit %d, want %d", rc, V_WAF);
	rc = run(MW_SECRET_GUARDED, 0, S_UAF_READ, 32);
	CHECK(rc == 0, "guarded without trap: a read after free reads (zeros): exit %d", rc);

	check_zero(MW_SECRET_COMPACT, 0);
	check_zero(MW_SECRET_GUARDED, 0);
	check_zero(MW_SECRET_GUARDED, MW_SECRET_TRAP_FREED);
	check_zero(MW_SECRET_COMPACT, MW_SECRET_FORCE_FALLBACK);
	default_handler_child();
	return live_done();
}
