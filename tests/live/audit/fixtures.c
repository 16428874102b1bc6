/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward audit against real fixtures: forked children that do what the
 * audit must find, each found with the kind and severity it deserves, and a
 * clean child with nothing above info. Then the CLI on the same fixtures:
 * exit codes, and names holding a newline and a byte that is not UTF-8
 * escaped in the table, JSON (parsed with json-c, UTF-8 validated), JSON
 * lines and Prometheus output.
 *
 * usage: live-audit-fixtures MEMWARD
 *        live-audit-fixtures --sleep FD   (what the fileless fixtures exec)
 */
#include "live.h"
#include "kernel.h"
#include "sys/shim.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>

#include <memward/memward.h>

#define WEIRD_NAME "mw-exec\nholder\xff"

static const char *memward;
static int ready[2];
static unsigned int exec_flag, noexec_flag;
static bool have_seal_exec;
static pid_t kids[16];
static int nkids;

static void kill_kids(void)
{
	for (int i = 0; i < nkids; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGKILL);
	for (int i = 0; i < nkids; i++)
		if (kids[i] > 0)
			waitpid(kids[i], NULL, 0);
	nkids = 0;
}

static void child_ready(void)
{
	(void)!write(ready[1], "r", 1);
}

static void wait_ready(const char *what)
{
	struct pollfd p = { .fd = ready[0], .events = POLLIN };
	char c;

	REQUIRE(poll(&p, 1, 10000) == 1 && read(ready[0], &c, 1) == 1, "fixture %s did not get ready", what);
	REQUIRE(c == 'r', "fixture %s failed to set up (%c)", what, c);
}

/* Fork a fixture; fn sets it up in the child, which then reports ready and
 * sleeps until killed (fn may also exec, reporting ready itself). */
static pid_t fixture(const char *what, void (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fn(arg);
		child_ready();
		for (;;)
			pause();
	}
	kids[nkids++] = pid;
	wait_ready(what);
	return pid;
}

static void fail_child(void)
{
	(void)!write(ready[1], "F", 1);
	_exit(1);
}

/* A memfd holding a copy of this program, optionally sealed, then exec'd
 * with --sleep so that it only waits. */
static void exec_from_memfd(void *arg)
{
	bool sealed = arg != NULL;
	int fd = mw_sys_memfd_create(sealed ? "mw-runc" : "mw-fileless",
				     MFD_CLOEXEC | MFD_ALLOW_SEALING | exec_flag);
	int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	struct stat st;
	char fdarg[16];
	char *argv[] = { "live-audit-fixtures", "--sleep", fdarg, NULL };
	char *envp[] = { NULL };

	if (fd < 0 || self < 0 || fstat(self, &st) < 0)
		fail_child();
	for (off_t off = 0; off < st.st_size;)
		if (sendfile(fd, self, &off, (size_t)(st.st_size - off)) <= 0)
			fail_child();
	if (sealed) {
		int seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

		if (have_seal_exec)
			seals |= F_SEAL_EXEC;
		if (fcntl(fd, F_ADD_SEALS, seals) < 0)
			fail_child();
	}
	snprintf(fdarg, sizeof(fdarg), "%d", ready[1]);
	mw_sys_execveat(fd, "", argv, envp, AT_EMPTY_PATH);
	fail_child();
}

static void hold_exec_memfd(void *arg)
{
	int fd = mw_sys_memfd_create((const char *)arg, MFD_CLOEXEC | MFD_ALLOW_SEALING | exec_flag);

	if (fd < 0 || write(fd, "\xc3", 1) != 1)
		fail_child();
}

static void map_exec_memfd(void *arg)
{
	int fd = mw_sys_memfd_create("mw-xmap", MFD_CLOEXEC | exec_flag);

	(void)arg;
	if (fd < 0 || ftruncate(fd, 4096) < 0 ||
	    mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0) == MAP_FAILED)
		fail_child();
	close(fd);
}

/* More records than one read of the BPF iterator holds (its 8 pages): 400
 * memfds held, and one of them mapped executable 400 times (each mapping
 * its own: the same file offset at each address, so none merge). */
#define MANY 400
static void many_memfds(void *arg)
{
	int first = -1;

	(void)arg;
	for (int i = 0; i < MANY; i++) {
		int fd = mw_sys_memfd_create("mw-many", MFD_CLOEXEC | exec_flag);

		if (fd < 0)
			fail_child();
		if (first < 0) {
			first = fd;
			if (ftruncate(fd, 4096) < 0)
				fail_child();
		}
	}
	for (int i = 0; i < MANY; i++)
		if (mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, first, 0) == MAP_FAILED)
			fail_child();
}

static int shared_fd = -1;

static void shared_writer(void *arg)
{
	(void)arg; /* keeps shared_fd, open read-write */
}

static void shared_reader(void *arg)
{
	(void)arg;
	if (mmap(NULL, 4096, PROT_READ, MAP_SHARED, shared_fd, 0) == MAP_FAILED)
		fail_child();
	close(shared_fd);
}

static void secret_user(void *arg)
{
	int fd = mw_sys_memfd_secret(0);
	char *p;

	(void)arg;
	if (fd < 0 || ftruncate(fd, 8192) < 0)
		fail_child();
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		fail_child();
	p[0] = 1;
	p[4096] = 1;
}

static void nothing(void *arg)
{
	(void)arg;
}

/* set while comparing with a scan made with MW_AUDIT_F_NO_CMDLINE */
static bool ignore_cmdline;

/* Everything the finding says, the same in both. */
static bool same_finding(const struct mw_audit_finding *a, const struct mw_audit_finding *b)
{
	return a->pid == b->pid && a->kind == b->kind && a->severity == b->severity &&
	       a->fd == b->fd && a->dev == b->dev && a->ino == b->ino && a->mode == b->mode &&
	       a->seals == b->seals && a->size == b->size && a->peer_pid == b->peer_pid &&
	       a->uid == b->uid && a->pidns == b->pidns && !strcmp(a->object, b->object) &&
	       !strcmp(a->reason, b->reason) && !strcmp(a->comm, b->comm) &&
	       !strcmp(a->exe, b->exe) && (ignore_cmdline || !strcmp(a->cmdline, b->cmdline)) &&
	       !strcmp(a->cgroup, b->cgroup);
}

/* Every finding of a about the n pids has its twin in b, and the other way
 * round (namespace findings excepted: their pid is whichever process was
 * seen first). */
static bool same_findings(const struct mw_audit_report *a, const struct mw_audit_report *b,
			  const pid_t *pids, int n, const char *what)
{
	bool ok = true;

	for (int k = 0; k < 2; k++) {
		const struct mw_audit_report *x = k ? b : a, *y = k ? a : b;

		for (size_t i = 0; i < x->nfindings; i++) {
			const struct mw_audit_finding *f = x->findings[i];
			bool ours = false, twin = false;

			for (int j = 0; j < n && !ours; j++)
				ours = f->pid == pids[j];
			if (!ours || f->kind == MW_AUDIT_NOEXEC_POLICY)
				continue;
			for (size_t m = 0; m < y->nfindings && !twin; m++)
				twin = same_finding(f, y->findings[m]);
			if (!twin) {
				fprintf(stderr, "%s: %s finding of pid %d (%s, fd %d, '%s': %s) has no twin\n",
					what, k ? "the second" : "the first", (int)f->pid,
					mw_audit_kind_key(f->kind), f->fd, f->object, f->reason);
				ok = false;
			}
		}
	}
	return ok;
}

/* Should a full scan here list fd tables and maps with BPF? */
static bool bpf_expected(void)
{
	char ns[64];
	ssize_t n = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);

	if (!MW_HAVE_AUDIT_BPF || geteuid() != 0 || access("/sys/kernel/btf/vmlinux", R_OK) != 0 || n < 0)
		return false;
	ns[n] = '\0';
	return !strcmp(ns, "pid:[4026531836]"); /* the initial pid namespace */
}

static int worst(const struct mw_audit_report *r, pid_t pid, int kind,
		 const struct mw_audit_finding **found)
{
	int w = -1;

	for (size_t i = 0; i < r->nfindings; i++) {
		const struct mw_audit_finding *f = r->findings[i];

		if (f->pid != pid || (kind >= 0 && (int)f->kind != kind))
			continue;
		if ((int)f->severity > w) {
			w = (int)f->severity;
			if (found)
				*found = f;
		}
	}
	return w;
}

/* Run `memward audit ARGS...`; stdout into out; the exit code. */
static int run(char *out, size_t size, char *const args[])
{
	char *argv[16];
	int n = 0;

	argv[n++] = (char *)memward;
	argv[n++] = "audit";
	for (int i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return live_capture(argv, false, NULL, out, size);
}

static json_object *parse_strict(const char *text, size_t len)
{
	json_tokener *tok = json_tokener_new();
	json_object *o;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static void check_cli(pid_t fileless, pid_t holder, pid_t clean)
{
	static char out[1 << 18];
	char pidarg[32], clean_arg[16];
	json_object *doc, *arr, *f, *v;
	bool found = false;
	int rc;

	snprintf(pidarg, sizeof(pidarg), "%d", (int)holder);
	snprintf(clean_arg, sizeof(clean_arg), "%d", (int)clean);

	/* JSON: valid (strict, UTF-8 validated), name escaped. */
	rc = run(out, sizeof(out), (char *[]){ "--pid", pidarg, "--json", NULL });
	CHECK(rc == 0, "exec memfd holder is low: below the default --fail-on high, got exit %d", rc);
	CHECK(!strchr(out, '\xff'), "raw 0xff byte in JSON output");
	doc = parse_strict(out, strlen(out));
	CHECK(doc != NULL, "JSON output does not parse as strict UTF-8 JSON:\n%s", out);
	if (doc && json_object_object_get_ex(doc, "findings", &arr)) {
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			f = json_object_array_get_idx(arr, i);
			if (json_object_object_get_ex(f, "object", &v) &&
			    !strcmp(json_object_get_string(v), "/memfd:mw-exec\nholder\\xff (deleted)"))
				found = true;
		}
		CHECK(json_object_object_get_ex(doc, "partial", &v) && !json_object_get_boolean(v),
		      "root scan of a child is not partial");
	}
	CHECK(found, "JSON does not name the memfd as \"/memfd:mw-exec\\nholder\\\\xff (deleted)\":\n%s", out);
	json_object_put(doc);

	/* --no-bpf is accepted; a --pid scan never uses the iterators. */
	rc = run(out, sizeof(out), (char *[]){ "--no-bpf", "--pid", pidarg, "--json", NULL });
	doc = parse_strict(out, strlen(out));
	CHECK(rc == 0 && doc && json_object_object_get_ex(doc, "via_bpf", &v) &&
	      json_object_is_type(v, json_type_boolean) && !json_object_get_boolean(v),
	      "--no-bpf --json: exit %d, via_bpf not false:\n%s", rc, out);
	json_object_put(doc);

	/* JSON lines: every line parses, the last is the summary. */
	rc = run(out, sizeof(out), (char *[]){ "--pid", pidarg, "--jsonl", NULL });
	{
		int lines = 0, bad = 0;
		char *save, *line;

		for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			json_object *o = parse_strict(line, strlen(line));

			lines++;
			if (!o)
				bad++;
			json_object_put(o);
		}
		CHECK(rc == 0 && lines >= 2 && bad == 0, "jsonl: rc %d, %d lines, %d bad", rc, lines, bad);
	}

	/* Prometheus: label escaping of \ " and newline, nothing raw. */
	rc = run(out, sizeof(out), (char *[]){ "--pid", pidarg, "--prometheus", NULL });
	CHECK(rc == 0, "prometheus exit %d", rc);
	CHECK(strstr(out, "object=\"/memfd:mw-exec\\nholder\\\\xff (deleted)\""),
	      "prometheus label not escaped:\n%s", out);
	CHECK(!strchr(out, '\xff'), "raw 0xff in prometheus output");
	CHECK(strstr(out, "memward_audit_findings{severity=\"low\",kind=\"exec_memfd\"} 1\n"),
	      "prometheus count missing:\n%s", out);
	CHECK(strstr(out, "memward_audit_partial 0\n") && strstr(out, "memward_audit_scan_duration_seconds "),
	      "prometheus partial/duration missing");
	for (char *p = out; *p;) {
		char *nl = strchr(p, '\n');

		CHECK(*p == '#' || !strncmp(p, "memward_audit_", 14), "bad prometheus line: %.80s", p);
		if (!nl)
			break;
		p = nl + 1;
	}

	/* Table: control characters and bad bytes escaped. */
	rc = run(out, sizeof(out), (char *[]){ "--pid", pidarg, NULL });
	CHECK(rc == 0 && strstr(out, "/memfd:mw-exec\\nholder\\xff (deleted)") && !strchr(out, '\xff'),
	      "table escaping (rc %d):\n%s", rc, out);

	/* Exit codes. */
	snprintf(pidarg, sizeof(pidarg), "%d", (int)fileless);
	if (fileless > 0) {
		rc = run(out, sizeof(out), (char *[]){ "--pid", pidarg, NULL });
		CHECK(rc == 1, "fileless process: exit %d, want 1 (critical >= high)", rc);
		rc = run(out, sizeof(out), (char *[]){ "--pid", pidarg, "--fail-on", "none", NULL });
		CHECK(rc == 0, "--fail-on none: exit %d", rc);
	}
	rc = run(out, sizeof(out), (char *[]){ "--pid", clean_arg, NULL });
	CHECK(rc == 0, "clean child: exit %d\n%s", rc, out);
	rc = run(out, sizeof(out), (char *[]){ "--pid", clean_arg, "--fail-on", "info", NULL });
	CHECK(rc == 1, "clean child with --fail-on info (the namespace finding): exit %d", rc);
	rc = run(out, sizeof(out), (char *[]){ "--fail-on", "bogus", NULL });
	CHECK(rc == 64, "--fail-on bogus: exit %d", rc);
	rc = run(out, sizeof(out), (char *[]){ "--json", "--prometheus", NULL });
	CHECK(rc == 64, "two formats: exit %d", rc);
	rc = run(out, sizeof(out), (char *[]){ "--pid", "2147483646", NULL });
	CHECK(rc == 2, "no such process: exit %d", rc);
}

/* Which BPF objects did not load (the scans fall back to the next one):
 * a note in the log of each kernel the test runs on. */
static int iter3_failed;

static void note_load(int level, const char *msg, void *ctx)
{
	(void)level, (void)ctx;
	if (strstr(msg, "did not load") || strstr(msg, "unavailable"))
		live_note("%s", msg);
	if (strstr(msg, "audit_iter3 did not load"))
		iter3_failed++;
}

/* Does the kernel's BTF name this function (a kfunc)? */
static bool kernel_has(const char *fn)
{
	int fd = open("/sys/kernel/btf/vmlinux", O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = 1 << 20, n = strlen(fn) + 2;
	char *buf = malloc(cap), key[128];
	bool found = false;
	ssize_t r;

	while (fd >= 0 && buf && (r = read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)r;
		if (len == cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
	}
	/* the string table: names between NULs */
	snprintf(key, sizeof(key), "%c%s", '\0', fn);
	found = buf && n < sizeof(key) && memmem(buf, len, key, n) != NULL;
	free(buf);
	if (fd >= 0)
		close(fd);
	return found;
}

int main(int argc, char **argv)
{
	struct mw_audit_report *r = NULL;
	const struct mw_audit_finding *f;
	pid_t fileless = -1, runc = -1, holder, xmap, writer, reader, secret = -1, clean;
	pid_t sealed_writer, sealed_reader, many;
	pid_t pids[16];
	int n = 0, err;

	if (argc == 3 && !strcmp(argv[1], "--sleep")) {
		int fd = atoi(argv[2]);

		(void)!write(fd, "r", 1);
		close(fd);
		for (;;)
			pause();
	}
	REQUIRE(argc == 2, "usage: live-audit-fixtures MEMWARD");
	memward = argv[1];
	mw_set_log(note_load, NULL);
	REQUIRE(pipe(ready) == 0, "pipe");
	atexit(kill_kids);

	if (lk_memfd_create(MFD_EXEC) == 0)
		exec_flag = MFD_EXEC;
	if (lk_memfd_create(MFD_NOEXEC_SEAL) == 0)
		noexec_flag = MFD_NOEXEC_SEAL;
	have_seal_exec = lk_seal(F_SEAL_EXEC) == 0;
	{
		/* vm.memfd_noexec=2 refuses executable memfds: then the exec
		 * fixtures cannot exist here. */
		int probe = mw_sys_memfd_create("mw-probe", MFD_CLOEXEC | exec_flag);
		struct stat st;

		if (probe < 0 && errno == EACCES)
			live_skip("vm.memfd_noexec=2 here: executable memfds are refused, no fixture possible");
		REQUIRE(probe >= 0 && fstat(probe, &st) == 0, "memfd_create: %s", strerror(errno));
		if (!(st.st_mode & 0111))
			live_skip("memfds are created non-executable here (mode %o)", st.st_mode & 07777);
		close(probe);
	}

	fileless = fixture("fileless", exec_from_memfd, NULL);
	runc = fixture("runc-style", exec_from_memfd, (void *)1);
	holder = fixture("exec holder", hold_exec_memfd, WEIRD_NAME);
	xmap = fixture("exec mapping", map_exec_memfd, NULL);

	shared_fd = mw_sys_memfd_create("mw-shared", MFD_CLOEXEC | MFD_ALLOW_SEALING | noexec_flag);
	REQUIRE(shared_fd >= 0 && ftruncate(shared_fd, 4096) == 0, "shared memfd");
	writer = fixture("shared writer", shared_writer, NULL);
	reader = fixture("shared reader", shared_reader, NULL);
	close(shared_fd);
	/* The same pair with a write seal: not a finding. */
	shared_fd = mw_sys_memfd_create("mw-sealed-shared", MFD_CLOEXEC | MFD_ALLOW_SEALING | noexec_flag);
	REQUIRE(shared_fd >= 0 && ftruncate(shared_fd, 4096) == 0 &&
		fcntl(shared_fd, F_ADD_SEALS, F_SEAL_WRITE) == 0, "sealed shared memfd");
	sealed_writer = fixture("sealed writer", shared_writer, NULL);
	sealed_reader = fixture("sealed reader", shared_reader, NULL);
	close(shared_fd);

	if (lk_memfd_secret() == 0)
		secret = fixture("secretmem", secret_user, NULL);
	else
		live_note("secret-memory fixture skipped: memfd_secret is not available here");
	clean = fixture("clean", nothing, NULL);
	many = fixture("many memfds", many_memfds, NULL);

	pids[n++] = fileless;
	pids[n++] = runc;
	pids[n++] = holder;
	pids[n++] = xmap;
	pids[n++] = writer;
	pids[n++] = reader;
	pids[n++] = sealed_writer;
	pids[n++] = sealed_reader;
	pids[n++] = clean;
	pids[n++] = many;
	if (secret > 0)
		pids[n++] = secret;

	{
		struct mw_audit_opts o = { .sz = sizeof(o), .pids = pids, .npids = (size_t)n };
		int fds = live_count_fds();

		err = mw_audit_scan(&o, &r);
		REQUIRE(err == 0, "mw_audit_scan: %s", strerror(-err));
		CHECK(live_count_fds() == fds, "fd leak: %d -> %d", fds, live_count_fds());
	}
	for (size_t i = 0; i < r->nfindings; i++)
		live_note("%s %s pid %d: %s", mw_audit_severity_name(r->findings[i]->severity),
			  mw_audit_kind_key(r->findings[i]->kind), r->findings[i]->pid,
			  r->findings[i]->reason);
	CHECK(r->procs_scanned == (unsigned int)n && !r->partial, "scanned %u of %d, partial %d",
	      r->procs_scanned, n, r->partial);

	f = NULL;
	CHECK(worst(r, fileless, MW_AUDIT_FILELESS_EXEC, &f) == MW_AUDIT_CRITICAL,
	      "fileless process not found as critical fileless_exec");
	CHECK(f && !strncmp(f->exe, "/memfd:mw-fileless", 18) && strstr(f->cmdline, "--sleep"),
	      "fileless identity: exe '%s' cmdline '%s'", f ? f->exe : "", f ? f->cmdline : "");
	CHECK(worst(r, fileless, -1, NULL) == MW_AUDIT_CRITICAL, "fileless worst");

	/* Seals are not identity: anyone can seal a memfd. The sealed copy of
	 * a binary nobody said to trust is fileless execution (high) ... */
	CHECK(worst(r, runc, MW_AUDIT_SEALED_EXEC, NULL) < 0, "untrusted sealed memfd exe reported as sealed_exec");
	CHECK(worst(r, runc, MW_AUDIT_FILELESS_EXEC, &f) == MW_AUDIT_HIGH,
	      "untrusted sealed memfd exe not high fileless_exec: %d", worst(r, runc, MW_AUDIT_FILELESS_EXEC, NULL));
	/* ... and low only when its contents are those of a trusted binary
	 * (memward-policy(5) allow-exec-memfd, here this test program). */
	{
		char self[PATH_MAX];
		ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
		const char *trusted[1] = { self };
		struct mw_audit_opts o = { .sz = sizeof(o), .pids = &runc, .npids = 1,
					   .trusted = trusted, .ntrusted = 1 };
		struct mw_audit_report *t = NULL;

		REQUIRE(sl > 0, "readlink /proc/self/exe");
		self[sl] = '\0';
		err = mw_audit_scan(&o, &t);
		REQUIRE(err == 0, "trusted scan: %s", strerror(-err));
		CHECK(worst(t, runc, MW_AUDIT_SEALED_EXEC, NULL) == MW_AUDIT_LOW,
		      "sealed copy of a trusted binary not low sealed_exec");
		CHECK(worst(t, runc, -1, NULL) == MW_AUDIT_LOW, "trusted runc-style has findings above low: %d",
		      worst(t, runc, -1, NULL));
		mw_audit_report_free(t);
		/* a trusted binary does not make an unsealed copy low */
		o.pids = &fileless;
		err = mw_audit_scan(&o, &t);
		REQUIRE(err == 0, "trusted scan: %s", strerror(-err));
		CHECK(worst(t, fileless, MW_AUDIT_FILELESS_EXEC, NULL) == MW_AUDIT_CRITICAL,
		      "unsealed copy of a trusted binary not critical");
		mw_audit_report_free(t);
	}

	f = NULL;
	/* merely executable (most memfds before 6.3 defaults): low, so that
	 * --fail-on medium passes on an ordinary desktop */
	CHECK(worst(r, holder, MW_AUDIT_EXEC_MEMFD, &f) == MW_AUDIT_LOW, "exec holder not low exec_memfd");
	CHECK(f && f->fd >= 0 && (f->mode & 0111) && f->seals >= 0 && !(f->seals & F_SEAL_EXEC) &&
	      !strcmp(f->object, "/memfd:" WEIRD_NAME " (deleted)"),
	      "exec holder details: fd %d mode %o seals %d object '%s'", f ? f->fd : -2,
	      f ? f->mode : 0, f ? f->seals : -2, f ? f->object : "");
	CHECK(f && f->uid == getuid() && f->cgroup && f->comm[0], "identity of the holder");

	f = NULL;
	CHECK(worst(r, xmap, MW_AUDIT_MEMFD_MAPPED_EXEC, &f) == MW_AUDIT_HIGH, "exec mapping not high");
	CHECK(f && f->fd == -1 && !strcmp(f->object, "/memfd:mw-xmap (deleted)"), "exec mapping details");

	f = NULL;
	CHECK(worst(r, reader, MW_AUDIT_SHARED_UNSEALED, &f) == MW_AUDIT_MEDIUM, "shared pair not medium");
	CHECK(f && f->peer_pid == writer, "shared pair peer %d, want writer %d", f ? f->peer_pid : 0, writer);
	CHECK(worst(r, writer, MW_AUDIT_SHARED_UNSEALED, NULL) < 0, "the writer itself is not the victim");
	/* (before 6.3 that memfd is executable, an exec_memfd of its own) */
	CHECK(worst(r, sealed_reader, MW_AUDIT_SHARED_UNSEALED, NULL) < 0 &&
	      worst(r, sealed_reader, MW_AUDIT_MEMFD_MAPPED_EXEC, NULL) < 0 &&
	      (noexec_flag == 0 || worst(r, sealed_reader, -1, NULL) <= MW_AUDIT_INFO),
	      "write-sealed pair reported");

	if (secret > 0) {
		f = NULL;
		CHECK(worst(r, secret, MW_AUDIT_SECRETMEM, &f) == MW_AUDIT_INFO, "secretmem user not found");
		CHECK(f && f->size == 8192, "secretmem bytes %llu, want 8192",
		      f ? (unsigned long long)f->size : 0ULL);
	}
	CHECK(worst(r, clean, -1, NULL) <= MW_AUDIT_INFO, "clean child has a finding above info");
	{
		int ns = 0;

		for (size_t i = 0; i < r->nfindings; i++)
			if (r->findings[i]->kind == MW_AUDIT_NOEXEC_POLICY) {
				ns++;
				CHECK(r->findings[i]->memfd_noexec >= 0 ||
				      access("/proc/sys/vm/memfd_noexec", F_OK) < 0,
				      "own namespace's memfd_noexec unknown: %s", r->findings[i]->reason);
			}
		CHECK(ns == 1, "%d namespace findings, want 1", ns);
	}
	/* The text parser of /proc/PID/maps (the path of kernels before 6.11)
	 * finds the same things as PROCMAP_QUERY. */
	{
		struct mw_audit_opts o = { .sz = sizeof(o), .pids = pids, .npids = (size_t)n,
					   .flags = MW_AUDIT_F_MAPS_TEXT };
		struct mw_audit_report *t = NULL;

		err = mw_audit_scan(&o, &t);
		REQUIRE(err == 0, "text maps scan: %s", strerror(-err));
		CHECK(t->nfindings == r->nfindings, "text maps: %zu findings, query: %zu",
		      t->nfindings, r->nfindings);
		for (size_t i = 0; i < t->nfindings && i < r->nfindings; i++)
			CHECK(t->findings[i]->pid == r->findings[i]->pid &&
			      t->findings[i]->kind == r->findings[i]->kind &&
			      t->findings[i]->severity == r->findings[i]->severity &&
			      !strcmp(t->findings[i]->object, r->findings[i]->object),
			      "finding %zu differs between text and query maps", i);
		mw_audit_report_free(t);
	}
	/* A scan of every process: where the BPF iterators work (root, the
	 * initial pid namespace, kernel BTF) they list the fd tables and
	 * maps; what is found about the fixtures is what /proc shows. */
	{
		struct mw_audit_opts ob = { .sz = sizeof(ob), .flags = MW_AUDIT_F_BPF };
		struct mw_audit_opts op = { .sz = sizeof(op), .flags = MW_AUDIT_F_NO_BPF };
		struct mw_audit_report *a = NULL, *p = NULL;

		iter3_failed = 0;
		err = mw_audit_scan(&ob, &a);
		REQUIRE(err == 0, "full scan: %s", strerror(-err));
		/* the one walk of processes, fds and maps wherever the kernel
		 * has the open-coded VMA iterator (6.7) */
		if (bpf_expected() && kernel_has("bpf_iter_task_vma_new"))
			CHECK(!iter3_failed, "audit_iter3 did not load, although the kernel has bpf_iter_task_vma_new");
		err = mw_audit_scan(&op, &p);
		REQUIRE(err == 0, "full scan through /proc: %s", strerror(-err));
		CHECK(!p->via_bpf, "MW_AUDIT_F_NO_BPF scan used BPF");
		if (bpf_expected())
			CHECK(a->via_bpf, "full scan as root with kernel BTF did not use the BPF iterators");
		else
			printf("note: full scan %s BPF\n", a->via_bpf ? "with" : "without");
		CHECK(same_findings(a, p, pids, n, a->via_bpf ? "BPF vs /proc" : "/proc vs /proc"),
		      "full scans differ about the fixtures");
		CHECK(same_findings(a, r, pids, n, "full vs --pid scan"),
		      "full scan and pid scan differ about the fixtures");
		mw_audit_report_free(a);
		/* audit_iter2 (maps from iter/task_vma), which kernels
		 * without the open-coded VMA iterator load */
		setenv("MEMWARD_AUDIT_SKIP_ITER3", "1", 1);
		err = mw_audit_scan(&ob, &a);
		unsetenv("MEMWARD_AUDIT_SKIP_ITER3");
		REQUIRE(err == 0, "full scan with audit_iter2: %s", strerror(-err));
		if (bpf_expected())
			CHECK(a->via_bpf, "full scan with audit_iter2 did not use the BPF iterators");
		CHECK(same_findings(a, p, pids, n, a->via_bpf ? "audit_iter2 vs /proc" : "/proc vs /proc"),
		      "full scans differ about the fixtures (audit_iter2)");
		mw_audit_report_free(a);
		/* audit_iter3 when a process's map lock is held at its walk:
		 * its maps read through /proc instead */
		setenv("MEMWARD_AUDIT_MAPS_BUSY", "1", 1);
		err = mw_audit_scan(&ob, &a);
		unsetenv("MEMWARD_AUDIT_MAPS_BUSY");
		REQUIRE(err == 0, "full scan with every map lock busy: %s", strerror(-err));
		CHECK(same_findings(a, p, pids, n, a->via_bpf ? "maps busy vs /proc" : "/proc vs /proc"),
		      "full scans differ about the fixtures (map locks busy)");
		mw_audit_report_free(a);
		/* the other iterators (fd tables from iter/task_file), which
		 * kernels without bpf_rdonly_cast load */
		setenv("MEMWARD_AUDIT_SKIP_ITER2", "1", 1);
		err = mw_audit_scan(&ob, &a);
		unsetenv("MEMWARD_AUDIT_SKIP_ITER2");
		REQUIRE(err == 0, "full scan with audit_iter: %s", strerror(-err));
		if (bpf_expected())
			CHECK(a->via_bpf, "full scan with audit_iter did not use the BPF iterators");
		CHECK(same_findings(a, p, pids, n, a->via_bpf ? "audit_iter vs /proc" : "/proc vs /proc"),
		      "full scans differ about the fixtures (audit_iter)");
		mw_audit_report_free(a);
		/* MW_AUDIT_F_NO_CMDLINE: the same findings, every cmdline ""
		 * (and the fixtures' are not without it) */
		ob.flags |= MW_AUDIT_F_NO_CMDLINE;
		err = mw_audit_scan(&ob, &a);
		REQUIRE(err == 0, "full scan without cmdlines: %s", strerror(-err));
		ignore_cmdline = true;
		CHECK(same_findings(a, p, pids, n, "no cmdline vs /proc"), "MW_AUDIT_F_NO_CMDLINE changed findings");
		ignore_cmdline = false;
		for (size_t i = 0; i < a->nfindings; i++)
			CHECK(!a->findings[i]->cmdline[0], "MW_AUDIT_F_NO_CMDLINE: pid %d has cmdline '%s'",
			      (int)a->findings[i]->pid, a->findings[i]->cmdline);
		for (size_t i = 0; i < p->nfindings; i++)
			for (int j = 0; j < n; j++)
				CHECK(p->findings[i]->pid != pids[j] || p->findings[i]->cmdline[0],
				      "pid %d: no cmdline without MW_AUDIT_F_NO_CMDLINE", (int)pids[j]);
		mw_audit_report_free(a);
		mw_audit_report_free(p);
	}
	mw_audit_report_free(r);

	/* A process that exits before the scan: counted, not an error. */
	{
		pid_t gone = fork();
		struct mw_audit_opts o = { .sz = sizeof(o), .pids = &gone, .npids = 1 };

		if (gone == 0)
			_exit(0);
		live_wait(gone);
		err = mw_audit_scan(&o, &r);
		CHECK(err == 0 && r->procs_vanished == 1 && r->nfindings == 0, "vanished pid: %d", err);
		mw_audit_report_free(r);
	}
	/* Bad options. */
	{
		struct mw_audit_opts o = { .sz = sizeof(o), .flags = 1u << 30 };

		CHECK(mw_audit_scan(&o, &r) == -EINVAL, "unknown flag accepted");
		o.flags = 0;
		o.npids = 1;
		CHECK(mw_audit_scan(&o, &r) == -EINVAL, "npids without pids accepted");
		CHECK(mw_audit_scan(NULL, NULL) == -EINVAL, "NULL out accepted");
	}

	check_cli(fileless, holder, clean);
	kill_kids();
	return live_done();
}
