/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memward policy check FILE: parse a memfd exec policy, print it or its errors. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <memward/memward.h>

static const char *seal_list(unsigned int seals, char *buf, size_t size)
{
	buf[0] = '\0';
	mw_memfd_seals_to_string(seals, buf, size);
	return buf;
}

static int run_policy_check(int argc, char **argv)
{
	const char *path;
	struct mw_policy *pol;
	size_t nerr;
	char seals[64];

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		cli_print_help(&cmd_policy_check, stdout);
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-')
		return cli_usage_error(&cmd_policy_check, argc < 2 ? "missing FILE" :
				       argc > 2 ? "expected one FILE" : "unknown option '%s'", argv[1]);
	path = argv[1];
	pol = mw_policy_load(path, 0);
	if (!pol) {
		cli_err("cannot read policy '%s': %s", path, strerror(errno));
		return 2;
	}
	nerr = mw_policy_error_count(pol);
	if (nerr) {
		for (size_t i = 0; i < nerr; i++) {
			unsigned int line;
			const char *msg = mw_policy_error(pol, i, &line);

			fprintf(stderr, "%s:%u: %s\n", path, line, msg);
		}
		fprintf(stderr, "memward: %zu error%s in %s\n", nerr, nerr == 1 ? "" : "s", path);
		mw_policy_free(pol);
		return 1;
	}
	printf("# %s: valid\n", path);
	printf("mode %s\n", mw_policy_mode(pol) == MW_POLICY_AUDIT ? "audit" : "enforce");
	printf("exec-request %s\n", mw_policy_exec_request(pol) == MW_POLICY_REQ_DOWNGRADE ? "downgrade" : "refuse");
	printf("require-seals %s\n", seal_list(mw_policy_required_seals(pol), seals, sizeof(seals)));
	for (size_t i = 0; i < mw_policy_allow_count(pol); i++) {
		uint64_t dev, ino;
		const char *p = mw_policy_allow(pol, i, &dev, &ino);

		printf("allow-exec-memfd %s  # dev %u:%u inode %llu\n", p, major((dev_t)dev),
		       minor((dev_t)dev), (unsigned long long)ino);
	}
	mw_policy_free(pol);
	return 0;
}

const struct cli_cmd cmd_policy_check = {
	.name = "policy check",
	.summary = "check a memfd exec policy file and print it",
	.help =
		"Usage: memward policy check FILE\n"
		"\n"
		"Parse the memfd exec policy FILE (see memward-policy(5)) as 'memward run\n"
		"--policy' would: listed executables are resolved to device and inode now.\n"
		"Prints the policy in canonical form, or every error as FILE:LINE: message.\n"
		"\n"
		"Exit status: 0 valid, 1 errors in the file, 2 the file cannot be read,\n"
		"64 bad command line.\n",
	.run = run_policy_check,
};
