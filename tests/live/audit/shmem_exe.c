/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A process that runs from anonymous shared memory or a SysV segment (a
 * copy of a binary written into the memory, reopened through
 * /proc/self/map_files, executed with execveat(AT_EMPTY_PATH)). Its exe is
 * "/dev/zero (deleted)" or "/SYSV... (deleted)" on the kernel's internal
 * shmem mount: never a file on disk, so never "a binary replaced by an
 * upgrade". The audit must rate it critical (a red team found it rated
 * medium, which the default --fail-on high lets through). Needs
 * CAP_SYS_ADMIN for map_files, established by trying it.
 *
 * usage: live-audit-shmem-exe
 */
#include "live.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <signal.h>

#include "sys/shim.h"
#include <memward/memward.h>

extern char **environ;

/* In the child: copy our own binary into shared memory of this kind and
 * execute it from there with argv "sleep-mode". Exit codes on failure. */
static void run_from(const char *kind, int ready)
{
	char path[128];
	struct stat st;
	size_t len;
	char *m, *argv[] = { "payload", "sleep-mode", NULL };
	int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), fd;

	if (src < 0 || fstat(src, &st) < 0)
		_exit(120);
	len = ((size_t)st.st_size + 4095) & ~(size_t)4095;
	if (!strcmp(kind, "anon")) {
		m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	} else {
		int id = shmget(IPC_PRIVATE, len, IPC_CREAT | 0700);

		m = id < 0 ? MAP_FAILED : shmat(id, NULL, 0);
		if (id >= 0)
			shmctl(id, IPC_RMID, NULL);
	}
	if (m == MAP_FAILED || m == NULL || pread(src, m, (size_t)st.st_size, 0) != st.st_size)
		_exit(121);
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", (unsigned long)m,
		 (unsigned long)m + len);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		_exit(errno == EPERM || errno == EACCES ? 122 : 123);
	(void)!write(ready, "x", 1); /* about to exec */
	mw_sys_execveat(fd, "", argv, environ, AT_EMPTY_PATH);
	_exit(124);
}

int main(int argc, char **argv)
{
	static const char *const kinds[] = { "anon", "sysv" };

	if (argc == 2 && !strcmp(argv[1], "sleep-mode")) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		sleep(60);
		return 0;
	}
	for (size_t k = 0; k < 2; k++) {
		struct mw_audit_opts o = { .sz = sizeof(o) };
		struct mw_audit_report *r = NULL;
		const struct mw_audit_finding *hit = NULL;
		char exe[256], link[64];
		int ready[2], err;
		ssize_t n = 0;
		pid_t pid;

		REQUIRE(pipe2(ready, O_CLOEXEC) == 0, "pipe");
		pid = fork();
		REQUIRE(pid >= 0, "fork");
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(ready[0]);
			run_from(kinds[k], ready[1]);
		}
		close(ready[1]);
		/* Wait until the payload runs: its exe link leaves our binary. */
		snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
		for (int i = 0; i < 500; i++) {
			n = readlink(link, exe, sizeof(exe) - 1);
			exe[n > 0 ? n : 0] = '\0';
			if (n > 0 && strstr(exe, "(deleted)") && (strstr(exe, "/dev/zero") || strstr(exe, "/SYSV")))
				break;
			if (kill(pid, 0) < 0)
				break; /* the fixture gave up: its exit code says why below */
			usleep(10000);
		}
		if (!strstr(exe, "(deleted)")) {
			int st = live_wait(pid);

			close(ready[0]);
			if (st == 122)
				live_skip("opening /proc/self/map_files needs CAP_SYS_ADMIN, which this test lacks");
			REQUIRE(0, "%s: the fixture did not run from shared memory (exit %d, exe '%s')", kinds[k],
				st, exe);
		}
		close(ready[0]);
		live_note("%s: the payload runs as %s", kinds[k], exe);
		o.pids = &pid;
		o.npids = 1;
		err = mw_audit_scan(&o, &r);
		REQUIRE(err == 0, "scan: %s", strerror(-err));
		for (size_t i = 0; i < r->nfindings; i++)
			if (r->findings[i]->pid == pid && r->findings[i]->kind == MW_AUDIT_FILELESS_EXEC)
				hit = r->findings[i];
		CHECK(hit, "%s: no fileless_exec finding for a process running from %s", kinds[k], exe);
		if (hit)
			CHECK(hit->severity == MW_AUDIT_CRITICAL, "%s: rated %s, want critical: %s", kinds[k],
			      mw_audit_severity_name(hit->severity), hit->reason);
		mw_audit_report_free(r);
		kill(pid, SIGKILL);
		live_wait(pid);
	}
	return live_done();
}
