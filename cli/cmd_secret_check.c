/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memward secret check: try to read a secret from another process, per
 * backing, and say which protections hold. The attacks: secret_check_probe.c. */
#include "cli.h"
#include "secret-check/secret_check.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <memward/memward.h>

/* A readable secret where the backing promises to block the method. */
static bool missing(const struct sc_report *rep, enum sc_method m, enum sc_backing b)
{
	return rep->b[b].selected && rep->b[b].available && sc_promised(m, b) &&
	       rep->b[b].cells[m].result == SC_READABLE;
}

static int count_missing(const struct sc_report *rep)
{
	int n = 0;

	for (int b = 0; b < SC_NBACKINGS; b++)
		for (int m = 0; m < SC_NMETHODS; m++)
			n += missing(rep, (enum sc_method)m, (enum sc_backing)b);
	return n;
}

/* The short text of a cell for the table. */
static void cell_text(const struct sc_report *rep, enum sc_method m, enum sc_backing b,
		      char *out, size_t len)
{
	const struct sc_cell *c = &rep->b[b].cells[m];
	const char *e = c->err ? mw_errno_name(c->err) : NULL;

	switch (c->result) {
	case SC_SKIPPED:
		snprintf(out, len, "-");
		break;
	case SC_UNAVAILABLE:
		snprintf(out, len, "unavailable");
		break;
	case SC_BLOCKED:
		if (m == SC_FORK)
			snprintf(out, len, "no (%s)", strstr(c->detail, "zero") ? "zeroed" : "not mapped");
		else if (m == SC_CORE)
			snprintf(out, len, "not in dump");
		else
			snprintf(out, len, "blocked%s%s%s", e ? " (" : "", e ? e : "", e ? ")" : "");
		break;
	case SC_READABLE:
		if (missing(rep, m, b))
			snprintf(out, len, "READABLE: MISSING");
		else
			snprintf(out, len, "readable (expected for %s)", sc_backing_key(b));
		break;
	case SC_WORKS:
		snprintf(out, len, "works");
		break;
	case SC_FAILS:
		snprintf(out, len, "fails%s%s%s", e ? " (" : "", e ? e : "", e ? ")" : "");
		break;
	case SC_NOT_TESTABLE:
		snprintf(out, len, "not testable");
		break;
	case SC_NOT_TESTED:
		snprintf(out, len, "not tested");
		break;
	case SC_NOT_APPLICABLE:
		snprintf(out, len, "n/a (tmpfs)");
		break;
	}
}

static const char *promise_column(enum sc_method m, const struct sc_options *opt)
{
	static char buf[160];

	if (sc_is_fact(m))
		return "both: work (the owner's own copies)";
	if (m == SC_FORK)
		return "both: not inherited";
	if (m == SC_CORE)
		return "both: not dumped";
	(void)opt;
	snprintf(buf, sizeof(buf), "secretmem: blocked; mlock: nothing");
	return buf;
}

static void print_text(const struct sc_options *opt, const struct sc_report *rep, int nmissing)
{
	char a[64], b[64];

	printf("memward secret check: a secret in a heap of each backing, read from another process\n\n");
	for (int k = 0; k < SC_NBACKINGS; k++) {
		const struct sc_backing_report *br = &rep->b[k];

		if (!br->selected)
			printf("%-9s  not selected (--backing)\n", sc_backing_key((enum sc_backing)k));
		else if (!br->available)
			printf("%-9s  unavailable: %s\n", sc_backing_key((enum sc_backing)k), br->reason);
		else
			printf("%-9s  heap created%s%s (%zu bytes locked with the test secret)\n",
			       sc_backing_key((enum sc_backing)k), br->reason[0] ? ": " : "", br->reason,
			       br->bytes_locked);
	}
	if (rep->odirect_dir[0])
		printf("O_DIRECT   file in %s (%s)\n", rep->odirect_dir, rep->odirect_fs);
	printf("\n%-28s %-24s %-30s %s\n", "METHOD", "SECRETMEM", "MLOCK (FALLBACK)", "PROMISED");
	for (int m = 0; m < SC_NMETHODS; m++) {
		cell_text(rep, (enum sc_method)m, SC_SECRETMEM, a, sizeof(a));
		cell_text(rep, (enum sc_method)m, SC_MLOCK, b, sizeof(b));
		printf("%-28s %-24s %-30s %s\n", sc_method_label((enum sc_method)m), a, b,
		       promise_column((enum sc_method)m, opt));
	}
	printf("\nDetails:\n");
	for (int m = 0; m < SC_NMETHODS; m++)
		for (int k = 0; k < SC_NBACKINGS; k++) {
			const struct sc_cell *c = &rep->b[k].cells[m];

			if (!rep->b[k].selected || !rep->b[k].available)
				continue;
			printf("  %-16s %-9s %s\n", sc_method_key((enum sc_method)m),
			       sc_backing_key((enum sc_backing)k), c->detail);
		}
	if (nmissing)
		printf("\n%d promised protection(s) MISSING.\n", nmissing);
	else
		printf("\nEvery protection the tested backings promise holds (where testable).\n");
}

static int print_json(const struct sc_report *rep, int nmissing, int status)
{
	json_object *root = json_object_new_object(), *backs = json_object_new_object();
	json_object *checks = json_object_new_array();
	struct utsname un;

	json_object_object_add(root, "schema", json_object_new_int(1));
	json_object_object_add(root, "memward_version", json_object_new_string(mw_version()));
	json_object_object_add(root, "kernel",
			       json_object_new_string(uname(&un) == 0 ? un.release : ""));
	for (int k = 0; k < SC_NBACKINGS; k++) {
		const struct sc_backing_report *br = &rep->b[k];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "selected", json_object_new_boolean(br->selected));
		json_object_object_add(o, "available", json_object_new_boolean(br->available));
		json_object_object_add(o, "reason", json_object_new_string(br->reason));
		json_object_object_add(o, "bytes_locked", json_object_new_int64((int64_t)br->bytes_locked));
		json_object_object_add(backs, sc_backing_key((enum sc_backing)k), o);
	}
	json_object_object_add(root, "backings", backs);
	json_object_object_add(root, "odirect_dir", json_object_new_string(rep->odirect_dir));
	json_object_object_add(root, "odirect_fs", json_object_new_string(rep->odirect_fs));
	for (int m = 0; m < SC_NMETHODS; m++) {
		json_object *row = json_object_new_object();

		json_object_object_add(row, "method", json_object_new_string(sc_method_key((enum sc_method)m)));
		json_object_object_add(row, "label", json_object_new_string(sc_method_label((enum sc_method)m)));
		json_object_object_add(row, "fact", json_object_new_boolean(sc_is_fact((enum sc_method)m)));
		for (int k = 0; k < SC_NBACKINGS; k++) {
			const struct sc_cell *c = &rep->b[k].cells[m];
			json_object *o = json_object_new_object();

			json_object_object_add(o, "result", json_object_new_string(sc_result_key(c->result)));
			json_object_object_add(o, "errno",
					       c->err ? json_object_new_string(mw_errno_name(c->err)) : NULL);
			json_object_object_add(o, "detail", json_object_new_string(c->detail));
			json_object_object_add(o, "promised",
					       json_object_new_boolean(sc_promised((enum sc_method)m, (enum sc_backing)k)));
			json_object_object_add(o, "promise",
					       json_object_new_string(sc_promise_text((enum sc_method)m, (enum sc_backing)k)));
			json_object_object_add(o, "missing",
					       json_object_new_boolean(missing(rep, (enum sc_method)m, (enum sc_backing)k)));
			json_object_object_add(row, sc_backing_key((enum sc_backing)k), o);
		}
		json_object_array_add(checks, row);
	}
	json_object_object_add(root, "checks", checks);
	json_object_object_add(root, "missing_protections", json_object_new_int(nmissing));
	json_object_object_add(root, "exit_status", json_object_new_int(status));
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return 0;
}

static int run_secret_check(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "backing", required_argument, NULL, 'b' },
		{ "core-dump", no_argument, NULL, 'c' },
		{ "odirect-dir", required_argument, NULL, 'd' },
		{ "share-with-children", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct sc_options opt = { .backing = { true, true } };
	struct sc_report *rep;
	bool json = false;
	int c, r, nmissing, status;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+jh", lopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'b':
			if (!strcmp(optarg, "secretmem")) {
				opt.backing[SC_SECRETMEM] = true;
				opt.backing[SC_MLOCK] = false;
			} else if (!strcmp(optarg, "mlock")) {
				opt.backing[SC_SECRETMEM] = false;
				opt.backing[SC_MLOCK] = true;
			} else if (!strcmp(optarg, "both")) {
				opt.backing[SC_SECRETMEM] = opt.backing[SC_MLOCK] = true;
			} else {
				return cli_usage_error(&cmd_secret_check,
						       "--backing wants secretmem, mlock or both, not '%s'", optarg);
			}
			break;
		case 'c':
			opt.core_dump = true;
			break;
		case 'd':
			opt.odirect_dir = optarg;
			break;
		case 's':
			opt.share_children = true;
			break;
		case 'h':
			cli_print_help(&cmd_secret_check, stdout);
			return 0;
		default:
			if (optopt == 'b' || optopt == 'd' || (optind > 0 && argv[optind - 1] &&
			    (!strcmp(argv[optind - 1], "--backing") || !strcmp(argv[optind - 1], "--odirect-dir"))))
				return cli_usage_error(&cmd_secret_check, "option '%s' needs a value",
						       argv[optind - 1]);
			if (optopt)
				return cli_usage_error(&cmd_secret_check, "unknown option '-%c'", optopt);
			return cli_usage_error(&cmd_secret_check, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(&cmd_secret_check, "unexpected argument '%s'", argv[optind]);

	rep = calloc(1, sizeof(*rep));
	if (!rep) {
		cli_err("out of memory");
		return 2;
	}
	r = sc_run(&opt, rep);
	if (r < 0) {
		cli_err("secret check: %s", mw_errno_name(-r));
		free(rep);
		return 2;
	}
	nmissing = count_missing(rep);
	status = nmissing ? 1 : 0;
	if (json)
		print_json(rep, nmissing, status);
	else
		print_text(&opt, rep, nmissing);
	free(rep);
	return status;
}

const struct cli_cmd cmd_secret_check = {
	.name = "secret check",
	.summary = "try to read a secret from another process, per heap backing",
	.help =
	"Usage: memward secret check [--json] [--backing secretmem|mlock|both]\n"
	"                            [--core-dump] [--odirect-dir DIR]\n"
	"                            [--share-with-children]\n"
	"\n"
	"Put a random secret in a secret heap (memfd_secret backing, and the forced\n"
	"mlock fallback), then, from another process, try every way of reading it that\n"
	"the backing should block: process_vm_readv, pread of /proc/PID/mem, ptrace\n"
	"PEEKDATA, vmsplice, O_DIRECT in and out, a forked child, and a core dump.\n"
	"Each method is first tried on ordinary memory: when that fails too, the\n"
	"method is 'not testable' here, never 'blocked'. Prints one table row per\n"
	"method: the result for each backing and what the backing promises.\n"
	"\n"
	"Options:\n"
	"  --json               one JSON object (keys in memward-secret-check(1))\n"
	"  --backing B          secretmem, mlock or both (default both)\n"
	"  --core-dump          allow changing the GLOBAL kernel.core_pattern for the\n"
	"                       moment of the dump (restored afterwards, also on\n"
	"                       signals); without it the core dump is tested only\n"
	"                       when core_pattern is a plain relative file name\n"
	"  --odirect-dir DIR    where to create the O_DIRECT test file (default: the\n"
	"                       first of $TMPDIR, /tmp, /var/tmp, the cwd that supports\n"
	"                       real direct I/O)\n"
	"  --share-with-children  create the heaps with MW_SECRET_SHARE_WITH_CHILDREN\n"
	"                       to see what that flag gives away: a forked child then\n"
	"                       reads the secret, reported as a missing protection\n"
	"  --help               show this help\n"
	"\n"
	"The secretmem backing promises: process_vm_readv, /proc/PID/mem, ptrace,\n"
	"vmsplice and O_DIRECT blocked; the mlock fallback promises none of these\n"
	"(root reads it: shown as 'readable (expected for mlock)'). Both promise: not\n"
	"inherited by a forked child, not in a core dump.\n"
	"Exit status: 0 every promised protection that could be tested holds,\n"
	"1 a promised protection is missing, 2 error, 64 bad command line.\n",
	.run = run_secret_check,
};
