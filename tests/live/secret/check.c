/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live test: `memward secret check --json` on this kernel.
 *   - where memfd_secret works, every protection the secretmem backing
 *     promises is "blocked" (O_DIRECT may be untestable only when no
 *     filesystem does real direct I/O here);
 *   - the mlock fallback keeps its promises (not inherited by fork, not in a
 *     core dump) and is readable by root through process_vm_readv & co,
 *     shown as expected, not as a missing protection;
 *   - where memfd_secret is unavailable, the secretmem column says why;
 *   - the exit status matches the JSON and is 0;
 *   - the detector works: with --share-with-children a forked child reads
 *     the secret, reported as a missing protection, exit 1.
 * In the QEMU guests (MW_IN_VM=1, set by tests/vm/init) the core dump is
 * always arranged (--core-dump), and the core_pattern change-and-restore
 * path is exercised with an absolute pattern, which is harmless there.
 */
#include "live.h"
#include "kernel.h"

#include <fcntl.h>
#include <json-c/json.h>

#include <memward/memward.h>

#define CORE_PATTERN "/proc/sys/kernel/core_pattern"

static const char *memward;

/* Run memward with args; returns the exit code and the stdout in *out. */
static int run(char *const args[], char **out)
{
	size_t size = 1 << 20;
	char *buf = malloc(size);

	REQUIRE(buf, "malloc");
	*out = buf;
	return live_capture(args, false, NULL, buf, size);
}

static const char *str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static json_object *obj(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static bool eq(const char *a, const char *b) { return a && b && !strcmp(a, b); }

static json_object *check_json(char *const args[], int *rc)
{
	char *out;
	json_object *root, *v;

	*rc = run(args, &out);
	root = json_tokener_parse(out);
	if (!root)
		printf("output was:\n%s\n", out);
	REQUIRE(root, "memward secret check --json printed no JSON (exit %d)", *rc);
	free(out);
	v = obj(root, "exit_status");
	CHECK(v && json_object_get_int(v) == *rc, "exit_status in the JSON (%d) differs from the exit code %d",
	      v ? json_object_get_int(v) : -1, *rc);
	return root;
}

static json_object *cell(json_object *root, const char *method, const char *backing)
{
	json_object *checks = obj(root, "checks");
	size_t n = checks ? json_object_array_length(checks) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *row = json_object_array_get_idx(checks, i);

		if (eq(str(row, "method"), method))
			return obj(row, backing);
	}
	return NULL;
}

static const char *result(json_object *root, const char *method, const char *backing)
{
	json_object *c = cell(root, method, backing);

	return c ? str(c, "result") : NULL;
}

static void expect(json_object *root, const char *method, const char *backing, const char *want)
{
	const char *got = result(root, method, backing);
	json_object *c = cell(root, method, backing);

	CHECK(eq(got, want), "%s/%s: expected %s, got %s (%s)", backing, method, want,
	      got ? got : "(missing)", c && str(c, "detail") ? str(c, "detail") : "");
}

static bool write_pattern(const char *val)
{
	int fd = open(CORE_PATTERN, O_WRONLY | O_CLOEXEC);
	bool ok = fd >= 0 && write(fd, val, strlen(val)) == (ssize_t)strlen(val);

	if (fd >= 0)
		close(fd);
	return ok;
}

static void read_pattern(char *buf, size_t len)
{
	int fd = open(CORE_PATTERN, O_RDONLY | O_CLOEXEC);
	ssize_t k = fd >= 0 ? read(fd, buf, len - 1) : -1;

	buf[k > 0 ? k : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/* In the guest only: an absolute core_pattern needs --core-dump, which sets
 * it for the dump and restores it. */
static void vm_core_pattern_path(void)
{
	char saved[512], now[512];
	char *no_opt[] = { (char *)memward, "secret", "check", "--json", "--backing", "mlock", NULL };
	char *with_opt[] = { (char *)memward, "secret", "check", "--json", "--backing", "mlock",
			     "--core-dump", NULL };
	json_object *root;
	int rc;

	read_pattern(saved, sizeof(saved));
	REQUIRE(write_pattern("/memward-no-such-dir/core.%p\n"), "cannot set core_pattern: %m");
	root = check_json(no_opt, &rc);
	expect(root, "core_dump", "mlock", "not_tested");
	CHECK(rc == 0, "exit %d with the core dump not tested", rc);
	json_object_put(root);
	root = check_json(with_opt, &rc);
	expect(root, "core_dump", "mlock", "blocked");
	CHECK(rc == 0, "exit %d", rc);
	json_object_put(root);
	read_pattern(now, sizeof(now));
	CHECK(!strcmp(now, "/memward-no-such-dir/core.%p\n"), "core_pattern not restored: '%s'", now);
	write_pattern(saved);
}

int main(int argc, char **argv)
{
	static const char *const gup[] = { "process_vm_readv", "proc_pid_mem", "ptrace_peekdata", "vmsplice" };
	static const char *const odirect[] = { "o_direct_write", "o_direct_read" };
	const char *vm = getenv("MW_IN_VM");
	bool in_vm = vm && !strcmp(vm, "1");
	int secret_err = lk_memfd_secret();
	json_object *root, *sm;
	const char *odfs;
	bool secretmem, root_user = geteuid() == 0;
	char *args[6] = { NULL, "secret", "check", "--json", in_vm ? "--core-dump" : NULL, NULL };
	int rc;

	REQUIRE(argc == 2, "usage: %s MEMWARD", argv[0]);
	memward = argv[1];
	args[0] = (char *)memward;
	secretmem = secret_err == 0;
	live_note("memfd_secret %s here (tried by the test: %s); %s", secretmem ? "works" : "unavailable",
		  secret_err == LK_SIGBUS ? "SIGBUS" : secret_err ? strerror(secret_err) : "success",
		  in_vm ? "in the VM: --core-dump" : "on the host");

	root = check_json(args, &rc);
	CHECK(rc == 0, "memward secret check exits %d (a promised protection is missing?)", rc);
	CHECK(json_object_get_int(obj(root, "missing_protections")) == 0, "missing_protections = %d",
	      json_object_get_int(obj(root, "missing_protections")));
	odfs = str(root, "odirect_fs");

	/* The mlock fallback: always available, keeps its two promises. */
	REQUIRE(json_object_get_boolean(obj(obj(obj(root, "backings"), "mlock"), "available")),
		"the mlock backing is unavailable: %s", str(obj(obj(root, "backings"), "mlock"), "reason"));
	expect(root, "read_into", "mlock", "works");
	expect(root, "write_from", "mlock", "works");
	expect(root, "fork_inherits", "mlock", "blocked");
	if (!in_vm && eq(result(root, "core_dump", "mlock"), "not_tested"))
		live_note("core dump not tested on this host: %s",
			  str(cell(root, "core_dump", "mlock"), "detail"));
	else
		expect(root, "core_dump", "mlock", "blocked");
	for (size_t i = 0; i < sizeof(gup) / sizeof(gup[0]); i++) {
		json_object *c = cell(root, gup[i], "mlock");

		/* Ordinary memory: root reads it, and that is no failure. */
		if (root_user)
			expect(root, gup[i], "mlock", "readable");
		CHECK(c && !json_object_get_boolean(obj(c, "missing")), "mlock/%s counted as missing", gup[i]);
	}

	sm = obj(obj(root, "backings"), "secretmem");
	if (secretmem) {
		REQUIRE(json_object_get_boolean(obj(sm, "available")), "memfd_secret works but the heap: %s",
			str(sm, "reason"));
		expect(root, "read_into", "secretmem", "works");
		expect(root, "write_from", "secretmem", "works");
		for (size_t i = 0; i < sizeof(gup) / sizeof(gup[0]); i++)
			expect(root, gup[i], "secretmem", "blocked");
		for (size_t i = 0; i < sizeof(odirect) / sizeof(odirect[0]); i++) {
			const char *r = result(root, odirect[i], "secretmem");

			if (!odfs || !odfs[0] || eq(odfs, "tmpfs")) {
				/* No filesystem doing real direct I/O here (the
				 * guests have tmpfs only): not provable. */
				CHECK(eq(r, "blocked") || eq(r, "not_testable") || eq(r, "not_applicable"),
				      "secretmem/%s: %s", odirect[i], r ? r : "(missing)");
				live_note("%s: %s", odirect[i], str(cell(root, odirect[i], "secretmem"), "detail"));
			} else {
				expect(root, odirect[i], "secretmem", "blocked");
			}
		}
		expect(root, "fork_inherits", "secretmem", "blocked");
		if (in_vm || !eq(result(root, "core_dump", "secretmem"), "not_tested"))
			expect(root, "core_dump", "secretmem", "blocked");
	} else {
		const char *reason = str(sm, "reason");

		CHECK(!json_object_get_boolean(obj(sm, "available")), "memfd_secret unavailable, heap created?");
		CHECK(reason && reason[0], "the secretmem column does not say why it is unavailable");
		expect(root, "process_vm_readv", "secretmem", "unavailable");
		expect(root, "core_dump", "secretmem", "unavailable");
		live_note("secretmem: %s", reason ? reason : "");
	}
	json_object_put(root);

	/* The text table exits the same way. */
	{
		char *targs[] = { (char *)memward, "secret", "check", NULL };
		char *out;
		int trc = run(targs, &out);

		CHECK(trc == rc, "text mode exits %d, JSON mode %d", trc, rc);
		CHECK(strstr(out, "process_vm_readv") != NULL, "no table in the text output");
		free(out);
	}
	/* The detector itself: with MW_SECRET_SHARE_WITH_CHILDREN a forked child
	 * does read the secret, and the command must say so and exit 1. */
	{
		char *sargs[] = { (char *)memward, "secret", "check", "--json", "--share-with-children", NULL };
		json_object *c;

		root = check_json(sargs, &rc);
		CHECK(rc == 1, "--share-with-children: exit %d, want 1", rc);
		expect(root, "fork_inherits", "mlock", "readable");
		c = cell(root, "fork_inherits", "mlock");
		CHECK(c && json_object_get_boolean(obj(c, "missing")), "mlock/fork_inherits not marked missing");
		if (secretmem)
			expect(root, "fork_inherits", "secretmem", "readable");
		CHECK(json_object_get_int(obj(root, "missing_protections")) == (secretmem ? 2 : 1),
		      "missing_protections = %d", json_object_get_int(obj(root, "missing_protections")));
		json_object_put(root);
	}
	if (in_vm && root_user)
		vm_core_pattern_path();
	return live_done();
}
