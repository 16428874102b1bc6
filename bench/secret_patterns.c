/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/secret-patterns: the secret heap under the patterns of real
 * programs (issue 10), each figure printed next to its peers and target.
 *
 *  1. Key store: 1,000 live 32-byte keys; a random one is freed and a new
 *     one allocated (and written). CPU ns per free+alloc, median of 5 runs,
 *     allocators interleaved: compact, glibc malloc, OpenSSL's secure
 *     heap (CRYPTO_secure_malloc_init, 4 MiB), libgcrypt's secure memory
 *     (1 MiB pool). Targets: compact <= 2x malloc, >= 5x faster than
 *     OpenSSL, >= 50x faster than libgcrypt. Measured twice: while the
 *     process has one thread, and again once a second (idle) thread exists:
 *     glibc's malloc and memward's compact free then use atomic
 *     instructions they skip in a single-threaded process.
 *  2. Producer/consumer: one thread allocates 32-byte objects, another frees
 *     them (at most 256 live), 10 million objects; bytes locked sampled
 *     every 100,000. Target: at most 2x the live bytes (slots with their
 *     canaries) plus the thread caches' cap plus one chunk per central list
 *     (the granularity in which slabs are mapped).
 *  3. Large churn (run first, before the peers lock their arenas): 100 rounds of alloc(2 MiB) x3, free, alloc(5 MiB),
 *     free: bytes locked and MemFree before and after.
 *  4. Guarded growth (run second): 512 live 32-byte objects allocated on a
 *     fresh guarded heap, each one a new slot (mapped, its page faulted
 *     in: the kernel takes each new secret page out of the direct map),
 *     against 512 sodium_malloc(32); wall-clock microseconds per
 *     allocation, median of 5 interleaved runs; the first of them alone
 *     (memward maps its first slab then); and the same heap's slots
 *     reused. Interleaved
 *     with them, the floors measured without memward: (a) the kernel's
 *     first touch of one new memfd_secret page (one secretmem mapping of
 *     512 pages made untimed, then each page written once; the time per
 *     page), and (b) that plus one mmap(MAP_FIXED) of the page from a
 *     memfd_secret file into a PROT_NONE reservation, the least a slot
 *     bounded by an unmapped guard page needs. memward's overhead is
 *     printed above both.
 *
 * Usage: bench/secret-patterns [--quick] [--nobody]
 *   --quick   fewer runs and operations (a smoke test)
 *   --nobody  (as root) first become uid/gid 65534 without capabilities,
 *             RLIMIT_MEMLOCK 8 MiB: the figures an unprivileged daemon gets
 */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <gcrypt.h>
#include <openssl/crypto.h>
#include <sodium.h>

#include <memward/memward.h>

#include "nobody.h"

#define KEYS 1000
#define RUNS 5
static int runs = RUNS;
static long store_ops = 400000;
static long pc_ops = 10000000;
static int churn_rounds = 100;
static struct mw_secret_heap *heap;

static double clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* The key store is timed on this thread's CPU clock: on a shared 2-CPU
 * machine (load average above 10 while this was written) the wall clock
 * mostly measures the run queue. */
static double cpu_ns(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ---- 1. key store ---- */

static void *a_compact(size_t n) { return mw_secret_alloc(heap, n); }
static void f_compact(void *p) { mw_secret_free(heap, p); }
static void *a_malloc(size_t n) { return malloc(n); }
static void f_malloc(void *p) { free(p); }
static void *a_openssl(size_t n) { return CRYPTO_secure_malloc(n, __FILE__, __LINE__); }
static void f_openssl(void *p) { CRYPTO_secure_free(p, __FILE__, __LINE__); }
static void *a_gcrypt(size_t n) { return gcry_malloc_secure(n); }
static void f_gcrypt(void *p) { gcry_free(p); }

static const struct {
	const char *name;
	void *(*alloc)(size_t);
	void (*free)(void *);
} allocs[] = {
	{ "memward compact", a_compact, f_compact },
	{ "glibc malloc", a_malloc, f_malloc },
	{ "OpenSSL secure heap", a_openssl, f_openssl },
	{ "libgcrypt secure", a_gcrypt, f_gcrypt },
};
#define NALLOC 4

/* One run: ns per free+alloc, or -1 when an allocation failed. */
static double store_run(int ai, long ops)
{
	static void *keys[KEYS];
	uint64_t x = 0x9E3779B97F4A7C15ull;
	double t0, t;

	for (int i = 0; i < KEYS; i++) {
		keys[i] = allocs[ai].alloc(32);
		if (!keys[i])
			return -1;
		memset(keys[i], i, 32);
	}
	t0 = cpu_ns();
	for (long k = 0; k < ops; k++) {
		unsigned int i;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		i = (unsigned int)(x % KEYS);
		allocs[ai].free(keys[i]);
		keys[i] = allocs[ai].alloc(32);
		if (!keys[i])
			return -1;
		((volatile unsigned char *)keys[i])[0] = (unsigned char)k;
	}
	t = (cpu_ns() - t0) / (double)ops;
	for (int i = 0; i < KEYS; i++)
		allocs[ai].free(keys[i]);
	return t;
}

static void key_store(const char *when)
{
	double v[NALLOC][RUNS], med[NALLOC];
	long ops[NALLOC];

	/* libgcrypt is ~100x slower: fewer operations, same ~time. */
	for (int a = 0; a < NALLOC; a++)
		ops[a] = a == 3 ? store_ops / 100 : store_ops;
	for (int r = 0; r < runs; r++)
		for (int a = 0; a < NALLOC; a++)
			v[a][r] = store_run(a, ops[a]);
	printf("1. key store: %d live 32-byte keys, random free + alloc, median of %d runs "
	       "(thread CPU time), %s\n", KEYS, runs, when);
	for (int a = 0; a < NALLOC; a++) {
		qsort(v[a], (size_t)runs, sizeof(double), cmp_double);
		med[a] = v[a][runs / 2];
		if (v[a][0] < 0)
			printf("   %-20s FAILED (allocation failed)\n", allocs[a].name);
		else
			printf("   %-20s %9.1f ns per free+alloc   %7.2fx compact\n", allocs[a].name,
			       med[a], med[a] / med[0]);
	}
	printf("   target compact <= 2x malloc: %.2fx %s\n", med[0] / med[1],
	       med[0] <= 2 * med[1] ? "MET" : "NOT MET");
	printf("   target >= 5x faster than OpenSSL: %.1fx %s\n", med[2] / med[0],
	       med[2] >= 5 * med[0] ? "MET" : "NOT MET");
	printf("   target >= 50x faster than libgcrypt: %.1fx %s\n\n", med[3] / med[0],
	       med[3] >= 50 * med[0] ? "MET" : "NOT MET");
}

/* Blocks until the main thread writes to the pipe: a process with two
 * threads, the second doing nothing. */
static void *idle_thread(void *arg)
{
	char c;

	if (read(*(int *)arg, &c, 1) < 0)
		return NULL;
	return arg;
}

/* ---- 2. producer / consumer ---- */

#define RING 256
static void *ring[RING];
static unsigned long head, tail;
static size_t max_locked;

static size_t locked_now(void)
{
	struct mw_secret_stats st = { .sz = sizeof(st) };

	return mw_secret_heap_stats(heap, &st) == 0 ? st.bytes_locked : 0;
}

static void *producer(void *arg)
{
	(void)arg;
	for (long i = 0; i < pc_ops; i++) {
		void *p;

		while (__atomic_load_n(&head, __ATOMIC_ACQUIRE) - __atomic_load_n(&tail, __ATOMIC_ACQUIRE) ==
		       RING)
			sched_yield();
		p = mw_secret_alloc(heap, 32);
		ring[head % RING] = p;
		__atomic_store_n(&head, head + 1, __ATOMIC_RELEASE);
		if (!p)
			break;
		if (i % 100000 == 0) {
			size_t l = locked_now();

			if (l > max_locked)
				max_locked = l;
		}
	}
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (long i = 0; i < pc_ops; i++) {
		void *p;

		while (__atomic_load_n(&tail, __ATOMIC_ACQUIRE) == __atomic_load_n(&head, __ATOMIC_ACQUIRE))
			sched_yield();
		p = ring[tail % RING];
		__atomic_store_n(&tail, tail + 1, __ATOMIC_RELEASE);
		if (!p)
			break;
		mw_secret_free(heap, p);
	}
	return NULL;
}

static void producer_consumer(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t shards = ncpu < 1 ? 1 : ncpu > 8 ? 8 : (size_t)ncpu;
	size_t live = RING * (32 + 16), caches = 2 * 64 * (32 + 16), bound;
	pthread_t a, b;
	double t0 = now_ns(), t;

	pthread_create(&a, NULL, producer, NULL);
	pthread_create(&b, NULL, consumer, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	t = (now_ns() - t0) / 1e9;
	if (locked_now() > max_locked)
		max_locked = locked_now();
	bound = 2 * live + caches + shards * (64 << 10);
	printf("2. producer/consumer: %ld objects of 32 bytes through 2 threads (<= %d live) in "
	       "%.1f s\n", pc_ops, RING, t);
	printf("   bytes locked: max %zu (live slots %zu, caches' cap %zu, %zu lists x 64 KiB chunk)\n",
	       max_locked, live, caches, shards);
	printf("   target <= 2x live + caches + one chunk per list = %zu: %s\n\n", bound,
	       max_locked <= bound ? "MET" : "NOT MET");
}

/* ---- 3. large churn ---- */

static long memfree_kib(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static void large_churn(void)
{
	size_t l0 = locked_now(), l1;
	long m0 = memfree_kib(), m1;
	double t0 = now_ns();
	int r;

	for (r = 0; r < churn_rounds; r++) {
		void *p[3];
		int i;

		for (i = 0; i < 3; i++)
			if (!(p[i] = mw_secret_alloc(heap, 2 << 20)))
				break;
		for (int k = 0; k < i; k++)
			mw_secret_free(heap, p[k]);
		if (i < 3 || !(p[0] = mw_secret_alloc(heap, 5 << 20)))
			break;
		memset(p[0], 1, 5 << 20);
		mw_secret_free(heap, p[0]);
	}
	l1 = locked_now();
	m1 = memfree_kib();
	printf("3. large churn: %d of %d rounds of alloc(2 MiB) x3, free, alloc(5 MiB), free in %.1f s%s\n",
	       r, churn_rounds, (now_ns() - t0) / 1e9, r < churn_rounds ? ": FAILED" : "");
	printf("   bytes locked %zu -> %zu; MemFree %ld -> %ld KiB (%+ld KiB; other processes move it)\n",
	       l0, l1, m0, m1, m1 - m0);
	printf("   target: locked back to its start: %s\n\n", l1 == l0 && r == churn_rounds ? "MET" : "NOT MET");
}

/* ---- 4. guarded growth ---- */

#define GROW 512

/* us per allocation of GROW live 32-byte objects: a fresh guarded heap
 * (every one a new slot; reuse: the same again on that heap after freeing
 * them), or sodium_malloc. *first: the first allocation alone (on the fresh
 * heap: its first slab is made then). -1 when an allocation failed. */
static double grow_run(int who, double *reuse, double *first)
{
	static void *v[GROW];
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = MW_SECRET_GUARDED };
	struct mw_secret_heap *g = who == 0 ? mw_secret_heap_new(&o) : NULL;
	double t0, t = -1;
	int i;

	if (who == 0 && !g)
		return -1;
	t0 = now_ns();
	for (i = 0; i < GROW; i++) {
		if (!(v[i] = who == 0 ? mw_secret_alloc(g, 32) : sodium_malloc(32)))
			break;
		if (i == 0)
			*first = (now_ns() - t0) / 1e3;
	}
	if (i == GROW)
		t = (now_ns() - t0) / 1e3 / GROW;
	while (i-- > 0)
		who == 0 ? mw_secret_free(g, v[i]) : sodium_free(v[i]);
	if (who == 0 && reuse) {
		t0 = now_ns();
		for (i = 0; i < GROW; i++)
			if (!(v[i] = mw_secret_alloc(g, 32)))
				break;
		*reuse = i == GROW ? (now_ns() - t0) / 1e3 / GROW : -1;
		while (i-- > 0)
			mw_secret_free(g, v[i]);
	}
	mw_secret_heap_destroy(g);
	return t;
}

/* A secretmem file of `pages` pages, or -1 (errno set). */
static int secret_file(size_t pages)
{
#ifdef SYS_memfd_secret
	int fd = (int)syscall(SYS_memfd_secret, 0);

	if (fd >= 0 && ftruncate(fd, (off_t)(pages * 4096)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
#else
	(void)pages;
	errno = ENOSYS;
	return -1;
#endif
}

/* The floors, in us per page, without memward. with_map false: GROW pages
 * of one secretmem mapping made untimed, each written once (the kernel's
 * fault takes the page out of the direct map). with_map true: for each page,
 * mmap(MAP_FIXED) of one page of a secretmem file into a PROT_NONE
 * reservation (a page of it left between two, the guard), then written
 * once. -1 when secretmem or the mapping failed. */
static double floor_run(bool with_map)
{
	size_t pg = 4096, resv = (2 * GROW + 1) * pg;
	char *r = mmap(NULL, resv, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	int fd = secret_file(GROW);
	double t0, t = -1;
	char *m = MAP_FAILED;
	int i = 0;

	if (r == MAP_FAILED || fd < 0)
		goto out;
	if (!with_map) {
		m = mmap(r, GROW * pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
		if (m == MAP_FAILED)
			goto out;
		t0 = now_ns();
		for (i = 0; i < GROW; i++)
			((volatile char *)m)[(size_t)i * pg] = 1;
	} else {
		t0 = now_ns();
		for (i = 0; i < GROW; i++) {
			char *p = r + (2 * (size_t)i + 1) * pg;

			if (mmap(p, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
				 (off_t)((size_t)i * pg)) == MAP_FAILED)
				break;
			*(volatile char *)p = 1;
		}
	}
	if (i == GROW)
		t = (now_ns() - t0) / 1e3 / GROW;
out:
	if (fd >= 0)
		close(fd);
	if (r != MAP_FAILED)
		munmap(r, resv);
	return t;
}

static void guarded_growth(void)
{
	double mw[RUNS], so[RUNS], re[RUNS], fl[RUNS], fm[RUNS], mw1[RUNS], so1[RUNS];
	double m, s, f, g;

	for (int r = 0; r < runs; r++) {
		fl[r] = floor_run(false);
		mw[r] = grow_run(0, &re[r], &mw1[r]);
		fm[r] = floor_run(true);
		so[r] = grow_run(1, NULL, &so1[r]);
	}
	qsort(mw, (size_t)runs, sizeof(double), cmp_double);
	qsort(so, (size_t)runs, sizeof(double), cmp_double);
	qsort(re, (size_t)runs, sizeof(double), cmp_double);
	qsort(fl, (size_t)runs, sizeof(double), cmp_double);
	qsort(fm, (size_t)runs, sizeof(double), cmp_double);
	qsort(mw1, (size_t)runs, sizeof(double), cmp_double);
	qsort(so1, (size_t)runs, sizeof(double), cmp_double);
	printf("4. guarded growth: %d live 32-byte objects, each a new slot, median of %d runs (wall clock)\n",
	       GROW, runs);
	if (mw[0] < 0 || so[0] < 0) {
		printf("   FAILED (allocation failed: %s)\n\n", mw_secret_last_error());
		return;
	}
	m = mw[runs / 2];
	s = so[runs / 2];
	f = fl[runs / 2];
	g = fm[runs / 2];
	printf("   memward guarded, new slot   %8.2f us per alloc   (runs %.2f-%.2f)\n", m, mw[0],
	       mw[runs - 1]);
	printf("   libsodium sodium_malloc     %8.2f us per alloc   %5.2fx memward\n", s, s / m);
	printf("   memward guarded, reused     %8.3f us per alloc\n", re[runs / 2]);
	printf("   the first alloc alone: memward %.2f us (its first slab made), "
	       "sodium_malloc %.2f us\n", mw1[runs / 2], so1[runs / 2]);
	if (fl[0] < 0 || fm[0] < 0) {
		printf("   kernel floor: not measured (memfd_secret: %s)\n", strerror(errno));
	} else {
		printf("   floor: first touch of a new memfd_secret page          %8.2f us   (runs %.2f-%.2f)\n",
		       f, fl[0], fl[runs - 1]);
		printf("   floor: one mmap into a reservation + first touch       %8.2f us   (runs %.2f-%.2f)\n",
		       g, fm[0], fm[runs - 1]);
		printf("   memward's own cost above the first touch: %.2f us (%.0f%% of a new slot), "
		       "above mmap + first touch: %.2f us\n", m - f, 100 * (m - f) / m, m - g);
		printf("   (the fault's cost moves by microseconds from run to run on a shared "
		       "machine: compare differences with the runs' spread)\n");
		printf("   first touch / sodium_malloc: %.2fx (the kernel takes each new secret page "
		       "out of its direct map and flushes that page's TLB entry on every CPU)\n", f / s);
	}
	printf("   new guarded slot / sodium_malloc: %.2fx\n\n", m / s);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			runs = 3;
			store_ops = 50000;
			pc_ops = 1000000;
			churn_rounds = 10;
		} else if (!strcmp(argv[i], "--nobody")) {
			if (bench_become_nobody() < 0) {
				fprintf(stderr, "bench: cannot become nobody: %s\n", strerror(errno));
				return 2;
			}
		} else {
			fprintf(stderr, "usage: %s [--quick] [--nobody]\n", argv[0]);
			return 64;
		}
	}
	heap = mw_secret_heap_new(NULL);
	if (!heap) {
		fprintf(stderr, "bench: mw_secret_heap_new: %s\n", mw_secret_last_error());
		return 2;
	}
	printf("bench/secret-patterns as uid %d (RLIMIT_MEMLOCK %s), heap backing %s\n\n",
	       (int)getuid(), bench_memlock_text(),
	       mw_secret_backing_name(mw_secret_heap_backing(heap)));
	/* First, before the peers lock their arenas (5 MiB of the 8 MiB a
	 * nobody may lock on 6.18, where mlock and secretmem share VmLck). */
	large_churn();
	if (sodium_init() < 0) {
		fprintf(stderr, "bench: sodium_init failed\n");
		return 2;
	}
	guarded_growth();
	if (!CRYPTO_secure_malloc_init(4 << 20, 16)) {
		fprintf(stderr, "bench: CRYPTO_secure_malloc_init(4 MiB, 16) failed\n");
		return 2;
	}
	if (!gcry_check_version(NULL)) {
		fprintf(stderr, "bench: gcry_check_version failed\n");
		return 2;
	}
	gcry_control(GCRYCTL_INIT_SECMEM, 1 << 20, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	key_store("one thread in the process");
	{
		pthread_t t;
		int fds[2];
		char c;

		if (pipe(fds) == 0 && pthread_create(&t, NULL, idle_thread, &fds[0]) == 0) {
			key_store("a second (idle) thread in the process");
			if (write(fds[1], &c, 1) != 1 || pthread_join(t, NULL) != 0)
				return 2;
			close(fds[0]);
			close(fds[1]);
		}
	}
	producer_consumer();
	mw_secret_heap_destroy(heap);
	return 0;
}
