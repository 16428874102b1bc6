/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward audit's exit status when it cannot do what was asked (issue 12,
 * item 4): output to /dev/full is an error (exit 2, with a message) in every
 * format, --json included (stdio keeps the write error in the stream and
 * fflush() alone returned 0); --pid with a live pid and one that names no
 * process is exit 2 and names the missing pid, whatever the format.
 *
 * usage: live-audit-cli-errors MEMWARD
 */
#include "live.h"
#include "sys/shim.h"

static const char *memward;
static const char *full_fmt;

static void to_dev_full(void)
{
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || dup2(fd, 1) < 0)
		_exit(126);
}

int main(int argc, char **argv)
{
	static const char *const fmts[] = { "--json", "--jsonl", "--prometheus", NULL };
	char self[16], out[65536];
	int rc;

	REQUIRE(argc == 2, "usage: live-audit-cli-errors MEMWARD");
	memward = argv[1];
	snprintf(self, sizeof(self), "%d", (int)getpid());
	REQUIRE(access("/dev/full", W_OK) == 0, "/dev/full: %s", strerror(errno));
	/* Output larger than stdio's buffer (a write that fails while the
	 * buffer empties): 40 findings about executable memfds held here. */
	for (int i = 0; i < 40; i++) {
		int fd = mw_sys_memfd_create("mw-cli-errors-padding-name-for-a-longer-output", MFD_CLOEXEC);

		REQUIRE(fd >= 0 && fchmod(fd, 0755) == 0, "memfd %d: %s", i, strerror(errno));
	}
	for (int i = 0; i < 4; i++) {
		char *args[] = { (char *)memward, "audit", "--pid", self, "--fail-on", "none",
				 (char *)fmts[i], NULL };

		full_fmt = fmts[i] ? fmts[i] : "table";
		if (!fmts[i])
			args[6] = NULL;
		/* stderr goes to the pipe, stdout to /dev/full */
		{
			int fds[2];
			pid_t pid;
			ssize_t n;

			REQUIRE(pipe2(fds, O_CLOEXEC) == 0, "pipe");
			pid = fork();
			REQUIRE(pid >= 0, "fork");
			if (pid == 0) {
				dup2(fds[1], 2);
				to_dev_full();
				execv(memward, args);
				_exit(127);
			}
			close(fds[1]);
			{
				size_t len = 0;

				while (len < sizeof(out) - 1 &&
				       (n = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
					len += (size_t)n;
				out[len] = '\0';
			}
			close(fds[0]);
			rc = live_wait(pid);
		}
		CHECK(rc == 2 && strstr(out, "writing the output"),
		      "%s > /dev/full: exit %d, stderr '%s'", full_fmt, rc, out);
	}
	/* a live pid and a missing one */
	for (int i = 0; i < 4; i++) {
		char pids[64];
		char *args[] = { (char *)memward, "audit", "--pid", pids, (char *)fmts[i], NULL };

		snprintf(pids, sizeof(pids), "%s,999999", self);
		if (kill(999999, 0) == 0 || errno != ESRCH) {
			live_note("pid 999999 exists here: missing-pid case not run");
			break;
		}
		rc = live_capture(args, true, NULL, out, sizeof(out));
		CHECK(rc == 2 && strstr(out, "no such process: 999999"), "--pid LIVE,999999 %s: exit %d:\n%.400s",
		      fmts[i] ? fmts[i] : "(table)", rc, out);
	}
	return live_done();
}
