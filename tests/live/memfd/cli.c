/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward memfd create / verify, as shell scripts use them: stdin into a
 * sealed memfd handed to a command through an environment variable, and the
 * command (or its children) checking it. Exit codes 0 verified, 1 refused,
 * 2 error, 64 usage; the frozen fd is read-only for the command; --json.
 */
#include "live.h"
#include "sys/shim.h"

static const char *mw;

static int sh(const char *script, char *out, size_t size)
{
	char *argv[] = { "/bin/sh", "-c", (char *)script, "sh", (char *)mw, NULL };

	return live_capture(argv, true, NULL, out, size);
}

int main(int argc, char **argv)
{
	char out[4096], script[1024];
	int rc;

	if (argc < 2)
		live_skip("usage: memfd-cli MEMWARD");
	mw = argv[1];
	if (access("/bin/sh", X_OK) < 0)
		live_skip("no /bin/sh here");

	/* frozen: the data arrives, the fd is read-only, verify passes. Before
	 * 6.3 (no MFD_NOEXEC_SEAL, tried here) the preset is refused, and with
	 * --allow-weaker the memfd is made, but exec cannot be proved off. */
	{
		int probe = mw_sys_memfd_create("probe", MFD_CLOEXEC | MFD_NOEXEC_SEAL);
		bool exec_seal = probe >= 0;

		if (probe >= 0)
			close(probe);
		if (!exec_seal) {
			rc = sh("echo x | \"$1\" memfd create --seal frozen -- true", out, sizeof(out));
			CHECK(rc == 2 && strstr(out, "allow-weaker"), "frozen without F_SEAL_EXEC: %d %s",
			      rc, out);
		}
		snprintf(script, sizeof(script),
			 "printf 'hello' | \"$1\" memfd create --seal frozen %s--name cfg -- /bin/sh -c '"
			 "cat <&$MEMWARD_MEMFD; echo; "
			 "(echo x >&$MEMWARD_MEMFD) 2>/dev/null && echo WRITABLE; "
			 "\"$0\" memfd verify $MEMWARD_MEMFD; echo rc=$?' \"$1\"",
			 exec_seal ? "" : "--allow-weaker ");
		rc = sh(script, out, sizeof(out));
		CHECK(rc == 0, "frozen: exit %d: %s", rc, out);
		CHECK(strstr(out, "hello\n"), "frozen: data not read back: %s", out);
		CHECK(!strstr(out, "WRITABLE"), "frozen: the command could write: %s", out);
		if (exec_seal)
			CHECK(strstr(out, "rc=0") && strstr(out, "memfd, seals"), "frozen: not verified: %s",
			      out);
		else
			CHECK(strstr(out, "rc=1") && strstr(out, "exec_possible"),
			      "frozen without F_SEAL_EXEC verified: %s", out);
	}

	/* fixed-size: refused by the default policy (no WRITE seal), accepted
	 * by its own; --env names the variable; --size extends. */
	rc = sh("printf 'ring' | \"$1\" memfd create --seal fixed-size --size 64K --env RING -- "
		"/bin/sh -c '(printf y >&$RING) && echo WROTE; \"$0\" memfd verify $RING; echo rc=$?; "
		"\"$0\" memfd verify --policy fixed-size --allow-exec --json $RING; echo rc=$?' \"$1\"",
		out, sizeof(out));
	CHECK(rc == 0, "fixed-size: exit %d: %s", rc, out);
	CHECK(strstr(out, "WROTE"), "fixed-size: the command cannot write: %s", out);
	CHECK(strstr(out, "refused (missing_seals)") && strstr(out, "rc=1"),
	      "fixed-size under the default policy: %s", out);
	CHECK(strstr(out, "\"verified\":true") && strstr(out, "\"size\":65536") &&
	      strstr(out, "rc=0"), "fixed-size under its own policy: %s", out);

	/* Not a memfd, not open, bad command lines. */
	rc = sh("\"$1\" memfd verify 0 < /dev/null", out, sizeof(out));
	CHECK(rc == 1 && strstr(out, "not_memfd"), "stdin /dev/null: %d %s", rc, out);
	rc = sh("exec 7>&-; \"$1\" memfd verify 7", out, sizeof(out));
	CHECK(rc == 2 && strstr(out, "not open"), "closed fd: %d %s", rc, out);
	rc = sh("\"$1\" memfd verify --policy nonsense 0", out, sizeof(out));
	CHECK(rc == 64, "bad policy name: %d %s", rc, out);
	rc = sh("echo x | \"$1\" memfd create --seal sometimes -- true", out, sizeof(out));
	CHECK(rc == 64, "bad preset: %d %s", rc, out);
	rc = sh("echo x | \"$1\" memfd create --seal frozen", out, sizeof(out));
	CHECK(rc == 64, "no command: %d %s", rc, out);
	rc = sh("echo x | \"$1\" memfd create --seal fixed-size -- /nonexistent/cmd", out, sizeof(out));
	CHECK(rc == 127, "missing command: %d %s", rc, out);
	rc = sh("head -c 3000 /dev/zero | \"$1\" memfd create --seal frozen --max-size 1K -- true",
		out, sizeof(out));
	CHECK(rc == 2 && strstr(out, "max-size"), "oversized stdin: %d %s", rc, out);
	return live_done();
}
