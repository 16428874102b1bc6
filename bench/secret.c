/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/secret: alloc+free of secrets, memward's heap (compact and guarded)
 * against the secure allocators Debian ships (libsodium sodium_malloc,
 * OpenSSL CRYPTO_secure_malloc, libgcrypt gcry_malloc_secure) and glibc
 * malloc, all in one run, so that the ratios hold on a noisy machine.
 *
 * For every allocator and size (32 B, 256 B, 4 KiB): a loop of alloc, touch
 * one byte, free; the loop length is calibrated to about 10 ms, and the
 * figure is the median of 5 runs, in ns per alloc+free. Then two threads
 * run the same loop at once on the same allocator (one heap, one arena):
 * the throughput ratio two threads / one thread. Last, the bytes each
 * allocator locks (mlock or secretmem) per live 32-byte secret, with 10,000
 * of them live (fewer for the page-per-object allocators, scaled), and the
 * targets of issue 3, MET or NOT MET.
 *
 * Both the one-thread and the two-thread figures come from threads started
 * for the run (not the main thread), so that they differ only in the count;
 * thread i is pinned to the i-th CPU the process may use, in both, so that
 * the scheduler cannot put two threads on one CPU for part of a run.
 *
 * The scaling target's figure: the machine's 2 CPUs are shared with other
 * work, so one run's ratio says little. SCALE_RUNS repetitions alternate
 * compact, glibc malloc and the loop without allocation (one thread, then
 * two, or two then one, in turn); the target's figure is compact's median
 * of the per-repetition ratios, on the wall clock. Next to it, the same for
 * glibc malloc and the bare loop (what the machine gave: 2.00x with two free
 * CPUs), and two diagnostics that other processes cannot skew: the ratio
 * with each thread's run-queue wait (/proc/thread-self/schedstat: runnable,
 * its CPU taken by another process) removed from its time, and the CPU time
 * per alloc+free of a thread, two threads against one (1.00x = the threads
 * do not slow each other down: no lock contention, no false sharing).
 * These explain a miss; the MET / NOT MET line stays on the wall clock.
 *
 * Usage: bench/secret [--quick] [--nobody]   (--quick: 3 runs of ~3 ms, for
 * smoke tests; --nobody: as root, first become uid/gid 65534 without
 * capabilities under an 8 MiB RLIMIT_MEMLOCK, as an unprivileged program
 * runs, bench/nobody.h)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gcrypt.h>
#include <openssl/crypto.h>
#include <sodium.h>

#include <memward/memward.h>

#include "nobody.h"

#define MAX_RUNS 5
#define NSIZES 3
static const size_t sizes[NSIZES] = { 32, 256, 4096 };
static int runs = MAX_RUNS;
static double target_ms = 10.0;

static struct mw_secret_heap *compact_heap, *guarded_heap;

/* ---- the allocators ---------------------------------------------------- */

static void *a_compact(size_t n) { return mw_secret_alloc(compact_heap, n); }
static void f_compact(void *p) { mw_secret_free(compact_heap, p); }
static void *a_guarded(size_t n) { return mw_secret_alloc(guarded_heap, n); }
static void f_guarded(void *p) { mw_secret_free(guarded_heap, p); }
static void *a_sodium(size_t n) { return sodium_malloc(n); }
static void f_sodium(void *p) { sodium_free(p); }
static void *a_openssl(size_t n) { return CRYPTO_secure_malloc(n, __FILE__, __LINE__); }
static void f_openssl(void *p) { CRYPTO_secure_free(p, __FILE__, __LINE__); }
static void *a_gcrypt(size_t n) { return gcry_malloc_secure(n); }
static void f_gcrypt(void *p) { gcry_free(p); }
static void *a_malloc(size_t n) { return malloc(n); }
static void f_malloc(void *p) { free(p); }
/* The loop alone, no allocator: how well two threads scale on this machine
 * right now (the 2 cores are shared with other work). */
static _Thread_local unsigned char none_buf[4096];
static void *a_none(size_t n) { (void)n; return none_buf; }
static void f_none(void *p) { (void)p; }

enum { COMPACT, GUARDED, SODIUM, OPENSSL, GCRYPT, MALLOC, NONE, NALLOC };

static const struct allocator {
	const char *name;
	void *(*alloc)(size_t);
	void (*free)(void *);
} allocs[NALLOC] = {
	[COMPACT] = { "memward compact", a_compact, f_compact },
	[GUARDED] = { "memward guarded", a_guarded, f_guarded },
	[SODIUM] = { "libsodium sodium_malloc", a_sodium, f_sodium },
	[OPENSSL] = { "OpenSSL CRYPTO_secure_malloc", a_openssl, f_openssl },
	[GCRYPT] = { "libgcrypt gcry_malloc_secure", a_gcrypt, f_gcrypt },
	[MALLOC] = { "glibc malloc", a_malloc, f_malloc },
	[NONE] = { "(no allocation: baseline)", a_none, f_none },
};

/* ---- timing ------------------------------------------------------------ */

static double clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

/* The first two CPUs this process may run on (-1: none). */
static int cpu_of[2] = { -1, -1 };

static void find_cpus(void)
{
	cpu_set_t set;
	int k = 0;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return;
	for (int c = 0; c < CPU_SETSIZE && k < 2; c++)
		if (CPU_ISSET(c, &set))
			cpu_of[k++] = c;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* n alloc+free pairs; false when an allocation failed. The store through a
 * volatile pointer keeps the compiler from eliding malloc/free pairs. */
static bool loop(const struct allocator *a, size_t size, long n)
{
	for (long i = 0; i < n; i++) {
		volatile unsigned char *p = a->alloc(size);

		if (!p)
			return false;
		p[0] = (unsigned char)i;
		a->free((void *)p);
	}
	return true;
}

/* Iterations that take about target_ms. */
static long calibrate(const struct allocator *a, size_t size)
{
	long n = 64;

	for (;;) {
		double t0 = now_ns(), dt;

		if (!loop(a, size, n))
			return -1;
		dt = now_ns() - t0;
		if (dt >= target_ms * 1e6 / 4 || n >= (1L << 26))
			return (long)((double)n * (target_ms * 1e6) / (dt > 0 ? dt : 1)) + 1;
		n *= 4;
	}
}

struct thread_arg {
	const struct allocator *a;
	size_t size;
	long n;
	int cpu;
	pthread_barrier_t *bar;
	double t0, t1, cpu_ns, wait_ns;
	bool ok;
};

/* Time this thread has spent runnable but waiting for a CPU (taken by other
 * processes: the benchmark's threads are pinned apart), in ns, from
 * /proc/thread-self/schedstat; -1 if unknown. */
static double runqueue_wait_ns(int fd)
{
	char buf[128];
	unsigned long long run, wait;
	ssize_t k = fd >= 0 ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;

	if (k <= 0)
		return -1;
	buf[k] = '\0';
	return sscanf(buf, "%llu %llu", &run, &wait) == 2 ? (double)wait : -1;
}

static void *thread_main(void *p)
{
	struct thread_arg *t = p;
	int fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	double c0, w0, w1;

	if (t->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(t->cpu, &set);
		sched_setaffinity(0, sizeof(set), &set); /* best effort */
	}
	pthread_barrier_wait(t->bar);
	w0 = runqueue_wait_ns(fd);
	t->t0 = now_ns();
	c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	t->ok = loop(t->a, t->size, t->n);
	t->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	t->t1 = now_ns();
	w1 = runqueue_wait_ns(fd);
	t->wait_ns = w0 >= 0 && w1 >= w0 ? w1 - w0 : -1;
	if (fd >= 0)
		close(fd);
	return NULL;
}

struct run_extra {
	double cpu;      /* the threads' mean CPU time per pair */
	double nowait;   /* wall time per pair without the run-queue wait (-1: unknown) */
};

/* nthreads threads (not the main thread, so that one and two threads run
 * alike; thread i on cpu_of[i]) each doing n alloc+free pairs at once;
 * returns the wall time per pair over all threads, i.e. an inverse
 * throughput in ns; *x (if not NULL) gets the figures above. */
static double run_threads_x(const struct allocator *a, size_t size, long n, int nthreads, bool *ok,
			    struct run_extra *x)
{
	pthread_barrier_t bar;
	struct thread_arg t[2];
	pthread_t th[2];
	double start, end;

	pthread_barrier_init(&bar, NULL, (unsigned int)nthreads);
	for (int i = 0; i < nthreads; i++) {
		t[i] = (struct thread_arg){ .a = a, .size = size, .n = n, .cpu = cpu_of[i], .bar = &bar };
		pthread_create(&th[i], NULL, thread_main, &t[i]);
	}
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&bar);
	start = t[0].t0;
	end = t[0].t1;
	for (int i = 1; i < nthreads; i++) {
		start = t[i].t0 < start ? t[i].t0 : start;
		end = t[i].t1 > end ? t[i].t1 : end;
	}
	if (x) {
		double slowest = 0;

		x->cpu = 0;
		for (int i = 0; i < nthreads; i++) {
			double own = t[i].t1 - t[i].t0 - t[i].wait_ns;

			x->cpu += t[i].cpu_ns / ((double)nthreads * (double)n);
			slowest = t[i].wait_ns < 0 || slowest < 0 ? -1 : own > slowest ? own : slowest;
		}
		x->nowait = slowest < 0 ? -1 : slowest / ((double)nthreads * (double)n);
	}
	for (int i = 0; i < nthreads; i++)
		*ok = *ok && t[i].ok;
	return (end - start) / ((double)nthreads * (double)n);
}

static double run_threads(const struct allocator *a, size_t size, long n, int nthreads, bool *ok)
{
	return run_threads_x(a, size, n, nthreads, ok, NULL);
}

struct result {
	double ns[NSIZES];        /* median ns per alloc+free, one thread */
	double scale2[NSIZES];    /* throughput two threads / one thread */
	bool ok;
};

static void measure(int ai, struct result *r)
{
	const struct allocator *a = &allocs[ai];

	r->ok = true;
	for (int s = 0; s < NSIZES; s++) {
		double one[MAX_RUNS], two[MAX_RUNS];
		long n = calibrate(a, sizes[s]);

		if (n < 0) {
			r->ok = false;
			fprintf(stderr, "bench: %s cannot allocate %zu bytes: %s\n", a->name, sizes[s],
				strerror(errno));
			return;
		}
		for (int k = 0; k < runs; k++) {
			one[k] = run_threads(a, sizes[s], n, 1, &r->ok);
			two[k] = run_threads(a, sizes[s], n, 2, &r->ok);
		}
		r->ns[s] = median(one, runs);
		r->scale2[s] = r->ns[s] / median(two, runs);
	}
}

/* ---- locked bytes per live secret -------------------------------------- */

static long vmlck_bytes(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

/* Allocate `live` 32-byte secrets and keep them; returns the VmLck growth
 * per secret (what this allocator locks for them, arena included when it is
 * locked at first use), or -1. *mw_locked gets the memward stats figure. */
static double locked_per_secret(int ai, int live, double *mw_locked)
{
	const struct allocator *a = &allocs[ai];
	void **p = calloc((size_t)live, sizeof(*p));
	long before = vmlck_bytes(), after;
	double per = -1;
	int got = 0;

	if (!p)
		return -1;
	for (; got < live; got++)
		if (!(p[got] = a->alloc(32)))
			break;
	after = vmlck_bytes();
	if (got == live && before >= 0 && after >= 0)
		per = (double)(after - before) / live;
	if (mw_locked && (ai == COMPACT || ai == GUARDED)) {
		struct mw_secret_stats st = { .sz = sizeof(st) };

		*mw_locked = -1;
		if (!mw_secret_heap_stats(ai == COMPACT ? compact_heap : guarded_heap, &st))
			*mw_locked = (double)st.bytes_locked / live;
	}
	if (ai == NONE)
		per = 0;
	if (got < live)
		fprintf(stderr, "bench: %s: only %d of %d live 32-byte secrets (%s)\n", a->name, got, live,
			strerror(errno));
	for (int i = 0; i < got; i++)
		a->free(p[i]);
	free(p);
	return got == live ? per : -1;
}

/* ---- two-thread scaling, interleaved ------------------------------------ */

/* The machine's 2 cores are shared: a row measured a second later may see
 * another load. So the target's figure comes from SCALE_RUNS repetitions
 * that alternate compact, glibc malloc and the no-allocation loop (the
 * order rotating, one thread before two or two before one in turn); the
 * medians of the per-repetition ratios. */
#define SCALE_RUNS 25
#define NWHO 3
static const int who[NWHO] = { COMPACT, MALLOC, NONE };

struct scale {
	double med, lo, hi;   /* wall-clock throughput ratio: median, min, max */
	double nowait;        /* median ratio without run-queue waits (-1: unknown) */
	double cpu;           /* median CPU time per op, two threads / one */
};

static void scaling(struct scale out[NWHO], int reps)
{
	double v[NWHO][SCALE_RUNS], c[NWHO][SCALE_RUNS], w[NWHO][SCALE_RUNS];
	bool known = true;
	long n[NWHO];
	bool ok = true;

	for (int j = 0; j < NWHO; j++)
		n[j] = calibrate(&allocs[who[j]], 32);
	for (int k = 0; k < reps; k++)
		for (int jj = 0; jj < NWHO; jj++) {
			int j = (jj + k) % NWHO;
			struct run_extra x1, x2;
			double one, two;

			if (k % 2) {
				two = run_threads_x(&allocs[who[j]], 32, n[j], 2, &ok, &x2);
				one = run_threads_x(&allocs[who[j]], 32, n[j], 1, &ok, &x1);
			} else {
				one = run_threads_x(&allocs[who[j]], 32, n[j], 1, &ok, &x1);
				two = run_threads_x(&allocs[who[j]], 32, n[j], 2, &ok, &x2);
			}
			v[j][k] = one / two;
			c[j][k] = x2.cpu / x1.cpu;
			w[j][k] = x1.nowait > 0 && x2.nowait > 0 ? x1.nowait / x2.nowait : 0;
			known = known && x1.nowait > 0 && x2.nowait > 0;
		}
	for (int j = 0; j < NWHO; j++) {
		out[j].med = median(v[j], reps); /* sorts v[j] */
		out[j].lo = v[j][0];
		out[j].hi = v[j][reps - 1];
		out[j].cpu = median(c[j], reps);
		out[j].nowait = known ? median(w[j], reps) : -1;
	}
}

/* ---- main -------------------------------------------------------------- */

static const char *met(bool ok) { return ok ? "MET" : "NOT MET"; }

int main(int argc, char **argv)
{
	struct mw_secret_opts co = { .sz = sizeof(co), .mode = MW_SECRET_COMPACT };
	struct mw_secret_opts go = { .sz = sizeof(go), .mode = MW_SECRET_GUARDED };
	static struct result res[NALLOC];
	long arena_before, arena_locked, gcry_before, gcry_locked;
	double lk[NALLOC], mwlk[NALLOC] = { 0 };
	/* Live secrets for the locked-bytes figure: fewer for the allocators
	 * that take a page per object (guarded, sodium), fewer still under a
	 * finite memlock limit (--nobody: 8 MiB, of which the OpenSSL arena and
	 * the libgcrypt pool take 5 MiB at init), so that they fit. */
	static int live[NALLOC] = { 10000, 1000, 1000, 10000, 10000, 10000, 10000 };
	double t_start = now_ns();
	int ossl;

	find_cpus();
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			runs = 3;
			target_ms = 3.0;
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

	compact_heap = mw_secret_heap_new(&co);
	guarded_heap = mw_secret_heap_new(&go);
	if (!compact_heap || !guarded_heap) {
		fprintf(stderr, "bench: mw_secret_heap_new: %s: %s\n", strerror(errno), mw_secret_last_error());
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "bench: sodium_init failed\n");
		return 2;
	}
	arena_before = vmlck_bytes();
	ossl = CRYPTO_secure_malloc_init(4 << 20, 16);
	arena_locked = vmlck_bytes() - arena_before;
	if (!ossl) {
		fprintf(stderr, "bench: CRYPTO_secure_malloc_init(4 MiB, 16) failed\n");
		return 2;
	}
	if (!gcry_check_version(NULL)) {
		fprintf(stderr, "bench: gcry_check_version failed\n");
		return 2;
	}
	gcry_before = vmlck_bytes();
	gcry_control(GCRYCTL_INIT_SECMEM, 1 << 20, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	gcry_locked = vmlck_bytes() - gcry_before;

	printf("bench/secret as uid %d (RLIMIT_MEMLOCK %s): alloc+free, median of %d runs of ~%.0f ms, "
	       "ns per alloc+free\n", (int)getuid(), bench_memlock_text(), runs, target_ms);
	printf("memward heaps: compact '%s' backing, guarded '%s' backing%s%s\n",
	       mw_secret_backing_name(mw_secret_heap_backing(compact_heap)),
	       mw_secret_backing_name(mw_secret_heap_backing(guarded_heap)),
	       mw_secret_heap_fallback_reason(compact_heap)[0] ? ": " : "",
	       mw_secret_heap_fallback_reason(compact_heap));
	printf("OpenSSL arena 4 MiB, min 16 (init returned %d%s); libgcrypt pool 1 MiB\n\n", ossl,
	       ossl == 2 ? ": arena NOT locked" : "");
	printf("%-30s %12s %12s %12s   %s\n", "allocator", "32 B", "256 B", "4 KiB", "2 threads / 1 (32 B, 256 B, 4 KiB)");
	for (int i = 0; i < NALLOC; i++) {
		measure(i, &res[i]);
		printf("%-30s", allocs[i].name);
		for (int s = 0; s < NSIZES; s++)
			printf(" %12.1f", res[i].ok ? res[i].ns[s] : -1.0);
		printf("   ");
		for (int s = 0; s < NSIZES; s++)
			printf("%s%.2fx", s ? ", " : "", res[i].scale2[s]);
		printf("%s\n", res[i].ok ? "" : "  (allocation failed)");
		fflush(stdout);
	}

	printf("\nRatios (32 B; 256 B; 4 KiB):\n");
	printf("  compact / malloc        %6.2f; %6.2f; %6.2f   (lower is better)\n",
	       res[COMPACT].ns[0] / res[MALLOC].ns[0], res[COMPACT].ns[1] / res[MALLOC].ns[1],
	       res[COMPACT].ns[2] / res[MALLOC].ns[2]);
	printf("  OpenSSL / compact       %6.1f; %6.1f; %6.1f   (compact is this many times faster)\n",
	       res[OPENSSL].ns[0] / res[COMPACT].ns[0], res[OPENSSL].ns[1] / res[COMPACT].ns[1],
	       res[OPENSSL].ns[2] / res[COMPACT].ns[2]);
	printf("  libgcrypt / compact     %6.1f; %6.1f; %6.1f\n",
	       res[GCRYPT].ns[0] / res[COMPACT].ns[0], res[GCRYPT].ns[1] / res[COMPACT].ns[1],
	       res[GCRYPT].ns[2] / res[COMPACT].ns[2]);
	printf("  sodium / guarded        %6.1f; %6.1f; %6.1f   (guarded is this many times faster)\n",
	       res[SODIUM].ns[0] / res[GUARDED].ns[0], res[SODIUM].ns[1] / res[GUARDED].ns[1],
	       res[SODIUM].ns[2] / res[GUARDED].ns[2]);

	/* Fresh heaps: the timing left chunks of other size classes behind. */
	mw_secret_heap_destroy(compact_heap);
	mw_secret_heap_destroy(guarded_heap);
	compact_heap = mw_secret_heap_new(&co);
	guarded_heap = mw_secret_heap_new(&go);
	if (!compact_heap || !guarded_heap) {
		fprintf(stderr, "bench: mw_secret_heap_new: %s: %s\n", strerror(errno), mw_secret_last_error());
		return 2;
	}
	if (getuid() != 0) {
		live[GUARDED] = 128;
		live[SODIUM] = 128;
	}
	printf("\nLocked bytes per live 32-byte secret (VmLck growth / live secrets; fresh memward heaps):\n");
	for (int i = 0; i < NONE; i++) {
		lk[i] = locked_per_secret(i, live[i], &mwlk[i]);
		printf("  %-30s %9.1f B  (%d live%s)", allocs[i].name, lk[i], live[i],
		       live[i] < 10000 ? ", one page+ each: scaled" : "");
		if (i == COMPACT || i == GUARDED)
			printf("; mw_secret_heap_stats bytes_locked / live: %.1f B", mwlk[i]);
		if (i == OPENSSL)
			printf("; the arena locked at init: %ld B = %.1f B per 10,000", arena_locked,
			       (double)arena_locked / 10000);
		if (i == GCRYPT)
			printf("; the pool locked at init: %ld B = %.1f B per 10,000", gcry_locked,
			       (double)gcry_locked / 10000);
		printf("\n");
	}

	{
		double r_malloc = res[COMPACT].ns[0] / res[MALLOC].ns[0];
		double r_ossl = res[OPENSSL].ns[0] / res[COMPACT].ns[0];
		double r_sod = res[SODIUM].ns[0] / res[GUARDED].ns[0];
		double per = mwlk[COMPACT];
		struct scale sc[NWHO];
		int reps = runs < MAX_RUNS ? 9 : SCALE_RUNS;
		double scale;

		scaling(sc, reps);
		scale = sc[0].med;
		if (cpu_of[1] >= 0)
			printf("\nTwo threads / one thread, 32 B, threads pinned to CPUs %d and %d, %d interleaved "
			       "repetitions:\n", cpu_of[0], cpu_of[1], reps);
		else
			printf("\nTwo threads / one thread, 32 B, only CPU %d available (NOT pinned apart), %d "
			       "interleaved repetitions:\n", cpu_of[0], reps);
		printf("  %-26s %9s %15s %14s %14s\n", "", "median", "(min - max)", "without wait",
		       "CPU time/op");
		for (int j = 0; j < NWHO; j++)
			printf("  %-26s %8.2fx  (%.2f - %.2f) %13.2fx %13.2fx\n", allocs[who[j]].name, sc[j].med,
			       sc[j].lo, sc[j].hi, sc[j].nowait, sc[j].cpu);
		printf("  (median: of the per-repetition throughput ratios, the wall clock; without wait: the\n"
		       "  same with the time each thread waited for a CPU taken by other processes removed;\n"
		       "  CPU time/op: two threads / one, 1.00x = the threads do not slow each other down)\n");

		printf("\nTargets (issue 3):\n");
		printf("  %-7s compact 32 B alloc+free within 2x of glibc malloc: %.2fx\n", met(r_malloc <= 2.0), r_malloc);
		printf("  %-7s compact at least 10x faster than OpenSSL's secure heap: %.1fx\n", met(r_ossl >= 10.0), r_ossl);
		printf("  %-7s guarded at least 50x faster than sodium_malloc: %.1fx\n", met(r_sod >= 50.0), r_sod);
		printf("  %-7s compact locks at most 64 bytes per live 32-byte secret: %.1f B\n", met(per >= 0 && per <= 64.0), per);
		printf("  %-7s two threads give at least 1.7x one thread's throughput (compact 32 B, median of %d): "
		       "%.2fx\n", met(scale >= 1.7), reps, scale);
		printf("          (alongside, glibc malloc %.2fx and the loop without allocation %.2fx: %s)\n",
		       sc[1].med, sc[2].med, sc[2].med < 1.7
		       ? "the machine did not give two free CPUs, a miss above may be the machine's"
		       : "two CPUs were available");
	}
	printf("\n(%.1f s)\n", (now_ns() - t_start) / 1e9);
	mw_secret_heap_destroy(compact_heap);
	mw_secret_heap_destroy(guarded_heap);
	CRYPTO_secure_malloc_done();
	return 0;
}
