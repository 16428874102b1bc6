/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The secret heap's backing is what the kernel allows, and it says so:
 * secretmem where memfd_secret works (the test tries it itself, in a child),
 * the mlock fallback where it does not (6.1 without secretmem.enable=1), a
 * refusal with the kernel's errno under MW_SECRET_NO_FALLBACK, and the fallback
 * everywhere under MW_SECRET_FORCE_FALLBACK (so the host covers it too).
 * Also: option checking, stats, protection toggling, and destroy leaving no
 * mapping and no fd behind.
 */
#include "live.h"
#include "kernel.h"

#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <sys/mman.h>
#include <memward/secret.h>

static struct mw_secret_heap *mk(enum mw_secret_mode mode, unsigned int flags)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = mode, .flags = flags };

	return mw_secret_heap_new(&o);
}

/* The mapping that holds address a is named like needle ("secretmem"). */
static bool mapped_from(const void *a, const char *needle)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	bool found = false;

	REQUIRE(f, "/proc/self/maps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && (uintptr_t)a >= lo && (uintptr_t)a < hi)
			found = strstr(line, needle) != NULL;
	}
	fclose(f);
	return found;
}

/* Lines of /proc/self/maps that contain needle, or that cover address a. */
static int maps_count(const char *needle, const void *a)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (needle && strstr(line, needle))
			n++;
		if (a && sscanf(line, "%lx-%lx", &lo, &hi) == 2 && (uintptr_t)a >= lo &&
		    (uintptr_t)a < hi)
			n++;
	}
	fclose(f);
	return n;
}

static void use(struct mw_secret_heap *h, const char *what)
{
	struct mw_secret_stats st = { .sz = sizeof(st) };
	char *p = mw_secret_alloc(h, 40), *q = mw_secret_alloc(h, 9000);

	REQUIRE(p && q, "%s: alloc: %s (%s)", what, strerror(errno), mw_secret_last_error());
	memcpy(p, "correct horse battery staple", 29);
	CHECK(memcmp(p, "correct horse battery staple", 29) == 0, "%s: bytes do not stick", what);
	q[8999] = 1;
	CHECK(mw_secret_heap_stats(h, &st) == 0, "stats");
	CHECK(st.live_objects == 2, "%s: live_objects %zu, want 2", what, st.live_objects);
	CHECK(st.bytes_in_use == 9040, "%s: bytes_in_use %zu, want 9040", what, st.bytes_in_use);
	CHECK(st.bytes_locked >= 9040 && st.bytes_reserved == st.bytes_locked && st.chunks >= 2,
	      "%s: locked %zu reserved %zu chunks %zu", what, st.bytes_locked, st.bytes_reserved,
	      st.chunks);
	CHECK(st.backing == mw_secret_heap_backing(h), "%s: stats backing", what);
	p = mw_secret_realloc(h, p, 3000);
	REQUIRE(p, "%s: realloc: %s", what, strerror(errno));
	CHECK(memcmp(p, "correct horse battery staple", 29) == 0, "%s: realloc lost the bytes", what);
	CHECK(mw_secret_size(h, p) == 3000, "%s: size after realloc %zu", what, mw_secret_size(h, p));
	p = mw_secret_realloc(h, p, 10);
	CHECK(p && memcmp(p, "correct ho", 10) == 0, "%s: shrinking realloc", what);
	CHECK(mw_secret_realloc(h, p, 0) == NULL, "%s: realloc to 0 frees", what);
	mw_secret_free(h, q);
	CHECK(mw_secret_heap_stats(h, &st) == 0 && st.live_objects == 0 && st.bytes_in_use == 0,
	      "%s: after freeing all: live %zu in use %zu", what, st.live_objects, st.bytes_in_use);
}

static void check_destroy_clean(enum mw_secret_mode mode, unsigned int flags)
{
	int fds = live_count_fds(), sm = maps_count("secretmem", NULL);
	struct mw_secret_heap *h = mk(mode, flags);
	void *p;

	REQUIRE(h, "heap_new: %s", strerror(errno));
	p = mw_secret_alloc(h, 32);
	REQUIRE(p, "alloc");
	CHECK(maps_count(NULL, p) == 1, "allocated object not mapped?");
	mw_secret_heap_destroy(h);
	CHECK(maps_count(NULL, p) == 0, "%s/%x: a mapping is left where the heap was",
	      mw_secret_mode_name(mode), flags);
	CHECK(maps_count("secretmem", NULL) == sm, "secretmem mappings left after destroy");
	CHECK(live_count_fds() == fds, "fd leaked: %d before, %d after", fds, live_count_fds());
}

static sigjmp_buf jb;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(jb, 1);
}

/* Does reading (or writing) the byte at p fault? */
static bool faults(char *p, bool write)
{
	struct sigaction sa = { .sa_handler = on_segv }, old;
	bool hit;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old);
	if (sigsetjmp(jb, 1) == 0) {
		if (write)
			*(volatile char *)p = 'w';
		else
			(void)*(volatile char *)p;
		hit = false;
	} else {
		hit = true;
	}
	sigaction(SIGSEGV, &old, NULL);
	return hit;
}

static void check_protect(unsigned int flags)
{
	struct mw_secret_heap *h = mk(MW_SECRET_GUARDED, flags), *c = mk(MW_SECRET_COMPACT, flags);
	char *p = mw_secret_alloc(h, 64), *q = mw_secret_alloc(c, 64);

	REQUIRE(h && c && p && q, "heaps");
	CHECK(mw_secret_protect(c, q, MW_SECRET_NOACCESS) == -EOPNOTSUPP, "protect in compact mode");
	CHECK(mw_secret_protect(h, p, 7) == -EINVAL, "unknown prot accepted");
	CHECK(mw_secret_protect(h, p + 1, MW_SECRET_READONLY) == -EINVAL, "protect of p+1 accepted");
	p[0] = 'k';
	CHECK(mw_secret_protect(h, p, MW_SECRET_NOACCESS) == 0, "NOACCESS");
	CHECK(faults(p, false), "read of a NOACCESS object does not fault");
	CHECK(mw_secret_protect(h, p, MW_SECRET_READONLY) == 0, "READONLY");
	CHECK(!faults(p, false) && p[0] == 'k', "READONLY object unreadable");
	CHECK(faults(p, true), "write to a READONLY object does not fault");
	CHECK(mw_secret_protect(h, p, MW_SECRET_READWRITE) == 0, "READWRITE");
	CHECK(!faults(p, true), "write to a READWRITE object faults");
	CHECK(mw_secret_protect(h, p, MW_SECRET_NOACCESS) == 0, "NOACCESS again");
	mw_secret_free(h, p); /* free of a protected object restores and wipes */
	p = mw_secret_alloc(h, 64);
	CHECK(p && p[0] == 0, "slot after free of a protected object");
	mw_secret_free(h, p);
	mw_secret_heap_destroy(h);
	mw_secret_heap_destroy(c);
}

int main(void)
{
	struct mw_secret_opts o = { .sz = sizeof(o) };
	struct mw_secret_heap *h;
	/* What memfd_secret does here, tried by the test: 0 works; ENOSYS not
	 * built or disabled at boot; else this caller cannot map it (memlock). */
	int secret = lk_memfd_secret();
	char *obj;

	live_note("memfd_secret tried: %s", secret == LK_SIGBUS ? "SIGBUS on touch" :
		  secret ? strerror(secret) : "works");

	/* Options. */
	o.flags = 1u << 30;
	errno = 0;
	CHECK(mw_secret_heap_new(&o) == NULL && errno == EINVAL, "unknown flag accepted");
	o.flags = MW_SECRET_NO_FALLBACK | MW_SECRET_FORCE_FALLBACK;
	CHECK(mw_secret_heap_new(&o) == NULL && errno == EINVAL, "NO_FALLBACK|FORCE_FALLBACK accepted");
	o.flags = 0;
	o.mode = (enum mw_secret_mode)5;
	CHECK(mw_secret_heap_new(&o) == NULL && errno == EINVAL, "unknown mode accepted");
	o.mode = MW_SECRET_COMPACT;
	o.sz = 4;
	CHECK(mw_secret_heap_new(&o) == NULL && errno == EINVAL, "tiny sz accepted");
	CHECK(mw_secret_alloc(NULL, 1) == NULL && errno == EINVAL, "alloc on NULL heap");
	CHECK(strcmp(mw_secret_backing_name(MW_SECRET_BACKING_SECRETMEM), "secretmem") == 0 &&
	      strcmp(mw_secret_backing_name(MW_SECRET_BACKING_MLOCK), "mlock") == 0, "backing names");

	/* The backing follows the kernel. */
	h = mw_secret_heap_new(NULL);
	REQUIRE(h, "default heap: %s (%s)", strerror(errno), mw_secret_last_error());
	live_note("default heap backing: %s %s", mw_secret_backing_name(mw_secret_heap_backing(h)),
		  mw_secret_heap_fallback_reason(h));
	obj = mw_secret_alloc(h, 32);
	REQUIRE(obj, "alloc: %s", strerror(errno));
	if (secret == 0) {
		CHECK(mw_secret_heap_backing(h) == MW_SECRET_BACKING_SECRETMEM,
		      "memfd_secret works but the heap fell back: %s", mw_secret_heap_fallback_reason(h));
		CHECK(mw_secret_heap_fallback_reason(h)[0] == '\0', "fallback reason on secretmem");
		CHECK(mapped_from(obj, "secretmem"), "an object of the secretmem heap is not in a secretmem mapping");
	} else if (secret == ENOSYS) {
		CHECK(!mapped_from(obj, "secretmem"), "memfd_secret fails with ENOSYS, yet the object is in secretmem");
		CHECK(mw_secret_heap_backing(h) == MW_SECRET_BACKING_MLOCK,
		      "memfd_secret missing but backing is %s",
		      mw_secret_backing_name(mw_secret_heap_backing(h)));
		CHECK(strstr(mw_secret_heap_fallback_reason(h), "memfd_secret") != NULL,
		      "fallback reason '%s'", mw_secret_heap_fallback_reason(h));
	}
	mw_secret_free(h, obj);
	use(h, "default");
	mw_secret_heap_destroy(h);

	h = mk(MW_SECRET_COMPACT, MW_SECRET_NO_FALLBACK);
	if (secret == 0) {
		CHECK(h && mw_secret_heap_backing(h) == MW_SECRET_BACKING_SECRETMEM,
		      "NO_FALLBACK where memfd_secret works: %s", h ? "wrong backing" : strerror(errno));
	} else if (secret == ENOSYS) {
		int err = errno;

		CHECK(h == NULL, "NO_FALLBACK heap created although memfd_secret is missing");
		CHECK(err == secret, "NO_FALLBACK refusal errno %s, the kernel gave %s",
		      mw_errno_name(err), mw_errno_name(secret));
		CHECK(strstr(mw_secret_last_error(), "MW_SECRET_NO_FALLBACK") != NULL,
		      "refusal message: %s", mw_secret_last_error());
	}
	mw_secret_heap_destroy(h);

	for (int m = 0; m < 2; m++) {
		h = mk((enum mw_secret_mode)m, MW_SECRET_FORCE_FALLBACK);
		REQUIRE(h, "forced fallback: %s (%s)", strerror(errno), mw_secret_last_error());
		CHECK(mw_secret_heap_backing(h) == MW_SECRET_BACKING_MLOCK, "forced fallback backing");
		CHECK(strstr(mw_secret_heap_fallback_reason(h), "FORCE") != NULL, "forced reason");
		use(h, m ? "guarded fallback" : "compact fallback");
		mw_secret_heap_destroy(h);
		h = mk((enum mw_secret_mode)m, 0);
		REQUIRE(h, "heap: %s", strerror(errno));
		use(h, m ? "guarded" : "compact");
		mw_secret_heap_destroy(h);
	}

	check_protect(0);
	check_protect(MW_SECRET_FORCE_FALLBACK);
	for (int m = 0; m < 2; m++) {
		check_destroy_clean((enum mw_secret_mode)m, 0);
		check_destroy_clean((enum mw_secret_mode)m, MW_SECRET_FORCE_FALLBACK);
	}
	return live_done();
}
