/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Red-team finding F9: a guarded allocation that fails once its slab is
 * mapped (the first fault of the new slot refused) must leave nothing
 * behind: no extra mapping, bytes_locked and chunks as before. Before the
 * fix the new slab stayed mapped (and counted as locked) until destroy.
 *
 * The failure is forced where the kernels of the matrix differ least: a
 * seccomp filter makes prlimit64, the system call through which the heap
 * has the kernel take a new page's first fault, fail with EFAULT, which is
 * what a refused fault gives it (mw__secret_touch). mmap is not touched, so
 * the slab is mapped first, as on Linux 6.1 and 6.12 when the per-user
 * secretmem charge is exhausted at the first fault.
 */
#include "live.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <memward/secret.h>

static int prlimit_efault(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prlimit64, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EFAULT),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -errno;
	return 0;
}

/* Lines of /proc/self/maps (mappings of the process), or -1. */
static long maps_count(void)
{
	char buf[4096];
	long n = 0;
	ssize_t r;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < r; i++)
			n += buf[i] == '\n';
	close(fd);
	return n;
}

struct snap {
	long maps;
	size_t locked, chunks;
};

static struct snap snap(struct mw_secret_heap *h)
{
	struct mw_secret_stats st = { .sz = sizeof(st) };
	struct snap s;

	mw_secret_heap_stats(h, &st);
	s.locked = st.bytes_locked;
	s.chunks = st.chunks;
	s.maps = maps_count();
	return s;
}

static int child(void)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = MW_SECRET_GUARDED };
	struct mw_secret_heap *h = mw_secret_heap_new(&o);
	static const size_t sizes[] = { 32, 5000, 32 };
	struct snap before, after;
	void *keep, *p;
	int bad = 0;

	if (!h) {
		printf("heap_new: %s (%s)\n", strerror(errno), mw_secret_last_error());
		return 1;
	}
	if (mw_secret_heap_backing(h) != MW_SECRET_BACKING_SECRETMEM) {
		printf("SKIP: no memfd_secret here (%s): the mlock fallback faults slots in when it "
		       "maps them, nothing fails after the mapping\n", mw_secret_heap_fallback_reason(h));
		return LIVE_SKIP_CODE;
	}
	keep = mw_secret_alloc(h, 32); /* one slab, its slot in use */
	if (!keep) {
		printf("first alloc: %s (%s)\n", strerror(errno), mw_secret_last_error());
		return 1;
	}
	if (prlimit_efault() < 0) {
		printf("SKIP: cannot install a seccomp filter: %s\n", strerror(errno));
		return LIVE_SKIP_CODE;
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		before = snap(h);
		p = mw_secret_alloc(h, sizes[i]);
		after = snap(h);
		printf("note: %zu B with first faults refused: %s (%s); mappings %ld -> %ld, locked %zu -> %zu, "
		       "chunks %zu -> %zu\n", sizes[i], p ? "allocated" : strerror(errno),
		       mw_secret_last_error(), before.maps, after.maps, before.locked, after.locked,
		       before.chunks, after.chunks);
		if (p) {
			printf("%zu B: allocated although its slot could not be faulted in\n", sizes[i]);
			bad = 1;
			continue;
		}
		if (errno != EAGAIN) {
			printf("%zu B: errno %s, expected EAGAIN\n", sizes[i], strerror(errno));
			bad = 1;
		}
		if (after.maps != before.maps || after.locked != before.locked ||
		    after.chunks != before.chunks) {
			printf("%zu B: the failed allocation left mappings %+ld, locked bytes %+ld, chunks %+ld\n",
			       sizes[i], after.maps - before.maps, (long)(after.locked - before.locked),
			       (long)(after.chunks - before.chunks));
			bad = 1;
		}
	}
	if (mw_secret_size(h, keep) != 32) {
		printf("the live object was disturbed\n");
		bad = 1;
	}
	mw_secret_free(h, keep);
	mw_secret_heap_destroy(h);
	return bad;
}

int main(void)
{
	int rc = live_run_child(child);
	if (rc == LIVE_SKIP_CODE)
		live_skip("see above");
	CHECK(rc == 0, "failed guarded allocations left nothing behind: exit %d", rc);
	return live_done();
}
