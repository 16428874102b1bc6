/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fileless libraries that are not memfds (red-team finding F8): code
 * written to an object with no name in any filesystem, then mapped
 * executable. Each fixture is a child that maps such an object PROT_EXEC:
 *
 *   tmpfile   an O_TMPFILE file in /tmp, never linked        high
 *   deleted   a file in a fresh /tmp directory, unlinked     high
 *   shmfile   a file in /dev/shm, unlinked                   high
 *   shanon    MAP_SHARED|MAP_ANONYMOUS, PROT_EXEC            high
 *   sysv      a SysV segment attached with SHM_EXEC          high
 *   system    (root) a file in /opt/..., unlinked            medium (an upgrade)
 *   trusted   (root) O_TMPFILE copy of a trusted binary      low
 *             (the others hold contents of the same size that differ by
 *             one byte: only a hash tells them apart)
 *
 * and controls that must give nothing: a linked file mapped executable,
 * and a linked file literally named "lib (deleted)". Every scan path must
 * agree: /proc with PROCMAP_QUERY, /proc as text, the BPF iterators (where
 * they load).
 *
 * usage: live-audit-unlinked-exec
 */
#include "live.h"
#include "sys/shim.h"

#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/statfs.h>
#include <linux/magic.h>

#include <memward/memward.h>

#define LEN 8192

struct fix {
	const char *name;
	const char *sev;        /* expected severity, NULL: no finding */
	const char *obj;        /* a part of the object's path */
	pid_t pid;
};

static char dir[64], trusted_path[128], content[LEN], tcontent[LEN];
static bool made_opt;

static void *map_fd(int fd, const char *what)
{
	if (write(fd, what, LEN) != LEN)
		_exit(3);
	return mmap(NULL, LEN, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
}

static void *map_path(const char *path, bool unlink_it)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	void *p;

	if (fd < 0)
		_exit(4);
	p = map_fd(fd, content);
	if (unlink_it)
		unlink(path);
	return p;
}

static void *make(const char *name)
{
	char path[256];

	if (!strcmp(name, "tmpfile") || !strcmp(name, "trusted")) {
		int fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0700);

		return fd < 0 ? MAP_FAILED : map_fd(fd, strcmp(name, "trusted") ? content : tcontent);
	}
	if (!strcmp(name, "deleted") || !strcmp(name, "linked") || !strcmp(name, "literal")) {
		snprintf(path, sizeof(path), "%s/%s%s", dir, name, !strcmp(name, "literal") ? " (deleted)" : ".so");
		return map_path(path, !strcmp(name, "deleted"));
	}
	if (!strcmp(name, "shmfile")) {
		snprintf(path, sizeof(path), "/dev/shm/mw-unlinked-%d", (int)getpid());
		return map_path(path, true);
	}
	if (!strcmp(name, "system")) {
		snprintf(path, sizeof(path), "%s/libmw-upgraded.so", trusted_path);
		return map_path(path, true);
	}
	if (!strcmp(name, "shanon"))
		return mmap(NULL, LEN, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!strcmp(name, "sysv")) {
		int id = shmget(IPC_PRIVATE, LEN, IPC_CREAT | 0700); /* SHM_EXEC asks for x */
		void *p = id < 0 ? (void *)-1 : shmat(id, NULL, SHM_EXEC | SHM_RDONLY);

		if (id >= 0)
			shmctl(id, IPC_RMID, NULL); /* gone with the child */
		return p == (void *)-1 ? MAP_FAILED : p;
	}
	return MAP_FAILED;
}

/* A child holding fixture f; 0 when it could not be made (said why). */
static pid_t spawn(struct fix *f)
{
	int p[2];
	char c = 0;
	pid_t pid;

	REQUIRE(pipe2(p, O_CLOEXEC) == 0, "pipe");
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		void *m;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		m = make(f->name);
		(void)!write(p[1], m == MAP_FAILED ? "F" : "r", 1);
		for (;;)
			pause();
	}
	close(p[1]);
	CHECK(read(p[0], &c, 1) == 1 && c == 'r', "fixture %s could not be made: %s", f->name, strerror(errno));
	close(p[0]);
	return pid;
}

static const struct mw_audit_finding *find(const struct mw_audit_report *r, pid_t pid)
{
	for (size_t i = 0; i < r->nfindings; i++)
		if (r->findings[i]->pid == pid && r->findings[i]->kind == MW_AUDIT_UNLINKED_MAPPED_EXEC)
			return r->findings[i];
	return NULL;
}

static void scan(struct fix *fx, size_t n, unsigned int flags, const char *how, bool all)
{
	pid_t pids[16];
	size_t np = 0;
	const char *tr[] = { trusted_path };
	struct mw_audit_opts o = { .sz = sizeof(o), .flags = flags | MW_AUDIT_F_NO_NS_PROBE };
	struct mw_audit_report *r = NULL;
	int err;

	for (size_t i = 0; i < n; i++)
		if (fx[i].pid > 0)
			pids[np++] = fx[i].pid;
	if (!all) {
		o.pids = pids;
		o.npids = np;
	}
	if (geteuid() == 0) {
		o.trusted = tr;
		o.ntrusted = 1;
	}
	err = mw_audit_scan(&o, &r);
	REQUIRE(err == 0, "%s: scan: %s", how, strerror(-err));
	if (flags & MW_AUDIT_F_BPF)
		live_note("%s: via BPF %d", how, r->via_bpf);
	for (size_t i = 0; i < n; i++) {
		const struct mw_audit_finding *f;

		if (fx[i].pid <= 0)
			continue;
		f = find(r, fx[i].pid);
		if (!fx[i].sev) {
			CHECK(!f, "%s: %s (a linked file) reported: %s %s", how, fx[i].name,
			      f ? mw_audit_severity_name(f->severity) : "", f ? f->object : "");
			continue;
		}
		CHECK(f && !strcmp(mw_audit_severity_name(f->severity), fx[i].sev) && strstr(f->object, fx[i].obj),
		      "%s: %s: want unlinked_mapped_exec %s on \"%s\", got %s %s", how, fx[i].name, fx[i].sev,
		      fx[i].obj, f ? mw_audit_severity_name(f->severity) : "nothing", f ? f->object : "");
	}
	mw_audit_report_free(r);
}

int main(void)
{
	struct fix fx[] = {
		{ "tmpfile", "high", "/tmp/#", 0 },
		{ "deleted", "high", "/deleted.so (deleted)", 0 },
		{ "shmfile", "high", "/dev/shm/mw-unlinked-", 0 },
		{ "shanon", "high", "/dev/zero (deleted)", 0 },
		{ "sysv", "high", "/SYSV", 0 },
		{ "linked", NULL, "", 0 },
		{ "literal", NULL, "", 0 },
		{ "system", "medium", "/opt/mw-unlinked-", 0 },
		{ "trusted", "low", "/tmp/#", 0 },
	};
	size_t n = sizeof(fx) / sizeof(fx[0]);
	bool root = geteuid() == 0;
	int fd;

	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	REQUIRE(fd >= 0 && read(fd, content, LEN) == LEN, "read own exe");
	close(fd);
	/* the trusted binary's contents: the others' with a byte changed */
	memcpy(tcontent, content, LEN);
	tcontent[LEN / 2] ^= 0x5a;
	snprintf(dir, sizeof(dir), "/tmp/mw-unlinked-XXXXXX");
	REQUIRE(mkdtemp(dir), "mkdtemp");
	/* a system directory and a trusted binary of the same contents */
	made_opt = root && mkdir("/opt", 0755) == 0;
	if (root && (made_opt || errno == EEXIST)) {
		snprintf(trusted_path, sizeof(trusted_path), "/opt/mw-unlinked-XXXXXX");
		if (!mkdtemp(trusted_path))
			trusted_path[0] = '\0';
	}
	for (size_t i = 0; i < n; i++) {
		bool needs_root = !strcmp(fx[i].name, "system") || !strcmp(fx[i].name, "trusted");
		struct statfs sfs;

		if (needs_root && !trusted_path[0]) {
			live_note("%s not checked: needs root and /opt", fx[i].name);
			continue;
		}
		/* the guests' devtmpfs has no /dev/shm (their /tmp is a tmpfs:
		 * "deleted" covers it) */
		if (!strcmp(fx[i].name, "shmfile") && (statfs("/dev/shm", &sfs) < 0 || sfs.f_type != TMPFS_MAGIC)) {
			live_note("shmfile not checked: /dev/shm is not a tmpfs here");
			continue;
		}
		fx[i].pid = spawn(&fx[i]);
	}
	if (trusted_path[0]) {
		/* the trusted binary: a file with the fixtures' contents */
		char t[160];
		int tfd;

		snprintf(t, sizeof(t), "%s/trusted-bin", trusted_path);
		tfd = open(t, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
		REQUIRE(tfd >= 0 && write(tfd, tcontent, LEN) == LEN, "trusted binary %s", t);
		close(tfd);
		memmove(trusted_path + 0, t, strlen(t) + 1); /* trusted_path now names the binary */
	}
	scan(fx, n, 0, "/proc", false);
	scan(fx, n, MW_AUDIT_F_MAPS_TEXT, "/proc text", false);
	scan(fx, n, MW_AUDIT_F_BPF, "full scan (BPF where it loads)", true);
	scan(fx, n, MW_AUDIT_F_NO_BPF, "full scan, /proc", true);
	for (size_t i = 0; i < n; i++)
		if (fx[i].pid > 0) {
			kill(fx[i].pid, SIGKILL);
			live_wait(fx[i].pid);
		}
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		(void)!system(cmd);
		if (trusted_path[0]) {
			*strrchr(trusted_path, '/') = '\0';
			snprintf(cmd, sizeof(cmd), "rm -rf '%s'", trusted_path);
			(void)!system(cmd);
		}
		if (made_opt)
			rmdir("/opt"); /* made here: gone again */
	}
	return live_done();
}
