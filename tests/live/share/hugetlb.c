/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Issue 11 #7: hugetlbfs ignores F_SEAL_EXEC.
 *  - Established here first: an "exec-sealed" hugetlb memfd (mode 0644,
 *    F_SEAL_EXEC) can be chmodded to 0755 by its holder.
 *  - So no hugetlb memfd passes MW_SHARE_NO_EXEC, and mw_memfd_query()
 *    never calls one exec-sealed.
 *  - A hugetlbfs file named "memfd:x" (a sender's own hugetlbfs mount,
 *    moved onto "/") does not pass a memfd-only policy.
 *  - mw_share_map_ro() refuses hugetlbfs (a private mapping reserves huge
 *    pages for the whole file, charged to the receiver).
 *  - With a huge page reserved (tried; as root the test raises
 *    vm.nr_hugepages by one for its run and restores it), the full attack:
 *    a "#!" script in an exec-sealed hugetlb memfd, refused by the receiver,
 *    then chmodded and run by the sender with execveat.
 * Parts that need what this system cannot give are skipped with the reason.
 */
#include "share_test.h"

#include <sys/mman.h>
#include <sys/stat.h>

#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif

static unsigned int sup;
static long hpage = 2 << 20;

static int huge_memfd(void)
{
	int fd = mw_sys_memfd_create("huge", MFD_CLOEXEC | MFD_HUGETLB | MFD_ALLOW_SEALING);

	if (fd >= 0 && fchmod(fd, 0644) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Fill a hugetlb memfd with a script; needs one free huge page. */
static bool fill_script(int fd)
{
	static const char script[] = "#!/bin/sh\nexit 42\n";
	char *p;

	if (ftruncate(fd, hpage) < 0)
		return false;
	p = mmap(NULL, (size_t)hpage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return false;
	memcpy(p, script, sizeof(script) - 1);
	munmap(p, (size_t)hpage);
	return true;
}

static void facts_and_verdicts(void)
{
	struct mw_memfd_info info = { .sz = sizeof(info) };
	struct mw_share_result res = { .sz = sizeof(res) };
	struct mw_share_policy pol = { .sz = sizeof(pol),
		.flags = MW_SHARE_REQUIRE_MEMFD | MW_SHARE_NO_EXEC,
		.required_seals = MW_SEAL_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW };
	struct stat st;
	size_t len;
	int fd = huge_memfd(), r;

	if (fd < 0)
		live_skip("memfd_create(MFD_HUGETLB): %s", strerror(errno));
	if (!(sup & F_SEAL_EXEC) || fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC) < 0) {
		live_note("F_SEAL_EXEC not accepted on hugetlbfs here (%s): exec-seal facts not run",
			  strerror(errno));
	} else {
		/* The kernel fact, on a scratch file. */
		int t = huge_memfd();
		bool chmod_ok = t >= 0 && fcntl(t, F_ADD_SEALS, F_SEAL_EXEC) == 0 &&
				fchmod(t, 0755) == 0;
		live_note("chmod 0755 of an exec-sealed hugetlb memfd %s", chmod_ok ?
			  "succeeds: hugetlbfs ignores F_SEAL_EXEC" : "fails here");
		if (t >= 0)
			close(t);
		REQUIRE(mw_memfd_query(fd, &info) == 0, "query");
		CHECK(info.exec != MW_MEMFD_EXEC_SEALED && info.exec_possible,
		      "hugetlb memfd reported exec %s, possible %d", mw_memfd_exec_name(info.exec),
		      info.exec_possible);
		REQUIRE(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW) == 0, "seals");
		r = mw_share_verify(fd, &pol, &res);
		CHECK(r == -EACCES && res.reason == MW_SHARE_EXEC_POSSIBLE,
		      "exec-sealed hugetlb memfd passed NO_EXEC: %d %s", r, res.detail);
		live_note("verify: %s", res.detail);
	}
	(void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK); /* map_ro's own requirement */
	errno = 0;
	fstat(fd, &st);
	CHECK(mw_share_map_ro(fd, &len) == NULL && errno == EOPNOTSUPP,
	      "map_ro of hugetlb: errno %s", strerrorname_np(errno));
	close(fd);
}

static void s_forged(int s, void *arg)
{
	char path[64];
	int fd;

	(void)arg;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("mwhuge", "/mnt", "hugetlbfs", 0, "mode=0700") < 0)
		_exit(LIVE_SKIP_CODE);
	snprintf(path, sizeof(path), "/mnt/memfd:x");
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		_exit(LIVE_SKIP_CODE);
	unlink(path);
	if (mount("/mnt", "/", NULL, MS_MOVE, NULL) < 0)
		_exit(LIVE_SKIP_CODE);
	if (mw_share_send(s, fd, NULL, 0) < 0)
		_exit(90);
}

static void forged_name(void)
{
	struct mw_share_policy pol = { .sz = sizeof(pol), .flags = MW_SHARE_REQUIRE_MEMFD };
	struct mw_share_result res = { .sz = sizeof(res) };
	pid_t pid;
	int sock = st_sender(SOCK_STREAM, s_forged, NULL, &pid), r, rc;

	r = mw_share_recv(sock, &pol, NULL, 0, &res);
	rc = live_wait(pid);
	close(sock);
	if (rc == LIVE_SKIP_CODE) {
		live_note("forged hugetlbfs file: cannot mount hugetlbfs in a private namespace here");
		CHECK(r < 0, "nothing sent, yet an fd");
		return;
	}
	CHECK(r == -EMEDIUMTYPE && res.reason == MW_SHARE_NOT_MEMFD,
	      "a hugetlbfs file named memfd:x passed a memfd-only policy: %d %s", r, res.detail);
	live_note("hugetlbfs file named memfd:x -> %s", res.detail);
	if (r >= 0)
		close(r);
}

/* Reserve one more huge page for this run, if we may; returns the old
 * value to restore, or -1. */
static long reserve_page(void)
{
	char buf[32];
	long old;
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "r+");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	old = strtol(buf, NULL, 10);
	rewind(f);
	fprintf(f, "%ld\n", old + 1);
	if (fclose(f) != 0)
		return -1;
	return old;
}

static void restore_pages(long old)
{
	FILE *f;

	if (old < 0 || !(f = fopen("/proc/sys/vm/nr_hugepages", "w")))
		return;
	fprintf(f, "%ld\n", old);
	fclose(f);
}

static void s_script(int s, void *arg)
{
	char b;
	int fd = *(int *)arg;
	char *argv[] = { "x", NULL };

	if (mw_share_send(s, fd, NULL, 0) < 0 || read(s, &b, 1) != 1)
		_exit(90);
	/* Refused or not, the holder now makes it executable and runs it. */
	if (fchmod(fd, 0755) < 0)
		_exit(91);
	fd = dup(fd); /* without O_CLOEXEC: the interpreter opens /dev/fd/N */
	mw_sys_execveat(fd, "", argv, (char *[]){ NULL }, AT_EMPTY_PATH);
	_exit(92);
}

static void full_attack(void)
{
	struct mw_share_result res = { .sz = sizeof(res) };
	long old = -1;
	pid_t pid;
	int fd = huge_memfd(), sock, r, rc;

	if (fd < 0)
		return;
	if (!fill_script(fd)) {
		old = reserve_page();
		if (old < 0 || !fill_script(fd)) {
			restore_pages(old);
			close(fd);
			live_note("SKIP part: no huge page could be reserved (%s): the script attack "
				  "was not run", strerror(errno));
			return;
		}
	}
	if (fcntl(fd, F_ADD_SEALS, (F_SEAL_EXEC & sup) | F_SEAL_WRITE | F_SEAL_SHRINK |
		  F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		live_note("seals on hugetlb: %s", strerror(errno));
	}
	sock = st_sender(SOCK_STREAM, s_script, &fd, &pid);
	close(fd);
	r = mw_share_recv(sock, NULL, NULL, 0, &res);
	CHECK(r == -EACCES, "the script memfd was accepted as exec-impossible: %d %s", r, res.detail);
	if (r >= 0)
		close(r);
	(void)write(sock, "g", 1);
	rc = live_wait(pid);
	close(sock);
	live_note("the sender then ran its script from the hugetlb memfd: exit %d%s", rc,
		  rc == 42 ? " (the attack is real on this kernel)" : "");
	restore_pages(old);
}

int main(void)
{
	sup = st_seals_supported();
	facts_and_verdicts();
	forged_name();
	full_attack();
	return live_done();
}
