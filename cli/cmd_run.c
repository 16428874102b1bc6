/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward run: run a command under a memfd exec policy.
 *   --memfd-noexec=0|1|2  new pid namespace with vm.memfd_noexec set, pid 1
 *   --seccomp-noexec      seccomp filter with level 2's meaning, then exec
 *   --policy FILE         seccomp user-notification supervisor
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <memward/memward.h>

#define EXIT_MW_ERROR 125  /* memward itself failed (like env(1), docker run) */

/* ---- the decision log ---- */

struct log_ctx {
	int fd;
	bool audit;
};

static void log_decision(const struct mw_policy_decision *d, void *p)
{
	struct log_ctx *lc = p;
	json_object *o = json_object_new_object();
	char when[64], frac[16];
	struct tm tm;
	time_t secs = (time_t)(d->time_ns / 1000000000ull);
	const char *text, *en;
	size_t len;
	char *line;

	gmtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(frac, sizeof(frac), ".%06uZ", (unsigned)((d->time_ns / 1000) % 1000000));
	strncat(when, frac, sizeof(when) - strlen(when) - 1);
	json_object_object_add(o, "time", json_object_new_string(when));
	json_object_object_add(o, "pid", json_object_new_int(d->pid));
	json_object_object_add(o, "exe", json_object_new_string(d->exe));
	json_object_object_add(o, "call", json_object_new_string(mw_policy_call_name(d->call) ?: "?"));
	json_object_object_add(o, "decision", json_object_new_string(mw_policy_verdict_name(d->verdict) ?: "?"));
	json_object_object_add(o, "mode", json_object_new_string(lc->audit ? "audit" : "enforce"));
	json_object_object_add(o, "enforced", json_object_new_boolean(d->enforced));
	en = d->error ? mw_errno_name(d->error) : NULL;
	json_object_object_add(o, "errno", en ? json_object_new_string(en) : NULL);
	json_object_object_add(o, "reason", json_object_new_string(d->reason));
	json_object_object_add(o, "detail", json_object_new_string(d->detail));
	json_object_object_add(o, "flags", json_object_new_int64(d->flags));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	line = malloc(len + 2);
	if (line) {
		memcpy(line, text, len);
		line[len] = '\n';
		/* One write per line: lines from concurrent writers stay whole. */
		if (write(lc->fd, line, len + 1) < 0) {
			/* nothing sensible to do: the log is best effort */
		}
		free(line);
	}
	json_object_put(o);
}

/* ---- signals ---- */

static volatile sig_atomic_t child_pid;
static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
				 SIGCONT, SIGWINCH, SIGALRM };

static void forward(int sig)
{
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
}

static void install_forwarding(void)
{
	struct sigaction sa = { .sa_handler = forward, .sa_flags = SA_RESTART };

	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &sa, NULL);
}

static int wait_status(pid_t pid)
{
	int st;

	/* The library's children have exit signal 0: __WALL. */
	while (waitpid(pid, &st, __WALL) < 0)
		if (errno != EINTR)
			return EXIT_MW_ERROR;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

static void explain_start_failure(const struct mw_policy_run_result *res, int level)
{
	switch (res->stage) {
	case MW_POLICY_RUN_STAGE_NO_SYSCTL:
		cli_err("this kernel has no vm.memfd_noexec (it came with Linux 6.3), so --memfd-noexec cannot work here.\n"
			"Use instead:\n"
			"  memward run --policy FILE -- CMD   a supervisor that gives CMD only non-executable memfds\n"
			"                                     (except for the executables FILE lists): levels 1 and 2\n"
			"                                     emulated, see memward-run(1);\n"
			"  memward run --seccomp-noexec -- CMD  refuse memfd_create without MFD_NOEXEC_SEAL; on this\n"
			"                                     kernel that flag does not exist, so every memfd_create fails.");
		break;
	case MW_POLICY_RUN_STAGE_LOWER:
		cli_err("cannot set vm.memfd_noexec=%d: an ancestor pid namespace enforces %d, and a namespace\n"
			"cannot be less strict than its parent (Linux 6.6+ refuses it; 6.3-6.5 never lower a 2).\n"
			"Use --memfd-noexec=%d or higher.",
			level, res->ancestor_level, res->ancestor_level);
		break;
	case MW_POLICY_RUN_STAGE_USERNS:
		cli_err("cannot create a user namespace (needed without CAP_SYS_ADMIN): %s", strerror(res->error));
		break;
	case MW_POLICY_RUN_STAGE_PIDNS:
		cli_err("cannot create a pid and mount namespace: %s", strerror(res->error));
		break;
	case MW_POLICY_RUN_STAGE_MOUNT:
		cli_err("cannot mount /proc for the new pid namespace: %s", strerror(res->error));
		break;
	case MW_POLICY_RUN_STAGE_SYSCTL:
		cli_err("cannot set vm.memfd_noexec=%d in the new namespace: %s", level, strerror(res->error));
		if (res->error == EACCES && geteuid() != 0)
			fprintf(stderr, "The kernel lets only the real root write vm.memfd_noexec (the file is\n"
				"root-owned 0644 and checked against the global root uid), even in a user\n"
				"namespace. Run as root, or use --policy FILE or --seccomp-noexec.\n");
		break;
	case MW_POLICY_RUN_STAGE_SETUP:
		cli_err("cannot set up the seccomp filter for the command: %s", strerror(res->error));
		break;
	default:
		cli_err("cannot start the command: %s", strerror(res->error));
		break;
	}
}

static int usage_err(const char *fmt, const char *arg)
{
	return cli_usage_error(&cmd_run, fmt, arg);
}

static int run_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "memfd-noexec", required_argument, NULL, 'n' },
		{ "seccomp-noexec", no_argument, NULL, 's' },
		{ "policy", required_argument, NULL, 'p' },
		{ "log", required_argument, NULL, 'l' },
		{ "userns", no_argument, NULL, 'U' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct log_ctx lc = { .fd = 2 };
	struct mw_policy_run_opts ro = { .sz = sizeof(ro), .noexec_level = -1 };
	struct mw_policy_run_result res = { .sz = sizeof(res), .pidfd = -1, .listener = -1 };
	struct mw_policy *pol = NULL;
	const char *policy_path = NULL, *log_path = NULL;
	bool verbose = false, seccomp_noexec = false;
	int c, r, status;
	enum mw_policy_run_stage stage;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (strlen(optarg) != 1 || optarg[0] < '0' || optarg[0] > '2')
				return usage_err("--memfd-noexec takes 0, 1 or 2, not '%s'", optarg);
			ro.noexec_level = optarg[0] - '0';
			break;
		case 's':
			seccomp_noexec = true;
			break;
		case 'p':
			policy_path = optarg;
			break;
		case 'l':
			log_path = optarg;
			break;
		case 'U':
			ro.flags |= MW_POLICY_RUN_USERNS | MW_POLICY_RUN_NEWNS;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			cli_print_help(&cmd_run, stdout);
			return 0;
		default:
			if (optopt == 'n' || optopt == 'p' || optopt == 'l')
				return usage_err("option '%s' needs a value", argv[optind - 1]);
			return usage_err("unknown option '%s' (expected --memfd-noexec=N, --seccomp-noexec, "
					 "--policy FILE, --log FILE, --userns, --verbose)", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_err("missing the command to run%s", "");
	if (ro.noexec_level < 0 && !seccomp_noexec && !policy_path)
		return usage_err("nothing to enforce: give --memfd-noexec=N, --seccomp-noexec or --policy FILE%s", "");
	if (log_path && !policy_path)
		return usage_err("--log only applies to --policy%s", "");

	if (policy_path) {
		pol = mw_policy_load(policy_path, 0);
		if (!pol) {
			cli_err("cannot read policy '%s': %s", policy_path, strerror(errno));
			return EXIT_MW_ERROR;
		}
		if (mw_policy_error_count(pol)) {
			for (size_t i = 0; i < mw_policy_error_count(pol); i++) {
				unsigned int line;
				const char *m = mw_policy_error(pol, i, &line);
				fprintf(stderr, "%s:%u: %s\n", policy_path, line, m);
			}
			cli_err("policy '%s' has errors; nothing was run", policy_path);
			mw_policy_free(pol);
			return EXIT_MW_ERROR;
		}
		lc.audit = mw_policy_mode(pol) == MW_POLICY_AUDIT;
		if (log_path) {
			lc.fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
			if (lc.fd < 0) {
				cli_err("cannot open log '%s': %s", log_path, strerror(errno));
				mw_policy_free(pol);
				return EXIT_MW_ERROR;
			}
		}
		ro.flags |= MW_POLICY_RUN_SUPERVISE;
	}

	/* Pure seccomp mode alone: install, then become the command. */
	if (seccomp_noexec && ro.noexec_level < 0 && !policy_path) {
		r = mw_policy_seccomp_install(0);
		if (r < 0) {
			cli_err("cannot install the seccomp filter: %s", strerror(-r));
			return EXIT_MW_ERROR;
		}
		if (verbose)
			fprintf(stderr, "memward run: seccomp filter installed: memfd_create needs MFD_NOEXEC_SEAL\n");
		execvp(argv[optind], argv + optind);
		r = errno;
		cli_err("cannot execute '%s': %s", argv[optind], strerror(r));
		return r == ENOENT ? 127 : 126;
	}

	if (seccomp_noexec)
		ro.flags |= MW_POLICY_RUN_SECCOMP_NOEXEC;
	ro.argv = argv + optind;
	r = mw_policy_run(&ro, &res);
	if (r < 0) {
		explain_start_failure(&res, ro.noexec_level);
		r = EXIT_MW_ERROR;
		goto out;
	}
	child_pid = res.pid;
	install_forwarding();
	if (verbose && ro.noexec_level >= 0)
		fprintf(stderr, "memward run: vm.memfd_noexec=%d in the new pid namespace (pid 1 is %d here)\n",
			res.level, (int)res.pid);

	if (res.listener >= 0) {
		struct mw_policy_supervise_opts so = {
			.sz = sizeof(so), .policy = pol, .listener = res.listener, .stop_fd = res.pidfd,
			.on_decision = log_decision, .ctx = &lc,
		};

		if (verbose)
			fprintf(stderr, "memward run: supervising pid %d, policy %s (%s mode)\n",
				(int)res.pid, policy_path, lc.audit ? "audit" : "enforce");
		r = mw_policy_supervise(&so);
		if (r < 0)
			cli_err("supervisor stopped: %s (the supervised calls now fail with ENOSYS)", strerror(-r));
		close(res.listener);
	}
	status = wait_status(res.pid);
	r = mw_policy_run_exec_error(&res, &stage);
	if (r) {
		if (stage == MW_POLICY_RUN_STAGE_SETUP)
			cli_err("cannot set up the seccomp filter for '%s': %s", argv[optind], strerror(r));
		else
			cli_err("cannot execute '%s': %s", argv[optind], strerror(r));
	}
	r = status;
out:
	if (res.pidfd >= 0)
		close(res.pidfd);
	if (lc.fd > 2)
		close(lc.fd);
	mw_policy_free(pol);
	return r;
}

const struct cli_cmd cmd_run = {
	.name = "run",
	.summary = "run a command under a memfd exec policy",
	.help =
		"Usage: memward run [OPTIONS] [--] CMD [ARGS...]\n"
		"\n"
		"Run CMD so that it cannot get executable memfds (fileless execution),\n"
		"except where a policy allows it.\n"
		"\n"
		"  --memfd-noexec=N   run CMD in a new pid and mount namespace (and a user\n"
		"                     namespace when unprivileged) with vm.memfd_noexec=N:\n"
		"                     0 executable by default, 1 non-executable by default,\n"
		"                     2 MFD_EXEC refused. Needs Linux 6.3+; a namespace\n"
		"                     cannot be less strict than its parent (6.6+). CMD\n"
		"                     runs one namespace further down: it cannot lower N.\n"
		"  --seccomp-noexec   seccomp filter (inherited, irremovable) that fails\n"
		"                     memfd_create with EACCES unless it asks for\n"
		"                     MFD_NOEXEC_SEAL, or when it asks for MFD_HUGETLB\n"
		"                     (level 2's meaning, any kernel; before 6.3 every\n"
		"                     memfd_create then fails)\n"
		"  --policy FILE      supervise CMD's tree with seccomp user notification:\n"
		"                     executable memfds only for the executables FILE lists,\n"
		"                     exec of memfds and shared memory only when fully\n"
		"                     sealed (memward-policy(5))\n"
		"  --log FILE         append the supervisor's JSON decision lines to FILE\n"
		"                     (default: stderr)\n"
		"  --userns           create a user namespace even when privileged\n"
		"  -v, --verbose      print the effective level / supervisor mode on stderr\n"
		"  -h, --help         this help\n"
		"\n"
		"Every mode is about exec: mapping a memfd executable (mmap PROT_EXEC,\n"
		"ld.so) is not stopped. What each mode guarantees: memward-run(1).\n"
		"\n"
		"Exit status: CMD's exit status, or 128+N when it was killed by signal N;\n"
		"125 memward failed, 126 CMD cannot be executed, 127 CMD not found,\n"
		"64 bad command line. See memward-run(1).\n",
	.run = run_run,
};
