/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A finding describes one state of one process (issue 12, item 3). A
 * child exec's without pause from its named binary to a memfd copy of it
 * and back, each generation K telling who it is everywhere a scan looks:
 *
 *   named K    exe: this binary; comm "nm-K"; cmdline "gen-K --named ...";
 *              holds memfd "gen-(K+1)" (the next exe) before exec'ing it
 *   memfd K    exe "/memfd:gen-K (deleted)"; comm "mf-K"; cmdline
 *              "gen-K --memfd ..."; maps memfd "lib-K" executable
 *
 * (comm is the kernel's default for a moment after each exec: for a memfd
 * a number, or since 6.x its name "memfd:gen-K"; the binary's name for the
 * named one.) Scans run meanwhile
 * (by pid: /proc; and whole-system with the BPF iterators where they
 * load); every finding about the child must hold one generation: its exe,
 * comm, cmdline and object must name the same K and the same kind of
 * generation. Any mix fails.
 *
 * usage: live-audit-exec-generations
 *        live-audit-exec-generations gen-K --named|--memfd K SELF   (the child)
 */
#include "live.h"
#include "sys/shim.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <time.h>

#include <memward/memward.h>

#define SECONDS 6.0

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void spin(void)
{
	/* long enough for a scan to land inside a generation sometimes */
	for (volatile int i = 0; i < 20000; i++)
		;
}

/* The child: one generation, then exec the next. */
static int generation(bool memfd, long k, const char *self)
{
	char name[32], arg[32], gen[32];
	char *argv[6];

	snprintf(name, sizeof(name), "%s-%ld", memfd ? "mf" : "nm", k);
	prctl(PR_SET_NAME, name);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		return 0;
	snprintf(arg, sizeof(arg), "%ld", k + 1);
	snprintf(gen, sizeof(gen), "gen-%ld", k + 1);
	argv[0] = gen;
	argv[1] = memfd ? "--named" : "--memfd";
	argv[2] = arg;
	argv[3] = (char *)self;
	argv[4] = NULL;
	if (memfd) {
		int lib;

		snprintf(name, sizeof(name), "lib-%ld", k);
		lib = mw_sys_memfd_create(name, MFD_CLOEXEC);

		if (lib < 0 || ftruncate(lib, 4096) < 0 ||
		    mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, lib, 0) == MAP_FAILED)
			return 3;
		spin();
		execv(self, argv);
		return 4;
	} else {
		int in = open(self, O_RDONLY | O_CLOEXEC), m;
		struct stat st;

		snprintf(name, sizeof(name), "gen-%ld", k + 1);
		m = mw_sys_memfd_create(name, MFD_CLOEXEC);
		if (in < 0 || m < 0 || fstat(in, &st) < 0)
			return 5;
		for (off_t off = 0; off < st.st_size;)
			if (sendfile(m, in, &off, (size_t)(st.st_size - off)) <= 0)
				return 6;
		fchmod(m, 0755);
		spin();
		mw_sys_execveat(m, "", argv, argv, AT_EMPTY_PATH);
		return 7;
	}
}

/* The generation a string names after prefix (e.g. "gen-", "mf-"), or -1. */
static long gen_of(const char *s, const char *prefix)
{
	const char *p = strstr(s, prefix);
	char *end;
	long k;

	if (!p)
		return -1;
	k = strtol(p + strlen(prefix), &end, 10);
	return end == p + strlen(prefix) ? -1 : k;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* One finding about the child: one generation throughout? Explains in why. */
static bool consistent(const struct mw_audit_finding *f, const char *self, char *why, size_t size)
{
	bool exe_memfd = !strncmp(f->exe, "/memfd:gen-", 11);
	long k_exe = exe_memfd ? gen_of(f->exe, "/memfd:gen-") : -1;
	long k_cmd = gen_of(f->cmdline, "gen-");
	bool cmd_memfd = strstr(f->cmdline, " --memfd ") != NULL;
	long k_comm = gen_of(f->comm, exe_memfd ? "mf-" : "nm-");
	long k_obj = -1;

	if (!exe_memfd && strcmp(f->exe, self)) {
		snprintf(why, size, "exe %s is neither generation's", f->exe);
		return false;
	}
	/* an empty cmdline: read in the instant of an exec before the new
	 * program's arguments are in place (create_elf_tables()): nothing of
	 * another generation; the exe then says which one it is */
	if (!f->cmdline[0] && exe_memfd)
		k_cmd = k_exe;
	else if (!f->cmdline[0])
		k_cmd = gen_of(f->comm, "nm-") >= 0 ? gen_of(f->comm, "nm-") : gen_of(f->object, "/memfd:gen-") - 1;
	else if (k_cmd < 0 || cmd_memfd != exe_memfd || (exe_memfd && k_cmd != k_exe)) {
		snprintf(why, size, "exe %s with cmdline '%s'", f->exe, f->cmdline);
		return false;
	}
	/* comm: this generation's name, or the kernel's default after exec */
	if (!(k_comm == k_cmd || (exe_memfd && all_digits(f->comm)) ||
	      (exe_memfd && gen_of(f->comm, "memfd:gen-") == k_cmd) ||
	      (!exe_memfd && strncmp(f->comm, "nm-", 3) && strncmp(f->comm, "mf-", 3)))) {
		snprintf(why, size, "comm '%s' with exe %s, cmdline '%s'", f->comm, f->exe, f->cmdline);
		return false;
	}
	if (!strncmp(f->object, "/memfd:lib-", 11)) {
		k_obj = gen_of(f->object, "/memfd:lib-");
		if (!exe_memfd || k_obj != k_cmd) {
			snprintf(why, size, "object %s with exe %s, cmdline '%s'", f->object, f->exe, f->cmdline);
			return false;
		}
	} else if (!strncmp(f->object, "/memfd:gen-", 11) && f->kind != MW_AUDIT_FILELESS_EXEC &&
		   f->kind != MW_AUDIT_SEALED_EXEC) {
		k_obj = gen_of(f->object, "/memfd:gen-");
		/* held by the named generation before it exec's it */
		if (exe_memfd || k_obj != k_cmd + 1) {
			snprintf(why, size, "object %s (%s) with exe %s, cmdline '%s'", f->object,
				 mw_audit_kind_key(f->kind), f->exe, f->cmdline);
			return false;
		}
	}
	return true;
}

int main(int argc, char **argv)
{
	char self[4096];
	ssize_t n;
	pid_t child;
	int scans = 0, findings = 0, bad = 0;
	unsigned int rescanned = 0;
	double t0;

	if (argc == 4)
		return generation(!strcmp(argv[1], "--memfd"), atol(argv[2]), argv[3]);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	REQUIRE(n > 0, "readlink /proc/self/exe");
	self[n] = '\0';
	child = fork();
	REQUIRE(child >= 0, "fork");
	if (child == 0) {
		char *args[] = { "gen-0", "--named", "0", self, NULL };

		execv(self, args);
		_exit(127);
	}
	t0 = now();
	while (now() - t0 < SECONDS) {
		struct mw_audit_opts o = { .sz = sizeof(o), .flags = MW_AUDIT_F_NO_NS_PROBE };
		struct mw_audit_report *r = NULL;
		int err;

		/* by pid (/proc), and every fifth scan the whole system with
		 * the BPF iterators where they load */
		if (scans % 5 == 4) {
			o.flags |= MW_AUDIT_F_BPF;
		} else {
			o.pids = &child;
			o.npids = 1;
		}
		err = mw_audit_scan(&o, &r);
		REQUIRE(err == 0, "scan: %s", strerror(-err));
		rescanned += r->procs_rescanned;
		for (size_t i = 0; i < r->nfindings; i++) {
			const struct mw_audit_finding *f = r->findings[i];
			char why[1024];

			if (f->pid != child || f->kind == MW_AUDIT_NOEXEC_POLICY)
				continue;
			findings++;
			if (!consistent(f, self, why, sizeof(why))) {
				if (bad++ < 5)
					CHECK(0, "scan %d (%s): %s finding mixes generations: %s", scans,
					      r->via_bpf ? "BPF" : "/proc", mw_audit_kind_key(f->kind), why);
			}
		}
		mw_audit_report_free(r);
		scans++;
	}
	kill(child, SIGKILL);
	live_wait(child);
	live_note("%d scans, %d findings about the exec'ing child, %d mixed, %u re-read", scans, findings, bad,
		  rescanned);
	CHECK(findings > 0, "no finding about the child in %d scans", scans);
	CHECK(bad == 0, "%d findings mixed generations", bad);
	return live_done();
}
