/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Issue 10 defect 8: the secret heap's records of requested sizes were in
 * ordinary, dumpable memory (malloc): a core dump told the size of every
 * secret. This test scans what a core dump would hold, every readable
 * mapping of the process without the "dd" (MADV_DONTDUMP) flag in
 * /proc/self/smaps, for the sizes it just requested:
 *   - guarded mode: 128 objects of distinct, unusual sizes (a random base
 *     of 5,000 to 6,600 bytes plus 4 * i), each kept as a size_t by the heap:
 *     at most a handful of those words may be found (the stack of this
 *     test), not one per object;
 *   - large objects of compact mode the same way (64 of them);
 *   - compact mode: 8 objects of random sizes in one class, whose uint16_t
 *     sizes sit side by side in the slab's size array: that 16-byte run must
 *     not be found.
 * A control first: the same patterns written into malloc'd memory are found
 * by the same scan (else this test could not fail).
 */
#include "live.h"

#include <stdint.h>
#include <sys/random.h>

#include <memward/secret.h>

/* Readable mappings that a core dump would include: [lo, hi) pairs. */
static size_t dumpable(uintptr_t *lo, uintptr_t *hi, size_t max)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	size_t n = 0;
	bool readable = false;

	REQUIRE(f, "/proc/self/smaps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) == 3 && strchr(line, '-') < strchr(line, ' ')) {
			readable = perms[0] == 'r' && !strstr(line, "[vvar") && !strstr(line, "[vsyscall]");
			if (readable && n < max) {
				lo[n] = a;
				hi[n] = b;
				n++;
			}
		} else if (!strncmp(line, "VmFlags:", 8) && readable && strstr(line, " dd")) {
			n--; /* MADV_DONTDUMP: not in a core dump */
			readable = false;
		}
	}
	fclose(f);
	return n;
}

struct scan {
	uint64_t base;   /* size_t words base + 4 * i, i < count */
	size_t count;
	/* The compact run, never in memory as such (the scan would find this
	 * copy): kept XORed with a random mask. */
	uint64_t run_x[2], mask[2];
	size_t words, runs;
};

/* Count the words and runs in every dumpable mapping, read through
 * /proc/self/mem (a mapping may be unreadable in part). */
static void scan(struct scan *s)
{
	static uintptr_t lo[4096], hi[4096];
	size_t n = dumpable(lo, hi, 4096);
	int fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	static unsigned char buf[1 << 16];

	REQUIRE(fd >= 0, "/proc/self/mem: %s", strerror(errno));
	s->words = s->runs = 0;
	for (size_t m = 0; m < n; m++)
		for (uintptr_t a = lo[m]; a < hi[m]; a += sizeof(buf)) {
			size_t want = hi[m] - a < sizeof(buf) ? hi[m] - a : sizeof(buf);
			ssize_t got = pread(fd, buf, want, (off_t)a);

			if (got <= 0)
				continue;
			for (ssize_t k = 0; k + 8 <= got; k += 8) {
				uint64_t w;

				memcpy(&w, buf + k, 8);
				if (w >= s->base && w < s->base + 4 * s->count && (w - s->base) % 4 == 0)
					s->words++;
			}
			for (ssize_t k = 0; k + 16 <= got; k += 2) {
				uint64_t w0, w1;

				memcpy(&w0, buf + k, 8);
				memcpy(&w1, buf + k + 8, 8);
				if ((w0 ^ s->mask[0]) == s->run_x[0] && (w1 ^ s->mask[1]) == s->run_x[1])
					s->runs++;
			}
		}
	memset(buf, 0, sizeof(buf)); /* this copy would be found by the next scan */
	close(fd);
}

int main(void)
{
	struct mw_secret_opts go = { .sz = sizeof(go), .mode = MW_SECRET_GUARDED };
	struct mw_secret_heap *g = mw_secret_heap_new(&go), *c = mw_secret_heap_new(NULL);
	static void *obj[128 + 64 + 8];
	struct scan s = { .count = 128 };
	uint32_t r;
	size_t k = 0, before;

	/* The size of compact object i of the run, from the masked copy. */
#define RUN_SIZE(i) ((size_t)(uint16_t)((s.run_x[(i) / 4] ^ s.mask[(i) / 4]) >> (16 * ((i) % 4))))

	REQUIRE(g && c, "heap_new: %s (%s)", strerror(errno), mw_secret_last_error());
	REQUIRE(getrandom(&r, sizeof(r), 0) == sizeof(r), "getrandom");
	REQUIRE(getrandom(s.mask, sizeof(s.mask), 0) == sizeof(s.mask), "getrandom");
	s.base = 5000 + (r % 400) * 4; /* 2 pages each: fits 8 MiB as nobody */
	for (int i = 0; i < 8; i++) /* class 48: 33..48 bytes, random */
		s.run_x[i / 4] |= (uint64_t)(33 + ((r >> (i * 4)) & 15)) << (16 * (i % 4));
	s.run_x[0] ^= s.mask[0];
	s.run_x[1] ^= s.mask[1];

	/* Control: the patterns in malloc'd memory are found. */
	{
		uint64_t *w = malloc(s.count * 8);
		uint64_t *run = malloc(16);

		REQUIRE(w && run, "malloc");
		for (size_t i = 0; i < s.count; i++)
			w[i] = s.base + 4 * i;
		run[0] = s.run_x[0] ^ s.mask[0];
		run[1] = s.run_x[1] ^ s.mask[1];
		scan(&s);
		CHECK(s.words >= s.count && s.runs >= 1,
		      "control: the scan finds %zu of %zu words and %zu runs in malloc'd memory",
		      s.words, s.count, s.runs);
		memset(w, 0, s.count * 8);
		memset(run, 0, 16);
		__asm__ __volatile__("" : : "r"(w), "r"(run) : "memory");
		free(w);
		free(run);
	}

	/* What was there before (the same numbers occur by chance). */
	scan(&s);
	before = s.words;
	for (size_t i = 0; i < 128; i++)
		CHECK((obj[k++] = mw_secret_alloc(g, s.base + 4 * i)), "guarded alloc: %s",
		      mw_secret_last_error());
	scan(&s);
	live_note("guarded: %zu of 128 requested sizes found in dumpable memory (%zu before)",
		  s.words, before);
	CHECK(s.words < before + 16, "guarded: %zu of 128 requested sizes are in dumpable memory "
	      "(%zu before)", s.words, before);

	s.base += 4 * 128; /* compact's large objects: fresh sizes */
	s.count = 64;
	scan(&s);
	before = s.words;
	for (size_t i = 0; i < 64; i++)
		CHECK((obj[k++] = mw_secret_alloc(c, s.base + 4 * i)), "large alloc: %s",
		      mw_secret_last_error());
	for (int i = 0; i < 8; i++)
		CHECK((obj[k++] = mw_secret_alloc(c, RUN_SIZE(i))), "compact alloc: %s",
		      mw_secret_last_error());
	scan(&s);
	live_note("compact: %zu of 64 large sizes (%zu before), %zu runs of the 8 slot sizes in "
		  "dumpable memory", s.words, before, s.runs);
	CHECK(s.words < before + 16, "compact: %zu of 64 requested large sizes are in dumpable "
	      "memory (%zu before)", s.words, before);
	CHECK(s.runs == 0, "compact: the slab's size array is in dumpable memory (%zu runs)", s.runs);

	for (size_t i = 0; i < k; i++)
		mw_secret_free(i < 128 ? g : c, obj[i]);
	mw_secret_heap_destroy(g);
	mw_secret_heap_destroy(c);
	return live_done();
}
