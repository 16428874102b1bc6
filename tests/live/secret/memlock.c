/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Memlock exhaustion is an error that names RLIMIT_MEMLOCK, not a crash:
 * a child drops CAP_IPC_LOCK (raw capset, no libcap) and lowers
 * RLIMIT_MEMLOCK, then fills the heap. Both backings, both modes; with the
 * limit at 0 the heap cannot even be created. After the failure the heap
 * still works for memory it already has and is destroyed cleanly.
 */
#include "live.h"

#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <memward/secret.h>

static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &hdr, d) < 0)
		return -errno;
	d[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	d[CAP_IPC_LOCK / 32].permitted &= ~(1u << (CAP_IPC_LOCK % 32));
	d[CAP_IPC_LOCK / 32].inheritable &= ~(1u << (CAP_IPC_LOCK % 32));
	if (syscall(SYS_capset, &hdr, d) < 0)
		return -errno;
	return 0;
}

/* In a child: exit 0 when exhaustion gave EAGAIN and the right message. */
static int child(enum mw_secret_mode mode, unsigned int flags, rlim_t limit)
{
	struct rlimit rl = { limit, limit };
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = mode, .flags = flags };
	struct mw_secret_heap *h;
	void *keep[4096];
	int n = 0, err = 0;

	if (drop_ipc_lock() < 0 || setrlimit(RLIMIT_MEMLOCK, &rl) < 0) {
		printf("cannot drop CAP_IPC_LOCK / lower RLIMIT_MEMLOCK: %s\n", strerror(errno));
		return 2;
	}
	h = mw_secret_heap_new(&o);
	if (!h) {
		err = errno;
		if (limit != 0) {
			printf("heap_new under %lu bytes: %s (%s)\n", (unsigned long)limit, strerror(err),
			       mw_secret_last_error());
			return 3;
		}
	} else {
		if (limit == 0) {
			printf("heap created with RLIMIT_MEMLOCK 0 (backing %s)\n",
			       mw_secret_backing_name(mw_secret_heap_backing(h)));
			return 4;
		}
		for (n = 0; n < 4096; n++) {
			/* Different sizes: new slabs / new slots each time. */
			keep[n] = mw_secret_alloc(h, (size_t)(n % 28) * 150 + 1);
			if (!keep[n]) {
				err = errno;
				break;
			}
			memset(keep[n], 1, (size_t)(n % 28) * 150 + 1);
		}
		if (n == 4096) {
			printf("never ran out under %lu bytes\n", (unsigned long)limit);
			return 5;
		}
		/* What was allocated still works. */
		for (int i = 0; i < n; i++)
			mw_secret_free(h, keep[i]);
		keep[0] = mw_secret_alloc(h, 1);
		if (!keep[0] && mode == MW_SECRET_COMPACT) {
			printf("nothing allocatable after exhaustion\n");
			return 6;
		}
		mw_secret_free(h, keep[0]);
	}
	if (err != EAGAIN) {
		printf("errno %s, want EAGAIN (%s)\n", strerror(err), mw_secret_last_error());
		return 7;
	}
	if (!strstr(mw_secret_last_error(), "RLIMIT_MEMLOCK")) {
		printf("message does not name RLIMIT_MEMLOCK: %s\n", mw_secret_last_error());
		return 8;
	}
	printf("note: %s/%s limit %lu: failed after %d objects: %s\n",
	       flags ? "fallback" : "default", mw_secret_mode_name(mode), (unsigned long)limit, n,
	       mw_secret_last_error());
	mw_secret_heap_destroy(h);
	return 0;
}


int main(void)
{
	static const rlim_t limits[] = { 0, 256 << 10 };

	for (int m = 0; m < 2; m++)
		for (int f = 0; f < 2; f++)
			for (size_t l = 0; l < 2; l++) {
				pid_t pid;
				int rc;

#ifdef LIVE_ASAN
				/* ASan turns mlock() into a no-op: the fallback cannot
				 * run out of locked memory in this build. */
				if (f) {
					live_note("ASan build: fallback memlock case not checked");
					continue;
				}
#endif

				fflush(stdout);
				pid = fork();
				if (pid == 0) {
					rc = child((enum mw_secret_mode)m, f ? MW_SECRET_FORCE_FALLBACK : 0,
						   limits[l]);
					fflush(stdout);
					_exit(rc);
				}
				rc = live_wait(pid);
				CHECK(rc == 0, "mode %d fallback %d limit %lu: child exit %d", m, f,
				      (unsigned long)limits[l], rc);
			}
	return live_done();
}
