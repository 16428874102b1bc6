/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal shmem that is not a memfd (issue 14 C): a MAP_SHARED|MAP_ANONYMOUS
 * mapping or a SysV segment, reopened through /proc/self/map_files (an
 * executable 0777 file, link "/dev/zero (deleted)" or "/SYSV... (deleted)"),
 * is executed with execveat(AT_EMPTY_PATH), through /proc/self/fd/N, or
 * through the map_files name itself. Without memward each of these runs the
 * payload; under --policy the supervisor must treat the file like a memfd:
 * refused for an unlisted program, and for a listed one too (such a file
 * cannot carry the required seals).
 *
 * usage: live-policy-shmem-exec MEMWARD
 *        live-policy-shmem-exec attack anon|sysv fd|procfd|mapfile
 */
#include "policy_common.h"

#include <sys/ipc.h>
#include <sys/shm.h>

static const char *memward;

#define RAN 42
#define REFUSED 10
#define NO_MAP_FILES 20

extern char **environ;

static int attack(const char *kind, const char *how)
{
	char path[128], *argv[] = { "payload", "ran", NULL };
	struct stat st;
	size_t len;
	char *m;
	int in, fd, shmid = -1;
	ssize_t n;

	in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	REQUIRE(in >= 0 && fstat(in, &st) == 0, "open self");
	len = ((size_t)st.st_size + 4095) & ~(size_t)4095;
	if (!strcmp(kind, "sysv")) {
		shmid = shmget(IPC_PRIVATE, len, IPC_CREAT | 0600);
		REQUIRE(shmid >= 0, "shmget: %s", strerror(errno));
		m = shmat(shmid, NULL, 0);
		shmctl(shmid, IPC_RMID, NULL); /* gone with the last detach */
		REQUIRE(m != (void *)-1, "shmat: %s", strerror(errno));
	} else {
		m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		REQUIRE(m != MAP_FAILED, "mmap: %s", strerror(errno));
	}
	for (size_t got = 0; got < (size_t)st.st_size; got += (size_t)n) {
		n = read(in, m + got, (size_t)st.st_size - got);
		REQUIRE(n > 0, "copy self");
	}
	close(in);
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", (unsigned long)m, (unsigned long)m + len);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		/* map_files needs CAP_SYS_ADMIN (in the initial user namespace). */
		printf("open %s: %s\n", path, strerror(errno));
		return NO_MAP_FILES;
	}
	if (!strcmp(how, "fd")) {
		mw_sys_execveat(fd, "", argv, environ, AT_EMPTY_PATH);
	} else if (!strcmp(how, "procfd")) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		execve(path, argv, environ);
	} else {
		execve(path, argv, environ);
	}
	printf("%s %s: exec failed: %s\n", kind, how, strerror(errno));
	return errno == EACCES ? REFUSED : 11;
}

int main(int argc, char **argv)
{
	static const char *const kinds[] = { "anon", "sysv" };
	static const char *const hows[] = { "fd", "procfd", "mapfile" };
	static char out[1 << 15];
	char policy[512], listed[512], logp[512], text[4400], logtext[1 << 15];
	const char *self, *dir;
	int rc;

	if (argc >= 2 && !strcmp(argv[1], "ran"))
		return RAN;
	if (argc == 4 && !strcmp(argv[1], "attack"))
		return attack(argv[2], argv[3]);
	REQUIRE(argc == 2, "usage: live-policy-shmem-exec MEMWARD");
	memward = argv[1];
	self = pc_self();

	/* Without memward: does the attack work for this user here? */
	{
		char *a[] = { (char *)self, "attack", "anon", "fd", NULL };
		rc = pc_run(a, out, sizeof(out));
		if (rc == NO_MAP_FILES)
			live_skip("this user cannot open /proc/self/map_files (needs CAP_SYS_ADMIN): %s", out);
		CHECK(rc == RAN, "unsupervised control: exit %d, expected the payload to run (%d)\n%s", rc, RAN, out);
	}
	dir = pc_tmpdir();
	snprintf(policy, sizeof(policy), "%s/policy", dir);
	snprintf(listed, sizeof(listed), "%s/listed", dir);
	snprintf(logp, sizeof(logp), "%s/log", dir);
	pc_write_file(policy, "mode enforce\n", 0644);
	snprintf(text, sizeof(text), "mode enforce\nallow-exec-memfd %s\n", self);
	pc_write_file(listed, text, 0644);

	for (size_t k = 0; k < 2; k++)
		for (size_t h = 0; h < 3; h++) {
			char *a[] = { (char *)self, "attack", (char *)kinds[k], (char *)hows[h], NULL };

			rc = pc_run(a, out, sizeof(out));
			CHECK(rc == RAN, "unsupervised %s/%s: exit %d\n%s", kinds[k], hows[h], rc, out);
			rc = RUN(out, "run", "--policy", policy, "--log", logp, "--", (char *)self, "attack",
				 (char *)kinds[k], (char *)hows[h]);
			CHECK(rc == REFUSED, "%s/%s under --policy (unlisted): exit %d, expected refusal\n%s", kinds[k],
			      hows[h], rc, out);
			{
				int fd = open(logp, O_RDONLY | O_CLOEXEC);
				ssize_t n = fd >= 0 ? read(fd, logtext, sizeof(logtext) - 1) : -1;

				logtext[n > 0 ? n : 0] = '\0';
				if (fd >= 0)
					close(fd);
				unlink(logp);
			}
			CHECK(strstr(logtext, "internal shared memory") && strstr(logtext, "\"decision\":\"deny\""),
			      "%s/%s: no deny naming internal shared memory logged:\n%s", kinds[k], hows[h], logtext);
		}
	/* Listed: still refused (no seals on such a file). */
	rc = RUN(out, "run", "--policy", listed, "--", (char *)self, "attack", "anon", "fd");
	CHECK(rc == REFUSED, "anon/fd under --policy (listed): exit %d, expected refusal\n%s", rc, out);

	unlink(policy);
	unlink(listed);
	rmdir(dir);
	return live_done();
}
