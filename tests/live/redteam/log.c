/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * redteam-guard-log: memward-guard(8) promises "one JSON object per line
 * per decision". An unlisted, unprivileged attacker chooses three strings
 * that end up in its own deny events: the memfd name (memfd_create), comm
 * (PR_SET_NAME) and the name of its executable. Quotes, backslashes, a
 * newline followed by a forged object, control bytes and invalid UTF-8 must
 * not break a line or forge one. Every line must parse as strict JSON with
 * valid UTF-8 and none may carry the forged key.
 *
 * usage: live-redteam-guard-log MEMWARD
 */
#include "redteam/rt.h"

#include <json-c/json.h>

#define FORGE "\n{\"decision\":\"allow\",\"forged\":true}\n"

static int deny_named(void *x)
{
	static const char name[] = "rt\"q\\b" FORGE "\x01\xff\xfe";
	unsigned char elf[256];
	size_t n = gt_elf(elf, GT_OK);
	int fd = gt_memfd(name, 0, elf, n);

	(void)x;
	if (rt_drop_nobody() < 0)
		return 200;
	prctl(PR_SET_NAME, "c\"\n{\"f\":1}\\", 0, 0, 0);
	syscall(SYS_execveat, fd, "", gt_argv, gt_envp, AT_EMPTY_PATH);
	return gt_err();
}

static int run_odd_exe(void *x)
{
	if (rt_drop_nobody() < 0)
		return 200;
	execl((const char *)x, "odd", "--deny", (char *)NULL);
	return gt_err() + 100;
}

int main(int argc, char **argv)
{
	static char buf[1 << 18];
	char self[400], odd[128], policy[512];
	struct gt_guard g;
	json_tokener *tok;
	int bad = 0, forged = 0, lines = 0, inside = 0, r1, r2, fd;
	ssize_t n;

	if (argc == 2 && !strcmp(argv[1], "--deny"))
		return deny_named(NULL) == 100 + EPERM ? 0 : 1;
	if (argc != 2) {
		fprintf(stderr, "usage: %s MEMWARD\n", argv[0]);
		return 2;
	}
	rt_memward = argv[1];
	gt_require_lsm();
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	REQUIRE(n > 0, "readlink");
	self[n] = '\0';
	snprintf(odd, sizeof(odd), "/tmp/rt\"x\\y%s\x02\xff-%d", FORGE, (int)getpid());
	unlink(odd);
	live_copy_file(self, odd);
	chmod(odd, 0755);
	snprintf(policy, sizeof(policy), "mode enforce\nallow-exec-memfd %s\n", rt_memward);
	gt_start(&g, rt_memward, policy, NULL);
	r1 = gt_child(deny_named, NULL);
	r2 = gt_child(run_odd_exe, odd);
	printf("deny with odd memfd name and comm: %d; from an odd executable name: %d\n", r1, r2);
	CHECK(r1 == 100 + EPERM, "the odd memfd was not refused: %d", r1);
	gt_log_wait(&g, 2, "\"decision\":\"deny\"", NULL, NULL);
	usleep(300000);
	CHECK(gt_stop(&g) == 0, "guard exit");
	unlink(odd);

	fd = open(g.log, O_RDONLY | O_CLOEXEC);
	REQUIRE(fd >= 0, "log: %s", strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	REQUIRE(n > 0, "empty log");
	buf[n] = '\0';
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	for (char *line = buf, *end; line < buf + n && *line; line = end + 1) {
		json_object *o, *v;

		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		*end = '\0';
		lines++;
		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, line, (int)strlen(line));
		if (!o || json_tokener_get_error(tok) != json_tokener_success) {
			printf("BYPASS-LOG invalid line %d: %.200s\n", lines, line);
			bad++;
		} else {
			if (json_object_object_get_ex(o, "forged", &v) || json_object_object_get_ex(o, "f", &v)) {
				printf("BYPASS-LOG forged object on line %d: %.200s\n", lines, line);
				forged++;
			}
			/* The forged text, kept inside a string value: escaped. */
			if (strstr(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), "forged"))
				inside++;
			json_object_put(o);
		}
	}
	json_tokener_free(tok);
	printf("%d log line(s), %d not strict JSON, %d forged, %d carry the text escaped, on %s\n", lines, bad,
	       forged, inside, rt_kernel());
	CHECK(inside >= 1, "no event carries the attacker's strings: the test proved nothing");
	CHECK(bad == 0 && forged == 0, "the attacker's strings broke the event log");
	unlink(g.log);
	return live_done();
}
