/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memward: dispatch to subcommands, global --help and --version. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <memward/memward.h>

static const struct cli_cmd *const commands[] = {
	&cmd_status,
	&cmd_exec_sealed,
	&cmd_memfd_inspect,
	&cmd_memfd_create,
	&cmd_memfd_verify,
	&cmd_secret_check,
	&cmd_audit,
	&cmd_run,
	&cmd_policy_check,
	&cmd_oci_hook,
	&cmd_wss,
	&cmd_guard,
	&cmd_reclaim,
	&cmd_mglru,
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: memward [--help] [--version] COMMAND [ARGS...]\n"
		"\n"
		"Make Linux's memory-security features usable and provable: secret memory\n"
		"(memfd_secret), sealed and non-executable memfds, memfd exec policy, audit.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-16s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f,
		"  %-16s %s\n"
		"\n"
		"Run 'memward help COMMAND' or 'memward COMMAND --help' for a command's options.\n"
		"Exit status: 0 success, 1 failure or findings, 2 error, 64 bad command line.\n",
		"help COMMAND", "show the help of a command");
}

/* Find a command by its words: "status", or "secret check" (two words).
 * *used gets how many argv words the name took. */
static const struct cli_cmd *find_command(int argc, char **argv, int *used)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const char *name = commands[i]->name;
		const char *space = strchr(name, ' ');

		if (!space && !strcmp(argv[0], name)) {
			*used = 1;
			return commands[i];
		}
		if (space && argc >= 2 && !strncmp(argv[0], name, (size_t)(space - name)) &&
		    argv[0][space - name] == '\0' && !strcmp(argv[1], space + 1)) {
			*used = 2;
			return commands[i];
		}
	}
	return NULL;
}

static int unknown_command(int argc, char **argv)
{
	cli_err("unknown command '%s%s%s'", argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
	fprintf(stderr, "Expected one of:");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(stderr, "%s '%s'", i ? "," : "", commands[i]->name);
	fprintf(stderr, ", 'help'.\nTry 'memward --help'.\n");
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	const struct cli_cmd *cmd;
	int used;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("memward %s (libmemward %s)\n", MW_VERSION_STRING, mw_version());
		return 0;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc == 2) {
			usage(stdout);
			return 0;
		}
		cmd = find_command(argc - 2, argv + 2, &used);
		if (!cmd)
			return unknown_command(argc - 2, argv + 2);
		cli_print_help(cmd, stdout);
		return 0;
	}
	if (argv[1][0] == '-') {
		cli_err("unknown option '%s' (expected --help or --version before a command)", argv[1]);
		fprintf(stderr, "Try 'memward --help'.\n");
		return EXIT_USAGE;
	}
	cmd = find_command(argc - 1, argv + 1, &used);
	used--; /* keep the last name word as the subcommand argv[0] */
	if (!cmd)
		return unknown_command(argc - 1, argv + 1);
	/* argv[0] of the subcommand is its (last) name word, as getopt expects. */
	return cmd->run(argc - 1 - used, argv + 1 + used);
}
