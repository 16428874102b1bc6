/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A file named "memfd:fake" on a private tmpfs, unlinked and held open by a
 * chrooted process, shows in /proc exactly like a memfd ("/memfd:fake
 * (deleted)") and even answers F_GET_SEALS (tmpfs files do). It is not a
 * memfd: the audit must check the device, on the /proc and the BPF paths
 * alike (issue 12, item 4). Needs root (a mount namespace and chroot).
 *
 * usage: live-audit-fake-memfd
 */
#include "live.h"
#include "modes.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <signal.h>

#include <memward/memward.h>

int main(void)
{
	int ready[2];
	pid_t pid;
	char c;

	if (unshare(0) < 0 || geteuid() != 0)
		live_skip("needs root for a private mount namespace");
	REQUIRE(pipe2(ready, 0) == 0, "pipe");
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		int fd;

		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a failed test */
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mkdir("/tmp/mw-fake-memfd", 0700) < 0 ||
		    mount("tmpfs", "/tmp/mw-fake-memfd", "tmpfs", 0, "size=1m") < 0 ||
		    chroot("/tmp/mw-fake-memfd") < 0 || chdir("/") < 0)
			_exit(120);
		fd = open("/memfd:fake", O_RDWR | O_CREAT | O_EXCL, 0755);
		if (fd < 0 || write(fd, "\x7f" "ELF", 4) != 4 || unlink("/memfd:fake") < 0 || dup2(fd, 100) < 0)
			_exit(121);
		(void)!write(ready[1], "r", 1);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1) {
		rmdir("/tmp/mw-fake-memfd");
		REQUIRE(0, "fixture failed: exit %d", live_wait(pid));
	}
	rmdir("/tmp/mw-fake-memfd"); /* its tmpfs lives in the child's namespace only */
	{
		char path[64], link[256];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/fd/100", (int)pid);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		CHECK(!strcmp(link, "/memfd:fake (deleted)"), "the fixture's link is '%s'", link);
	}
	for (int mode = 0; mode < MODES; mode++) {
		struct mw_audit_report *r = modes_scan(mode, &pid);
		int hits = 0;

		for (size_t i = 0; i < r->nfindings; i++)
			if (r->findings[i]->pid == pid && r->findings[i]->kind != MW_AUDIT_NOEXEC_POLICY) {
				live_note("%s: %s %s", modes_name[mode], mw_audit_kind_key(r->findings[i]->kind),
					  r->findings[i]->object);
				hits++;
			}
		CHECK(hits == 0, "%s (bpf %d): a tmpfs file named memfd:fake reported as a memfd",
		      modes_name[mode], r->via_bpf);
		mw_audit_report_free(r);
	}
	/* and inspect does not list it either */
	{
		struct mw_inspect_report ir = { .sz = sizeof(ir) };

		CHECK(mw_inspect_pid(pid, -1, &ir) == 0 && ir.count == 0, "inspect lists %zu memfd(s)", ir.count);
		mw_inspect_report_free(&ir);
	}
	kill(pid, SIGKILL);
	live_wait(pid);
	return live_done();
}
