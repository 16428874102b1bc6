/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward wss: the working set of a process or cgroup over time windows, from
 * DAMON (vaddr monitoring with a `stat` scheme whose tried regions carry each
 * region's access count and age) or from MGLRU (aging at a fixed interval;
 * the youngest generation holds what was accessed since the last aging).
 */
#include "cli.h"
#include "reclaim_common.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <memward/damon.h>
#include <memward/mglru.h>

enum fmt { FMT_TEXT, FMT_JSON, FMT_PROM };

/* Windows reported for DAMON, in sampling intervals: 1 s, 10 s and 60 s at
 * the default 1 s interval; --interval scales them (250ms gives 250 ms,
 * 2.5 s and 15 s), so a short run can show the long windows. MGLRU reports
 * the aging interval only. */
static const unsigned int windows_x[] = { 1, 10, 60 };
#define NWIN (sizeof(windows_x) / sizeof(windows_x[0]))

struct wss_opts {
	const char *pid_arg, *cgroup;
	int damon;          /* 1 damon, 0 mglru, -1 choose */
	uint64_t interval_us, aggr_us;
	long count;         /* samples, 0: until a signal */
	enum fmt fmt;
};

static uint64_t window_us(const struct wss_opts *o, size_t w)
{
	return o->interval_us * windows_x[w];
}

/* "10s" for whole seconds, else "2500ms" (JSON keys, Prometheus labels). */
static const char *window_name(const struct wss_opts *o, size_t w, char *buf, size_t len)
{
	uint64_t us = window_us(o, w);

	if (us % 1000000 == 0)
		snprintf(buf, len, "%" PRIu64 "s", us / 1000000);
	else
		snprintf(buf, len, "%" PRIu64 "ms", us / 1000);
	return buf;
}

struct sample {
	uint64_t aggr_us;   /* DAMON: the aggregation interval as it happened */
	uint64_t total;     /* monitored bytes (DAMON) or pages in generations (MGLRU) */
	uint64_t wss[NWIN + 1]; /* per window; [NWIN] = the interval */
};

static void print_sample(const struct wss_opts *o, const struct sample *s, const char *src, uint64_t t_ms)
{
	char wn[32];

	if (o->fmt == FMT_JSON) {
		printf("{\"time_ms\":%" PRIu64 ",\"source\":\"%s\",\"interval_ms\":%" PRIu64
		       ",\"monitored_bytes\":%" PRIu64 ",\"wss_bytes\":{", t_ms, src, o->interval_us / 1000, s->total);
		for (size_t w = 0; o->damon && w < NWIN; w++) {
			if (t_ms * 1000 >= window_us(o, w))
				printf("\"%s\":%" PRIu64 ",", window_name(o, w, wn, sizeof(wn)), s->wss[w]);
			else /* not monitored that long yet */
				printf("\"%s\":null,", window_name(o, w, wn, sizeof(wn)));
		}
		printf("\"interval\":%" PRIu64 "}", s->wss[NWIN]);
		if (o->damon)
			printf(",\"aggregation_us\":%" PRIu64, s->aggr_us);
		printf("}\n");
	} else if (o->fmt == FMT_PROM) {
		printf("memward_wss_monitored_bytes{source=\"%s\"} %" PRIu64 "\n", src, s->total);
		if (o->damon)
			for (size_t w = 0; w < NWIN; w++)
				if (t_ms * 1000 >= window_us(o, w))
					printf("memward_wss_bytes{source=\"%s\",window=\"%s\"} %" PRIu64 "\n",
					       src, window_name(o, w, wn, sizeof(wn)), s->wss[w]);
		printf("memward_wss_bytes{source=\"%s\",window=\"%" PRIu64 "ms\"} %" PRIu64 "\n", src,
		       o->interval_us / 1000, s->wss[NWIN]);
	} else {
		printf("%8.1fs %-5s total %8.1f MiB  wss(%" PRIu64 "ms) %8.1f MiB", (double)t_ms / 1000, src,
		       (double)s->total / 1048576, o->interval_us / 1000, (double)s->wss[NWIN] / 1048576);
		if (o->damon)
			for (size_t w = 0; w < NWIN; w++)
				if (t_ms * 1000 >= window_us(o, w))
					printf("  %s %8.1f", window_name(o, w, wn, sizeof(wn)), (double)s->wss[w] / 1048576);
		printf("\n");
	}
	fflush(stdout);
}

struct region { uint64_t sz, nr_accesses, age; };

struct region_acc {
	struct region *r;
	size_t n, cap;
	uint64_t max_age;
};

static int add_region(const struct mw_damon_tried *r, void *arg)
{
	struct region_acc *a = arg;

	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 256;
		struct region *nr = realloc(a->r, cap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		a->r = nr;
		a->cap = cap;
	}
	a->r[a->n++] = (struct region){ r->end - r->start, r->nr_accesses, r->age };
	if (r->age > a->max_age)
		a->max_age = r->age;
	return 0;
}

/*
 * The length of an aggregation as it happened. DAMON's intervals are
 * minimums: a busy kdamond (a TCG guest, tried regions read every 250 ms)
 * aggregates every 125 ms instead of 100 ms, and age x aggr_us then falls
 * 20% short of the idle time (a region idle 18.8 s read as 14.9 s). The
 * oldest region has aged once per aggregation since monitoring began (the
 * cold gaps of a process's address space, at least): monitored time over its
 * age is the real interval. Never shorter than asked; not trusted before ten
 * aggregations.
 */
static uint64_t aggregation_us(const struct wss_opts *o, const struct region_acc *a, uint64_t monitored_us)
{
	uint64_t real = a->max_age >= 10 ? monitored_us / a->max_age : 0;

	return real > o->aggr_us ? real : o->aggr_us;
}

/* A region accessed in the last aggregation, or idle for less than a window,
 * counts in that window. */
static void tally(const struct wss_opts *o, const struct region_acc *a, uint64_t aggr_us, struct sample *s)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct region *r = &a->r[i];
		uint64_t idle_us = r->nr_accesses ? 0 : r->age * aggr_us;

		s->total += r->sz;
		for (size_t w = 0; w < NWIN; w++)
			if (idle_us < window_us(o, w))
				s->wss[w] += r->sz;
		if (idle_us < o->interval_us)
			s->wss[NWIN] += r->sz;
	}
}

static int run_damon(const struct wss_opts *o, const struct rc_target *t)
{
	struct mw_damon_target tg[RC_MAX_PIDS];
	const struct mw_damon_target *tp[RC_MAX_PIDS];
	struct mw_damon_scheme sc = { .sz = sizeof(sc), .action = MW_DAMOS_STAT };
	const struct mw_damon_scheme *scp = &sc;
	/* At least 400 regions: a region is counted whole, and DAMON merges
	 * regions up to monitored/min_nr_regions, so one that takes in the hot
	 * set's edge (young, its access count flipping) errs by up to that
	 * much. DAMON's default 10 let it hold a tenth of the monitored range
	 * (86 MiB; the 15 s window read 116 MiB for a 64 MiB hot set); 100 still
	 * 13 MiB of 1.3 GB (79 MiB read, on a loaded host). */
	struct mw_damon_ctx ctx = {
		.sz = sizeof(ctx), .ops = MW_DAMON_VADDR, .sample_us = o->aggr_us / 20, .aggr_us = o->aggr_us,
		.update_us = 1000000, .min_nr_regions = 400, .max_nr_regions = 1000, .targets = tp,
		.nr_targets = t->nr_pids, .schemes = &scp, .nr_schemes = 1,
	};
	struct region_acc acc = { 0 };
	struct mw_damon *d;
	char why[400];
	uint64_t t0 = rc_now_us(), t_on;
	int ret, rc = 0;

	if (!t->nr_pids) {
		cli_err(t->too_many ? "the cgroup has more than %d processes, more than memward gives DAMON as targets "
				      "(use --source mglru)" : "the cgroup has no process to monitor", RC_MAX_PIDS);
		return 2;
	}
	for (size_t i = 0; i < t->nr_pids; i++) {
		tg[i] = (struct mw_damon_target){ .sz = sizeof(tg[i]), .pid = t->pids[i] };
		tp[i] = &tg[i];
	}
	ret = mw_damon_start(&ctx, &d, why, sizeof(why));
	if (ret < 0) {
		cli_err("DAMON: %s", why[0] ? why : strerror(-ret));
		return 2;
	}
	t_on = rc_now_us();
	for (long n = 0; !rc_stop && (!o->count || n < o->count); n++) {
		struct sample s = { 0 };

		rc_sleep(o->interval_us);
		if (rc_stop)
			break;
		/* Tried regions are filled when the scheme is next applied; a read
		 * that races it finds none: read again an aggregation later. */
		for (int k = 0; k < 5; k++) {
			acc.n = 0;
			acc.max_age = 0;
			ret = mw_damon_regions_foreach(d, 0, add_region, &acc);
			if (ret < 0 || acc.n)
				break;
			rc_sleep(o->aggr_us);
		}
		if (ret < 0) {
			cli_err("DAMON: reading tried regions: %s", strerror(-ret));
			rc = 2;
			break;
		}
		s.aggr_us = aggregation_us(o, &acc, rc_now_us() - t_on);
		tally(o, &acc, s.aggr_us, &s);
		print_sample(o, &s, "damon", (rc_now_us() - t0) / 1000);
	}
	free(acc.r);
	ret = mw_damon_stop(d);
	if (ret < 0) {
		cli_err("DAMON: removing memward's kdamond: %s", strerror(-ret));
		rc = 2;
	}
	return rc;
}

struct gens {
	struct mw_mglru_gen g[256];
	size_t n;
};

static int add_gen(const struct mw_mglru_gen *g, void *arg)
{
	struct gens *gs = arg;

	if (gs->n < sizeof(gs->g) / sizeof(gs->g[0]))
		gs->g[gs->n++] = *g;
	return 0;
}

/*
 * Aging walks the page tables and moves the pages it finds accessed into the
 * youngest generation as it was BEFORE the walk, then opens a new, empty one
 * (mm/vmscan.c: walk_pte_range() promotes to max_seq, inc_max_seq() follows).
 * Right after an aging, the two youngest generations hold what was accessed
 * since the aging before (plus what faulted in since): that is the interval's
 * working set.
 */
static void mglru_sample(const struct gens *gs, struct sample *s)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	for (size_t i = 0; i < gs->n; i++) {
		uint64_t max = 0, bytes = (gs->g[i].anon_pages + gs->g[i].file_pages) * page;

		for (size_t j = 0; j < gs->n; j++)
			if (gs->g[j].node == gs->g[i].node && gs->g[j].seq > max)
				max = gs->g[j].seq;
		s->total += bytes;
		if (gs->g[i].seq + 1 >= max)
			s->wss[NWIN] += bytes;
	}
}

static int run_mglru(const struct wss_opts *o, const struct rc_target *t)
{
	uint64_t t0 = rc_now_us();
	int ret;

	if (!t->cgroup[0]) {
		cli_err("MGLRU works per cgroup and this process has no cgroup v2");
		return 2;
	}
	ret = mw_mglru_age(t->cgroup, 1);
	for (long n = 0; ret == 0 && !rc_stop && (!o->count || n < o->count); n++) {
		struct sample s = { 0 };
		struct gens gs = { .n = 0 };

		rc_sleep(o->interval_us);
		if (rc_stop)
			break;
		ret = mw_mglru_age(t->cgroup, 1);
		if (ret == 0)
			ret = mw_mglru_gens_foreach(t->cgroup, add_gen, &gs);
		if (ret == 0) {
			mglru_sample(&gs, &s);
			print_sample(o, &s, "mglru", (rc_now_us() - t0) / 1000);
		}
	}
	if (ret < 0) {
		cli_err("MGLRU: %s", ret == -EOPNOTSUPP ? "disabled (memward mglru enable)" :
				     ret == -ENOENT ? "no debugfs lru_gen, or the cgroup is not listed" :
				     strerror(-ret));
		return 2;
	}
	return 0;
}

static const char wss_help[] =
	"Usage: memward wss (PID | --cgroup PATH) [--source damon|mglru] [--interval T]\n"
	"                   [--count N] [--json | --prometheus]\n"
	"\n"
	"Estimate the working set of a process or cgroup: the bytes it accessed within\n"
	"the sampling interval and (DAMON) within 10 and 60 intervals: 1 s, 10 s and\n"
	"60 s at the default interval.\n"
	"\n"
	"  --source damon   DAMON virtual-address monitoring of the process (or of every\n"
	"                   process of the cgroup, up to 64); memward creates its own\n"
	"                   kdamond and refuses when another exists (default when DAMON\n"
	"                   sysfs is present)\n"
	"  --source mglru   MGLRU aging of the cgroup every interval; the youngest\n"
	"                   generation is what was accessed within the interval\n"
	"  --interval T     sampling interval (default 1s; e.g. 500ms, 2s); the DAMON\n"
	"                   windows are 1, 10 and 60 intervals\n"
	"  --aggr T         DAMON aggregation interval (default 100ms)\n"
	"  --count N        print N samples and exit (default: until SIGINT/SIGTERM)\n"
	"  --json           one JSON object per sample\n"
	"  --prometheus     Prometheus text format per sample\n"
	"\n"
	"Needs root. memward's kdamond is removed on exit, SIGINT and SIGTERM; one left\n"
	"by a killed memward is removed by the next memward that uses DAMON.\n"
	"Exit status: 0 success, 2 error, 64 bad command line.\n";

static int wss_run(int argc, char **argv);

const struct cli_cmd cmd_wss = {
	.name = "wss",
	.summary = "working-set size of a process or cgroup (DAMON or MGLRU)",
	.help = wss_help,
	.run = wss_run,
};

static int wss_parse(int argc, char **argv, struct wss_opts *o)
{
	static const struct option opts[] = {
		{ "cgroup", required_argument, NULL, 'c' }, { "source", required_argument, NULL, 's' },
		{ "interval", required_argument, NULL, 'i' }, { "aggr", required_argument, NULL, 'a' },
		{ "count", required_argument, NULL, 'n' }, { "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'p' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:s:i:a:n:jph", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o->cgroup = optarg; break;
		case 's':
			if (strcmp(optarg, "damon") && strcmp(optarg, "mglru"))
				return cli_usage_error(&cmd_wss, "--source wants damon or mglru, not '%s'", optarg);
			o->damon = !strcmp(optarg, "damon");
			break;
		case 'i':
			if (rc_parse_duration(optarg, &o->interval_us) < 0 || o->interval_us < 10000)
				return cli_usage_error(&cmd_wss, "--interval wants a duration of 10ms or more");
			break;
		case 'a':
			if (rc_parse_duration(optarg, &o->aggr_us) < 0 || o->aggr_us < 1000)
				return cli_usage_error(&cmd_wss, "--aggr wants a duration of 1ms or more");
			break;
		case 'n':
			o->count = strtol(optarg, NULL, 10);
			if (o->count <= 0)
				return cli_usage_error(&cmd_wss, "--count wants a positive number");
			break;
		case 'j': o->fmt = FMT_JSON; break;
		case 'p': o->fmt = FMT_PROM; break;
		case 'h': cli_print_help(&cmd_wss, stdout); return -1;
		default:
			return cli_usage_error(&cmd_wss, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		o->pid_arg = argv[optind++];
	if (optind < argc || !o->pid_arg == !o->cgroup)
		return cli_usage_error(&cmd_wss, "give one PID or --cgroup PATH");
	return 0;
}

static int wss_run(int argc, char **argv)
{
	struct wss_opts o = { .damon = -1, .interval_us = 1000000, .aggr_us = 100000 };
	struct rc_target t;
	int ret = wss_parse(argc, argv, &o);

	if (ret)
		return ret < 0 ? 0 : ret;
	if (rc_target_resolve(o.pid_arg, o.cgroup, &t) < 0)
		return 2;
	if (o.damon < 0)
		o.damon = access("/sys/kernel/mm/damon/admin", F_OK) == 0;
	rc_signals_install();
	/* A kdamond a killed memward left behind is ours to remove. */
	if (o.damon && mw_damon_cleanup_stale() == 1)
		fprintf(stderr, "memward: removed the kdamond a killed memward left running\n");
	return o.damon ? run_damon(&o, &t) : run_mglru(&o, &t);
}
