/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward policy check FILE: a valid file is printed in canonical form
 * (exit 0), a bad one gives FILE:LINE: errors (exit 1); memward run --policy
 * refuses a bad file with the same line-numbered errors and runs nothing:
 * the program it was given would create a marker file, and with the good
 * file it does (so the marker can tell).
 *
 * usage: live-policy-check MEMWARD
 */
#include "policy_common.h"

static const char *memward;

int main(int argc, char **argv)
{
	static char out[1 << 14];
	char good[512], bad[512], missing[512], marker[512], text[4400], want[4400];
	const char *dir, *self;
	int rc;

	/* The program memward run is asked to start: it leaves a marker. */
	if (argc == 3 && !strcmp(argv[1], "--touch")) {
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

		return fd >= 0 && close(fd) == 0 ? 0 : 1;
	}
	REQUIRE(argc == 2, "usage: live-policy-check MEMWARD");
	memward = argv[1];
	self = pc_self();
	dir = pc_tmpdir();
	snprintf(good, sizeof(good), "%s/good", dir);
	snprintf(bad, sizeof(bad), "%s/bad", dir);
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	snprintf(marker, sizeof(marker), "%s/ran", dir);

	snprintf(text, sizeof(text), "# comment\nmode audit\nallow-exec-memfd %s\nrequire-seals write,seal\n", self);
	pc_write_file(good, text, 0644);
	rc = RUN(out, "policy", "check", good);
	CHECK(rc == 0, "good policy: exit %d\n%s", rc, out);
	snprintf(want, sizeof(want), "allow-exec-memfd %s  # dev ", self);
	CHECK(strstr(out, "mode audit\n") && strstr(out, "require-seals seal,write\n") && strstr(out, want) &&
	      strstr(out, "exec-request refuse\n"),
	      "canonical form not printed:\n%s", out);

	pc_write_file(bad, "mode enforce\n\nmode audit\nallow-exec-memfd /nonexistent/runc\nfrob\n", 0644);
	rc = RUN(out, "policy", "check", bad);
	CHECK(rc == 1, "bad policy: exit %d", rc);
	snprintf(want, sizeof(want), "%s:3: 'mode' given twice", bad);
	CHECK(strstr(out, want), "no line 3 error:\n%s", out);
	snprintf(want, sizeof(want), "%s:4: cannot resolve '/nonexistent/runc'", bad);
	CHECK(strstr(out, want), "no line 4 error:\n%s", out);
	snprintf(want, sizeof(want), "%s:5: unknown directive 'frob'", bad);
	CHECK(strstr(out, want), "no line 5 error:\n%s", out);
	CHECK(strstr(out, "3 errors"), "no error count:\n%s", out);

	rc = RUN(out, "policy", "check", missing);
	CHECK(rc == 2 && strstr(out, "cannot read policy"), "missing file: exit %d %s", rc, out);
	rc = RUN(out, "policy", "check");
	CHECK(rc == 64, "no FILE: exit %d", rc);

	/* run --policy with a bad file: errors, exit 125, the command never runs. */
	{
		char *a[] = { (char *)memward, "run", "--policy", bad, "--", (char *)self, "--touch", marker, NULL };
		rc = pc_run(a, out, sizeof(out));
	}
	CHECK(rc == 125, "run with a bad policy: exit %d", rc);
	snprintf(want, sizeof(want), "%s:5: unknown directive", bad);
	CHECK(strstr(out, want) && strstr(out, "nothing was run"), "run does not show the errors:\n%s", out);
	CHECK(access(marker, F_OK) < 0 && errno == ENOENT, "run with a bad policy ran the program: %s exists", marker);
	/* The control: with the good file the same command runs and leaves it. */
	unlink(marker);
	{
		char *a[] = { (char *)memward, "run", "--policy", good, "--", (char *)self, "--touch", marker, NULL };
		rc = pc_run(a, out, sizeof(out));
	}
	CHECK(rc == 0 && access(marker, F_OK) == 0, "run with the good policy: exit %d, marker %s:\n%s", rc,
	      access(marker, F_OK) == 0 ? "made" : "missing", out);
	unlink(marker);

	unlink(good);
	unlink(bad);
	rmdir(dir);
	return live_done();
}
