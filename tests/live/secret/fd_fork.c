/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Red-team F5: a child of fork() must find nothing of its parent's secret
 * heap among its descriptors. The heap used to keep its memfd_secret open
 * (O_CLOEXEC closes it on exec only): the child mapped it and read and wrote
 * the parent's compact-mode secrets. As uid 65534 under an 8 MiB
 * RLIMIT_MEMLOCK, for a compact object, a guarded object and a large object,
 * the child looks at every entry of /proc/self/fd and every fd number below
 * 1024: none may be a secretmem file, and no file it can map may hold the
 * secret; the parent's secret is unchanged afterwards.
 */
#include "fdscan.h"

#include <dirent.h>
#include <sys/wait.h>

static int scan_self(const char *kind)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	const char *what;
	int bad = 0;

	if (!d) {
		printf("%s child: /proc/self/fd: %s\n", kind, strerror(errno));
		return 1;
	}
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] == '.' || fd == dirfd(d))
			continue;
		if ((what = fdscan_check(fd))) {
			printf("%s child: /proc/self/fd/%d is %s\n", kind, fd, what);
			bad = 1;
		}
	}
	closedir(d);
	for (int fd = 0; fd < FDSCAN_MAXFD; fd++)
		if (fcntl(fd, F_GETFD) >= 0 && (what = fdscan_check(fd))) {
			printf("%s child: fd %d is %s\n", kind, fd, what);
			bad = 1;
		}
	return bad;
}

static int one(int k)
{
	struct mw_secret_heap *h;
	char *obj;
	pid_t pid;
	int rc;

	h = fdscan_heap(k, &obj);
	if (!h)
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0)
		_exit(scan_self(fdscan_kind[k]));
	rc = live_wait(pid);
	if (rc != 0)
		printf("%s: the child found the heap (exit %d)\n", fdscan_kind[k], rc);
	if (memcmp(obj, fdscan_mark, FDSCAN_MARK)) {
		printf("%s: the parent's secret changed\n", fdscan_kind[k]);
		rc = 1;
	}
	mw_secret_heap_destroy(h);
	return rc != 0;
}

static int body(void *arg)
{
	int bad = 0;

	(void)arg;
	for (int k = 0; k < FDSCAN_KINDS; k++)
		bad |= one(k);
	return bad;
}

int main(void)
{
	int err = try_memfd_secret(), rc;

	if (fdscan_init() < 0)
		live_skip("getrandom: %s", strerror(errno));
	live_note("memfd_secret here: %s", err ? strerror(err) : "works");
	rc = unpriv_run(8 * MIB, body, NULL);
	CHECK(rc == 0, "a fork child reached the parent's secret heap (exit %d)", rc);
	return live_done();
}
