/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `memward status --json` tells the truth, on any kernel: every feature it
 * reports is checked against what this test establishes itself (it tries
 * memfd_create with each flag, memfd_secret in a child, the seals, seccomp,
 * pidfd_getfd, loads a BPF LSM program, and reads the sysctl and sysfs files).
 * A feature in the JSON that this test does not check fails it, so a new
 * probe comes with its check. Run as root, everything is checked again as
 * nobody (uid 65534, no capabilities), as users run it, and once more as
 * nobody with RLIMIT_MEMLOCK below one page, where touching a secretmem page
 * raises SIGBUS on Debian's 6.1 and 6.12: status must survive and say so.
 *
 * A guest profile of the kernel matrix (the file named by $MW_EXPECT, a
 * tests/expect/NAME.expect) also pins what that kernel must show:
 *
 *   kernel PREFIX              uname -r must start with PREFIX, else fail
 *   expect PATH JSON           the value at PATH (dot-separated) equals JSON
 *   contains PATH JSON         the array at PATH contains JSON
 *   nonempty PATH              the string at PATH is not empty
 *
 * usage: live-status-expect MEMWARD
 */
#include "live.h"
#include "kernel.h"

#include <grp.h>
#include <json-c/json.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#ifdef MW_HAVE_LIBBPF
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#endif

static json_object *lookup(json_object *root, const char *path)
{
	char copy[256], *save, *tok;
	json_object *o = root;

	snprintf(copy, sizeof(copy), "%s", path);
	for (tok = strtok_r(copy, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, tok, &o))
			return (json_object *)-1;
	return o;
}

static const char *plain(json_object *o)
{
	return o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : "null";
}

static json_object *run_status(const char *memward)
{
	static char out[1 << 16];
	char *argv[] = { (char *)memward, "status", "--json", NULL };
	json_object *root;
	int rc = live_capture(argv, false, NULL, out, sizeof(out));

	REQUIRE(rc == 0, "memward status --json: %s %d\n%s", rc > 128 ? "killed by signal" : "exit",
		rc > 128 ? rc - 128 : rc, out);
	root = json_tokener_parse(out);
	REQUIRE(root && json_object_is_type(root, json_type_object), "status --json is not a JSON object");
	return root;
}

/* ---- the test's own answers, compared with the JSON ---------------------- */

static json_object *features;
static const char *checked[32];
static int nchecked;

/* A feature's JSON object; remembers that the test checked it. */
static json_object *feat(const char *key)
{
	json_object *o = NULL;

	if (nchecked < (int)(sizeof(checked) / sizeof(checked[0])))
		checked[nchecked++] = key;
	CHECK(json_object_object_get_ex(features, key, &o) && o, "feature %s missing from the JSON", key);
	return o;
}

static const char *str(json_object *o, const char *field)
{
	json_object *v;

	return o && json_object_object_get_ex(o, field, &v) && v ? json_object_get_string(v) : "(none)";
}

/* The JSON value of a field, as plain text ("null" for null or absent). */
static const char *field(json_object *o, const char *name)
{
	json_object *v = NULL;

	return o && json_object_object_get_ex(o, name, &v) ? plain(v) : "(absent)";
}

/* state and, when cause is not NULL, cause must be what the test found. */
static void want(const char *key, const char *state, const char *cause, int err)
{
	json_object *o = feat(key);

	CHECK(!strcmp(str(o, "state"), state) && (!cause || !strcmp(str(o, "cause"), cause)),
	      "%s: status says %s/%s (%s); the test's own try gave %s, so %s%s%s", key, str(o, "state"),
	      str(o, "cause"), str(o, "reason"), err == LK_SIGBUS ? "SIGBUS" : err ? strerror(err) : "success",
	      state, cause ? "/" : "", cause ? cause : "");
}

/* A field must read exactly `text` (JSON, plain). */
static void want_field(const char *key, const char *name, const char *text)
{
	json_object *o = NULL;

	json_object_object_get_ex(features, key, &o);
	CHECK(!strcmp(field(o, name), text), "%s.%s = %s, the test found %s", key, name, field(o, name), text);
}

static void check_memfd(void)
{
	int e;

	e = lk_memfd_create(0);
	want("memfd_create", e ? "missing" : "supported", e == ENOSYS ? "not_built" : e ? NULL : "none", e);
	e = lk_memfd_create(MFD_NOEXEC_SEAL);
	want("mfd_noexec_seal", e ? "missing" : "supported", e == EINVAL ? "not_built" : e ? NULL : "none", e);
	e = lk_memfd_create(MFD_EXEC);
	want("mfd_exec", e ? "missing" : "supported",
	     e == EINVAL ? "not_built" : e == EACCES ? "disabled" : e ? NULL : "none", e);
	e = lk_seal(F_SEAL_EXEC);
	want("seal_exec", e ? "missing" : "supported", e == EINVAL ? "not_built" : e ? NULL : "none", e);
	e = lk_seal(F_SEAL_FUTURE_WRITE);
	want("seal_future_write", e ? "missing" : "supported", e == EINVAL ? "not_built" : e ? NULL : "none", e);
}

static void check_secret(void)
{
	char boot[8] = "";
	int has_param = lk_read_line("/sys/module/secretmem/parameters/enable", boot, sizeof(boot)) == 0;
	int e = lk_memfd_secret();

	want("memfd_secret", e ? "missing" : "supported",
	     e == ENOSYS ? (has_param && boot[0] == 'N' ? "disabled" : "not_built") : e ? NULL : "none", e);
	want_field("memfd_secret", "boot_enabled", !has_param ? "null" : boot[0] == 'Y' ? "true" : "false");
}

static void check_sysctl(void)
{
	char level[24];
	long v = 0;
	int e = lk_read_long("/proc/sys/vm/memfd_noexec", &v);

	want("memfd_noexec_sysctl", e ? "missing" : "supported", e == ENOENT ? "not_built" : e ? NULL : "none", e);
	snprintf(level, sizeof(level), "%ld", v);
	want_field("memfd_noexec_sysctl", "level", e ? "null" : level);
}

static void check_seccomp_pidfd(void)
{
	int e;

	e = lk_seccomp_filter();
	want("seccomp_filter", e ? "missing" : "supported", e == EINVAL ? "not_built" : e ? NULL : "none", e);
	e = lk_seccomp_listener();
	want("seccomp_user_notif", e ? "missing" : "supported", e ? NULL : "none", e);
	e = lk_seccomp_addfd();
	want("seccomp_notif_addfd", e ? "missing" : "supported", e ? NULL : "none", e);
	e = lk_pidfd_getfd();
	want("pidfd_getfd", e ? "missing" : "supported", e == ENOSYS ? "not_built" : e ? NULL : "none", e);
}

/* Try to load a BPF_PROG_TYPE_LSM program (mmap_file hook): 0 or errno. */
static int bpf_lsm_load(void)
{
#ifdef MW_HAVE_LIBBPF
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int id, fd;

	if (!vmlinux)
		return errno ? errno : ENOENT;
	id = btf__find_by_name_kind(vmlinux, "bpf_lsm_mmap_file", BTF_KIND_FUNC);
	btf__free(vmlinux);
	if (id < 0)
		return ENOENT;
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_LSM_MAC, .attach_btf_id = (__u32)id);
	fd = bpf_prog_load(BPF_PROG_TYPE_LSM, "lk_lsm", "GPL", insns, 2, &opts);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
#else
	return EOPNOTSUPP;
#endif
}

/* The active LSM list, through a private securityfs mount when it is not
 * mounted (needs root). 0 or errno. */
static int lsm_list(char *buf, size_t size)
{
	int fds[2], rc;
	ssize_t n;
	pid_t pid;

	rc = lk_read_line("/sys/kernel/security/lsm", buf, size);
	if (rc != ENOENT || geteuid() != 0)
		return rc;
	REQUIRE(pipe2(fds, O_CLOEXEC) == 0, "pipe");
	fflush(stdout);
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL) < 0 ||
		    lk_read_line("/sys/kernel/security/lsm", buf, size) != 0)
			_exit(1);
		_exit(write(fds[1], buf, strlen(buf)) == (ssize_t)strlen(buf) ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], buf, size - 1);
	close(fds[0]);
	buf[n > 0 ? n : 0] = '\0';
	return live_wait(pid) == 0 && n > 0 ? 0 : EIO;
}

static void check_bpf_lsm(void)
{
	char list[256] = "", want_list[300] = "[", *save, *tok;
	int lerr = lsm_list(list, sizeof(list)), load = bpf_lsm_load();
	bool listed = false;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		listed |= !strcmp(tok, "bpf");
		snprintf(want_list + strlen(want_list), sizeof(want_list) - strlen(want_list), "%s\"%s\"",
			 want_list[1] ? "," : "", tok);
	}
	strcat(want_list, "]");
#ifdef MW_HAVE_LIBBPF
	want("bpf_lsm", !lerr && listed && !load ? "supported" : lerr && !load ? "unknown" : "missing", NULL,
	     load ? load : lerr);
#else
	/* built without libbpf: the library cannot try, and says so */
	want("bpf_lsm", "unknown", NULL, load);
	CHECK(strstr(str(feat("bpf_lsm"), "reason"), "libbpf"), "bpf_lsm: the reason does not say libbpf: %s",
	      str(feat("bpf_lsm"), "reason"));
#endif
	want_field("bpf_lsm", "listed", lerr ? "null" : listed ? "true" : "false");
	want_field("bpf_lsm", "lsm_list", lerr ? "null" : want_list);
	if (load != EOPNOTSUPP)
		want_field("bpf_lsm", "loadable", load ? "false" : "true");
}

/* DAMON: present or not; the operations sets are a subset of the known
 * ones, and equal to what an existing context offers when there is one. */
static void check_damon(void)
{
	struct stat st;
	int e = stat("/sys/kernel/mm/damon/admin", &st) == 0 ? 0 : errno;
	char ops[128] = "", want_ops[128] = "[";
	json_object *o = NULL, *arr = NULL;

	want("damon_sysfs", e ? "missing" : "supported", e == ENOENT ? "not_built" : e ? NULL : "none", e);
	json_object_object_get_ex(features, "damon_sysfs", &o);
	CHECK(o && json_object_object_get_ex(o, "operations", &arr) && arr && json_object_is_type(arr, json_type_array),
	      "damon_sysfs.operations is not an array: %s", field(o, "operations"));
	for (size_t i = 0; arr && json_object_is_type(arr, json_type_array) && i < json_object_array_length(arr); i++) {
		const char *op = json_object_get_string(json_object_array_get_idx(arr, i));
		CHECK(!strcmp(op, "vaddr") || !strcmp(op, "fvaddr") || !strcmp(op, "paddr"),
		      "damon_sysfs.operations has '%s'", op);
	}
	for (int k = 0; !e && k < 8; k++) {
		char path[128];

		snprintf(path, sizeof(path), "/sys/kernel/mm/damon/admin/kdamonds/%d/contexts/0/avail_operations", k);
		if (lk_read_line(path, ops, sizeof(ops)) == 0)
			break;
		ops[0] = '\0';
	}
	if (!ops[0])
		return;
	/* The CLI lists them in this order. */
	for (const char *const *n = (const char *const[]){ "vaddr", "fvaddr", "paddr", NULL }; *n; n++) {
		char padded[140];

		snprintf(padded, sizeof(padded), " %s ", ops);
		char needle[16];
		snprintf(needle, sizeof(needle), " %s ", *n);
		if (strstr(padded, needle))
			snprintf(want_ops + strlen(want_ops), sizeof(want_ops) - strlen(want_ops), "%s\"%s\"",
				 want_ops[1] ? "," : "", *n);
	}
	strcat(want_ops, "]");
	want_field("damon_sysfs", "operations", want_ops);
}

static void check_mglru(void)
{
	char num[24], ttl[24];
	long bits = 0, ms = 0;
	int e = lk_read_long("/sys/kernel/mm/lru_gen/enabled", &bits);
	int te = lk_read_long("/sys/kernel/mm/lru_gen/min_ttl_ms", &ms);

	want("mglru", e ? "missing" : (bits & 1) ? "supported" : "missing",
	     e == ENOENT ? "not_built" : e ? NULL : (bits & 1) ? "none" : "disabled", e);
	snprintf(num, sizeof(num), "%ld", bits);
	snprintf(ttl, sizeof(ttl), "%ld", ms);
	want_field("mglru", "enabled_bits", e ? "null" : num);
	want_field("mglru", "min_ttl_ms", te ? "null" : ttl);
}

/* exec_seal_acl / exec_seal_hugetlb: "missing"/"kernel_bug" where exec bits
 * can be added to an exec-sealed memfd, "supported" where they cannot. */
static void check_exec_seal(void)
{
	static const char *const keys[2] = { "exec_seal_hugetlb", "exec_seal_acl" };

	for (int acl = 0; acl <= 1; acl++) {
		int e = lk_exec_seal_bypass(acl);

		want(keys[acl], e == 0 ? "supported" : e == EPROTO || e == EINVAL || e == ENOENT ? "missing" : "unknown",
		     e == 0 ? "none" : e == EPROTO ? "kernel_bug" : e == EINVAL || e == ENOENT ? "not_built" : NULL,
		     e == EPROTO ? 0 : e);
	}
}

static void check_memlock(void)
{
	char status[4096] = "", *cap, soft[32], hard[32];
	struct rlimit rl;
	unsigned long long eff = 0;
	bool ipc_lock;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, status, sizeof(status) - 1) : -1;

	if (fd >= 0)
		close(fd);
	status[n > 0 ? n : 0] = '\0';
	cap = strstr(status, "\nCapEff:");
	REQUIRE(cap && sscanf(cap + 8, "%llx", &eff) == 1, "CapEff in /proc/self/status");
	REQUIRE(getrlimit(RLIMIT_MEMLOCK, &rl) == 0, "getrlimit");
	ipc_lock = eff & (1ULL << 14); /* CAP_IPC_LOCK */
	want("memlock", ipc_lock || rl.rlim_cur > 0 ? "supported" : "missing", NULL, 0);
	want_field("memlock", "cap_ipc_lock", ipc_lock ? "true" : "false");
	snprintf(soft, sizeof(soft), "%lld", rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long)rl.rlim_cur);
	snprintf(hard, sizeof(hard), "%lld", rl.rlim_max == RLIM_INFINITY ? -1LL : (long long)rl.rlim_max);
	want_field("memlock", "rlimit_soft_bytes", soft);
	want_field("memlock", "rlimit_hard_bytes", hard);
}

/* Every probe of the JSON against the test's own findings. */
static void verify(json_object *root, const char *who)
{
	REQUIRE(json_object_object_get_ex(root, "features", &features), "no features key");
	nchecked = 0;
	check_memfd();
	check_secret();
	check_sysctl();
	check_seccomp_pidfd();
	check_bpf_lsm();
	check_damon();
	check_mglru();
	check_memlock();
	check_exec_seal();
	json_object_object_foreach(features, key, val) {
		bool known = false;

		for (int i = 0; i < nchecked; i++)
			known |= !strcmp(checked[i], key);
		CHECK(known, "feature %s is reported but this test does not check it: add its check", key);
		CHECK(strcmp(str(val, "reason"), "(none)") && str(val, "reason")[0], "%s: no reason", key);
	}
	live_note("%s: %d features checked against the test's own tries", who, nchecked);
}

/* The same as nobody, in a child: uid/gid 65534, no capabilities, and
 * RLIMIT_MEMLOCK set to memlock bytes unless it is RLIM_INFINITY. */
static int verify_as_nobody(const char *memward, rlim_t memlock)
{
	char copy[4096];
	pid_t pid;

	live_public_copy(memward, copy, sizeof(copy));
	fflush(stdout);
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		json_object *root;

		struct rlimit rl = { memlock, memlock };

		REQUIRE(memlock == RLIM_INFINITY || setrlimit(RLIMIT_MEMLOCK, &rl) == 0, "RLIMIT_MEMLOCK: %s",
			strerror(errno));
		REQUIRE(setgroups(0, NULL) == 0 && setgid(65534) == 0 && setuid(65534) == 0,
			"drop to nobody: %s", strerror(errno));
		root = run_status(copy);
		verify(root, memlock == RLIM_INFINITY ? "as nobody" : "as nobody, RLIMIT_MEMLOCK below a page");
		json_object_put(root);
		exit(live_done());
	}
	int rc = live_wait(pid);
	live_public_copy_remove(copy);
	return rc;
}

/* ---- a guest profile's pinned expectations ------------------------------ */

static void check_profile(json_object *root, const char *expect)
{
	struct utsname un;
	char line[512];
	FILE *f = fopen(expect, "re");
	int checks = 0;

	REQUIRE(f, "cannot open %s: %s", expect, strerror(errno));
	uname(&un);
	while (fgets(line, sizeof(line), f)) {
		char op[16], path[128], value[256] = "";
		json_object *got, *want_v;
		int n;

		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		n = sscanf(line, "%15s %127s %255[^\n]", op, path, value);
		REQUIRE(n >= 2, "bad line in %s: %s", expect, line);
		if (!strcmp(op, "kernel")) {
			/* The matrix boots the profile's kernel: another one is a failure. */
			REQUIRE(!strncmp(un.release, path, strlen(path)), "%s is for kernels %s*, this is %s", expect,
				path, un.release);
			continue;
		}
		got = lookup(root, path);
		if (got == (json_object *)-1) {
			CHECK(0, "%s: no such key", path);
			continue;
		}
		checks++;
		if (!strcmp(op, "expect")) {
			char w[256];

			want_v = json_tokener_parse(value);
			snprintf(w, sizeof(w), "%s", plain(want_v));
			CHECK(!strcmp(w, plain(got)), "%s = %s, expected %s", path, plain(got), w);
			json_object_put(want_v);
		} else if (!strcmp(op, "contains")) {
			bool found = false;

			want_v = json_tokener_parse(value);
			if (got && json_object_is_type(got, json_type_array))
				for (size_t i = 0; i < json_object_array_length(got); i++)
					found |= !strcmp(plain(json_object_array_get_idx(got, i)), plain(want_v));
			CHECK(found, "%s = %s does not contain %s", path, plain(got), value);
			json_object_put(want_v);
		} else if (!strcmp(op, "nonempty")) {
			CHECK(got && json_object_get_string_len(got) > 0, "%s is empty", path);
		} else {
			REQUIRE(0, "unknown op %s in %s", op, expect);
		}
	}
	fclose(f);
	REQUIRE(checks > 0, "%s pins nothing", expect);
	live_note("%d expectations from %s checked on %s", checks, expect, un.release);
}

int main(int argc, char **argv)
{
	const char *expect = getenv("MW_EXPECT");
	json_object *root;

	REQUIRE(argc == 2, "usage: live-status-expect MEMWARD");
	root = run_status(argv[1]);
	verify(root, geteuid() == 0 ? "as root" : "as this user");
	if (geteuid() == 0) {
		CHECK(verify_as_nobody(argv[1], RLIM_INFINITY) == 0, "the checks as nobody failed (above)");
		CHECK(verify_as_nobody(argv[1], 1024) == 0,
		      "the checks as nobody with RLIMIT_MEMLOCK 1 KiB failed (above)");
	}
	if (expect)
		check_profile(root, expect);
	else
		live_note("no profile (MW_EXPECT unset): the probes were checked against the test's own tries only");
	json_object_put(root);
	return live_done();
}
