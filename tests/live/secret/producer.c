/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Issue 10 defect 2: one thread allocates, another frees, at most 256 live
 * 32-byte objects. Locked bytes must stay bounded (the frees of the consumer
 * must come back to the producer), not grow with the number of operations:
 * after 2 million allocations, at most 1 MiB is locked (the old heap reached
 * 10 MiB in 6 s as root, the whole 8 MiB limit as nobody). Run as the
 * caller and as nobody under 8 MiB.
 */
#include "unpriv.h"

#include <pthread.h>
#include <memward/secret.h>

#define RING 256
#define OPS 2000000

static struct mw_secret_heap *heap;
static void *ring[RING];
static unsigned long head, tail; /* producer writes head, consumer tail */
static int failed;

static void *producer(void *arg)
{
	(void)arg;
	for (unsigned long i = 0; i < OPS; i++) {
		void *p;

		while (__atomic_load_n(&head, __ATOMIC_ACQUIRE) -
		       __atomic_load_n(&tail, __ATOMIC_ACQUIRE) == RING)
			sched_yield();
		p = mw_secret_alloc(heap, 32);
		if (!p) {
			printf("alloc %lu: %s (%s)\n", i, strerror(errno), mw_secret_last_error());
			__atomic_store_n(&failed, 1, __ATOMIC_RELEASE);
			p = NULL;
		}
		ring[head % RING] = p;
		__atomic_store_n(&head, head + 1, __ATOMIC_RELEASE);
		if (!p)
			break;
	}
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (unsigned long i = 0; i < OPS; i++) {
		void *p;

		while (__atomic_load_n(&tail, __ATOMIC_ACQUIRE) ==
		       __atomic_load_n(&head, __ATOMIC_ACQUIRE))
			sched_yield();
		p = ring[tail % RING];
		__atomic_store_n(&tail, tail + 1, __ATOMIC_RELEASE);
		if (!p)
			break;
		mw_secret_free(heap, p);
	}
	return NULL;
}

static int run(void *arg)
{
	struct mw_secret_stats st = { .sz = sizeof(st) };
	pthread_t a, b;

	(void)arg;
	heap = mw_secret_heap_new(NULL);
	if (!heap) {
		printf("heap_new: %s (%s)\n", strerror(errno), mw_secret_last_error());
		return 1;
	}
	head = tail = 0;
	pthread_create(&a, NULL, producer, NULL);
	pthread_create(&b, NULL, consumer, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	mw_secret_heap_stats(heap, &st);
	printf("note: uid %d: %d ops, %zu bytes locked, %zu chunks, %zu live\n", (int)getuid(), OPS,
	       st.bytes_locked, st.chunks, st.live_objects);
	mw_secret_heap_destroy(heap);
	if (failed)
		return 1;
	if (st.bytes_locked > MIB) {
		printf("%zu bytes locked for at most 256 live 32-byte objects\n", st.bytes_locked);
		return 1;
	}
	return 0;
}

int main(void)
{
	int rc = run(NULL);

	CHECK(rc == 0, "producer/consumer as uid %d: exit %d", (int)getuid(), rc);
	rc = unpriv_run(8 * MIB, run, NULL);
	CHECK(rc == 0, "producer/consumer as nobody, 8 MiB: exit %d", rc);
	return live_done();
}
