/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mw_secret_heap_new() failing at any of its steps leaves the process as it
 * found it: errno and a message, no fd, no mapping, no thread-specific value
 * of the program touched, and the next heap works.
 *
 * Found by CI (ASan, secret-memlock): a heap_new refused before the library's
 * first heap ever registered (chunk_size over RLIMIT_MEMLOCK, as nobody) ran
 * destroy, which read "its" pthread key before creating it: key 0, which is
 * the program's, was taken for the list of thread caches, walked and written
 * back. Here the program owns a key first and stores a value that crashes
 * whoever walks it as a list.
 *
 * Each case runs in a fresh child (no heap ever created in it before):
 *   options refused (EINVAL, before and after the metadata is allocated),
 *   chunk over RLIMIT_MEMLOCK as nobody (EAGAIN),
 *   no room for the heap's mappings under vm.max_map_count (ENOMEM),
 *   no fd left (RLIMIT_NOFILE) for the backing.
 */
#include "unpriv.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <memward/secret.h>

/* What a careless walk of the program's value would follow: an id that
 * matches no heap, then a next pointer into a PROT_NONE page. */
struct poison {
	uint64_t id;
	void *h, *tc, *next;
};

static pthread_key_t key;
static struct poison *poison;

static int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	int n = 0, c;

	if (!f)
		return -1;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static int setup_poison(void)
{
	void *trap = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (trap == MAP_FAILED || pthread_key_create(&key, NULL))
		return -1;
	poison = calloc(1, sizeof(*poison));
	if (!poison)
		return -1;
	poison->id = UINT64_MAX - 7;
	poison->next = trap;
	if (pthread_setspecific(key, poison))
		return -1;
	if (key != 0)
		printf("note: the program's key is %u, not 0 (another key came first)\n", (unsigned)key);
	return 0;
}

/* heap_new under the arranged condition must fail with want_errno and leave
 * nothing behind. 0 when all holds. */
static int expect_clean_failure(const char *what, const struct mw_secret_opts *o, int want_errno)
{
	int fds = live_count_fds(), maps = count_maps(), bad = 0;
	struct mw_secret_heap *h;

	errno = 0;
	h = mw_secret_heap_new(o);
	if (h) {
		printf("%s: heap_new succeeded, want %s\n", what, strerror(want_errno));
		mw_secret_heap_destroy(h);
		return 1;
	}
	if (errno != want_errno) {
		printf("%s: errno %s, want %s (%s)\n", what, strerror(errno), strerror(want_errno),
		       mw_secret_last_error());
		bad = 1;
	}
	if (!*mw_secret_last_error()) {
		printf("%s: no message\n", what);
		bad = 1;
	}
	if (live_count_fds() != fds) {
		printf("%s: %d fds before, %d after\n", what, fds, live_count_fds());
		bad = 1;
	}
	if (count_maps() != maps) {
		printf("%s: %d mappings before, %d after\n", what, maps, count_maps());
		bad = 1;
	}
	if (pthread_getspecific(key) != poison || poison->id != UINT64_MAX - 7) {
		printf("%s: the program's thread-specific value was changed\n", what);
		bad = 1;
	}
	printf("note: %s: %s\n", what, mw_secret_last_error());
	return bad;
}

/* After the failure, with the condition lifted: a heap works. */
static int next_heap_works(const char *what, enum mw_secret_mode mode)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = mode, .chunk_size = 16384 };
	struct mw_secret_heap *h = mw_secret_heap_new(&o);
	char *p;

	if (!h) {
		printf("%s: the next heap: %s (%s)\n", what, strerror(errno), mw_secret_last_error());
		return 1;
	}
	p = mw_secret_alloc(h, 100);
	if (!p) {
		printf("%s: alloc in the next heap: %s (%s)\n", what, strerror(errno),
		       mw_secret_last_error());
		mw_secret_heap_destroy(h);
		return 1;
	}
	memset(p, 7, 100);
	mw_secret_free(h, p);
	mw_secret_heap_destroy(h);
	if (pthread_getspecific(key) != poison) {
		printf("%s: the program's thread-specific value was changed by a working heap\n", what);
		return 1;
	}
	return 0;
}

static int case_einval(void *arg)
{
	enum mw_secret_mode mode = (enum mw_secret_mode)(intptr_t)arg;
	struct mw_secret_opts small = { .sz = sizeof(small), .mode = mode, .max_locked = 100 };
	struct mw_secret_opts flags = { .sz = sizeof(flags), .mode = mode, .flags = 1u << 30 };
	int bad = 0;

	if (setup_poison() < 0)
		return 2;
	bad |= expect_clean_failure("max_locked 100", &small, EINVAL);
	bad |= expect_clean_failure("unknown flag", &flags, EINVAL);
	bad |= next_heap_works("after EINVAL", mode);
	return bad;
}

static int case_chunk_over_memlock(void *arg)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = MW_SECRET_COMPACT,
				    .chunk_size = 1 << 20 };
	int bad;

	(void)arg;
	if (setup_poison() < 0)
		return 2;
	bad = expect_clean_failure("chunk 1 MiB over a 256 KiB RLIMIT_MEMLOCK", &o, EAGAIN);
	bad |= next_heap_works("after EAGAIN", MW_SECRET_COMPACT);
	return bad;
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int case_map_count(void *arg)
{
	enum mw_secret_mode mode = (enum mw_secret_mode)(intptr_t)arg;
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = mode };
	long max = read_long("/proc/sys/vm/max_map_count"), pages;
	char *area;
	int bad;

	if (setup_poison() < 0)
		return 2;
	if (max < 1000 || max > 1 << 20) {
		printf("note: vm.max_map_count %ld: not filling it\n", max);
		return 77;
	}
	/* Every other page of one reservation made PROT_READ: each page is a
	 * mapping of its own, until the process holds a little more than three
	 * quarters of the limit. */
	pages = (max - max / 4) - count_maps() + 64;
	area = mmap(NULL, (size_t)pages * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		    -1, 0);
	if (area == MAP_FAILED)
		return 2;
	for (long i = 0; i < pages; i += 2)
		if (mprotect(area + i * 4096, 4096, PROT_READ) < 0) {
			printf("mprotect after %d mappings: %s\n", count_maps(), strerror(errno));
			return 2;
		}
	bad = expect_clean_failure("no room under vm.max_map_count", &o, ENOMEM);
	munmap(area, (size_t)pages * 4096);
	bad |= next_heap_works("after ENOMEM (map count)", mode);
	return bad;
}

static int case_no_fd(void *arg)
{
	enum mw_secret_mode mode = (enum mw_secret_mode)(intptr_t)arg;
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = mode };
	int fds, bad = 0;
	struct rlimit old, rl;
	struct mw_secret_heap *h;

	if (setup_poison() < 0 || getrlimit(RLIMIT_NOFILE, &old) < 0)
		return 2;
	/* No fd number left: the lowest free one is the limit. */
	fds = 0;
	while (fcntl(fds, F_GETFD) >= 0)
		fds++;
	rl.rlim_cur = (rlim_t)fds;
	rl.rlim_max = old.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 2;
	/* The backing may fall back without an fd (then the heap must work and
	 * say so) or fail: either way nothing is left behind. */
	h = mw_secret_heap_new(&o);
	if (h) {
		char *p = mw_secret_alloc(h, 64);

		printf("note: with no fd left the heap uses %s\n",
		       mw_secret_backing_name(mw_secret_heap_backing(h)));
		if (p)
			mw_secret_free(h, p);
		mw_secret_heap_destroy(h);
	} else {
		int err = errno;

		setrlimit(RLIMIT_NOFILE, &old);
		if (err != EMFILE && err != ENFILE && err != ENOMEM && err != EAGAIN) {
			printf("no fd: errno %s (%s)\n", strerror(err), mw_secret_last_error());
			bad = 1;
		}
		setrlimit(RLIMIT_NOFILE, &rl);
		/* and cleanly, under the same condition */
		bad |= expect_clean_failure("no fd left", &o, err);
	}
	setrlimit(RLIMIT_NOFILE, &old);
	bad |= next_heap_works("after no fd", mode);
	return bad;
}

static void run(const char *name, rlim_t memlock, int (*fn)(void *), void *arg)
{
	int rc = unpriv_run(memlock, fn, arg);

	if (rc == 77) {
		live_note("%s: not run here (see above)", name);
		return;
	}
	CHECK(rc == 0, "%s: child exit %d%s", name, rc, rc > 128 ? " (killed by a signal)" : "");
}

int main(void)
{
	for (intptr_t m = 0; m < 2; m++) {
		const char *mode = mw_secret_mode_name((enum mw_secret_mode)m);
		char name[64];

		snprintf(name, sizeof(name), "%s: options refused", mode);
		run(name, 8 << 20, case_einval, (void *)m);
		snprintf(name, sizeof(name), "%s: map count", mode);
		run(name, 8 << 20, case_map_count, (void *)m);
		snprintf(name, sizeof(name), "%s: no fd", mode);
		run(name, 8 << 20, case_no_fd, (void *)m);
	}
	run("compact: chunk over RLIMIT_MEMLOCK", 256 << 10, case_chunk_over_memlock, NULL);
	return live_done();
}
