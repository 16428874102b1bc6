/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The memfd_noexec_policy finding of a pid namespace names the same process
 * in every scan (issue 12, item 4: it was the first process a scanning
 * thread happened to reach): the lowest pid seen in the namespace. Checked
 * over repeated whole-system scans with several threads, through BPF and
 * /proc, and in a pid scan whose list is given in descending order.
 *
 * usage: live-audit-ns-credit
 */
#include "live.h"

#include <signal.h>

#include <memward/memward.h>

static pid_t credit(const struct mw_audit_report *r, uint64_t ns)
{
	for (size_t i = 0; i < r->nfindings; i++)
		if (r->findings[i]->kind == MW_AUDIT_NOEXEC_POLICY && r->findings[i]->pidns == ns)
			return r->findings[i]->pid;
	return -1;
}

int main(void)
{
	struct stat st;
	pid_t first = -1;

	REQUIRE(stat("/proc/self/ns/pid", &st) == 0, "stat ns/pid");
	for (int run = 0; run < 8; run++) {
		struct mw_audit_opts o = { .sz = sizeof(o), .threads = run % 2 ? 4 : 2,
					   .flags = MW_AUDIT_F_NO_NS_PROBE | (run % 4 >= 2 ? MW_AUDIT_F_NO_BPF : 0) };
		struct mw_audit_report *r = NULL;
		pid_t p;
		int err = mw_audit_scan(&o, &r);

		REQUIRE(err == 0, "scan: %s", strerror(-err));
		p = credit(r, st.st_ino);
		CHECK(p > 0, "run %d: no finding for our namespace", run);
		if (first < 0)
			first = p;
		/* The credited process may exit between two scans (on a busy
		 * machine the lowest readable pid can be short-lived): then, and
		 * only then, a higher pid takes its place. */
		if (p != first && p > first && kill(first, 0) < 0 && errno == ESRCH) {
			live_note("run %d: pid %d exited; credit moved to %d", run, (int)first, (int)p);
			first = p;
		}
		CHECK(p == first, "run %d (threads %u, bpf %d): credited pid %d, first run %d", run, o.threads,
		      r->via_bpf, (int)p, (int)first);
		mw_audit_report_free(r);
	}
	/* the lowest pid of the namespace that can be read: pid 1 for root in
	 * the initial namespace, else at most our own pid */
	CHECK(first <= getpid(), "credited pid %d is above ours (%d)", (int)first, (int)getpid());
	{
		char buf[8];

		if (geteuid() == 0 && readlink("/proc/1/exe", buf, sizeof(buf)) >= 0)
			CHECK(first == 1, "credited pid %d, not 1", (int)first);
	}
	{
		pid_t pids[3] = { getpid(), getppid(), 1 };
		struct mw_audit_opts o = { .sz = sizeof(o), .pids = pids, .npids = 3,
					   .flags = MW_AUDIT_F_NO_NS_PROBE };
		struct mw_audit_report *r = NULL;

		pid_t want = -1;

		/* the lowest of them that can be read (pid 1 may be hidden even
		 * from root in a sandbox) */
		for (int i = 0; i < 3; i++) {
			char path[64], buf[8];

			snprintf(path, sizeof(path), "/proc/%d/exe", (int)pids[i]);
			if (readlink(path, buf, sizeof(buf)) >= 0 && (want < 0 || pids[i] < want))
				want = pids[i];
		}
		REQUIRE(mw_audit_scan(&o, &r) == 0, "pid scan");
		CHECK(credit(r, st.st_ino) == want, "descending pid list credits %d, want %d",
		      (int)credit(r, st.st_ino), (int)want);
		mw_audit_report_free(r);
	}
	return live_done();
}
