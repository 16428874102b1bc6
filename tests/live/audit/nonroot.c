/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward audit without privileges: a child that drops to uid/gid 65534
 * scans the whole system. Other users' processes (pid 1 at least) cannot be
 * read: the scan must succeed, be marked partial with a count of unreadable
 * processes, and still find what the unprivileged user's own processes do
 * (an executable memfd held by a sibling running as 65534). The CLI run the
 * same way must exit 0 or 1 (not 2) and say "partial": true in valid JSON.
 *
 * usage: live-audit-nonroot MEMWARD
 */
#include "live.h"
#include "kernel.h"
#include "sys/shim.h"

#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <memward/memward.h>

#define NOBODY 65534

static unsigned int exec_flag;

static void drop(void)
{
	if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0) {
		printf("cannot drop to %d: %s\n", NOBODY, strerror(errno));
		_exit(3);
	}
}

/* The unprivileged scan, in a child. Exit 0 pass, 1 fail. */
static int scan_as_nobody(pid_t holder)
{
	struct mw_audit_report *r = NULL;
	bool found = false;
	int err;

	drop();
	err = mw_audit_scan(NULL, &r);
	CHECK(err == 0, "unprivileged scan failed: %s", strerror(-err));
	if (err)
		return live_done();
	live_note("as uid %d: seen %u, scanned %u, unreadable %u, vanished %u, kernel %u, findings %zu",
		  NOBODY, r->procs_seen, r->procs_scanned, r->procs_unreadable, r->procs_vanished,
		  r->procs_kernel, r->nfindings);
	CHECK(r->partial && r->procs_unreadable > 0, "not marked partial (unreadable %u)",
	      r->procs_unreadable);
	CHECK(r->procs_scanned >= 2, "own processes not scanned (%u)", r->procs_scanned);
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct mw_audit_finding *f = r->findings[i];

		if (f->pid == holder && f->kind == MW_AUDIT_EXEC_MEMFD && f->severity == MW_AUDIT_LOW)
			found = true;
		CHECK(f->uid == NOBODY || f->kind == MW_AUDIT_NOEXEC_POLICY,
		      "finding about uid %d's process %d read without privileges", (int)f->uid, f->pid);
	}
	CHECK(found, "the unprivileged holder's executable memfd was not found");
	mw_audit_report_free(r);

	/* The uid filter, unprivileged too. */
	{
		struct mw_audit_opts o = { .sz = sizeof(o), .flags = MW_AUDIT_F_UID, .uid = NOBODY };

		err = mw_audit_scan(&o, &r);
		CHECK(err == 0 && !r->partial && r->procs_seen >= 2,
		      "--user nobody scan: err %d partial %d seen %u", err, r ? r->partial : -1,
		      r ? r->procs_seen : 0);
		mw_audit_report_free(r);
	}
	return live_done();
}

static int cli_as_nobody(const char *memward)
{
	static char out[1 << 20];
	char copy[4096];
	json_object *doc, *v;
	int rc;

	/* nobody may not reach the build tree: run a copy it can execute. */
	live_public_copy(memward, copy, sizeof(copy));
	{
		char *argv[] = { copy, "audit", "--json", "--fail-on", "critical", NULL };

		rc = live_capture(argv, false, drop, out, sizeof(out));
	}
	live_public_copy_remove(copy);
	CHECK(rc == 0 || rc == 1, "unprivileged CLI exit %d:\n%s", rc, out);
	doc = json_tokener_parse(out);
	CHECK(doc && json_object_object_get_ex(doc, "partial", &v) && json_object_get_boolean(v),
	      "unprivileged CLI JSON not partial:\n%.400s", out);
	json_object_put(doc);
	return 0;
}

int main(int argc, char **argv)
{
	int ready[2];
	pid_t holder, scanner;
	char c;
	int rc;

	REQUIRE(argc == 2, "usage: live-audit-nonroot MEMWARD");
	if (lk_memfd_create(MFD_EXEC) == 0)
		exec_flag = MFD_EXEC;
	if (getuid() != 0) {
		/* Already unprivileged: scan as we are. Whether a process is out
		 * of reach is established here: init's fd table, root's. */
		struct mw_audit_report *r = NULL;
		DIR *d = opendir("/proc/1/fd");
		bool init_hidden = !d && errno == EACCES;

		if (d)
			closedir(d);
		REQUIRE(mw_audit_scan(NULL, &r) == 0, "unprivileged scan");
		if (init_hidden)
			CHECK(r->partial && r->procs_unreadable > 0,
			      "/proc/1/fd is EACCES for this user, yet the scan says partial=%d with %u unreadable",
			      r->partial, (unsigned)r->procs_unreadable);
		else
			live_note("/proc/1/fd is readable here: nothing is known to be out of reach");
		mw_audit_report_free(r);
		return live_done();
	}
	{
		int probe = mw_sys_memfd_create("mw-probe", MFD_CLOEXEC | exec_flag);
		struct stat st;

		if (probe < 0 && errno == EACCES)
			live_skip("vm.memfd_noexec=2 here: executable memfds are refused");
		REQUIRE(probe >= 0 && fstat(probe, &st) == 0, "memfd_create");
		if (!(st.st_mode & 0111))
			live_skip("memfds are created non-executable here (vm.memfd_noexec)");
		close(probe);
	}
	REQUIRE(pipe(ready) == 0, "pipe");
	holder = fork();
	REQUIRE(holder >= 0, "fork");
	if (holder == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		drop();
		/* A uid change clears the dumpable flag, which would hide the
		 * process from its own uid; a process exec'd as 65534 has it. */
		prctl(PR_SET_DUMPABLE, 1);
		if (mw_sys_memfd_create("mw-nobody-exec", MFD_CLOEXEC | exec_flag) < 0)
			_exit(1);
		(void)!write(ready[1], "r", 1);
		for (;;)
			pause();
	}
	REQUIRE(read(ready[0], &c, 1) == 1, "holder did not start");

	scanner = fork();
	REQUIRE(scanner >= 0, "fork");
	if (scanner == 0)
		_exit(scan_as_nobody(holder));
	rc = live_wait(scanner);
	CHECK(rc == 0, "unprivileged scan child: exit %d", rc);

	cli_as_nobody(argv[1]);
	kill(holder, SIGKILL);
	live_wait(holder);
	return live_done();
}
