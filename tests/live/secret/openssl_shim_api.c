/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmemward-openssl.so implements OpenSSL's whole CRYPTO_secure_* family
 * consistently (issue 10): this program, linked against the real
 * libcrypto, re-executes itself with the shim preloaded and checks what
 * each call answers, with and without CRYPTO_secure_malloc_init():
 *   - malloc/zalloc give zero-filled objects of the heap: allocated() 1,
 *     actual_size() the size, used() grows by it; a pointer from
 *     OPENSSL_malloc is not allocated();
 *   - malloc_initialized() is 1 once an object was made (the heap is made
 *     on first use) or after malloc_init(), which returns 1;
 *   - malloc_done() refuses (0) while any object is live, a 0-byte one
 *     included (red-team round 3: the heap was destroyed under a live
 *     0-byte object, and its free then crashed), and says 1 (initialized()
 *     0) when none is; a later malloc or init makes it initialized again;
 *   - malloc_done() and malloc_init() in a loop while other threads
 *     allocate, query and free (red-team round 4: done destroyed the heap
 *     under them: use after free, SIGSEGV);
 *   - free and clear_free of an OPENSSL_malloc pointer reach OpenSSL's own
 *     free; in a child of fork(), a free of the parent's object is ignored,
 *     also after malloc_done() in the child (round 4: done destroyed the
 *     parent's heap copy, the free then crashed) and for 12 generations of
 *     fork (round 4: the 9th generation's free of its parent's object
 *     crashed: 8 ancestors' heaps were remembered).
 * Usage: live-secret-openssl-shim-api SHIM.so
 */
#include "live.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <time.h>

static bool zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void family(bool init)
{
	size_t used0;
	unsigned char *p, *z, *e;
	void *plain;
	pid_t pid;

	if (init)
		CHECK(CRYPTO_secure_malloc_init(1 << 20, 16) == 1, "malloc_init did not return 1");
	used0 = CRYPTO_secure_used();
	p = CRYPTO_secure_malloc(100, __FILE__, __LINE__);
	z = CRYPTO_secure_zalloc(300, __FILE__, __LINE__);
	e = CRYPTO_secure_malloc(0, __FILE__, __LINE__);
	REQUIRE(p && z && e, "secure malloc/zalloc returned NULL");
	CHECK(CRYPTO_secure_malloc_initialized() == 1, "init %d: initialized() is not 1 with objects live",
	      init);
	CHECK(CRYPTO_secure_allocated(p) && CRYPTO_secure_allocated(z) && CRYPTO_secure_allocated(e),
	      "init %d: allocated() is 0 for an object of the secure heap", init);
	CHECK(CRYPTO_secure_actual_size(p) == 100 && CRYPTO_secure_actual_size(z) == 300,
	      "init %d: actual_size() %zu and %zu for 100 and 300 bytes", init,
	      CRYPTO_secure_actual_size(p), CRYPTO_secure_actual_size(z));
	CHECK(CRYPTO_secure_used() >= used0 + 400, "init %d: used() %zu, was %zu before 400 bytes", init,
	      CRYPTO_secure_used(), used0);
	CHECK(zero(p, 100) && zero(z, 300), "init %d: a new secure object is not zero-filled", init);
	memset(p, 0x11, 100);
	memset(z, 0x22, 300);

	plain = OPENSSL_malloc(64);
	REQUIRE(plain, "OPENSSL_malloc");
	CHECK(!CRYPTO_secure_allocated(plain), "init %d: allocated() is 1 for OPENSSL_malloc memory", init);
	CHECK(CRYPTO_secure_actual_size(plain) == 0, "init %d: actual_size() of OPENSSL_malloc memory is %zu",
	      init, CRYPTO_secure_actual_size(plain));
	CRYPTO_secure_clear_free(plain, 64, __FILE__, __LINE__); /* OpenSSL's own clear_free */

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* The parent's objects: ignored here, and the parent's stay intact. */
		CRYPTO_secure_free(p, __FILE__, __LINE__);
		CRYPTO_secure_clear_free(z, 300, __FILE__, __LINE__);
		_exit(0);
	}
	CHECK(live_wait(pid) == 0, "init %d: a child's free of the parent's objects did not exit 0", init);
	CHECK(p[0] == 0x11 && z[299] == 0x22, "init %d: a child's free changed the parent's objects", init);

	CRYPTO_secure_clear_free(p, 100, __FILE__, __LINE__);
	CRYPTO_secure_free(z, __FILE__, __LINE__);
	CHECK(CRYPTO_secure_malloc_done() == 0,
	      "init %d: malloc_done() destroyed the heap under a live 0-byte object", init);
	CHECK(CRYPTO_secure_malloc_initialized() == 1 && CRYPTO_secure_allocated(e),
	      "init %d: after a refused malloc_done(), the heap or its 0-byte object is gone", init);
	CRYPTO_secure_free(e, __FILE__, __LINE__);
	CHECK(CRYPTO_secure_used() == 0, "init %d: used() %zu with nothing live", init, CRYPTO_secure_used());
	CHECK(CRYPTO_secure_malloc_done() == 1, "init %d: malloc_done() with nothing live is not 1", init);
	CHECK(CRYPTO_secure_malloc_initialized() == 0, "init %d: initialized() after malloc_done() is not 0",
	      init);
}

static int stop;
static long bad;

static void *user(void *arg)
{
	long id = (long)arg;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		size_t n = 1 + (size_t)(id * 37 + random() % 600);
		unsigned char *p = CRYPTO_secure_zalloc(n, __FILE__, __LINE__);

		if (!p)
			continue;
		if (!CRYPTO_secure_allocated(p) || !zero(p, n))
			__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
		memset(p, 0x5a, n);
		(void)CRYPTO_secure_actual_size(p);
		(void)CRYPTO_secure_used();
		CRYPTO_secure_clear_free(p, n, __FILE__, __LINE__);
	}
	return NULL;
}

/* done/init from one thread while three use the heap, for 2 s. */
static void done_race(void)
{
	pthread_t t[3];
	long dones = 0, tries = 0;
	time_t end = time(NULL) + 2;

	for (long i = 0; i < 3; i++)
		REQUIRE(pthread_create(&t[i], NULL, user, (void *)i) == 0, "pthread_create");
	while (time(NULL) < end) {
		dones += CRYPTO_secure_malloc_done();
		tries++;
		CRYPTO_secure_malloc_init(1 << 16, 16);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	CHECK(bad == 0, "%ld objects were not allocated() or not zero-filled while done() ran", bad);
	printf("note: malloc_done() said 1 %ld times in %ld while three threads used the heap\n", dones, tries);
}

/* A child frees its parent's object (after malloc_done() when done), then
 * its own child does the same, for 12 generations; each exits 0 or says
 * why. */
static int generations(int left, void *parents, bool done)
{
	void *mine = CRYPTO_secure_malloc(32, __FILE__, __LINE__);
	pid_t pid;

	if (!mine || !CRYPTO_secure_allocated(mine))
		return 3;
	memset(mine, 0x6b, 32);
	if (parents) {
		if (!CRYPTO_secure_allocated(parents))
			return 4; /* the parent's: recognised (and left alone) */
		CRYPTO_secure_clear_free(parents, 32, __FILE__, __LINE__);
		/* and not taken for one of ours (the child's new heap may sit
		 * where the parent's was: the same address, another object) */
		if (!CRYPTO_secure_allocated(mine) || ((unsigned char *)mine)[31] != 0x6b)
			return 5;
	}
	if (!left)
		return 0;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* nothing of this child's own is live: done may say 1 */
		if (done)
			CRYPTO_secure_malloc_done();
		_exit(generations(left - 1, mine, done));
	}
	return live_wait(pid);
}

int main(int argc, char **argv)
{
	unsigned char *again;

	REQUIRE(argc == 2, "usage: %s SHIM.so", argv[0]);
	if (!getenv("MW_SHIM_API_CHILD")) {
		setenv("MW_SHIM_API_CHILD", "1", 1);
		setenv("LD_PRELOAD", argv[1], 1);
		execv("/proc/self/exe", argv);
		REQUIRE(0, "execv: %s", strerror(errno));
	}
	unsetenv("LD_PRELOAD");
	{
		int fd = (int)syscall(447, O_CLOEXEC); /* memfd_secret */

		if (fd < 0)
			live_skip("memfd_secret: %s (the shim would use its fallback)", strerror(errno));
		close(fd);
	}
	CHECK(CRYPTO_secure_malloc_initialized() == 0, "initialized() is 1 before any use");
	family(false);
	family(true);
	again = CRYPTO_secure_zalloc(32, __FILE__, __LINE__);
	CHECK(again && CRYPTO_secure_allocated(again) && CRYPTO_secure_malloc_initialized() == 1,
	      "after malloc_done(), a new secure object does not come from a new heap");
	CRYPTO_secure_free(again, __FILE__, __LINE__);
	done_race();
	for (int done = 0; done < 2; done++) {
		int rc = generations(12, NULL, done);

		CHECK(rc == 0, "12 generations of fork, each freeing its parent's object%s: exit %d%s",
		      done ? " after malloc_done()" : "", rc,
		      rc > 128 ? " (killed by a signal)" : rc == 4 ? " (the parent's object not recognised)" :
		      rc == 5 ? " (the child's own object freed instead)" : "");
	}
	return live_done();
}
