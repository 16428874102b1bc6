/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memward mglru status | enable [BITS] | disable | min-ttl MS: MGLRU's stable controls, explained. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <memward/mglru.h>

static const char mglru_help[] =
	"Usage: memward mglru status [--json]\n"
	"       memward mglru enable [BITS]\n"
	"       memward mglru disable\n"
	"       memward mglru min-ttl MS\n"
	"\n"
	"The multi-generational LRU's stable controls (/sys/kernel/mm/lru_gen):\n"
	"  enabled     0x1 MGLRU itself; 0x2 clear accessed bits in leaf page tables in\n"
	"              batches; 0x4 also in non-leaf PMD entries (BITS default 7: all)\n"
	"  min_ttl_ms  thrashing prevention: a working set younger than this is not\n"
	"              evicted; the OOM killer acts first (0: off)\n"
	"status also says whether aging/eviction through debugfs lru_gen is usable.\n"
	"Changing settings needs root. Exit status: 0 success, 2 error, 64 bad command line.\n";

static int mglru_run(int argc, char **argv);

const struct cli_cmd cmd_mglru = {
	.name = "mglru",
	.summary = "MGLRU status, enable/disable and min_ttl_ms, explained",
	.help = mglru_help,
	.run = mglru_run,
};

static const char *bit_text(int bits)
{
	static char buf[160];

	snprintf(buf, sizeof(buf), "%s%s%s", bits & 1 ? "MGLRU on" : "MGLRU off (the classic active/inactive LRU)",
		 bits & 2 ? ", leaf page-table accessed bits cleared in batches" : "",
		 bits & 4 ? ", non-leaf PMD accessed bits used" : "");
	return buf;
}

static int status(bool json)
{
	struct mw_mglru_status s = { .sz = sizeof(s) };

	mw_mglru_status_get(&s);
	if (json) {
		printf("{\"present\":%s,\"enabled\":%d,\"min_ttl_ms\":%d,\"aging_eviction\":%s}\n",
		       s.present ? "true" : "false", s.enabled, s.min_ttl_ms,
		       s.present && s.enabled > 0 && (s.enabled & 1) && s.debugfs ? "true" : "false");
		return 0;
	}
	if (!s.present) {
		printf("MGLRU: not built into this kernel (no /sys/kernel/mm/lru_gen; CONFIG_LRU_GEN)\n");
		return 0;
	}
	printf("enabled     0x%04x: %s\n", s.enabled < 0 ? 0 : s.enabled, s.enabled < 0 ? "unreadable" : bit_text(s.enabled));
	printf("min_ttl_ms  %d%s\n", s.min_ttl_ms, s.min_ttl_ms == 0 ? " (thrashing prevention off)" :
	       " (working sets younger than this are protected; OOM kill first)");
	printf("aging/eviction (debugfs lru_gen): %s\n",
	       !(s.enabled > 0 && (s.enabled & 1)) ? "no: MGLRU is off" :
	       s.debugfs ? "usable (memward wss --source mglru, memward reclaim)" :
			   "no: /sys/kernel/debug/lru_gen not readable (mount debugfs, run as root)");
	return 0;
}

static int mglru_run(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "status";
	char *end;
	long v;
	int ret;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		cli_print_help(&cmd_mglru, stdout);
		return 0;
	}
	if (!strcmp(sub, "status")) {
		bool json = argc > 2 && !strcmp(argv[2], "--json");

		if (argc > (json ? 3 : 2))
			return cli_usage_error(&cmd_mglru, "status takes only --json");
		return status(json);
	}
	if (!strcmp(sub, "enable") || !strcmp(sub, "disable")) {
		v = !strcmp(sub, "disable") ? 0 : 7;
		if (argc == 3 && v) {
			v = strtol(argv[2], &end, 0);
			if (*end || v < 0 || v > 7)
				return cli_usage_error(&cmd_mglru, "BITS is 0 to 7 (0x1 MGLRU, 0x2, 0x4), not '%s'", argv[2]);
		} else if (argc > 2) {
			return cli_usage_error(&cmd_mglru, "%s takes %s", sub, v ? "at most BITS" : "no argument");
		}
		ret = mw_mglru_enable((unsigned int)v);
		if (ret < 0) {
			cli_err("writing /sys/kernel/mm/lru_gen/enabled: %s", strerror(-ret));
			return 2;
		}
		return status(false);
	}
	if (!strcmp(sub, "min-ttl")) {
		if (argc != 3)
			return cli_usage_error(&cmd_mglru, "min-ttl takes MS");
		v = strtol(argv[2], &end, 10);
		if (*end || v < 0 || v > 1000000000)
			return cli_usage_error(&cmd_mglru, "MS is a number of milliseconds, not '%s'", argv[2]);
		ret = mw_mglru_min_ttl_set((unsigned int)v);
		if (ret < 0) {
			cli_err("writing /sys/kernel/mm/lru_gen/min_ttl_ms: %s", strerror(-ret));
			return 2;
		}
		return status(false);
	}
	return cli_usage_error(&cmd_mglru, "unknown subcommand '%s' (status, enable, disable, min-ttl)", sub);
}
