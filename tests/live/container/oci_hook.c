/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `memward oci-hook` as a runtime runs it, without a runtime (so that it
 * also runs in the QEMU guests): the container is a process this test
 * starts as pid 1 of a new pid namespace, its bundle a directory with a
 * config.json, its state JSON on the hook's stdin.
 *
 *  - with vm.memfd_noexec (6.3+): annotation 2 -> exit 0 and the container
 *    reads 2 while we keep ours; the same state for a process of our own
 *    namespace -> exit 1, "no pid namespace of its own";
 *  - without it (6.1): exit 1 and a message naming the missing sysctl and
 *    the seccomp profile, never a silent success;
 *  - a config.json granting CAP_SYS_ADMIN -> exit 1 whatever the kernel.
 */
#include "live.h"
#include "core/child.h"

#include <sched.h>
#include <signal.h>

#define SYSCTL "/proc/sys/vm/memfd_noexec"

static char bundle[] = "/tmp/memward-oci-XXXXXX";
static int go[2];

static int level_of_self(void)
{
	char buf[8] = "";
	int fd = open(SYSCTL, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	return n > 0 ? buf[0] - '0' : -1;
}

/* pid 1 of the container: wait, then exit with the level it reads. */
static int container_main(void *arg)
{
	char c;

	(void)arg;
	close(go[1]);
	if (read(go[0], &c, 1) != 1)
		return 100;
	return 10 + level_of_self();
}

static void write_config(const char *process_extra)
{
	char path[128], text[512];
	int fd;

	snprintf(path, sizeof(path), "%s/config.json", bundle);
	snprintf(text, sizeof(text), "{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"/bin/sh\"]%s}}",
		 process_extra);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	REQUIRE(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text),
		"write %s: %s", path, strerror(errno));
	close(fd);
}

/* Run the hook with the state for pid; exit code, stderr in err. */
static int hook(const char *memward, pid_t pid, const char *level, char *err, size_t size)
{
	int in[2], out[2], status;
	char state[512];
	size_t len = 0;
	ssize_t n;
	pid_t child;

	snprintf(state, sizeof(state),
		 "{\"ociVersion\": \"1.0.2\", \"id\": \"live\", \"status\": \"creating\", "
		 "\"pid\": %d, \"bundle\": \"%s\", \"annotations\": {\"io.memward.memfd-noexec\": \"%s\"}}",
		 (int)pid, bundle, level);
	REQUIRE(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	fflush(stdout);
	child = fork();
	REQUIRE(child >= 0, "fork: %s", strerror(errno));
	if (child == 0) {
		dup2(in[0], 0);
		dup2(out[1], 2);
		execl(memward, "memward", "oci-hook", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	(void)!write(in[1], state, strlen(state));
	close(in[1]);
	while ((n = read(out[0], err + len, size - 1 - len)) > 0)
		len += (size_t)n;
	err[len] = '\0';
	close(out[0]);
	REQUIRE(waitpid(child, &status, 0) == child, "waitpid: %s", strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	struct mw__child c;
	int host, r, status = 0;
	char err[2048];

	REQUIRE(argc == 2, "usage: %s MEMWARD", argv[0]);
	if (geteuid() != 0)
		live_skip("needs root: the hook enters another pid namespace (runtimes run it as root)");
	REQUIRE(mkdtemp(bundle), "mkdtemp: %s", strerror(errno));
	host = level_of_self();

	REQUIRE(pipe2(go, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	REQUIRE(mw__child_start(&c, container_main, NULL, 0, CLONE_NEWPID) == 0,
		"clone(CLONE_NEWPID): %s", strerror(errno));
	close(go[0]);

	write_config(", \"capabilities\": {\"bounding\": [\"CAP_CHOWN\", \"CAP_SYS_ADMIN\"]}");
	r = hook(argv[1], c.pid, "2", err, sizeof(err));
	CHECK(r == 1 && strstr(err, "CAP_SYS_ADMIN"), "CAP_SYS_ADMIN: exit %d, '%s'", r, err);

	write_config(", \"capabilities\": {\"bounding\": [\"CAP_CHOWN\"]}");
	r = hook(argv[1], getpid(), "2", err, sizeof(err));
	if (host < 0) {
		CHECK(access(SYSCTL, F_OK) < 0 && errno == ENOENT, "cannot read " SYSCTL);
		r = hook(argv[1], c.pid, "2", err, sizeof(err));
		CHECK(r == 1 && strstr(err, "no vm.memfd_noexec") && strstr(err, "seccomp"),
		      "no sysctl: exit %d, '%s'", r, err);
	} else {
		CHECK(r == 1 && strstr(err, "no pid namespace of its own"),
		      "our own namespace: exit %d, '%s'", r, err);
		r = hook(argv[1], c.pid, "2", err, sizeof(err));
		CHECK(r == 0 && err[0] == '\0', "level 2: exit %d, '%s'", r, err);
	}
	(void)!write(go[1], "x", 1);
	close(go[1]);
	REQUIRE(mw__child_wait(&c, &status) == 0, "wait: %s", strerror(errno));
	if (host >= 0)
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 12,
		      "the container read level %d, want 2", WEXITSTATUS(status) - 10);
	CHECK(level_of_self() == host, "our level changed from %d to %d", host, level_of_self());

	snprintf(err, sizeof(err), "%s/config.json", bundle);
	unlink(err);
	rmdir(bundle);
	return live_done();
}
