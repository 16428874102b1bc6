/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward reclaim: proactive reclaim of memory idle for at least --min-age,
 * by the best mechanism this machine offers, saying which and why:
 *   1. DAMOS pageout (DAMON sysfs, no kdamond memward did not create): vaddr
 *      on the process, or paddr with a memcg filter for a cgroup (and anon
 *      filters for --anon/--file, which only paddr honours on 6.1-6.18);
 *   2. MGLRU eviction of the generations older than min-age (enabled MGLRU,
 *      debugfs lru_gen), aging every interval so generations have ages;
 *   3. memory.reclaim with a PSI feedback loop (senpai-style): reclaim a step
 *      while memory pressure stays under --psi-target, back off above it.
 *      memory.reclaim knows no age: the kernel takes its LRU-coldest pages.
 */
#include "cli.h"
#include "reclaim_common.h"
#include "reclaim_mech.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <memward/damon.h>
#include <memward/memcg.h>
#include <memward/mglru.h>

static const char reclaim_help[] =
	"Usage: memward reclaim (PID | --cgroup PATH) --min-age T [--anon | --file]\n"
	"                       [--quota BYTES/s] [--psi-target US] [--once] [--interval T]\n"
	"                       [--mechanism damon|mglru|memcg] [--json]\n"
	"\n"
	"Reclaim memory idle for at least T (e.g. 30s, 2m), with the best mechanism here,\n"
	"and say which and why: DAMOS pageout (DAMON), MGLRU eviction of old generations,\n"
	"or cgroup memory.reclaim steps under a PSI feedback loop.\n"
	"\n"
	"  --min-age T        idle time before memory is reclaimed (required)\n"
	"  --anon             only anonymous memory\n"
	"  --file             only file-backed memory (shmem included)\n"
	"  --quota BYTES/s    at most this much per second (e.g. 64M/s)\n"
	"  --psi-target US    memory pressure (some, microseconds per second) to stay under:\n"
	"                     a DAMOS quota goal (6.9+) or the memory.reclaim loop's limit\n"
	"                     (default 1000 for memory.reclaim)\n"
	"  --once             one pass: stop when the target's memory stops falling\n"
	"  --interval T       how often to act and print (default 1s)\n"
	"  --mechanism M      force damon, mglru or memcg\n"
	"  --json             one JSON object per interval (default: text)\n"
	"\n"
	"Needs root. Runs until SIGINT/SIGTERM (or --once); memward's kdamond is removed\n"
	"on exit. Exit status: 0 success, 2 error, 64 bad command line.\n";

static int reclaim_run(int argc, char **argv);

const struct cli_cmd cmd_reclaim = {
	.name = "reclaim",
	.summary = "proactive reclaim of idle memory (DAMOS, MGLRU or memory.reclaim+PSI)",
	.help = reclaim_help,
	.run = reclaim_run,
};

static int parse(int argc, char **argv, struct rc_opts *o)
{
	static const struct option opts[] = {
		{ "cgroup", required_argument, NULL, 'c' }, { "min-age", required_argument, NULL, 'm' },
		{ "anon", no_argument, NULL, 'A' }, { "file", no_argument, NULL, 'F' },
		{ "quota", required_argument, NULL, 'q' }, { "psi-target", required_argument, NULL, 'p' },
		{ "once", no_argument, NULL, '1' }, { "interval", required_argument, NULL, 'i' },
		{ "mechanism", required_argument, NULL, 'M' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	bool have_age = false;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:m:AFq:p:1i:M:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o->cgroup = optarg; break;
		case 'm':
			if (rc_parse_duration(optarg, &o->min_age_us) < 0)
				return cli_usage_error(&cmd_reclaim, "--min-age wants a duration (30s, 2m), not '%s'", optarg);
			have_age = true;
			break;
		case 'A': o->anon = true; break;
		case 'F': o->file = true; break;
		case 'q':
			if (rc_parse_bytes(optarg, &o->quota_bps) < 0 || !o->quota_bps)
				return cli_usage_error(&cmd_reclaim, "--quota wants bytes per second (64M/s), not '%s'", optarg);
			break;
		case 'p': {
			char *end;

			o->psi_target_us = strtoull(optarg, &end, 10);
			if (*end || !o->psi_target_us)
				return cli_usage_error(&cmd_reclaim, "--psi-target wants microseconds per second");
			break;
		}
		case '1': o->once = true; break;
		case 'i':
			if (rc_parse_duration(optarg, &o->interval_us) < 0 || o->interval_us < 100000)
				return cli_usage_error(&cmd_reclaim, "--interval wants 100ms or more");
			break;
		case 'M':
			o->mech = !strcmp(optarg, "damon") ? MECH_DAMON : !strcmp(optarg, "mglru") ? MECH_MGLRU :
				  !strcmp(optarg, "memcg") ? MECH_MEMCG : MECH_AUTO - 1;
			if (o->mech == MECH_AUTO - 1)
				return cli_usage_error(&cmd_reclaim, "--mechanism wants damon, mglru or memcg");
			break;
		case 'j': o->json = true; break;
		case 'h': cli_print_help(&cmd_reclaim, stdout); return -1;
		default: return cli_usage_error(&cmd_reclaim, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		o->pid_arg = argv[optind++];
	if (optind < argc || !o->pid_arg == !o->cgroup)
		return cli_usage_error(&cmd_reclaim, "give one PID or --cgroup PATH");
	if (!have_age)
		return cli_usage_error(&cmd_reclaim, "--min-age is required");
	if (o->anon && o->file)
		return cli_usage_error(&cmd_reclaim, "--anon and --file exclude each other");
	if (o->psi_target_us && o->mech == MECH_MGLRU)
		return cli_usage_error(&cmd_reclaim, "--psi-target needs --mechanism damon (a DAMOS quota goal) or memcg "
				       "(the memory.reclaim loop): MGLRU eviction has no PSI feedback");
	return 0;
}

/* Does DAMOS take a quota goal on some_mem_psi_us (6.9)? Only asked when no
 * kdamond exists: then memward may probe with a scratch kdamond of its own,
 * which it removes; the files answer without writing where they can. */
static bool damon_psi_goal(void)
{
	struct mw_damon_features f = { .sz = sizeof(f) };

	if (mw_damon_features_get(&f, MW_DAMON_PROBE_WRITE) < 0)
		return false;
	return (f.feats_have & MW_DAMON_FEAT_GOAL_PSI) != 0;
}

/* Which mechanism, and why the better ones cannot be used. */
static enum mech choose(const struct rc_opts *o, const struct rc_target *t, char *why, size_t len)
{
	struct mw_damon_features df = { .sz = sizeof(df) };
	struct mw_mglru_status ms = { .sz = sizeof(ms) };
	char damon_no[160] = "", mglru_no[160] = "";

	mw_damon_features_get(&df, 0);
	mw_mglru_status_get(&ms);
	if (!df.sysfs)
		snprintf(damon_no, sizeof(damon_no), "no DAMON sysfs");
	else if (df.nr_kdamonds > 0)
		snprintf(damon_no, sizeof(damon_no), "%d kdamond(s) memward did not create exist", df.nr_kdamonds);
	else if (!o->anon && !o->file && !t->nr_pids)
		snprintf(damon_no, sizeof(damon_no), "%s", t->too_many ? "the cgroup has more than 64 processes" :
			 "the cgroup has no process");
	else if ((o->anon || o->file) && !t->cgroup[0])
		snprintf(damon_no, sizeof(damon_no), "anon/file filters need the process's cgroup v2 (memcg filter)");
	else if (o->psi_target_us && o->mech == MECH_AUTO && !damon_psi_goal())
		snprintf(damon_no, sizeof(damon_no), "no DAMOS quota goal on some_mem_psi_us for --psi-target "
			 "(Linux %s)", mw_damon_feat_release(2));
	if (o->psi_target_us)
		snprintf(mglru_no, sizeof(mglru_no), "MGLRU eviction has no PSI feedback for --psi-target");
	else if (!t->cgroup[0])
		snprintf(mglru_no, sizeof(mglru_no), "the process has no cgroup v2");
	else if (!ms.present)
		snprintf(mglru_no, sizeof(mglru_no), "no MGLRU (CONFIG_LRU_GEN)");
	else if (!(ms.enabled > 0 && (ms.enabled & 1)))
		snprintf(mglru_no, sizeof(mglru_no), "MGLRU disabled (memward mglru enable)");
	else if (!ms.debugfs)
		snprintf(mglru_no, sizeof(mglru_no), "debugfs lru_gen not readable");

	if (o->mech != MECH_AUTO) {
		snprintf(why, len, "asked for with --mechanism; %s", o->mech == MECH_DAMON ?
			 (o->anon || o->file ? "paddr with memcg and anon filters" : "vaddr on the process(es)") :
			 o->mech == MECH_MGLRU ? "eviction of generations older than min-age" :
			 "memory.reclaim steps while PSI stays under the target");
		return o->mech;
	}
	if (!damon_no[0]) {
		snprintf(why, len, "DAMON sysfs usable (no other kdamond); %s", !o->anon && !o->file ?
			 "vaddr monitoring of the process(es), pages shared with others are left alone" :
			 "paddr monitoring with memcg and anon filters (only paddr honours them)");
		return MECH_DAMON;
	}
	if (!mglru_no[0]) {
		snprintf(why, len, "DAMON not usable (%s); MGLRU enabled with debugfs lru_gen", damon_no);
		return MECH_MGLRU;
	}
	snprintf(why, len, "DAMON not usable (%s); MGLRU not usable (%s); memory.reclaim has no notion of age: "
		 "the kernel reclaims its LRU-coldest pages while PSI stays under the target", damon_no, mglru_no);
	return MECH_MEMCG;
}

static int reclaim_run(int argc, char **argv)
{
	struct rc_opts o = { .interval_us = 1000000, .mech = MECH_AUTO };
	struct rc_target t;
	const char *psi;
	char why[600];
	int ret = parse(argc, argv, &o);

	if (ret)
		return ret < 0 ? 0 : ret;
	if (rc_target_resolve(o.pid_arg, o.cgroup, &t) < 0)
		return 2;
	rc_signals_install();
	if (mw_damon_cleanup_stale() == 1)
		fprintf(stderr, "memward: removed the kdamond a killed memward left running\n");
	o.mech_used = choose(&o, &t, why, sizeof(why));
	psi = !o.psi_target_us ? NULL : o.mech_used == MECH_DAMON ? PSI_DAMOS_GOAL : PSI_MEMCG_LOOP;
	if (o.json) {
		printf("{\"event\":\"start\",\"mechanism\":\"%s\",\"why\":\"%s\"", mech_name(o.mech_used), why);
		if (psi)
			printf(",\"psi_target_us\":%" PRIu64 ",\"psi\":\"%s\"", o.psi_target_us, psi);
		if (o.quota_bps)
			printf(",\"quota_bytes_per_s\":%" PRIu64, o.quota_bps);
		printf("}\n");
	} else {
		printf("mechanism: %s (%s)\n", mech_name(o.mech_used), why);
		if (psi)
			printf("psi-target: %" PRIu64 " us by %s\n", o.psi_target_us, psi);
	}
	fflush(stdout);
	switch (o.mech_used) {
	case MECH_DAMON: return mech_damon(&o, &t);
	case MECH_MGLRU: return mech_mglru(&o, &t);
	default: return mech_memcg(&o, &t);
	}
}
