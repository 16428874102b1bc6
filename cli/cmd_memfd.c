/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward memfd create: stdin into a sealed memfd handed to a command.
 * memward memfd verify: check an inherited fd against a sharing policy.
 * Shell and systemd front ends of mw_memfd_create/seal and mw_share_verify.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <memward/memward.h>

#define EXIT_NOT_FOUND 127
#define EXIT_NOT_EXEC 126
#define DEFAULT_ENV "MEMWARD_MEMFD"

/* "4096", "64K", "256M", "1G"; 0 or -1. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	default: break;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/* Preset name to seals; 0 when unknown. */
static unsigned int preset(const char *name)
{
	if (!strcmp(name, "frozen"))
		return MW_SEALS_FROZEN;
	if (!strcmp(name, "fixed-size"))
		return MW_SEALS_FIXED_SIZE;
	if (!strcmp(name, "producer"))
		return MW_SEALS_PRODUCER;
	return 0;
}

/* stdin to fd, at most max bytes. Returns bytes written or -errno. */
static int64_t slurp(int fd, uint64_t max)
{
	char buf[65536];
	uint64_t total = 0;

	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return (int64_t)total;
		if (total + (uint64_t)n > max)
			return -EFBIG;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(fd, buf + done, (size_t)(n - done));

			if (w < 0 && errno != EINTR)
				return -errno;
			done += w > 0 ? w : 0;
		}
		total += (uint64_t)n;
	}
}

/* A read-only description of a frozen memfd for the command (it cannot
 * write anyway; it need not hold write access either). Falls back to fd. */
static int read_only(int fd)
{
	char path[40];
	int ro;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	if (ro < 0)
		return fd;
	close(fd);
	return ro;
}

struct create_args {
	unsigned int seals;
	const char *name;
	const char *env;
	uint64_t size;
	uint64_t max;
	bool weaker;
};

static int create_parse(int argc, char **argv, struct create_args *a)
{
	static const struct option lopts[] = {
		{ "seal", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "env", required_argument, NULL, 'e' },
		{ "size", required_argument, NULL, 'z' },
		{ "max-size", required_argument, NULL, 'm' },
		{ "allow-weaker", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			a->seals = preset(optarg);
			if (!a->seals)
				return cli_usage_error(&cmd_memfd_create, "--seal: '%s' is not frozen, "
						       "fixed-size or producer", optarg);
			break;
		case 'n': a->name = optarg; break;
		case 'e':
			if (!*optarg || strchr(optarg, '='))
				return cli_usage_error(&cmd_memfd_create, "--env: bad variable name");
			a->env = optarg;
			break;
		case 'z':
			if (parse_size(optarg, &a->size) < 0)
				return cli_usage_error(&cmd_memfd_create, "--size: bad size '%s'", optarg);
			break;
		case 'm':
			if (parse_size(optarg, &a->max) < 0 || !a->max)
				return cli_usage_error(&cmd_memfd_create, "--max-size: bad size '%s'", optarg);
			break;
		case 'w': a->weaker = true; break;
		case 'h':
			cli_print_help(&cmd_memfd_create, stdout);
			return -1;
		default:
			return cli_usage_error(&cmd_memfd_create, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!a->seals)
		return cli_usage_error(&cmd_memfd_create, "--seal is required");
	if (optind >= argc)
		return cli_usage_error(&cmd_memfd_create, "no command given (-- CMD [ARGS...])");
	return 0;
}

static int run_create(int argc, char **argv)
{
	struct create_args a = { .name = "memward", .env = DEFAULT_ENV,
				 .max = MW_SHARE_MAX_SIZE_DEFAULT };
	struct mw_memfd_info info = { .sz = sizeof(info) };
	unsigned int seals;
	char num[16];
	int64_t len;
	int fd, r;

	r = create_parse(argc, argv, &a);
	if (r)
		return r < 0 ? 0 : r;
	seals = a.seals;
	if ((seals & ~mw_memfd_seals_supported()) && a.weaker)
		seals &= mw_memfd_seals_supported();
	fd = mw_memfd_create(a.name, &(struct mw_memfd_opts){ .sz = sizeof(struct mw_memfd_opts),
				 .flags = MW_MEMFD_NO_FALLBACK }, &info);
	if (fd < 0) {
		cli_err("memfd create: %s", info.note);
		return 2;
	}
	len = slurp(fd, a.max);
	if (len < 0) {
		cli_err("memfd create: reading stdin: %s", len == -EFBIG ?
			"more than --max-size bytes" : strerror((int)-len));
		return 2;
	}
	if (a.size && a.size < (uint64_t)len) {
		cli_err("memfd create: stdin gave %lld bytes, more than --size", (long long)len);
		return 2;
	}
	if (a.size && ftruncate(fd, (off_t)a.size) < 0) {
		cli_err("memfd create: ftruncate: %s", strerror(errno));
		return 2;
	}
	r = mw_memfd_seal(fd, seals);
	if (r < 0) {
		cli_err("memfd create: sealing: %s%s", strerror(-r), r == -EOPNOTSUPP ?
			" (this kernel lacks a seal of the preset; --allow-weaker takes the ones it has)"
			: "");
		return 2;
	}
	if (seals != a.seals)
		cli_err("memfd create: note: sealed without %s (the kernel lacks it)",
			(a.seals & ~seals & MW_SEAL_EXEC) ? "F_SEAL_EXEC" : "FUTURE_WRITE");
	if ((a.seals & MW_SEAL_WRITE))
		fd = read_only(fd);
	/* The command inherits the fd: clear close-on-exec, name it in env. */
	if (fcntl(fd, F_SETFD, 0) < 0) {
		cli_err("memfd create: fcntl: %s", strerror(errno));
		return 2;
	}
	snprintf(num, sizeof(num), "%d", fd);
	if (setenv(a.env, num, 1) < 0) {
		cli_err("memfd create: setenv: %s", strerror(errno));
		return 2;
	}
	fflush(NULL);
	execvp(argv[optind], argv + optind);
	r = errno;
	cli_err("memfd create: %s: %s", argv[optind], strerror(r));
	return r == ENOENT ? EXIT_NOT_FOUND : EXIT_NOT_EXEC;
}

const struct cli_cmd cmd_memfd_create = {
	.name = "memfd create",
	.summary = "read stdin into a sealed memfd and hand it to a command",
	.help =
	"Usage: memward memfd create --seal frozen|fixed-size|producer [--name N]\n"
	"                            [--size N] [--max-size N] [--env VAR]\n"
	"                            [--allow-weaker] -- CMD [ARGS...] < DATA\n"
	"\n"
	"Read stdin to its end into a new non-executable memfd (MFD_NOEXEC_SEAL where\n"
	"the kernel has it), add the seals of the preset, and run CMD with the memfd\n"
	"open (close-on-exec cleared) and its fd number in the environment variable\n"
	"VAR (default " DEFAULT_ENV "). CMD passes it on (SCM_RIGHTS, systemd's fd\n"
	"store, a child) and receivers check it with 'memward memfd verify'.\n"
	"\n"
	"Presets (see mw_memfd_create(3)):\n"
	"  frozen      WRITE, SHRINK, GROW, EXEC, SEAL: contents and size never change;\n"
	"              CMD gets a read-only fd\n"
	"  fixed-size  SHRINK, GROW, SEAL: size fixed, contents writable (CMD gets O_RDWR)\n"
	"  producer    FUTURE_WRITE, SHRINK, GROW, EXEC, SEAL: no new write path\n"
	"\n"
	"Options:\n"
	"  --seal PRESET   the seals to add (required)\n"
	"  --name N        the memfd's name, shown as /memfd:N in /proc (default memward)\n"
	"  --size N        extend the file to N bytes (K, M, G suffixes) after the data\n"
	"  --max-size N    refuse more than N bytes of stdin (default 256M)\n"
	"  --env VAR       the variable that receives the fd number\n"
	"  --allow-weaker  on a kernel without a seal of the preset (F_SEAL_EXEC before\n"
	"                  Linux 6.3), add the others and say so on stderr\n"
	"  --help          show this help\n"
	"\n"
	"Exit status: CMD's on success; 127 CMD not found; 126 CMD not executable;\n"
	"2 the memfd could not be made or sealed; 64 bad command line.\n",
	.run = run_create,
};

/* ---- verify ---- */

struct verify_args {
	struct mw_share_policy pol;
	bool json;
	int fd;
};

static int policy_named(const char *name, struct mw_share_policy *p)
{
	unsigned int base = MW_SHARE_REQUIRE_MEMFD | MW_SHARE_NO_EXEC;

	if (!strcmp(name, "default") || !strcmp(name, "frozen")) {
		p->flags = base;
		p->required_seals = !strcmp(name, "frozen") ?
			MW_SEALS_FROZEN & mw_memfd_seals_supported() :
			MW_SEAL_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW;
	} else if (!strcmp(name, "fixed-size")) {
		p->flags = base;
		p->required_seals = MW_SEALS_FIXED_SIZE;
	} else if (!strcmp(name, "producer")) {
		p->flags = base;
		p->required_seals = MW_SEALS_PRODUCER & mw_memfd_seals_supported();
	} else if (!strcmp(name, "memfd")) {
		p->flags = MW_SHARE_REQUIRE_MEMFD;
		p->required_seals = 0;
	} else {
		return -1;
	}
	return 0;
}

static int verify_parse(int argc, char **argv, struct verify_args *a)
{
	static const struct option lopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "seals", required_argument, NULL, 's' },
		{ "min-size", required_argument, NULL, 'n' },
		{ "max-size", required_argument, NULL, 'm' },
		{ "allow-exec", no_argument, NULL, 'x' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char *end;
	long v;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (policy_named(optarg, &a->pol) < 0)
				return cli_usage_error(&cmd_memfd_verify, "--policy: '%s' is not default, "
						       "frozen, fixed-size, producer or memfd", optarg);
			break;
		case 's':
			if (mw_memfd_seals_from_string(optarg, &a->pol.required_seals) < 0)
				return cli_usage_error(&cmd_memfd_verify, "--seals: bad seal list '%s'",
						       optarg);
			break;
		case 'n':
			if (parse_size(optarg, &a->pol.min_size) < 0)
				return cli_usage_error(&cmd_memfd_verify, "--min-size: bad size");
			break;
		case 'm':
			if (!strcmp(optarg, "none"))
				a->pol.max_size = MW_SHARE_NO_MAX;
			else if (parse_size(optarg, &a->pol.max_size) < 0 || !a->pol.max_size)
				return cli_usage_error(&cmd_memfd_verify, "--max-size: bad size");
			break;
		case 'x': a->pol.flags &= ~MW_SHARE_NO_EXEC; break;
		case 'j': a->json = true; break;
		case 'h':
			cli_print_help(&cmd_memfd_verify, stdout);
			return -1;
		default:
			return cli_usage_error(&cmd_memfd_verify, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(&cmd_memfd_verify, "expected one FD number");
	errno = 0;
	v = strtol(argv[optind], &end, 10);
	if (errno || end == argv[optind] || *end || v < 0 || v > 0x7fffffff)
		return cli_usage_error(&cmd_memfd_verify, "FD: '%s' is not an fd number", argv[optind]);
	a->fd = (int)v;
	return 0;
}

static int run_verify(int argc, char **argv)
{
	struct verify_args a = { .pol = { .sz = sizeof(struct mw_share_policy) } };
	struct mw_share_result res = { .sz = sizeof(res) };
	char seals[96];
	int r;

	(void)policy_named("default", &a.pol);
	r = verify_parse(argc, argv, &a);
	if (r)
		return r < 0 ? 0 : r;
	if (fcntl(a.fd, F_GETFD) < 0) {
		cli_err("memfd verify: fd %d is not open in this process", a.fd);
		return 2;
	}
	r = mw_share_verify(a.fd, &a.pol, &res);
	if (r == -EINVAL && res.reason == MW_SHARE_OK)
		return cli_usage_error(&cmd_memfd_verify, "the options make an invalid policy");
	mw_memfd_seals_to_string(res.seals, seals, sizeof(seals));
	if (a.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "fd", json_object_new_int(a.fd));
		json_object_object_add(o, "verified", json_object_new_boolean(r == 0));
		json_object_object_add(o, "reason",
				       json_object_new_string(mw_share_reason_name(res.reason)));
		json_object_object_add(o, "errno", r ? json_object_new_string(mw_errno_name(r)) : NULL);
		json_object_object_add(o, "seals", json_object_new_string(seals));
		json_object_object_add(o, "size", json_object_new_int64((int64_t)res.size));
		json_object_object_add(o, "detail", json_object_new_string(res.detail));
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else if (r == 0) {
		printf("fd %d: %s\n", a.fd, res.detail);
	} else {
		printf("fd %d: refused (%s): %s\n", a.fd, mw_share_reason_name(res.reason), res.detail);
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		return 2;
	return r == 0 ? 0 : (res.reason == MW_SHARE_ERROR ? 2 : 1);
}

const struct cli_cmd cmd_memfd_verify = {
	.name = "memfd verify",
	.summary = "check an inherited fd against a sealed-sharing policy",
	.help =
	"Usage: memward memfd verify [--policy NAME] [--seals LIST] [--min-size N]\n"
	"                            [--max-size N|none] [--allow-exec] [--json] FD\n"
	"\n"
	"Check the open fd number FD of this process (inherited from the shell, a\n"
	"parent or systemd; e.g. \"$" DEFAULT_ENV "\" set by 'memward memfd create')\n"
	"with mw_share_verify(3): a memfd by marks a sender cannot forge, the seals\n"
	"present (a stronger seal meets a weaker one), exec impossible, the size.\n"
	"Nothing is changed, copied or closed.\n"
	"\n"
	"What \"verified\" proves, and what it does not: the seals hold for good; \"exec\n"
	"impossible\" holds when checked only. The file's owner can still add exec\n"
	"bits with a POSIX ACL on kernels that allow it (Linux 6.18), and mmap with\n"
	"PROT_EXEC is never stopped by modes or seals. For \"never executable\" a\n"
	"receiver copies (mw_share_recv(3), MW_SHARE_EXEC_NEVER).\n"
	"\n"
	"Policies:\n"
	"  default     a memfd, not executable, sealed WRITE, SHRINK, GROW, <= 256M\n"
	"  frozen      default plus the EXEC and SEAL seals (where the kernel has them)\n"
	"  fixed-size  a memfd, not executable, sealed SHRINK, GROW, SEAL\n"
	"  producer    a memfd, not executable, FUTURE_WRITE, SHRINK, GROW, EXEC, SEAL\n"
	"  memfd       a memfd, nothing more\n"
	"\n"
	"Options:\n"
	"  --policy NAME   start from this policy (default: default)\n"
	"  --seals LIST    require these seals instead (\"write,shrink\", a preset name)\n"
	"  --min-size N, --max-size N|none   size bounds (K, M, G suffixes)\n"
	"  --allow-exec    do not require exec to be impossible\n"
	"  --json          one JSON object: fd, verified, reason, errno, seals, size, detail\n"
	"  --help          show this help\n"
	"\n"
	"Exit status: 0 verified; 1 refused (the reason is printed); 2 FD is not\n"
	"open, or another error; 64 bad command line.\n",
	.run = run_verify,
};
