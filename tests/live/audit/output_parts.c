/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward audit writes a long report in parts made on several threads
 * (cli/audit_rows.c): every format must come out byte for byte as one
 * thread writes it. A process holds 5,000 memfds (5,000 findings, past the
 * size where the rows are split), some with names the writers escape, and
 * each format is written three ways: on one CPU (one part), on all of them
 * (parts), and with an address-space limit that refuses the parts' memory
 * (the rows are then written by the first thread). The three must be equal
 * but for the scan's duration.
 *
 * Skipped on a single CPU (nothing to split). Built with AddressSanitizer,
 * the third way is left out (the sanitizer's own reservations need far more
 * address space than any limit that refuses a part's).
 *
 * usage: live-audit-output-parts MEMWARD
 */
#include "live.h"
#include "sys/shim.h"

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#define NMEMFDS 5000
#define OUT_MAX (16u << 20)

static void one_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &set)) {
				CPU_ZERO(&set);
				CPU_SET(c, &set);
				if (sched_setaffinity(0, sizeof(set), &set) != 0)
					_exit(126);
				return;
			}
}

/* Room for the program and its first thread, not for a part's reservation
 * (a gigabyte of address space). */
static void small_address_space(void)
{
	struct rlimit rl = { 512u << 20, 512u << 20 };

	if (setrlimit(RLIMIT_AS, &rl) != 0)
		_exit(126);
}

/* out without the lines that tell the scan's duration. */
static void drop_durations(char *out)
{
	char *w = out;

	for (char *line = out; *line;) {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);

		if (!memmem(line, len, "duration", 8) && !memmem(line, len, "scanned in", 10)) {
			memmove(w, line, len);
			w += len;
		}
		line += len;
	}
	*w = '\0';
}

/* The holder: NMEMFDS memfds, every seventh with a name to escape. */
static void holder(int ready)
{
	char name[64];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NAME, "mw-parts\"\\\x01");
	for (int i = 0; i < NMEMFDS; i++) {
		if (i % 7)
			snprintf(name, sizeof(name), "mw-parts-%d", i);
		else
			snprintf(name, sizeof(name), "mw-parts\"\\\t\xff\xc3\xa9-%d", i);
		if (mw_sys_memfd_create(name, MFD_CLOEXEC) < 0)
			_exit(120);
	}
	(void)!write(ready, "r", 1);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	static const char *const fmts[] = { NULL, "--json", "--jsonl", "--prometheus" };
	void (*const setups[])(void) = { one_cpu, NULL, small_address_space };
	static const char *const ways[] = { "one CPU", "in parts", "no memory for parts" };
	char *out[3];
	struct rlimit rl;
	cpu_set_t set;
	int ready[2];
	char pidarg[16], c;
	pid_t pid;

	REQUIRE(argc == 2, "usage: live-audit-output-parts MEMWARD");
	REQUIRE(sched_getaffinity(0, sizeof(set), &set) == 0, "sched_getaffinity: %s", strerror(errno));
	if (CPU_COUNT(&set) < 2)
		live_skip("one CPU: memward audit writes every report in one part here");
	REQUIRE(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < NMEMFDS + 64) {
		/* root may raise the hard limit (the QEMU guests have 4096) */
		struct rlimit up = { NMEMFDS + 64, NMEMFDS + 64 };

		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < NMEMFDS + 64)
		live_skip("RLIMIT_NOFILE's hard limit (%llu) is below the %d memfds of the fixture",
			  (unsigned long long)rl.rlim_max, NMEMFDS);
	rl.rlim_cur = rl.rlim_max;
	REQUIRE(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit: %s", strerror(errno));
	REQUIRE(pipe2(ready, O_CLOEXEC) == 0, "pipe");
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0)
		holder(ready[1]);
	close(ready[1]);
	REQUIRE(read(ready[0], &c, 1) == 1 && c == 'r', "the holder did not make its memfds");
	snprintf(pidarg, sizeof(pidarg), "%d", (int)pid);
	for (int w = 0; w < 3; w++) {
		out[w] = malloc(OUT_MAX);
		REQUIRE(out[w], "malloc");
	}
	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
		const char *fmt = fmts[f] ? fmts[f] : "(table)";

		for (int w = 0; w < 3; w++) {
			char *args[8];
#ifdef LIVE_ASAN
			if (w == 2) {
				strcpy(out[2], out[0]);
				continue;
			}
#endif
			int n = 0, rc;

			args[n++] = argv[1];
			args[n++] = "audit";
			if (fmts[f])
				args[n++] = (char *)fmts[f];
			args[n++] = "--pid";
			args[n++] = pidarg;
			args[n++] = "--fail-on";
			args[n++] = "none";
			args[n] = NULL;
			rc = live_capture(args, false, setups[w], out[w], OUT_MAX);
			CHECK(rc == 0, "%s, %s: exit %d", fmt, ways[w], rc);
			CHECK(strlen(out[w]) < OUT_MAX - 1, "%s, %s: more output than the test reads", fmt, ways[w]);
			drop_durations(out[w]);
		}
		{
			size_t rows = 0;

			for (const char *p = out[1]; (p = strstr(p, "mw-parts")); p++)
				rows++;
			CHECK(rows >= NMEMFDS, "%s: %zu mentions of the fixture's memfds, expected %d or more", fmt,
			      rows, NMEMFDS);
		}
		for (int w = 1; w < 3; w++) {
			size_t a = strlen(out[0]), b = strlen(out[w]), at = 0;

			while (at < a && at < b && out[0][at] == out[w][at])
				at++;
			CHECK(a == b && at == a, "%s: written %s differs from one CPU's (%zu and %zu bytes, first "
			      "difference at byte %zu)", fmt, ways[w], a, b, at);
		}
	}
	kill(pid, SIGKILL);
	live_wait(pid);
	for (int w = 0; w < 3; w++)
		free(out[w]);
	return live_done();
}
