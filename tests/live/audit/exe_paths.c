/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every finding names the executable its own process runs, as its
 * /proc/PID/exe shows it, never that of another process running the same
 * file (a scan that read one link per file from BPF records, keyed by
 * mount, dentry, inode and device, was tried and dropped: a process may
 * change its exe link without an exec). One file reached three ways must
 * give three paths: a private tmpfs holds a copy of this program as
 * bin/prog and as the hard link bin/alias (same inode, another dentry), and
 * bin is bind-mounted on bin2 (same dentry, another mount). Three processes
 * run each path, each holding a memfd (a finding). Scans through the BPF
 * iterators (one thread and the default) and through /proc must give each
 * process's findings its own path.
 *
 * Root only (a mount namespace; the iterators need CAP_BPF). Skipped when
 * the iterators do not load: the /proc scan is then checked, the BPF scan
 * (what the test is for) is not.
 *
 * usage: live-audit-exe-paths
 *        live-audit-exe-paths --child READY_FD   (what the copies run)
 */
#include "copies.h"
#include "sys/shim.h"

#include <signal.h>
#include <sys/prctl.h>

#include <memward/memward.h>

#define PER_PATH 3
#define NPATHS 3

static char dir[] = "/tmp/memward-exe-paths-XXXXXX";
static bool made, bound;

static void cleanup(void)
{
	char p[128];

	if (bound) {
		snprintf(p, sizeof(p), "%s/bin2", dir);
		umount2(p, MNT_DETACH);
	}
	if (made)
		copies_remove(dir);
}

/* The fixture: dir/bin/prog, dir/bin/alias (a hard link), dir/bin2 (a bind
 * mount of dir/bin). */
static void make_fixture(char paths[NPATHS][128])
{
	char bin[64], bin2[64];

	copies_make(dir, "prog", paths[0], sizeof(paths[0]));
	made = true;
	snprintf(bin, sizeof(bin), "%s/bin", dir);
	snprintf(bin2, sizeof(bin2), "%s/bin2", dir);
	REQUIRE(mkdir(bin2, 0755) == 0, "mkdir: %s", strerror(errno));
	snprintf(paths[1], 128, "%s/alias", bin);
	snprintf(paths[2], 128, "%s/prog", bin2);
	REQUIRE(link(paths[0], paths[1]) == 0, "link: %s", strerror(errno));
	REQUIRE(mount(bin, bin2, NULL, MS_BIND, NULL) == 0, "bind mount: %s", strerror(errno));
	bound = true;
}

/* A process running path, holding a memfd; its pid once it runs. */
static pid_t spawn(const char *path, int ready_w, int ready_r)
{
	char arg[16], c;
	pid_t pid = fork();

	REQUIRE(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		char *argv[] = { (char *)path, "--child", arg, NULL };

		prctl(PR_SET_PDEATHSIG, SIGKILL); /* kept across exec */
		if (mw_sys_memfd_create("mw-exe-paths", 0) < 0) /* inherited: a finding */
			_exit(120);
		snprintf(arg, sizeof(arg), "%d", ready_w);
		execv(path, argv);
		_exit(121);
	}
	REQUIRE(read(ready_r, &c, 1) == 1, "%s did not start", path);
	return pid;
}

int main(int argc, char **argv)
{
	char paths[NPATHS][128];
	pid_t pids[NPATHS * PER_PATH];
	int ready[2];
	bool any_bpf = false;

	if (argc == 3 && !strcmp(argv[1], "--child")) {
		(void)!write(atoi(argv[2]), "r", 1);
		for (;;)
			pause();
	}
	if (geteuid() != 0)
		live_skip("needs root (a private mount namespace, and CAP_BPF for the iterators)");
	atexit(cleanup);
	make_fixture(paths);
	REQUIRE(pipe2(ready, 0) == 0, "pipe: %s", strerror(errno));
	/* interleaved: the processes of one path are not neighbours in pid order */
	for (int k = 0; k < PER_PATH; k++)
		for (int p = 0; p < NPATHS; p++)
			pids[k * NPATHS + p] = spawn(paths[p], ready[1], ready[0]);
	for (int i = 0; i < NPATHS * PER_PATH; i++) {
		char proc[64], link[256];
		ssize_t n;

		snprintf(proc, sizeof(proc), "/proc/%d/exe", (int)pids[i]);
		n = readlink(proc, link, sizeof(link) - 1);
		REQUIRE(n > 0, "readlink %s: %s", proc, strerror(errno));
		link[n] = '\0';
		REQUIRE(!strcmp(link, paths[i % NPATHS]), "the fixture: %s is %s, not %s", proc, link,
			paths[i % NPATHS]);
	}
	for (int mode = 0; mode < 3; mode++) {
		static const char *const names[] = { "BPF, one thread", "BPF", "/proc" };
		struct mw_audit_opts o = { .sz = sizeof(o), .flags = MW_AUDIT_F_BPF };
		struct mw_audit_report *r = NULL;
		int err;

		if (mode == 0)
			o.threads = 1;
		if (mode == 2)
			o.flags = MW_AUDIT_F_NO_BPF;
		err = mw_audit_scan(&o, &r);
		REQUIRE(err == 0, "scan (%s): %s", names[mode], strerror(-err));
		if (mode < 2 && !r->via_bpf)
			live_note("%s: the BPF iterators did not load; read through /proc", names[mode]);
		any_bpf |= r->via_bpf;
		for (int i = 0; i < NPATHS * PER_PATH; i++) {
			size_t found = 0;

			for (size_t j = 0; j < r->nfindings; j++) {
				const struct mw_audit_finding *f = r->findings[j];

				if (f->pid != pids[i])
					continue;
				found++;
				CHECK(!strcmp(f->exe, paths[i % NPATHS]),
				      "%s: process %d runs %s, its finding says %s", names[mode], (int)pids[i],
				      paths[i % NPATHS], f->exe);
			}
			CHECK(found > 0, "%s: no finding for process %d (%s), which holds a memfd", names[mode],
			      (int)pids[i], paths[i % NPATHS]);
		}
		mw_audit_report_free(r);
	}
	for (int i = 0; i < NPATHS * PER_PATH; i++) {
		kill(pids[i], SIGKILL);
		live_wait(pids[i]);
	}
	if (!any_bpf)
		live_skip("the BPF iterators did not load here: only the /proc scan was checked, "
			  "not the scan from BPF records");
	return live_done();
}
