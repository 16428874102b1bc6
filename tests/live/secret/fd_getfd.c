/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Red-team F6: a process of the same uid must not get the secret heap's
 * pages with pidfd_getfd(2) (Linux 5.6). The heap used to keep its
 * memfd_secret open: a sibling took it and mapped it, reading compact-mode
 * secrets that process_vm_readv and /proc/PID/mem cannot reach. As uid
 * 65534 under an 8 MiB RLIMIT_MEMLOCK, an owner holds a compact, a guarded
 * and a large object; a sibling takes every descriptor of the owner (each
 * entry of /proc/OWNER/fd and every number below 1024): none may be a
 * secretmem file, and no file it can map may hold a secret. The sibling must
 * first succeed in taking a descriptor the owner is known to hold; where
 * that is refused (Yama ptrace_scope, no pidfd_getfd), the test skips.
 */
#include "fdscan.h"

#include <dirent.h>
#include <sys/syscall.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

struct owner {
	pid_t pid;
	int ctl; /* a descriptor the owner holds: its end of the done pipe */
};

static int take(int pidfd, int fd, const char *how)
{
	int got = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	const char *what;

	if (got < 0)
		return 0;
	what = fdscan_check(got);
	if (what)
		printf("sibling: the owner's fd %d (%s) taken with pidfd_getfd is %s\n", fd, how,
		       what);
	close(got);
	return what != NULL;
}

static int sibling(void *arg)
{
	struct owner *o = arg;
	char path[64];
	struct dirent *e;
	int pidfd, got, bad = 0;
	DIR *d;

	pidfd = (int)syscall(SYS_pidfd_open, o->pid, 0);
	if (pidfd < 0) {
		printf("SKIP: pidfd_open: %s\n", strerror(errno));
		return LIVE_SKIP_CODE;
	}
	got = (int)syscall(SYS_pidfd_getfd, pidfd, o->ctl, 0);
	if (got < 0) {
		printf("SKIP: pidfd_getfd of a descriptor the owner holds: %s\n", strerror(errno));
		return LIVE_SKIP_CODE;
	}
	close(got);
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)o->pid);
	d = opendir(path);
	if (!d) {
		printf("sibling: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			bad |= take(pidfd, atoi(e->d_name), "listed in /proc/PID/fd");
	closedir(d);
	for (int fd = 0; fd < FDSCAN_MAXFD; fd++)
		bad |= take(pidfd, fd, "by number");
	close(pidfd);
	return bad;
}

/* The owner: every kind of object live at once, until main says done. */
static void owner(int ready, int done)
{
	struct mw_secret_heap *h[FDSCAN_KINDS];
	char *obj[FDSCAN_KINDS], c = 0;
	int err = unpriv_drop(8 * MIB), bad = 0;

	if (err < 0) {
		printf("owner: cannot drop to nobody: %s\n", strerror(-err));
		c = 1;
	}
	for (int k = 0; k < FDSCAN_KINDS && !c; k++)
		if (!(h[k] = fdscan_heap(k, &obj[k])))
			c = 1;
	fflush(stdout);
	if (write(ready, &c, 1) != 1 || c)
		_exit(1);
	if (read(done, &c, 1) != 1)
		bad = 1;
	for (int k = 0; k < FDSCAN_KINDS; k++) {
		if (memcmp(obj[k], fdscan_mark, FDSCAN_MARK)) {
			printf("owner: the %s secret changed\n", fdscan_kind[k]);
			bad = 1;
		}
		mw_secret_heap_destroy(h[k]);
	}
	fflush(stdout);
	_exit(bad);
}

int main(void)
{
	int ready[2], done[2], err = try_memfd_secret(), rc, orc;
	struct owner o;
	char c = 1;

	if (fdscan_init() < 0)
		live_skip("getrandom: %s", strerror(errno));
	live_note("memfd_secret here: %s", err ? strerror(err) : "works");
	REQUIRE(pipe2(ready, O_CLOEXEC) == 0 && pipe2(done, O_CLOEXEC) == 0, "pipe2: %s",
		strerror(errno));
	fflush(stdout);
	o.pid = fork();
	REQUIRE(o.pid >= 0, "fork: %s", strerror(errno));
	if (o.pid == 0) {
		close(ready[0]);
		close(done[1]);
		owner(ready[1], done[0]);
	}
	o.ctl = done[0];
	close(ready[1]);
	REQUIRE(read(ready[0], &c, 1) == 1 && c == 0, "the owner could not set up its heaps");
	rc = unpriv_run(8 * MIB, sibling, &o);
	c = 0;
	CHECK(write(done[1], &c, 1) == 1, "write: %s", strerror(errno));
	orc = live_wait(o.pid);
	CHECK(orc == 0, "owner exit %d", orc);
	if (rc == LIVE_SKIP_CODE)
		live_skip("the sibling could not take the owner's descriptors (see above)");
	CHECK(rc == 0, "a same-uid sibling reached the owner's secret heap (exit %d)", rc);
	return live_done();
}
