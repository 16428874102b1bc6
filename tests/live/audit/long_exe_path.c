/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A process running a deleted binary whose path is longer than the kernel
 * prints (22 directories of 200 bytes: readlink of /proc/PID/exe gives
 * ENAMETOOLONG) was left out as "could not be read" in every mode, with no
 * finding (red team round 5). It must be reported as a fileless_exec of
 * severity high (where it lies cannot be told; whoever hides there chose
 * it), its exe shown as "(path longer than PATH_MAX) (deleted)", by the
 * scan through the BPF iterators, through /proc, and by pid.
 *
 * usage: live-audit-long-exe-path
 *        live-audit-long-exe-path --hold READY_FD   (what the deep copy runs)
 */
#include "live.h"
#include "modes.h"
#include "sys/shim.h"

#include <signal.h>
#include <sys/prctl.h>

#include <memward/memward.h>

#define LEVELS 22
#define WANT "(path longer than PATH_MAX) (deleted)"

static char base[] = "/tmp/memward-deep-XXXXXX";
static int fds[LEVELS + 2]; /* base, the levels, then bin */
static char level[201];

static void cleanup(void)
{
	if (fds[LEVELS + 1] > 0) {
		unlinkat(fds[LEVELS + 1], "prog", 0);
		unlinkat(fds[LEVELS], "bin", AT_REMOVEDIR);
	}
	for (int i = LEVELS; i > 0; i--)
		if (fds[i] > 0)
			unlinkat(fds[i - 1], level, AT_REMOVEDIR);
	rmdir(base);
}

/* Copy this program to bin/prog under the deepest level (paths that long
 * only open relative to a directory). */
static void copy_self(void)
{
	char buf[65536];
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	REQUIRE(in >= 0, "open /proc/self/exe: %s", strerror(errno));
	out = openat(fds[LEVELS + 1], "prog", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	REQUIRE(out >= 0, "create prog: %s", strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		REQUIRE(write(out, buf, (size_t)n) == n, "write: %s", strerror(errno));
	close(in);
	REQUIRE(close(out) == 0, "close: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	char self[4096], libdir[4200], env[4300], fdarg[16], c;
	char *envp[] = { env, NULL };
	int ready[2], bpf = 0;
	pid_t pid;
	ssize_t n;

	if (argc == 3 && !strcmp(argv[1], "--hold")) {
		(void)!write(atoi(argv[2]), "r", 1);
		for (;;)
			pause();
	}
	memset(level, 'd', 200);
	REQUIRE(mkdtemp(base), "mkdtemp: %s", strerror(errno));
	atexit(cleanup);
	fds[0] = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	REQUIRE(fds[0] >= 0, "open %s: %s", base, strerror(errno));
	for (int i = 1; i <= LEVELS + 1; i++) {
		const char *name = i <= LEVELS ? level : "bin";

		REQUIRE(mkdirat(fds[i - 1], name, 0755) == 0, "mkdir level %d: %s", i, strerror(errno));
		fds[i] = openat(fds[i - 1], name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		REQUIRE(fds[i] >= 0, "open level %d: %s", i, strerror(errno));
	}
	copy_self();
	/* the copy finds its library through the environment: $ORIGIN needs
	 * the path the kernel cannot print */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	REQUIRE(n > 0, "readlink: %s", strerror(errno));
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(libdir, sizeof(libdir), "%s/..", self);
	snprintf(env, sizeof(env), "LD_LIBRARY_PATH=%s", libdir);
	REQUIRE(pipe2(ready, 0) == 0, "pipe: %s", strerror(errno));
	pid = fork();
	REQUIRE(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		char *args[] = { "prog", "--hold", fdarg, NULL };

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		snprintf(fdarg, sizeof(fdarg), "%d", ready[1]);
		mw_sys_execveat(fds[LEVELS + 1], "prog", args, envp, 0);
		_exit(127);
	}
	close(ready[1]);
	REQUIRE(read(ready[0], &c, 1) == 1, "the deep copy did not start");
	REQUIRE(unlinkat(fds[LEVELS + 1], "prog", 0) == 0, "unlink: %s", strerror(errno));
	{
		char path[64], link[64];

		snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
		errno = 0;
		REQUIRE(readlink(path, link, sizeof(link)) < 0 && errno == ENAMETOOLONG,
			"the fixture: readlink %s did not fail with ENAMETOOLONG (%s)", path, strerror(errno));
	}
	for (int mode = 0; mode < MODES; mode++) {
		struct mw_audit_report *r = modes_scan(mode, &pid);
		const struct mw_audit_finding *found = NULL;

		bpf += r->via_bpf;
		for (size_t i = 0; i < r->nfindings; i++)
			if (r->findings[i]->pid == pid && r->findings[i]->kind == MW_AUDIT_FILELESS_EXEC)
				found = r->findings[i];
		CHECK(found && found->severity >= MW_AUDIT_HIGH && !strcmp(found->exe, WANT),
		      "%s: process %d running a deleted binary at a path longer than PATH_MAX: %s%s%s "
		      "(%u process(es) unreadable)", modes_name[mode], (int)pid, found ? "exe " : "no fileless_exec",
		      found ? found->exe : "", found ? (found->severity >= MW_AUDIT_HIGH ? "" : ", below high") : "",
		      r->procs_unreadable);
		mw_audit_report_free(r);
	}
	live_note("%d of 3 scans through the BPF iterators", bpf);
	kill(pid, SIGKILL);
	live_wait(pid);
	return live_done();
}
