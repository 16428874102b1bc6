/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Issue 10 defect 8: a new guarded slot cost one memfd_secret file, one
 * ftruncate, one mmap and its own locks (143-435 us measured). Slots now
 * come in slabs mapped from one secretmem file. As nobody (no
 * CAP_IPC_LOCK, RLIMIT_MEMLOCK 8 MiB), 64 objects of 32 bytes and 16 of
 * 5000 bytes:
 *   - they use at most a quarter as many secretmem files as slots (the old
 *     heap used one per slot);
 *   - every object still ends at a guard (the page after it is an
 *     inaccessible mapping) and every slot starts after one (the page before
 *     it is too), each object's page is a secretmem mapping where
 *     memfd_secret works;
 *   - after freeing all, the same number of allocations needs no new slot.
 */
#include "unpriv.h"

#include <stdint.h>
#include <sys/stat.h>

#include <memward/secret.h>

#define SMALL 64
#define BIG 16

struct map {
	uintptr_t lo, hi;
	char perms[8];
	unsigned long ino;
	bool secret;
};

static size_t read_maps(struct map *m, size_t max)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	size_t n = 0;

	while (f && n < max && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, ino;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s %*s %*s %lu", &lo, &hi, perms, &ino) != 4)
			continue;
		m[n] = (struct map){ .lo = lo, .hi = hi, .ino = ino,
				     .secret = strstr(line, "secretmem") != NULL };
		snprintf(m[n].perms, sizeof(m[n].perms), "%s", perms);
		n++;
	}
	if (f)
		fclose(f);
	return n;
}

static const struct map *find(const struct map *m, size_t n, uintptr_t a)
{
	for (size_t i = 0; i < n; i++)
		if (a >= m[i].lo && a < m[i].hi)
			return &m[i];
	return NULL;
}

static int body(void *arg)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = MW_SECRET_GUARDED };
	struct mw_secret_stats st = { .sz = sizeof(st) };
	struct mw_secret_heap *h = mw_secret_heap_new(&o);
	static struct map m[8192];
	static char *p[SMALL + BIG];
	static unsigned long inos[SMALL + BIG];
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	bool secretmem = *(bool *)arg;
	size_t n, files = 0, chunks;

	if (!h) {
		printf("heap_new: %s (%s)\n", strerror(errno), mw_secret_last_error());
		return 1;
	}
	for (int i = 0; i < SMALL + BIG; i++) {
		size_t sz = i < SMALL ? 32 : 5000;

		p[i] = mw_secret_alloc(h, sz);
		CHECK(p[i], "alloc %zu #%d: %s (%s)", sz, i, strerror(errno), mw_secret_last_error());
		if (!p[i])
			return 1;
		memset(p[i], 0x5a, sz);
	}
	n = read_maps(m, 8192);
	for (int i = 0; i < SMALL + BIG; i++) {
		size_t sz = i < SMALL ? 32 : 5000;
		uintptr_t end = (uintptr_t)p[i] + sz, start = ((uintptr_t)p[i] - 16) & ~(pg - 1);
		const struct map *obj = find(m, n, (uintptr_t)p[i]), *after = find(m, n, end),
				 *before = find(m, n, start - 1);
		bool seen = false;

		CHECK(end % pg == 0, "object %d does not end at a page boundary", i);
		CHECK(obj && obj->perms[0] == 'r' && obj->perms[1] == 'w', "object %d: not rw", i);
		CHECK(!secretmem || (obj && obj->secret), "object %d: not in a secretmem mapping", i);
		CHECK(after && !strncmp(after->perms, "---", 3),
		      "object %d: the page after it is not a guard (%s)", i, after ? after->perms : "none");
		CHECK(before && !strncmp(before->perms, "---", 3),
		      "object %d: the page before its slot is not a guard (%s)", i,
		      before ? before->perms : "none");
		for (size_t k = 0; obj && k < files; k++)
			seen = seen || inos[k] == obj->ino;
		if (obj && !seen)
			inos[files++] = obj->ino;
	}
	printf("note: %d slots from %zu secret files\n", SMALL + BIG, files);
	CHECK(files * 4 <= SMALL + BIG, "%zu files for %d slots: not slabs", files, SMALL + BIG);

	mw_secret_heap_stats(h, &st);
	chunks = st.chunks;
	for (int i = 0; i < SMALL + BIG; i++)
		mw_secret_free(h, p[i]);
	for (int i = 0; i < SMALL + BIG; i++)
		CHECK((p[i] = mw_secret_alloc(h, i < SMALL ? 32 : 5000)), "realloc #%d", i);
	mw_secret_heap_stats(h, &st);
	CHECK(st.chunks == chunks, "reuse made new slots: %zu -> %zu", chunks, st.chunks);
	mw_secret_heap_destroy(h);
	return live_failures ? 1 : 0;
}

int main(void)
{
	bool secretmem = try_memfd_secret() == 0;
	int rc = unpriv_run(8 * MIB, body, &secretmem);

	CHECK(rc == 0, "as nobody, RLIMIT_MEMLOCK 8 MiB: exit %d", rc);
	return live_done();
}
