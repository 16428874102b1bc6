/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward memfd inspect against a forked child holding: an unsealed MFD_EXEC
 * memfd, a frozen non-executable memfd, a memfd mapped rw and one mapped
 * r-x, a memfd that is mapped but whose fd is closed, and (where the kernel
 * offers it) a secretmem fd. The --json report must show each one's seals,
 * exec verdict and mappings; PID:FD shows one fd; a nonexistent pid, an fd
 * that is not a memfd and an unreadable pid (inspecting pid 1 as nobody)
 * give their clear errors and exit codes.
 *
 * usage: live-memfd-inspect MEMWARD
 */
#include "exec_run.h"
#include "acl_exec.h"
#include "kernel.h"

#include <grp.h>
#include <json-c/json.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <memward/memward.h>

#include "sys/shim.h"

static const char *memward;
static bool has_exec_flags, has_secret;
static int acl_path; /* live_acl_adds_exec() */

struct held {
	int exec_unsealed, frozen, map_rw, map_rx, secret;
};

/* The holder: create everything, report the fds, wait for EOF on stdin. */
static void holder(int report, int hold)
{
	struct held h = { -1, -1, -1, -1, -1 };
	unsigned int xflag = has_exec_flags ? MFD_EXEC : 0;
	int only;
	void *p;

	h.exec_unsealed = mw_sys_memfd_create("mw-exec-unsealed", MFD_CLOEXEC | MFD_ALLOW_SEALING | xflag);
	REQUIRE(h.exec_unsealed >= 0 && ftruncate(h.exec_unsealed, 4096) == 0, "exec-unsealed");

	h.frozen = mw_sys_memfd_create("mw-frozen", MFD_CLOEXEC | MFD_ALLOW_SEALING |
						   (has_exec_flags ? MFD_NOEXEC_SEAL : 0));
	REQUIRE(h.frozen >= 0 && write(h.frozen, "frozen", 6) == 6, "frozen");
	if (!has_exec_flags)
		REQUIRE(fchmod(h.frozen, 0666) == 0, "fchmod frozen");
	REQUIRE(fcntl(h.frozen, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0,
		"seal frozen: %s", strerror(errno));

	h.map_rw = mw_sys_memfd_create("mw-map-rw", MFD_CLOEXEC);
	REQUIRE(h.map_rw >= 0 && ftruncate(h.map_rw, 8192) == 0, "map-rw");
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, h.map_rw, 0);
	REQUIRE(p != MAP_FAILED, "mmap rw: %s", strerror(errno));

	h.map_rx = mw_sys_memfd_create("mw-map-rx", MFD_CLOEXEC | xflag);
	REQUIRE(h.map_rx >= 0 && ftruncate(h.map_rx, 4096) == 0, "map-rx");
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, h.map_rx, 0);
	REQUIRE(p != MAP_FAILED, "mmap r-x: %s", strerror(errno));

	only = mw_sys_memfd_create("mw-mapped-only", MFD_CLOEXEC);
	REQUIRE(only >= 0 && ftruncate(only, 4096) == 0, "mapped-only");
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, only, 0);
	REQUIRE(p != MAP_FAILED, "mmap mapped-only");
	close(only);

	if (has_secret) {
		h.secret = mw_sys_memfd_secret(O_CLOEXEC);
		REQUIRE(h.secret >= 0 && ftruncate(h.secret, 4096) == 0, "memfd_secret: %s", strerror(errno));
	}
	REQUIRE(write(report, &h, sizeof(h)) == sizeof(h), "report");
	close(report);
	while (read(hold, &only, 1) > 0)
		;
	_exit(0);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v ? json_object_get_string(v) : "(null)";
}

static bool boolean(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v && json_object_get_boolean(v);
}

static json_object *find(json_object *memfds, const char *name, const char *kind)
{
	for (size_t i = 0; i < json_object_array_length(memfds); i++) {
		json_object *e = json_object_array_get_idx(memfds, i);

		if (!strcmp(str(e, "name"), name) && !strcmp(str(e, "kind"), kind))
			return e;
	}
	return NULL;
}

static bool has_seal(json_object *e, const char *seal)
{
	json_object *s = get(e, "seals");

	for (size_t i = 0; s && i < json_object_array_length(s); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(s, i)), seal))
			return true;
	return false;
}

static int fd_of(json_object *e)
{
	json_object *v = get(e, "fd");

	return v ? json_object_get_int(v) : -1;
}

static void check_report(json_object *root, const struct held *h)
{
	json_object *memfds = get(root, "memfds"), *e, *ex;

	REQUIRE(memfds && json_object_is_type(memfds, json_type_array), "no memfds array");

	e = find(memfds, "mw-exec-unsealed", "memfd");
	CHECK(e, "mw-exec-unsealed listed");
	if (e) {
		ex = get(e, "exec");
		CHECK(fd_of(e) == h->exec_unsealed, "fd %d vs %d", fd_of(e), h->exec_unsealed);
		CHECK(json_object_array_length(get(e, "seals")) == 0, "unsealed: %s", str(e, "seals"));
		CHECK(!strcmp(str(e, "mode"), "0777"), "mode %s", str(e, "mode"));
		CHECK(boolean(ex, "possible") && boolean(ex, "bits") && !boolean(ex, "sealed"),
		      "exec-unsealed exec: %s", json_object_to_json_string(ex));
		CHECK(strstr(str(ex, "why"), has_exec_flags ? "not exec-sealed" : "exec seal unsupported"),
		      "why: %s", str(ex, "why"));
		CHECK(!boolean(e, "mapped") && !boolean(e, "write_sealed"), "exec-unsealed mapping/write");
		CHECK(!strcmp(str(e, "fd_access"), "rw"), "fd_access %s", str(e, "fd_access"));
	}

	e = find(memfds, "mw-frozen", "memfd");
	CHECK(e, "mw-frozen listed");
	if (e) {
		ex = get(e, "exec");
		CHECK(has_seal(e, "write") && has_seal(e, "shrink") && has_seal(e, "grow") && has_seal(e, "seal"),
		      "frozen seals: %s", str(e, "seals"));
		CHECK(has_seal(e, "exec") == has_exec_flags, "exec seal %d", has_seal(e, "exec"));
		CHECK(!strcmp(str(e, "mode"), "0666"), "frozen mode %s", str(e, "mode"));
		CHECK(boolean(e, "write_sealed") && !boolean(ex, "bits"), "frozen write_sealed / bits");
		/* frozen: "no" only where no POSIX ACL can add exec bits around
		 * F_SEAL_EXEC (the test tries that path itself) */
		if (has_exec_flags && acl_path == 0)
			CHECK(!boolean(ex, "possible") && boolean(ex, "sealed") && strstr(str(ex, "why"), "no:"),
			      "frozen exec: %s", json_object_to_json_string(ex));
		else if (has_exec_flags && acl_path == 1)
			CHECK(boolean(ex, "possible") && boolean(ex, "sealed") && strstr(str(ex, "why"), "ACL"),
			      "frozen exec where an ACL adds exec bits: %s", json_object_to_json_string(ex));
		else
			CHECK(boolean(ex, "possible") && strstr(str(ex, "why"), "exec seal unsupported"),
			      "frozen exec on an old kernel: %s", json_object_to_json_string(ex));
		CHECK(json_object_get_int64(get(e, "size")) == 6, "frozen size");
	}

	e = find(memfds, "mw-map-rw", "memfd");
	CHECK(e && boolean(e, "mapped") && boolean(e, "map_write") && !boolean(e, "map_exec") &&
	      !strcmp(str(e, "map_perms"), "rw-s") && fd_of(e) == h->map_rw,
	      "map-rw: %s", e ? json_object_to_json_string(e) : "missing");
	/* Created without MFD_ALLOW_SEALING: the kernel reports F_SEAL_SEAL. */
	if (e)
		CHECK(json_object_array_length(get(e, "mappings")) == 1 && has_seal(e, "seal") &&
		      json_object_array_length(get(e, "seals")) == 1, "map-rw mappings/seals");

	e = find(memfds, "mw-map-rx", "memfd");
	CHECK(e && boolean(e, "mapped") && !boolean(e, "map_write") && boolean(e, "map_exec") &&
	      !strcmp(str(e, "map_perms"), "r-xs") && fd_of(e) == h->map_rx,
	      "map-rx: %s", e ? json_object_to_json_string(e) : "missing");

	e = find(memfds, "mw-mapped-only", "memfd");
	CHECK(e && fd_of(e) == -1 && boolean(e, "mapped") && !strcmp(str(e, "map_perms"), "r--s"),
	      "mapped-only: %s", e ? json_object_to_json_string(e) : "missing");

	if (has_secret) {
		e = find(memfds, "", "secretmem");
		CHECK(e && fd_of(e) == h->secret && !get(e, "seals"),
		      "secretmem: %s", e ? json_object_to_json_string(e) : "missing");
	}
	CHECK(boolean(root, "exec_seal_supported") == has_exec_flags, "exec_seal_supported");
}

static json_object *inspect_json(const char *target, int *rc, char *err, size_t esize)
{
	static char out[1 << 17];
	char *a[] = { (char *)memward, "memfd", "inspect", (char *)target, "--json", NULL };

	*rc = run_capture(a, NULL, out, sizeof(out), err, esize);
	return *rc == 0 ? json_tokener_parse(out) : NULL;
}

static void drop_to_nobody(void)
{
	if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
		_exit(98);
}

static void check_unreadable(void)
{
	char out[4096], err[4096];
	int rc;

	if (geteuid() != 0) {
		char *a[] = { (char *)memward, "memfd", "inspect", "1", NULL };

		rc = run_capture(a, NULL, out, sizeof(out), err, sizeof(err));
		CHECK(rc == 2 && strstr(err, "cannot read /proc/1/fd: permission denied (run as root or as the process's user)"),
		      "unreadable pid 1: %d '%s'", rc, err);
		return;
	}
	/* A child drops to nobody and inspects pid 1 (root's), with a copy of
	 * memward nobody can execute even when the build tree is private. */
	{
		char copy[4096];
		char *a[] = { copy, "memfd", "inspect", "1", NULL };

		live_public_copy(memward, copy, sizeof(copy));
		rc = live_capture(a, true, drop_to_nobody, out, sizeof(out));
		live_public_copy_remove(copy);
	}
	CHECK(rc == 2 && strstr(out, "cannot read /proc/1/fd: permission denied (run as root or as the process's user)"),
	      "unreadable pid 1 as nobody: %d '%s'", rc, out);
}

int main(int argc, char **argv)
{
	char target[64], err[4096], out[16384];
	struct mw_inspect_report rep = { .sz = sizeof(rep) };
	int report[2], hold[2], rc, before;
	json_object *root;
	struct held h;
	pid_t pid;

	REQUIRE(argc == 2, "usage: live-memfd-inspect MEMWARD");
	memward = argv[1];
	lk_need("memfd_create", lk_memfd_create(0), "memfd_create");
	has_exec_flags = lk_seal(F_SEAL_EXEC) == 0;
	acl_path = has_exec_flags ? live_acl_adds_exec() : -1;
	if (has_exec_flags && lk_memfd_create(MFD_EXEC) == EACCES)
		live_skip("memfd_create(MFD_EXEC): EACCES (vm.memfd_noexec=2 here; tried by the test)");
	has_secret = lk_memfd_secret() == 0;
	if (!has_secret)
		live_note("memfd_secret unavailable: secretmem listing not checked");

	REQUIRE(pipe2(report, O_CLOEXEC) == 0 && pipe2(hold, O_CLOEXEC) == 0, "pipe");
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		close(report[0]);
		close(hold[1]);
		holder(report[1], hold[0]);
	}
	close(report[1]);
	close(hold[0]);
	REQUIRE(read(report[0], &h, sizeof(h)) == sizeof(h), "holder did not report");
	close(report[0]);

	snprintf(target, sizeof(target), "%d", (int)pid);
	root = inspect_json(target, &rc, err, sizeof(err));
	CHECK(rc == 0 && root, "inspect --json: %d '%s'", rc, err);
	if (root) {
		CHECK(json_object_get_int(get(root, "pid")) == pid, "pid");
		check_report(root, &h);
		json_object_put(root);
	}

	/* One fd. */
	snprintf(target, sizeof(target), "%d:%d", (int)pid, h.map_rx);
	root = inspect_json(target, &rc, err, sizeof(err));
	CHECK(rc == 0 && root && json_object_array_length(get(root, "memfds")) == 1,
	      "PID:FD: %d '%s'", rc, err);
	if (root) {
		json_object *e = json_object_array_get_idx(get(root, "memfds"), 0);

		CHECK(fd_of(e) == h.map_rx && !strcmp(str(e, "name"), "mw-map-rx") && boolean(e, "map_exec"),
		      "PID:FD entry: %s", json_object_to_json_string(e));
		json_object_put(root);
	}

	/* The readable table. */
	{
		char *a[] = { (char *)memward, "memfd", "inspect", target, NULL };

		snprintf(target, sizeof(target), "%d", (int)pid);
		rc = run_capture(a, NULL, out, sizeof(out), err, sizeof(err));
		CHECK(rc == 0 && strstr(out, "mw-map-rx") && strstr(out, "r-xs") && strstr(out, "mw-frozen") &&
		      strstr(out, "SEALS"), "table: %d '%s'", rc, out);
		printf("%s", out);
	}

	/* The library directly, without fd leaks. */
	before = live_count_fds();
	CHECK(mw_inspect_pid(pid, -1, &rep) == 0 && rep.count >= 5, "library: %zu entries", rep.count);
	mw_inspect_report_free(&rep);
	rc = mw_inspect_pid(pid, 0, &rep);
	CHECK(rc == -EMEDIUMTYPE || rc == -EBADF, "fd 0 is not a memfd: %d", rc);
	CHECK(mw_inspect_pid(-5, -1, &rep) == -EINVAL, "bad pid");
	CHECK(live_count_fds() == before, "fd leak: %d -> %d", before, live_count_fds());

	/* Errors. */
	{
		int nfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		char *a[] = { (char *)memward, "memfd", "inspect", target, NULL };

		snprintf(target, sizeof(target), "%d:%d", (int)getpid(), nfd);
		rc = run_capture(a, NULL, out, sizeof(out), err, sizeof(err));
		CHECK(rc == 1 && strstr(err, "is not a memfd") && strstr(err, "/dev/null"),
		      "not a memfd: %d '%s'", rc, err);
		close(nfd);
		snprintf(target, sizeof(target), "%d:%d", (int)pid, 999);
		rc = run_capture(a, NULL, out, sizeof(out), err, sizeof(err));
		CHECK(rc == 1 && strstr(err, "has no fd 999"), "no such fd: %d '%s'", rc, err);
		snprintf(target, sizeof(target), "4194304"); /* above PID_MAX_LIMIT - 1 */
		rc = run_capture(a, NULL, out, sizeof(out), err, sizeof(err));
		CHECK(rc == 1 && strstr(err, "no such process: 4194304"), "no such pid: %d '%s'", rc, err);
		snprintf(target, sizeof(target), "12x");
		rc = run_capture(a, NULL, out, sizeof(out), err, sizeof(err));
		CHECK(rc == 64 && strstr(err, "not PID or PID:FD"), "bad target: %d '%s'", rc, err);
	}
	check_unreadable();

	close(hold[1]);
	CHECK(live_wait(pid) == 0, "holder exit");
	return live_done();
}
