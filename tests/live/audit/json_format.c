/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward audit --json and --jsonl write their findings as a stream, not
 * through a json-c tree, yet byte for byte as json-c writes them: each
 * document (and each line) parsed with json-c (strict, UTF-8 validated) and
 * written again with the flags the CLI uses must give the same bytes. The
 * fixture has what the writer must escape (quotes, backslashes, control
 * bytes, 0x7f, bytes that are not UTF-8, a multibyte character, slashes
 * that stay unescaped) in the comm and memfd names, seal arrays empty and
 * full, nulls, and a process with no finding (an empty findings array).
 *
 * usage: live-audit-json-format MEMWARD
 */
#include "live.h"
#include "sys/shim.h"

#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#define NAME_A "mw-json\"q\\b\n\t\x01\x7f\xff\xc3\xa9"
#define COMM "j\"s\\\x01\xff"

static const char *memward;

static json_object *parse_strict(const char *text, size_t len)
{
	json_tokener *tok = json_tokener_new();
	json_object *o;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success || json_tokener_get_parse_end(tok) != len) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* text (without its final newline) equals json-c's writing of its parse. */
static bool same_as_jsonc(const char *text, size_t len, int flags)
{
	json_object *o = parse_strict(text, len);
	const char *again;
	bool same;

	if (!o)
		return false;
	again = json_object_to_json_string_ext(o, flags);
	same = strlen(again) == len && !memcmp(again, text, len);
	if (!same)
		printf("json-c writes:\n%s\nmemward wrote:\n%.*s\n", again, (int)len, text);
	json_object_put(o);
	return same;
}

/* The fixture: hostile comm, a sealed executable memfd with a hostile name,
 * an unsealed one mapped executable. Writes 'r' when ready. */
static void holder(int ready)
{
	int a, b;
	void *p;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NAME, COMM);
	a = mw_sys_memfd_create(NAME_A, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	b = mw_sys_memfd_create("mw-json-b", MFD_CLOEXEC | MFD_ALLOW_SEALING); /* no seal: [] */
	if (a < 0 || b < 0 || fchmod(a, 0755) < 0 || fchmod(b, 0755) < 0 || write(a, "x", 1) != 1 ||
	    ftruncate(b, 4096) < 0 ||
	    fcntl(a, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		(void)!write(ready, "F", 1);
		_exit(1);
	}
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, b, 0);
	(void)!write(ready, p == MAP_FAILED ? "F" : "r", 1);
	for (;;)
		pause();
}

static pid_t spawn(int ready, int wready, bool clean)
{
	pid_t pid = fork();
	struct pollfd pf = { .fd = ready, .events = POLLIN };
	char c = 0;

	REQUIRE(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		if (clean) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			(void)!write(wready, "r", 1);
			for (;;)
				pause();
		}
		holder(wready);
	}
	REQUIRE(poll(&pf, 1, 10000) == 1 && read(ready, &c, 1) == 1 && c == 'r',
		"fixture did not get ready (%c)", c);
	return pid;
}

static int run(char *out, size_t size, const char *pids, const char *fmt, const char *user)
{
	char *argv[] = { (char *)memward, "audit", "--fail-on", "none", "--pid", (char *)pids,
			 (char *)fmt, user ? "--user" : NULL, (char *)user, NULL };

	return live_capture(argv, false, NULL, out, size);
}

int main(int argc, char **argv)
{
	static char out[1 << 18];
	int fds[2];
	pid_t holder_pid, clean_pid;
	char pids[64], cpid[16];
	size_t len;
	int rc, lines = 0;

	REQUIRE(argc == 2, "usage: live-audit-json-format MEMWARD");
	memward = argv[1];
	REQUIRE(pipe2(fds, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	{
		int probe = mw_sys_memfd_create("mw-probe", MFD_CLOEXEC);

		if (probe < 0 && errno == ENOSYS)
			live_skip("memfd_create: ENOSYS");
		if (probe >= 0)
			close(probe);
	}
	holder_pid = spawn(fds[0], fds[1], false);
	clean_pid = spawn(fds[0], fds[1], true);
	snprintf(pids, sizeof(pids), "%d,%d", (int)holder_pid, (int)clean_pid);
	snprintf(cpid, sizeof(cpid), "%d", (int)clean_pid);

	/* --json: the whole document, as json-c writes it pretty */
	rc = run(out, sizeof(out), pids, "--json", NULL);
	len = strlen(out);
	CHECK(rc == 0 && len > 1 && out[len - 1] == '\n', "--json: exit %d, %zu bytes", rc, len);
	CHECK(len > 1 && same_as_jsonc(out, len - 1, JSON_C_TO_STRING_NOSLASHESCAPE | JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_SPACED),
	      "--json differs from json-c's writing of it");
	/* the escapes were exercised: comm and the memfd name, once decoded,
	 * are the escaped raw bytes */
	CHECK(strstr(out, "\"comm\": \"j\\\"s\\\\\\\\\\u0001\\\\xff\""), "comm not escaped as expected:\n%s", out);
	CHECK(strstr(out, "/memfd:mw-json\\\"q\\\\\\\\b\\n\\t\\u0001\x7f\\\\xff\xc3\xa9 (deleted)"),
	      "memfd name not escaped as expected:\n%s", out);
	CHECK(strstr(out, "\"seals\": [\n        \"seal\",\n        \"shrink\",") && strstr(out, "\"seals\": [\n      ],"),
	      "no full and empty seal arrays:\n%s", out);

	/* --jsonl: every line, as json-c writes it compact */
	rc = run(out, sizeof(out), pids, "--jsonl", NULL);
	CHECK(rc == 0, "--jsonl: exit %d", rc);
	for (char *line = out, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl) {
			CHECK(false, "--jsonl: last line without a newline: %s", line);
			break;
		}
		CHECK(same_as_jsonc(line, (size_t)(nl - line), JSON_C_TO_STRING_NOSLASHESCAPE),
		      "--jsonl line %d differs from json-c's writing of it", lines + 1);
		lines++;
	}
	CHECK(lines >= 4, "--jsonl: %d lines (3 findings and a summary expected)", lines);

	/* no finding (the one process filtered out by --user): an empty
	 * findings array */
	rc = run(out, sizeof(out), cpid, "--json", "4294967293");
	len = strlen(out);
	CHECK(rc == 0 && len > 1 && strstr(out, "\"findings\": [\n  ]\n}\n"), "--json, no finding: exit %d:\n%s",
	      rc, out);
	CHECK(len > 1 && same_as_jsonc(out, len - 1, JSON_C_TO_STRING_NOSLASHESCAPE | JSON_C_TO_STRING_PRETTY |
								  JSON_C_TO_STRING_SPACED),
	      "--json (no finding) differs from json-c's writing of it");
	kill(holder_pid, SIGKILL);
	kill(clean_pid, SIGKILL);
	waitpid(holder_pid, NULL, 0);
	waitpid(clean_pid, NULL, 0);
	return live_done();
}
