/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MW_CLI_H
#define MW_CLI_H

#include <stdbool.h>
#include <stdio.h>

/* Exit codes shared by every subcommand. */
#define EXIT_USAGE 64   /* bad command line (sysexits EX_USAGE) */

struct cli_cmd {
	const char *name;      /* "status", or "secret check" for a two-word command */
	const char *summary;   /* one line for `memward --help` */
	const char *help;      /* full text for `memward help NAME` and NAME --help */
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

/* Print "memward: " + message to stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Report a bad command line for cmd and return EXIT_USAGE. */
int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print cmd's help to f. */
void cli_print_help(const struct cli_cmd *cmd, FILE *f);

/* Shared option handling for subcommands that take only --json/--help.
 * Returns 0 to go on, -1 when help was printed (exit 0), or EXIT_USAGE. */
int cli_parse_simple(const struct cli_cmd *cmd, int argc, char **argv, bool *json);

extern const struct cli_cmd cmd_status;
extern const struct cli_cmd cmd_exec_sealed;
extern const struct cli_cmd cmd_memfd_inspect;
extern const struct cli_cmd cmd_memfd_create;
extern const struct cli_cmd cmd_memfd_verify;
extern const struct cli_cmd cmd_secret_check;
extern const struct cli_cmd cmd_audit;
extern const struct cli_cmd cmd_run;
extern const struct cli_cmd cmd_policy_check;
extern const struct cli_cmd cmd_oci_hook;
extern const struct cli_cmd cmd_wss;
extern const struct cli_cmd cmd_guard;
extern const struct cli_cmd cmd_reclaim;
extern const struct cli_cmd cmd_mglru;

#endif
