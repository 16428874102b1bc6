/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The test helpers themselves (live.h): a skip after a failed CHECK is a
 * failure (exit 1, "FAIL: skip after N failed checks"), a clean skip exits 77
 * with "SKIP: reason", a failed CHECK makes live_done() fail, REQUIRE stops.
 * Each case runs in a copy of this program (argv[1] names it) so that its
 * exit code and output are what run-suite would see.
 *
 * usage: live-harness-live-h
 */
#include "live.h"

static int run_case(const char *name)
{
	if (!strcmp(name, "skip-after-fail")) {
		CHECK(1 == 2, "deliberate failure");
		live_skip("a reason that must not hide the failure");
	}
	if (!strcmp(name, "skip-after-two")) {
		CHECK(0, "deliberate failure one");
		CHECK(0, "deliberate failure two");
		live_skip("a reason that must not hide the failures");
	}
	if (!strcmp(name, "skip")) {
		CHECK(1, "passes");
		live_skip("nothing to test here");
	}
	if (!strcmp(name, "fail")) {
		CHECK(0, "deliberate failure");
		return live_done();
	}
	if (!strcmp(name, "require")) {
		REQUIRE(0, "deliberate stop");
		printf("after REQUIRE\n");
		return 0;
	}
	if (!strcmp(name, "pass")) {
		CHECK(1, "passes");
		return live_done();
	}
	return 2;
}

static int run(const char *self, const char *name, char *out, size_t size)
{
	char *argv[] = { (char *)self, "--case", (char *)name, NULL };

	return live_capture(argv, true, NULL, out, size);
}

int main(int argc, char **argv)
{
	static char self[4096], out[4096];
	ssize_t n;
	int rc;

	if (argc == 3 && !strcmp(argv[1], "--case"))
		return run_case(argv[2]);
	REQUIRE(argc == 1, "usage: live-harness-live-h");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	REQUIRE(n > 0, "readlink /proc/self/exe: %s", strerror(errno));
	self[n] = '\0';

	rc = run(self, "skip-after-fail", out, sizeof(out));
	CHECK(rc == 1, "skip after a failed check: exit %d, want 1\n%s", rc, out);
	CHECK(strstr(out, "FAIL: skip after 1 failed checks") && !strstr(out, "SKIP:"),
	      "skip after a failed check not reported as FAIL:\n%s", out);
	CHECK(strstr(out, "a reason that must not hide the failure"), "skip reason lost:\n%s", out);

	rc = run(self, "skip-after-two", out, sizeof(out));
	CHECK(rc == 1 && strstr(out, "FAIL: skip after 2 failed checks"),
	      "two failed checks then skip: exit %d\n%s", rc, out);

	rc = run(self, "skip", out, sizeof(out));
	CHECK(rc == LIVE_SKIP_CODE && !strncmp(out, "SKIP: nothing to test here\n", 27),
	      "clean skip: exit %d\n%s", rc, out);

	rc = run(self, "fail", out, sizeof(out));
	CHECK(rc == 1 && strstr(out, "FAILED ") && strstr(out, "1 check(s) failed"),
	      "failed check: exit %d\n%s", rc, out);

	rc = run(self, "require", out, sizeof(out));
	CHECK(rc == 1 && strstr(out, "deliberate stop") && !strstr(out, "after REQUIRE"),
	      "REQUIRE: exit %d\n%s", rc, out);

	rc = run(self, "pass", out, sizeof(out));
	CHECK(rc == 0 && !strstr(out, "FAIL"), "pass: exit %d\n%s", rc, out);
	return live_done();
}
