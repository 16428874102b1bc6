/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Probing never writes DAMON (issue 9, item 7): `memward status`, `status
 * --json`, mw_feature_probe() and mw_feature_sysinfo_get() leave nr_kdamonds
 * and every existing kdamond's files unwritten. Writes are seen with inotify
 * (vfs_write notifies on sysfs files too), so a probe that creates and
 * removes a kdamond in between is caught, not only one that leaves a trace.
 * Where the test may write (guests), it proves first that its watch sees a
 * write. Reads only on the host.
 */
#include "live.h"

#include <dirent.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <memward/features.h>
#include <memward/damon.h>

#define ADMIN "/sys/kernel/mm/damon/admin"
#define WATCH_MASK (IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB)

static int nwatch;

/* Watch dir and every directory below it (the existing kdamond trees). */
static void watch_tree(int in, const char *dir, int depth)
{
	DIR *d;
	struct dirent *e;

	if (inotify_add_watch(in, dir, WATCH_MASK) >= 0)
		nwatch++;
	if (depth > 12 || !(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		char p[1024];

		if (e->d_name[0] == '.' || e->d_type != DT_DIR)
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= (int)sizeof(p))
			continue; /* deeper than any kdamond tree */
		watch_tree(in, p, depth + 1);
	}
	closedir(d);
}

/* Events pending on in (non-blocking). */
static int drain(int in)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int n = 0;
	ssize_t len;

	while ((len = read(in, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + len; p += sizeof(struct inotify_event) + ((struct inotify_event *)p)->len)
			n++;
	return n;
}

static void run_status(const char *memward, bool json)
{
	char out[65536];
	char *argv[] = { (char *)memward, (char *)"status", json ? (char *)"--json" : NULL, NULL };
	int rc = live_capture(argv, true, NULL, out, sizeof(out));

	CHECK(rc == 0 || rc == 1, "memward status%s exited %d", json ? " --json" : "", rc);
}

int main(int argc, char **argv)
{
	struct mw_feature_sysinfo si = { .sz = sizeof(si) };
	struct mw_feature_status st;
	struct stat sb;
	char before[32] = "", after[32] = "";
	int in, events;
	FILE *f;

	REQUIRE(argc == 2, "usage: %s MEMWARD", argv[0]);
	if (stat(ADMIN, &sb) < 0)
		live_skip("no DAMON sysfs here (stat " ADMIN ": %s): nothing a probe could write", strerror(errno));
	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	REQUIRE(in >= 0, "inotify_init1: %s", strerror(errno));
	REQUIRE(inotify_add_watch(in, ADMIN "/kdamonds/nr_kdamonds", WATCH_MASK) >= 0, "watch nr_kdamonds: %s",
		strerror(errno));
	watch_tree(in, ADMIN "/kdamonds", 0);
	if ((f = fopen(ADMIN "/kdamonds/nr_kdamonds", "re"))) {
		if (!fgets(before, sizeof(before), f))
			before[0] = '\0';
		fclose(f);
	}
	/* The control: the watch must see a write, or "no event" proves nothing.
	 * Writing the same count back is a write only where no kdamond runs and
	 * the test may touch DAMON (a guest). */
	if (getenv("MW_IN_VM") && !strcmp(getenv("MW_IN_VM"), "1") && !strcmp(before, "0\n")) {
		f = fopen(ADMIN "/kdamonds/nr_kdamonds", "we");
		REQUIRE(f && fputs("0", f) >= 0 && fclose(f) == 0, "control write");
		CHECK(drain(in) > 0, "inotify did not see the control write: this test could not see a probe's");
	} else {
		live_note("host: no control write (DAMON here is only read); %d directories watched", nwatch);
	}
	drain(in);

	run_status(argv[1], false);
	run_status(argv[1], true);
	mw_feature_probe(MW_FEAT_DAMON_SYSFS, &st);
	mw_feature_sysinfo_get(&si);
	{
		struct mw_damon_features df = { .sz = sizeof(df) };
		CHECK(mw_damon_features_get(&df, 0) == 0, "read-only DAMON features");
	}
	events = drain(in);
	CHECK(events == 0, "%d write(s) to the DAMON tree during status/probes", events);
	if ((f = fopen(ADMIN "/kdamonds/nr_kdamonds", "re"))) {
		if (!fgets(after, sizeof(after), f))
			after[0] = '\0';
		fclose(f);
	}
	CHECK(!strcmp(before, after), "nr_kdamonds %s -> %s", before, after);
	close(in);
	return live_failures ? 1 : 0;
}
