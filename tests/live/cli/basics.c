/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CLI's contract: --help and --version succeed, unknown commands and
 * options fail with exit 64 and say what was expected, `help CMD` works,
 * status prints one line per feature.
 *
 * usage: live-cli-basics MEMWARD
 */
#include "live.h"

#include <memward/features.h>

static const char *memward;

/* Run memward with up to three args; stdout+stderr into out; the exit code. */
static int run(char *out, size_t size, const char *a1, const char *a2, const char *a3)
{
	char *argv[] = { (char *)memward, (char *)a1, (char *)a2, (char *)a3, NULL };

	return live_capture(argv, true, NULL, out, size);
}

int main(int argc, char **argv)
{
	static char out[1 << 16];
	int rc;

	REQUIRE(argc == 2, "usage: live-cli-basics MEMWARD");
	memward = argv[1];

	rc = run(out, sizeof(out), "--help", NULL, NULL);
	CHECK(rc == 0 && strstr(out, "Usage: memward") && strstr(out, "status"), "--help: %d %s", rc, out);

	rc = run(out, sizeof(out), "--version", NULL, NULL);
	CHECK(rc == 0 && !strncmp(out, "memward 0.", 10), "--version: %d %s", rc, out);

	rc = run(out, sizeof(out), NULL, NULL, NULL);
	CHECK(rc == 64 && strstr(out, "Usage:"), "no args: %d", rc);

	rc = run(out, sizeof(out), "frobnicate", NULL, NULL);
	CHECK(rc == 64 && strstr(out, "unknown command 'frobnicate'") && strstr(out, "'status'"),
	      "unknown command: %d %s", rc, out);

	rc = run(out, sizeof(out), "--frob", NULL, NULL);
	CHECK(rc == 64 && strstr(out, "unknown option '--frob'"), "unknown global option: %d %s", rc, out);

	rc = run(out, sizeof(out), "status", "--frob", NULL);
	CHECK(rc == 64 && strstr(out, "unknown option '--frob'") && strstr(out, "--json"),
	      "unknown status option: %d %s", rc, out);

	rc = run(out, sizeof(out), "status", "extra", NULL);
	CHECK(rc == 64 && strstr(out, "unexpected argument 'extra'"), "extra arg: %d %s", rc, out);

	rc = run(out, sizeof(out), "help", "status", NULL);
	CHECK(rc == 0 && strstr(out, "Usage: memward status"), "help status: %d %s", rc, out);

	rc = run(out, sizeof(out), "status", "--help", NULL);
	CHECK(rc == 0 && strstr(out, "Usage: memward status"), "status --help: %d %s", rc, out);

	rc = run(out, sizeof(out), "help", "nosuch", NULL);
	CHECK(rc == 64 && strstr(out, "unknown command"), "help nosuch: %d %s", rc, out);

	rc = run(out, sizeof(out), "status", NULL, NULL);
	CHECK(rc == 0, "status exit %d", rc);
	for (int f = 0; f < MW_FEAT_COUNT_; f++) {
		char want[64];
		snprintf(want, sizeof(want), "\n%s ", mw_feature_key((enum mw_feature)f));
		CHECK(strstr(out, want), "status lacks a line for %s", mw_feature_key((enum mw_feature)f));
	}
	return live_done();
}
