/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memward guard: enforce a memfd exec policy with BPF LSM until SIGTERM/SIGINT. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <memward/memward.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct guard_log {
	int fd;
	unsigned long long lines, write_errors;
};

/* 1024 bytes hold every event with an empty exe path (names escaped six
 * times over, as a comm or memfd name of control bytes makes them); the
 * listed path adds at most six bytes per byte. A line that did not fit
 * was dropped silently before: a listed program's events could be hidden
 * by its own comm and memfd names. */
#define LINE_MAX_BYTES (1024 + 6 * 4096 + 2)

static void on_event(const struct mw_guard_event *ev, void *ctx)
{
	static char line[LINE_MAX_BYTES];
	struct guard_log *l = ctx;
	int n = mw_guard_event_json(ev, line, sizeof(line) - 1);

	if (n < 0) {
		l->write_errors++;
		return;
	}
	line[n++] = '\n';
	/* One write per line: lines of concurrent readers never interleave. */
	if (write(l->fd, line, (size_t)n) != n)
		l->write_errors++;
	l->lines++;
}

static void log_to_stderr(int level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level <= 4)
		fprintf(stderr, "memward: %s\n", msg);
}

static int refuse(const char *why)
{
	cli_err("the guard cannot run here: %s", why);
	fprintf(stderr,
		"memward: without BPF LSM, 'memward run --policy FILE -- CMD' enforces the same policy\n"
		"memward: for execve/execveat of one command tree (see memward-run(1) for its limits).\n");
	return 2;
}

static int serve(struct mw_guard *g, struct guard_log *l)
{
	uint64_t lost = 0;

	while (!stop) {
		int n = mw_guard_poll(g, 500);

		if (n == -EINTR)
			continue;
		if (n < 0) {
			cli_err("reading events: %s", strerror(-n));
			return 2;
		}
		/* Said while it happens (at most twice a second), not only at
		 * exit: a flood that hides events must be visible at once. */
		if (mw_guard_dropped(g) != lost) {
			lost = mw_guard_dropped(g);
			cli_err("%llu events lost so far (ring buffer full)", (unsigned long long)lost);
		}
	}
	/* The events already in the ring buffer. */
	mw_guard_poll(g, 0);
	if (mw_guard_dropped(g))
		cli_err("%llu events were lost (ring buffer full)", (unsigned long long)mw_guard_dropped(g));
	if (l->write_errors)
		cli_err("%llu event lines could not be written", l->write_errors);
	return 0;
}

static int run_guard(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "log", required_argument, NULL, 'l' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct guard_log l = { .fd = 1 };
	struct mw_guard_opts go = { .sz = sizeof(go), .on_event = on_event, .ctx = &l };
	const char *policy_path = NULL, *log_path = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	struct mw_policy *pol;
	struct mw_guard *g;
	char why[320];
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': policy_path = optarg; break;
		case 'l': log_path = optarg; break;
		case 'c': go.cgroup = optarg; break;
		case 'h': cli_print_help(&cmd_guard, stdout); return 0;
		default: return cli_usage_error(&cmd_guard, "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage_error(&cmd_guard, "unexpected argument '%s'", argv[optind]);
	if (!policy_path)
		return cli_usage_error(&cmd_guard, "--policy FILE is required");
	if (mw_guard_probe(why, sizeof(why)) != 1)
		return refuse(why);
	pol = mw_policy_load(policy_path, 0);
	if (!pol) {
		cli_err("cannot read policy '%s': %s", policy_path, strerror(errno));
		return 2;
	}
	if (mw_policy_error_count(pol)) {
		unsigned int line;
		const char *msg = mw_policy_error(pol, 0, &line);

		cli_err("%s:%u: %s (run 'memward policy check %s')", policy_path, line, msg, policy_path);
		mw_policy_free(pol);
		return 2;
	}
	if (log_path && (l.fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0) {
		cli_err("cannot open log '%s': %s", log_path, strerror(errno));
		mw_policy_free(pol);
		return 2;
	}
	go.policy = pol;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	mw_set_log(log_to_stderr, NULL);
	g = mw_guard_open(&go);
	if (!g) {
		int e = errno;

		if (e == EPERM || e == EOPNOTSUPP)
			cli_err("loading the guard failed: %s", strerror(e));
		else
			cli_err("cannot start the guard: %s", strerror(e));
		mw_policy_free(pol);
		if (log_path)
			close(l.fd);
		return 2;
	}
	fprintf(stderr, "memward: guard active (%s mode, %zu listed, %s%s); SIGTERM or SIGINT detaches\n",
		mw_policy_mode(pol) == MW_POLICY_AUDIT ? "audit" : "enforce", mw_policy_allow_count(pol),
		go.cgroup ? "cgroup " : "whole machine", go.cgroup ? go.cgroup : "");
	fflush(stderr);
	r = serve(g, &l);
	mw_guard_close(g);
	mw_policy_free(pol);
	if (log_path)
		close(l.fd);
	fprintf(stderr, "memward: guard detached\n");
	return r;
}

const struct cli_cmd cmd_guard = {
	.name = "guard",
	.summary = "enforce the memfd exec policy in the kernel (BPF LSM)",
	.help =
	"Usage: memward guard --policy FILE [--log FILE] [--cgroup PATH]\n"
	"\n"
	"Load BPF LSM programs that enforce the policy FILE (memward-policy(5)) on the\n"
	"files the kernel executes and maps, until SIGTERM or SIGINT, then detach.\n"
	"Fileless objects (memfds, hugetlbfs memfds, shared anonymous and SysV memory,\n"
	"unlinked files) may not be executed, mapped executable, given exec bits or\n"
	"POSIX ACLs, except that a program listed with allow-exec-memfd may execute\n"
	"and map a memfd that carries the required seals. Who is listed is decided on\n"
	"the executable the kernel committed at exec (device and inode), not on\n"
	"/proc/PID/exe; PR_SET_MM exe changes are refused. 'mode audit' only reports.\n"
	"\n"
	"  --policy FILE   the policy (required)\n"
	"  --log FILE      append one JSON line per decision to FILE (default: stdout)\n"
	"  --cgroup PATH   guard only the tasks in this cgroup v2 subtree\n"
	"  --help          this text\n"
	"\n"
	"The programs stay attached only while this process runs: killing it (SIGKILL\n"
	"too) detaches them. Programs that started before the guard are not listed\n"
	"until they exec again. Where BPF LSM programs cannot be loaded it refuses\n"
	"with the reason; 'memward run --policy' is the user-space alternative.\n"
	"Exit status: 0 after a signal, 2 on errors, 64 bad command line.\n"
	"See memward-guard(8) for what is and is not guaranteed.\n",
	.run = run_guard,
};
