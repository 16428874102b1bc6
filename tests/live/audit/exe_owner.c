/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A deleted executable is medium only when an upgrade could have left it:
 * a file owned by root. Its severity was decided by its path's text (red
 * team round 7): one run by nobody from /run/lock (world-writable, not in
 * the list of such directories) or from a private tmpfs mounted on /opt in
 * a user namespace read as medium. The fixtures, in a directory under /opt
 * (a system directory by name) that anyone may write (1777):
 *
 *   nobody   a copy of this program owned by nobody, run by nobody, unlinked: high
 *   root     a copy owned by root, run by root, unlinked:                  medium
 *   libnob   (unlinked_mapped_exec) a file owned by nobody mapped
 *            executable from there, unlinked:                             high
 *
 * in every mode (BPF iterators, /proc, by pid). Root only.
 *
 * usage: live-audit-exe-owner
 *        live-audit-exe-owner --hold FD   (what the copies run)
 */
#include "live.h"
#include "modes.h"

#include <grp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include <memward/memward.h>

static char base[] = "/opt/mw-owner-XXXXXX";
static bool made_opt; /* /opt was made here: removed again */

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	(void)!system(cmd);
	if (made_opt)
		rmdir("/opt");
}

/* Copy this program to base/NAME owned by uid, with the library next to
 * it; the path into out. */
static void copy_as(const char *name, uid_t uid, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", base, name);
	live_copy_file("/proc/self/exe", out);
	REQUIRE(chown(out, uid, uid) == 0, "chown %s: %s", out, strerror(errno));
}

/* Run path as uid (its library found through the environment), holding
 * until killed; returns once it runs. With lib, it also maps lib
 * executable and unlinks it. */
static pid_t run_as(const char *path, uid_t uid, const char *lib)
{
	int ready[2];
	char c;
	pid_t pid;

	pid = live_fork_ready(ready);
	if (pid == 0) {
		char fdarg[16];
		char *args[] = { "prog", "--hold", fdarg, (char *)lib, NULL };

		snprintf(fdarg, sizeof(fdarg), "%d", ready[1]);
		if (setenv("LD_LIBRARY_PATH", base, 1) < 0)
			_exit(121);
		if (uid && (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0))
			_exit(122);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(path, args);
		_exit(123);
	}
	close(ready[1]);
	REQUIRE(read(ready[0], &c, 1) == 1 && c == 'r', "%s did not start", path);
	close(ready[0]);
	return pid;
}

static const struct mw_audit_finding *find(const struct mw_audit_report *r, pid_t pid, enum mw_audit_kind k)
{
	for (size_t i = 0; i < r->nfindings; i++)
		if (r->findings[i]->pid == pid && r->findings[i]->kind == k)
			return r->findings[i];
	return NULL;
}

int main(int argc, char **argv)
{
	char nob[4200], rt[4200], lib[4200];
	pid_t p_nob, p_rt;

	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "--hold")) {
		if (argc == 4) {
			int fd = open(argv[3], O_RDONLY | O_CLOEXEC);

			if (fd < 0 || mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0) == MAP_FAILED ||
			    unlink(argv[3]) < 0)
				return 1;
			close(fd);
		}
		(void)!write(atoi(argv[2]), "r", 1);
		for (;;)
			pause();
	}
	if (geteuid() != 0)
		live_skip("needs root (files owned by nobody and by root under /opt)");
	made_opt = mkdir("/opt", 0755) == 0;
	if (!made_opt && errno != EEXIST)
		live_skip("no /opt here and it cannot be made: %s", strerror(errno));
	atexit(cleanup);
	REQUIRE(mkdtemp(base), "mkdtemp %s: %s", base, strerror(errno));
	REQUIRE(chmod(base, 01777) == 0, "chmod %s: %s", base, strerror(errno));
	{
		/* the library, when the program links it (RUNPATH $ORIGIN/..) */
		char self[4096], l[4200], dst[4200];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		REQUIRE(n > 0, "readlink /proc/self/exe: %s", strerror(errno));
		self[n] = '\0';
		*strrchr(self, '/') = '\0';
		snprintf(l, sizeof(l), "%s/../libmemward.so.0", self);
		snprintf(dst, sizeof(dst), "%s/libmemward.so.0", base);
		if (access(l, R_OK) == 0)
			live_copy_file(l, dst);
	}
	copy_as("nobody-prog", 65534, nob, sizeof(nob));
	copy_as("root-prog", 0, rt, sizeof(rt));
	copy_as("libnobody.so", 65534, lib, sizeof(lib));
	p_nob = run_as(nob, 65534, lib);
	p_rt = run_as(rt, 0, NULL);
	REQUIRE(unlink(nob) == 0 && unlink(rt) == 0, "unlink: %s", strerror(errno));
	for (int mode = 0; mode < MODES; mode++) {
		pid_t both[2] = { p_nob, p_rt };
		struct mw_audit_opts o = { .sz = sizeof(o), .pids = both, .npids = 2 };
		struct mw_audit_report *r = NULL;
		const struct mw_audit_finding *fn, *fr, *fl;

		if (mode < 2) {
			r = modes_scan(mode, &p_nob);
		} else {
			REQUIRE(mw_audit_scan(&o, &r) == 0, "scan by pid");
		}
		fn = find(r, p_nob, MW_AUDIT_FILELESS_EXEC);
		fr = find(r, p_rt, MW_AUDIT_FILELESS_EXEC);
		fl = find(r, p_nob, MW_AUDIT_UNLINKED_MAPPED_EXEC);
		CHECK(fn && fn->severity == MW_AUDIT_HIGH, "%s: a deleted program owned by nobody under %s: %s",
		      modes_name[mode], base, fn ? mw_audit_severity_name(fn->severity) : "no fileless_exec");
		CHECK(fr && fr->severity == MW_AUDIT_MEDIUM, "%s: a deleted program owned by root under %s: %s",
		      modes_name[mode], base, fr ? mw_audit_severity_name(fr->severity) : "no fileless_exec");
		CHECK(fl && fl->severity == MW_AUDIT_HIGH, "%s: a deleted library owned by nobody under %s: %s",
		      modes_name[mode], base, fl ? mw_audit_severity_name(fl->severity) : "no unlinked_mapped_exec");
		mw_audit_report_free(r);
	}
	kill(p_nob, SIGKILL);
	kill(p_rt, SIGKILL);
	live_wait(p_nob);
	live_wait(p_rt);
	return live_done();
}
