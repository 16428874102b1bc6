/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memward exec-sealed: run a program from a sealed in-memory copy. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memward/memward.h>

/* Exit codes of the shell convention. */
#define EXIT_NOT_FOUND 127
#define EXIT_NOT_EXEC 126

/* Resolve prog like execvp(3): a name with '/' is used as is, otherwise
 * the first executable regular file in $PATH. Returns 0, or 127 (not found)
 * / 126 (found but not executable) after printing why. */
static int resolve(const char *prog, char *out, size_t size)
{
	const char *path = getenv("PATH");
	bool denied = false;

	if (strchr(prog, '/')) {
		snprintf(out, size, "%s", prog);
		return 0;
	}
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (path) {
		const char *colon = strchr(path, ':');
		size_t len = colon ? (size_t)(colon - path) : strlen(path);
		struct stat st;

		if (len == 0)
			snprintf(out, size, "./%s", prog); /* empty entry: the current directory */
		else
			snprintf(out, size, "%.*s/%s", (int)len, path, prog);
		if (stat(out, &st) == 0) {
			if (S_ISREG(st.st_mode) && access(out, X_OK) == 0)
				return 0;
			denied = true;
		}
		path = colon ? colon + 1 : NULL;
	}
	if (denied) {
		cli_err("exec-sealed: %s: found in PATH but not executable", prog);
		return EXIT_NOT_EXEC;
	}
	cli_err("exec-sealed: %s: command not found in PATH", prog);
	return EXIT_NOT_FOUND;
}

static int exit_code(const struct mw_exec_info *info, int err)
{
	switch (info->step) {
	case MW_EXEC_STEP_OPEN:
		if (err == -ENOENT || err == -ENOTDIR)
			return EXIT_NOT_FOUND;
		if (err == -EACCES || err == -ENOEXEC || err == -EPERM)
			return EXIT_NOT_EXEC;
		return 2;
	case MW_EXEC_STEP_EXEC:
		return err == -ENOENT ? EXIT_NOT_FOUND : EXIT_NOT_EXEC;
	default:
		return 2;
	}
}

static int run_exec(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "allow-tmpfile-fallback", no_argument, NULL, 't' },
		{ "allow-script", no_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct mw_exec_opts opts = { .sz = sizeof(opts) };
	struct mw_exec_info info = { .sz = sizeof(info) };
	char path[PATH_MAX];
	bool verbose = false;
	int c, r, fd;

	opterr = 0;
	optind = 1;
	/* '+': stop at PROG, its own options are not ours. */
	while ((c = getopt_long(argc, argv, "+vh", lopts, NULL)) != -1) {
		switch (c) {
		case 't': opts.flags |= MW_EXEC_ALLOW_TMPFILE; break;
		case 's': opts.flags |= MW_EXEC_ALLOW_SCRIPT; break;
		case 'v': verbose = true; break;
		case 'h':
			cli_print_help(&cmd_exec_sealed, stdout);
			return 0;
		default:
			return cli_usage_error(&cmd_exec_sealed, "unknown option '%s' (expected --allow-tmpfile-fallback, --allow-script, --verbose, --help or --)",
					       argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error(&cmd_exec_sealed, "no program given");
	r = resolve(argv[optind], path, sizeof(path));
	if (r)
		return r;

	fd = mw_exec_sealed_prepare(path, &opts, &info);
	if (fd < 0) {
		cli_err("exec-sealed: %s (%s)", info.reason, mw_errno_name(fd) ? mw_errno_name(fd) : "?");
		if (fd == -ENOEXEC && info.script && !(opts.flags & MW_EXEC_ALLOW_SCRIPT))
			fprintf(stderr, "Pass --allow-script to run it with its sealed copy kept open for the interpreter.\n");
		else if (info.step == MW_EXEC_STEP_CREATE && fd == -EACCES)
			fprintf(stderr, "Pass --allow-tmpfile-fallback to run an unsealed read-only O_TMPFILE copy instead.\n");
		return exit_code(&info, fd);
	}
	if (info.backing == MW_EXEC_BACKING_TMPFILE)
		cli_err("exec-sealed: note: memfd_create(MFD_EXEC) failed (%s): running an UNSEALED, read-only O_TMPFILE copy in %s",
			mw_errno_name(info.memfd_error) ? mw_errno_name(info.memfd_error) : "?",
			info.tmpfile_dir);
	else if (info.backing == MW_EXEC_BACKING_MEMFD_LEGACY)
		cli_err("exec-sealed: note: this kernel has no F_SEAL_EXEC (Linux < 6.3): contents sealed, exec bits not");
	if (verbose)
		cli_err("exec-sealed: %s", info.reason);
	fflush(NULL);
	r = mw_exec_fd(fd, argv + optind, NULL, info.script);
	close(fd);
	cli_err("exec-sealed: execveat of the sealed copy of %s failed: %s", path, strerror(-r));
	info.step = MW_EXEC_STEP_EXEC;
	return exit_code(&info, r);
}

const struct cli_cmd cmd_exec_sealed = {
	.name = "exec-sealed",
	.summary = "run a program from a sealed, unmodifiable in-memory copy",
	.help =
	"Usage: memward exec-sealed [--allow-tmpfile-fallback] [--allow-script] [--verbose]\n"
	"                           [--] PROG [ARGS...]\n"
	"\n"
	"Copy PROG (searched in PATH like execvp when it has no '/') into an executable\n"
	"memfd, chmod it 0511, seal it (F_SEAL_EXEC where the kernel has it, then\n"
	"SEAL, SHRINK, GROW, WRITE), verify the seals and execute it with\n"
	"execveat(AT_EMPTY_PATH). Nobody can modify the running program's image: the\n"
	"pattern runc uses against container breakouts that overwrite the binary.\n"
	"PROG gets ARGS with argv[0] = PROG as given, and this environment.\n"
	"Set-user-ID bits and file capabilities of PROG are not carried over.\n"
	"\n"
	"Options:\n"
	"  --allow-tmpfile-fallback  when executable memfds are refused (vm.memfd_noexec=2\n"
	"                            gives EACCES) or memfd_create is missing, run an\n"
	"                            UNSEALED read-only O_TMPFILE copy made in /tmp,\n"
	"                            /dev/shm, /run or PROG's directory (first one that is\n"
	"                            writable and not noexec); a note on stderr says so\n"
	"  --allow-script            accept '#!' scripts: their sealed copy stays open\n"
	"                            across exec so the interpreter can read it\n"
	"                            (refused by default: it would fail with ENOENT)\n"
	"  --verbose                 print what was done (backing, copy method, seals)\n"
	"  --help                    show this help\n"
	"\n"
	"Exit status: PROG's status on success; 127 PROG not found; 126 PROG not\n"
	"executable (permission, noexec mount, refused script, a memory object such\n"
	"as a memfd, bad format); 2 other\n"
	"errors (e.g. vm.memfd_noexec=2 without --allow-tmpfile-fallback); 64 bad\n"
	"command line.\n",
	.run = run_exec,
};
