/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward audit --watch, each exec event source: the BPF program where one
 * loads (the test tries a raw tracepoint program on sched_process_exec
 * itself; where it loads, the watch must say a "bpf_..." source) and the
 * proc connector (forced with --no-bpf); the raw_tp program too, as on a
 * kernel that refuses tp_btf (MEMWARD_WATCH_SKIP_TP_BTF). For each source:
 *
 *  - fileless processes that live 50 ms are reported as critical
 *    fileless_exec, with the source in the JSON line (the median delay
 *    exec -> line is printed);
 *  - a fileless process that exits before the watch can read it (the
 *    watch is stopped with SIGSTOP meanwhile, the process reaped before
 *    SIGCONT) must still be in the output and the journal: with BPF as a
 *    finding made from the kernel's record ("exec_record":true, the memfd's
 *    inode, critical when unsealed, high when sealed: the seals come from
 *    the kernel, the contents could not be hashed; a file unlinked from a
 *    /tmp directory before its exec: high, its path as /proc shows it, the
 *    directories walked by the program); with the proc connector
 *    as exec_unread with its pid (all that source knows);
 *  - a script run from a memfd (fexecve of a "#!/bin/sh" memfd, sh
 *    /proc/self/fd/3 by hand, and the same after 700 bytes of arguments),
 *    whose exe is /bin/sh, is reported as fileless_exec at its exec (its
 *    arguments name the memfd's fd);
 *  - a program exec'd by its path (nothing at its exec to report at once:
 *    with BPF its record waits for the next batch) that unlinks itself
 *    while the watch is stopped is reported, once the watch runs again,
 *    as the fileless_exec of an unlinked file, high (its state when the
 *    event is read: the unlink came after the exec);
 *  - (the default source and the proc connector, each with a watch of
 *    --interval 1) the 64 KiB of a command line read at an exec: a memfd
 *    script named by the bytes just before the cap is reported at its
 *    exec, one named past 70,000 bytes only by the next full scan.
 *
 * usage: live-audit-watch-source MEMWARD
 *        live-audit-watch-source --live MS   (what the memfd copies run)
 *        live-audit-watch-source --unlink-live MS  (unlinks its own file,
 *              writes a byte to fd 3, lives MS)
 */
#include "watch.h"

#include <grp.h>
#include "kernel.h"
#include "sys/shim.h"

#include <linux/bpf.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>

extern char **environ;

#define N_LIVE 8



/* Does a raw tracepoint program attach to sched_process_exec here? (the
 * test's own try: "r0 = 0; exit", loaded and attached, then closed) */
static int raw_tp_error(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;
	int prog, link, err = 0;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = 2;
	a.license = (uint64_t)(uintptr_t)"GPL";
	prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (prog < 0)
		return errno;
	memset(&a, 0, sizeof(a));
	a.raw_tracepoint.name = (uint64_t)(uintptr_t)"sched_process_exec";
	a.raw_tracepoint.prog_fd = (uint32_t)prog;
	link = (int)syscall(SYS_bpf, BPF_RAW_TRACEPOINT_OPEN, &a, sizeof(a));
	if (link < 0)
		err = errno;
	else
		close(link);
	close(prog);
	return err;
}

/* Run a copy of this program from a memfd (sealed WRITE|SEAL|SHRINK|GROW
 * when sealed); it lives ms. *ino: the memfd's inode. */
/* unlinked_dir: instead of a memfd, a copy in that directory, unlinked
 * before it is exec'd through its fd (a file with no name at exec). */
static const char *unlinked_dir;

static pid_t fileless(int ms, bool sealed, double *t_exec, uint64_t *ino)
{
	int p[2];
	pid_t pid;

	REQUIRE(pipe2(p, O_CLOEXEC) == 0, "pipe");
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		int m = self_memfd("mw-wsrc", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		char arg[16], *argv[] = { "mw-wsrc", "--live", arg, NULL };
		struct stat st, mst;
		double t;

		if (fstat(m, &st) < 0)
			_exit(120);
		if (unlinked_dir) {
			char path[256];
			int w;

			snprintf(path, sizeof(path), "%s/prog", unlinked_dir);
			w = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
			for (off_t off = 0; w >= 0 && off < st.st_size;)
				if (sendfile(w, m, &off, (size_t)(st.st_size - off)) <= 0)
					_exit(126);
			/* no writer left at exec (ETXTBSY before 6.11) */
			close(w);
			close(m);
			m = open(path, O_RDONLY | O_CLOEXEC);
			if (w < 0 || m < 0 || unlink(path) < 0)
				_exit(127);
		}
		if (sealed && fcntl(m, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW) < 0)
			_exit(123);
		if (fstat(m, &mst) < 0)
			_exit(124);
		snprintf(arg, sizeof(arg), "%d", ms);
		t = now_s();
		if (write(p[1], &mst.st_ino, sizeof(mst.st_ino)) != sizeof(mst.st_ino) ||
		    write(p[1], &t, sizeof(t)) != sizeof(t))
			_exit(125);
		mw_sys_execveat(m, "", argv, argv, AT_EMPTY_PATH);
		_exit(122);
	}
	close(p[1]);
	{
		ino_t i = 0;

		REQUIRE(read(p[0], &i, sizeof(i)) == sizeof(i) && read(p[0], t_exec, sizeof(*t_exec)) ==
			sizeof(*t_exec), "fileless child did not start");
		*ino = i;
	}
	close(p[0]);
	return pid;
}

/* A copy of this program at path (mode 0755, no writer left open). */
static int copy_self(const char *path)
{
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), out;
	struct stat st;
	int err = 0;

	if (in < 0)
		return -1;
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0 || fstat(in, &st) < 0)
		err = -1;
	for (off_t off = 0; !err && off < st.st_size;)
		if (sendfile(out, in, &off, (size_t)(st.st_size - off)) <= 0)
			err = -1;
	if (out >= 0)
		close(out);
	close(in);
	return err;
}

/* A script run from a memfd that lives 1 s: by an exec of the memfd
 * (how 0: the kernel runs /bin/sh /dev/fd/3), or by hand (1: sh
 * /proc/self/fd/3, the memfd without exec bits; 2: more than the exec
 * record's 512 bytes of arguments before /dev/fd/3; 3: sh < memfd, no
 * argument; 4: sh /dev/stdin, the memfd on its stdin; 5: ld.so /bin/sh <
 * memfd, the dynamic loader run as a command, its exe; 6: sh -c 'sleep
 * 1' sh file:///dev/fd/%33, a file: URL escaped; 7: sh 3 in
 * /proc/self/fd; 8: sh /dev/fd/../fd/3; 9: sh proc/self/fd/3 in /; 10:
 * sh -c '. /dev/fd/3; :'; 11: sh /proc/self/cwd/3 in /proc/self/fd; 12:
 * ld.so /proc/self/fd/5 < memfd, fd 5 on /bin/sh; paths the shell builds,
 * 13: sh -c '. /dev/fd/[3]; :', 14: sh -c 'cd /dev/fd && . ./3; :', 15:
 * sh -c '. /proc/$$/fd/3; :'; 16: sh -c '. fd/3; :' run in /dev). Its exe is /bin/sh (or ld.so):
 * only its arguments, its working directory or its stdin tell. */
static char loader[256]; /* /bin/sh's dynamic loader, "" if none */

static pid_t script(int how)
{
	static const char text[] = "#!/bin/sh\nsleep 1\n";
	pid_t pid = fork();

	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		int m = memfd_create("mw-wsrc-script", 0);
		char *argv[] = { "ignored", NULL };

		if (m < 0 || write(m, text, sizeof(text) - 1) != (ssize_t)sizeof(text) - 1 || dup2(m, 3) != 3)
			_exit(120);
		if (how == 1) {
			if (fchmod(3, 0600) == 0)
				execl("/bin/sh", "sh", "/proc/self/fd/3", (char *)NULL);
		} else if (how == 3 || how == 4 || how == 5) {
			/* the memfd on its stdin: sh < memfd, sh /dev/stdin,
			 * ld.so /bin/sh < memfd */
			if (lseek(3, 0, SEEK_SET) == 0 && dup2(3, 0) == 0 && close(3) == 0) {
				if (how == 5)
					execl(loader, "ld.so", "--inhibit-cache", "/bin/sh", (char *)NULL);
				else
					execl("/bin/sh", "sh", how == 4 ? "/dev/stdin" : NULL, (char *)NULL);
			}
		} else if (how == 6) {
			/* two commands: a shell that execs the last one of
			 * "-c" (busybox) would be sleep, with no such argument,
			 * before the watch could read it */
			execl("/bin/sh", "sh", "-c", "sleep 1; :", "sh", "file:///dev/fd/%33", (char *)NULL);
		} else if (how == 7) {
			if (chdir("/proc/self/fd") == 0)
				execl("/bin/sh", "sh", "3", (char *)NULL);
		} else if (how == 8) {
			execl("/bin/sh", "sh", "/dev/fd/../fd/3", (char *)NULL);
		} else if (how == 9) {
			if (chdir("/") == 0)
				execl("/bin/sh", "sh", "proc/self/fd/3", (char *)NULL);
		} else if (how == 10) {
			execl("/bin/sh", "sh", "-c", ". /dev/fd/3; :", (char *)NULL);
		} else if (how == 16) {
			if (chdir("/dev") == 0)
				execl("/bin/sh", "sh", "-c", ". fd/3; :", (char *)NULL);
		} else if (how == 13) {
			execl("/bin/sh", "sh", "-c", ". /dev/fd/[3]; :", (char *)NULL);
		} else if (how == 14) {
			execl("/bin/sh", "sh", "-c", "cd /dev/fd && . ./3; :", (char *)NULL);
		} else if (how == 15) {
			execl("/bin/sh", "sh", "-c", ". /proc/$$/fd/3; :", (char *)NULL);
		} else if (how == 11) {
			if (chdir("/proc/self/fd") == 0)
				execl("/bin/sh", "sh", "/proc/self/cwd/3", (char *)NULL);
		} else if (how == 12) {
			int sh = open("/bin/sh", O_RDONLY | O_CLOEXEC);

			if (sh >= 0 && dup2(sh, 5) == 5 && lseek(3, 0, SEEK_SET) == 0 && dup2(3, 0) == 0 && close(3) == 0)
				execl(loader, "ld.so", "/proc/self/fd/5", (char *)NULL);
		} else if (how == 2) {
			/* past the 512 bytes of arguments the exec record holds
			 * (as $0 of sh -c: a multi-call busybox picks its
			 * applet by argv[0]) */
			static char pad[700];

			memset(pad, 'p', sizeof(pad) - 1);
			execl("/bin/sh", "sh", "-c", ". \"$1\"", pad, "/dev/fd/3", (char *)NULL);
		} else {
			fexecve(3, argv, environ);
		}
		_exit(122);
	}
	return pid;
}

struct out {
	int fd;
	char buf[1 << 20];
	size_t len;
};

/* The line about pid holding every string of want (NULL-ended), or NULL
 * after tmo s. The line is copied to line. */
static bool wait_line(struct out *o, pid_t pid, const char *const *want, double tmo, char *line, size_t size,
		      double *t_seen)
{
	char key[32];
	double end = now_s() + tmo;

	snprintf(key, sizeof(key), "\"pid\":%d,", (int)pid);
	for (;;) {
		char *p = o->buf;
		struct pollfd pfd = { .fd = o->fd, .events = POLLIN };
		ssize_t n;

		while ((p = strstr(p, key))) {
			char *bol = p, *eol = strchr(p, '\n');
			bool all = eol != NULL;

			while (bol > o->buf && bol[-1] != '\n')
				bol--;
			for (size_t i = 0; all && want[i]; i++)
				all = memmem(bol, (size_t)(eol - bol), want[i], strlen(want[i])) != NULL;
			if (all) {
				snprintf(line, size, "%.*s", (int)(eol - bol), bol);
				return true;
			}
			p++;
		}
		if (now_s() > end || o->len >= sizeof(o->buf) - 1)
			return false;
		if (poll(&pfd, 1, 20) <= 0)
			continue;
		n = read(o->fd, o->buf + o->len, sizeof(o->buf) - 1 - o->len);
		if (n <= 0)
			return false;
		o->len += (size_t)n;
		o->buf[o->len] = '\0';
		*t_seen = now_s();
	}
}

/* Lines of the output about pid that hold what. */
static int count_lines(const struct out *o, pid_t pid, const char *what)
{
	char key[32];
	int n = 0;

	snprintf(key, sizeof(key), "\"pid\":%d,", (int)pid);
	for (const char *l = o->buf; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);

		if (memmem(l, len, key, strlen(key)) && memmem(l, len, what, strlen(what)))
			n++;
		l = e ? e + 1 : NULL;
	}
	return n;
}


/* A line of the file holding a and b (the journal starts with the full
 * scan's lines: megabytes on a busy machine). */
static bool file_has(const char *path, const char *a, const char *b)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	bool found = false;

	while (f && !found && getline(&line, &cap, f) > 0)
		found = strstr(line, a) && strstr(line, b);
	free(line);
	if (f)
		fclose(f);
	return found;
}

/* A gone fileless process (unsealed, sealed, an unlinked file in dir) while
 * the watch is stopped. */
static void check_gone(struct out *o, pid_t watcher, const char *src, bool bpf, const char *journal,
		       const char *dir)
{
	for (int sealed = 0; sealed < 3; sealed++) {
		char line[8192], key[48], ino_s[48], srcs[64];
		double t, ts = 0;
		uint64_t ino;
		pid_t p;

		kill(watcher, SIGSTOP);
		unlinked_dir = sealed == 2 ? dir : NULL;
		p = fileless(0, sealed == 1, &t, &ino);
		unlinked_dir = NULL;
		live_wait(p); /* exited and reaped: /proc has nothing of it */
		kill(watcher, SIGCONT);
		snprintf(key, sizeof(key), "\"pid\":%d,", (int)p);
		snprintf(ino_s, sizeof(ino_s), "\"inode\":%llu,", (unsigned long long)ino);
		snprintf(srcs, sizeof(srcs), "\"source\":\"%s\"", src);
		if (bpf) {
			/* an unlinked file: where it lived, as /proc would say
			 * it (a world-writable /tmp directory: high) */
			char exe[200];
			const char *want[] = { "\"kind\":\"fileless_exec\"",
					       sealed ? "\"severity\":\"high\"" : "\"severity\":\"critical\"",
					       "\"exec_record\":true", ino_s, srcs, sealed == 2 ? exe : NULL, NULL };

			snprintf(exe, sizeof(exe), "\"exe\":\"%s/prog (deleted)\"", dir);

			CHECK(wait_line(o, p, want, 10, line, sizeof(line), &ts),
			      "%s: %s fileless process %d, gone before it was read: no %s fileless_exec "
			      "from the exec record (inode %llu)", src,
			      sealed == 2 ? "unlinked" : sealed ? "sealed" : "unsealed", (int)p,
			      sealed ? "high" : "critical", (unsigned long long)ino);
		} else {
			const char *want[] = { "\"type\":\"exec_unread\"", srcs, NULL };

			CHECK(wait_line(o, p, want, 10, line, sizeof(line), &ts),
			      "%s: fileless process %d, gone before it was read: no exec_unread line", src, (int)p);
		}
		/* emit() writes stdout, then the journal */
		usleep(100000);
		CHECK(file_has(journal, key, bpf ? "\"exec_record\":true" : "exec_unread"),
		      "%s: journal %s lacks the line about %d", src, journal, (int)p);
	}
}

/* Start memward audit --watch --no-ns-probe and the options of extra
 * (NULL-ended, 8 at most; raw: MEMWARD_WATCH_SKIP_TP_BTF=1, the raw_tp
 * program, as on a kernel that refuses the tracing program type); its
 * stdout into o (emptied), its stderr at *errfd; its source into src (32
 * bytes) once its first full scan is done. Its pid. */
static pid_t start_watch(const char *memward, bool raw, const char *const *extra, struct out *o, int *errfd,
			 char *src)
{
	char errbuf[4096];
	int out[2], errp[2];
	pid_t watcher;

	REQUIRE(pipe2(out, O_CLOEXEC) == 0 && pipe2(errp, O_CLOEXEC) == 0, "pipe");
	watcher = fork();
	REQUIRE(watcher >= 0, "fork");
	if (watcher == 0) {
		char *args[16] = { (char *)memward, "audit", "--watch", "--no-ns-probe" };

		for (size_t i = 0; extra[i] && i < 8; i++)
			args[4 + i] = (char *)extra[i];
		dup2(out[1], 1);
		dup2(errp[1], 2);
		if (raw)
			setenv("MEMWARD_WATCH_SKIP_TP_BTF", "1", 1);
		execv(args[0], args);
		_exit(127);
	}
	close(out[1]);
	close(errp[1]);
	memset(o, 0, sizeof(*o));
	o->fd = out[0];
	*errfd = errp[0];
	{
		/* stderr's "watching exec events (SOURCE)" after the full scan,
		 * whose lines fill stdout meanwhile (read both: a full pipe
		 * would stop the watch) */
		size_t el = 0;
		const char *s = NULL;
		double end = now_s() + 120;

		errbuf[0] = '\0';
		while (!(s = strstr(errbuf, "watching exec events (")) && now_s() < end) {
			struct pollfd pfd[2] = { { .fd = errp[0], .events = POLLIN }, { .fd = out[0], .events = POLLIN } };
			ssize_t n;

			if (poll(pfd, 2, 1000) <= 0)
				continue;
			if (pfd[1].revents & POLLIN) {
				n = read(out[0], o->buf, sizeof(o->buf) - 1); /* the scan's lines: not kept */
				if (n <= 0)
					break;
			}
			if (pfd[0].revents & (POLLIN | POLLHUP)) {
				n = read(errp[0], errbuf + el, sizeof(errbuf) - 1 - el);
				if (n <= 0)
					break;
				el += (size_t)n;
				errbuf[el] = '\0';
			}
		}
		REQUIRE(s && sscanf(s, "watching exec events (%31[a-z_])", src) == 1, "the watch did not start: %s",
			errbuf);
		o->buf[0] = '\0';
	}
	return watcher;
}

/* no_bpf: --no-bpf; raw: MEMWARD_WATCH_SKIP_TP_BTF=1 (the raw_tp program,
 * as on a kernel that refuses the tracing program type) */
static void run_source(const char *memward, bool no_bpf, bool raw, bool expect_bpf)
{
	char dir[] = "/tmp/mw-wsrc-XXXXXX", journal[64], src[32] = "";
	int errfd;
	double delays[N_LIVE];
	pid_t live[N_LIVE];
	int ndelays = 0;
	static struct out o;
	pid_t watcher;

	REQUIRE(mkdtemp(dir), "mkdtemp");
	snprintf(journal, sizeof(journal), "%s/journal", dir);
	{
		const char *extra[] = { "--interval", "0", "--journal", journal, no_bpf ? "--no-bpf" : NULL, NULL };

		watcher = start_watch(memward, raw, extra, &o, &errfd, src);
	}
	if (no_bpf)
		CHECK(!strcmp(src, "proc_connector"), "--no-bpf: source %s", src);
	else if (raw && expect_bpf)
		CHECK(!strcmp(src, "bpf_raw_tp"), "tp_btf skipped, a raw tracepoint loads here, but the source is %s",
		      src);
	else if (expect_bpf)
		CHECK(!strncmp(src, "bpf_", 4), "a raw tracepoint program loads here, but the watch uses %s", src);
	live_note("%s: source %s", no_bpf ? "--no-bpf" : raw ? "tp_btf skipped" : "default", src);
	for (int i = 0; i < N_LIVE; i++) {
		char line[8192], srcs[64];
		double t_exec, t_seen = 0;
		uint64_t ino;
		pid_t p = live[i] = fileless(50, false, &t_exec, &ino);
		const char *want[] = { "\"kind\":\"fileless_exec\",\"severity\":\"critical\"", "\"event\":\"exec\"",
				       srcs, NULL };
		bool ok;

		snprintf(srcs, sizeof(srcs), "\"source\":\"%s\"", src);
		ok = wait_line(&o, p, want, 10, line, sizeof(line), &t_seen);
		/* the proc connector may lose a 50 ms process under TCG: then
		 * exec_unread is what it can say */
		if (!ok && !strncmp(src, "proc", 4)) {
			const char *w2[] = { "\"type\":\"exec_unread\"", NULL };

			ok = wait_line(&o, p, w2, 1, line, sizeof(line), &t_seen);
			t_seen = 0;
		}
		CHECK(ok, "%s: a fileless process of 50 ms (%d) not reported", src, (int)p);
		if (ok && t_seen > 0)
			delays[ndelays++] = t_seen - t_exec;
		live_wait(p);
	}
	if (ndelays) {
		qsort(delays, (size_t)ndelays, sizeof(delays[0]), cmp_d);
		char fig[160];

		live_note("%s: exec to JSON line, median %.1f ms over %d (50 ms processes)", src,
			  delays[ndelays / 2] * 1e3, ndelays);
		snprintf(fig, sizeof(fig), "audit-watch-source: %s%s: exec to JSON line median %.1f ms over %d\n",
			 src, no_bpf ? " (--no-bpf)" : "", delays[ndelays / 2] * 1e3, ndelays);
		live_figure(fig);
	}
	/* scripts from a memfd: at their exec, from the exec record's
	 * arguments (BPF) or /proc/PID/cmdline (the connector) */
	for (int how = 0; how < 17; how++) {
		static const char *const hows[] = { "fexecve", "sh /proc/self/fd/3", "700 bytes of arguments first",
						    "sh < memfd", "sh /dev/stdin < memfd", "ld.so /bin/sh < memfd",
						    "sh file:///dev/fd/%33", "sh 3 in /proc/self/fd",
						    "sh /dev/fd/../fd/3", "sh proc/self/fd/3 in /",
						    "sh -c '. /dev/fd/3; :'", "sh /proc/self/cwd/3 in /proc/self/fd",
						    "ld.so /proc/self/fd/5 < memfd, fd 5 on /bin/sh",
						    "sh -c '. /dev/fd/[3]; :'", "sh -c 'cd /dev/fd && . ./3; :'",
						    "sh -c '. /proc/$$/fd/3; :'", "sh -c '. fd/3; :' in /dev" };
		char line[8192], srcs[64];
		double t_seen = 0;
		pid_t p;

		if ((how == 5 || how == 12) && !loader[0]) {
			live_note("%s: /bin/sh has no dynamic loader (a static program): %s not run", src, hows[how]);
			continue;
		}
		p = script(how);
		const char *want[] = { "\"kind\":\"fileless_exec\"", "\"event\":\"exec\"", "/memfd:mw-wsrc-script",
				       srcs, NULL };

		snprintf(srcs, sizeof(srcs), "\"source\":\"%s\"", src);
		CHECK(wait_line(&o, p, want, 10, line, sizeof(line), &t_seen),
		      "%s: a script run from a memfd (%s, pid %d) not reported at its exec", src,
		      hows[how], (int)p);
		kill(p, SIGKILL);
		live_wait(p);
	}
	check_gone(&o, watcher, src, !strncmp(src, "bpf_", 4), journal, dir);
	{
		/* a fileless process that execs /bin/sleep at once, both
		 * execs while the watch is stopped: the connector reads
		 * /proc after the second, and must say that it could not see
		 * the first (before: nothing at all); BPF has the record */
		char line[8192], srcs[64];
		double t_seen = 0;
		bool bpf = !strncmp(src, "bpf_", 4);
		const char *want[] = { bpf ? "\"kind\":\"fileless_exec\"" : "\"type\":\"exec_unread\"", srcs,
				       NULL };
		pid_t p;

		snprintf(srcs, sizeof(srcs), "\"source\":\"%s\"", src);
		kill(watcher, SIGSTOP);
		p = fork();
		REQUIRE(p >= 0, "fork");
		if (p == 0) {
			int m = self_memfd("mw-wsrc-again", MFD_CLOEXEC);
			char *argv[] = { "mw-wsrc", "--then-sleep", NULL };

			mw_sys_execveat(m, "", argv, argv, AT_EMPTY_PATH);
			_exit(122);
		}
		/* both execs done: its exe is /bin/sleep */
		for (double end = now_s() + 10; now_s() < end; usleep(10000)) {
			char exe[64], link[256];
			ssize_t n;

			snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)p);
			n = readlink(exe, link, sizeof(link) - 1);
			if (n > 0 && (link[n] = '\0', strstr(link, "sleep")))
				break;
		}
		kill(watcher, SIGCONT);
		CHECK(wait_line(&o, p, want, 10, line, sizeof(line), &t_seen),
		      "%s: a fileless process that exec'd /bin/sleep before the watch read it (pid %d): no %s", src,
		      (int)p, bpf ? "fileless_exec from its record" : "exec_unread line");
		kill(p, SIGKILL);
		live_wait(p);
	}
	{
		/* a named program that unlinks itself after its exec, the
		 * watch stopped until the unlink is done: its exec event is
		 * read after (with BPF, in a batch, not at once) and must
		 * find the file gone */
		char path[96], line[8192], exe[160], srcs[64];
		const char *want[] = { "\"kind\":\"fileless_exec\"", "\"severity\":\"high\"", "\"event\":\"exec\"",
				       exe, srcs, NULL };
		double t_cont, t_seen = 0;
		int sync[2];
		char b;
		pid_t p;

		snprintf(path, sizeof(path), "%s/named-prog", dir);
		snprintf(exe, sizeof(exe), "\"exe\":\"%s (deleted)\"", path);
		snprintf(srcs, sizeof(srcs), "\"source\":\"%s\"", src);
		REQUIRE(copy_self(path) == 0, "copy of this program to %s", path);
		REQUIRE(pipe2(sync, O_CLOEXEC) == 0, "pipe");
		kill(watcher, SIGSTOP);
		p = fork();
		REQUIRE(p >= 0, "fork");
		if (p == 0) {
			char *argv[] = { path, "--unlink-live", "5000", NULL };

			if (dup2(sync[1], 3) == 3)
				execv(path, argv);
			_exit(122);
		}
		close(sync[1]);
		CHECK(read(sync[0], &b, 1) == 1, "%s: %s did not unlink itself", src, path);
		close(sync[0]);
		kill(watcher, SIGCONT);
		t_cont = now_s();
		CHECK(wait_line(&o, p, want, 4, line, sizeof(line), &t_seen),
		      "%s: a program that unlinked itself after its exec (pid %d) not reported while it ran", src,
		      (int)p);
		if (t_seen > 0)
			live_note("%s: an exec with nothing to report at once, then an unlink: its line %.0f ms after "
				  "the watch ran again", src, (t_seen - t_cont) * 1e3);
		kill(p, SIGKILL);
		live_wait(p);
	}
	if (!strncmp(src, "bpf_", 4)) {
		/* sh < memfd that exited before the watch could read it: the
		 * exec record says what its stdin was, and its exe is the
		 * path it was exec'd by (/bin/sh is a file with a name: not
		 * "/sh (deleted)") */
		char line[8192], srcs[64];
		double t_seen = 0;
		const char *want[] = { "\"kind\":\"fileless_exec\"", "\"severity\":\"high\"", "\"exec_record\":true",
				       "/memfd:mw-wsrc-script", srcs, "\"exe\":\"/bin/sh\"", NULL };
		pid_t p;

		kill(watcher, SIGSTOP);
		p = fork();
		REQUIRE(p >= 0, "fork");
		if (p == 0) {
			int m = memfd_create("mw-wsrc-script", 0);

			if (m >= 0 && write(m, "exit 7\n", 7) == 7 && lseek(m, 0, SEEK_SET) == 0 && dup2(m, 0) == 0)
				execl("/bin/sh", "sh", (char *)NULL);
			_exit(122);
		}
		CHECK(live_wait(p) == 7, "%s: sh < memfd (pid %d) did not run its program", src, (int)p);
		kill(watcher, SIGCONT);
		snprintf(srcs, sizeof(srcs), "\"source\":\"%s\"", src);
		CHECK(wait_line(&o, p, want, 10, line, sizeof(line), &t_seen),
		      "%s: sh < memfd (pid %d), gone before it was read: no high fileless_exec from the exec record",
		      src, (int)p);
	}
	/* a process read through /proc is not reported again from its exec
	 * record: one line each */
	for (int i = 0; i < N_LIVE; i++) {
		int n = count_lines(&o, live[i], "\"kind\":\"fileless_exec\"");

		CHECK(n <= 1, "%s: %d fileless_exec lines about %d (one exec)", src, n, (int)live[i]);
	}
	kill(watcher, SIGTERM);
	CHECK(live_wait(watcher) == 0, "%s: the watch did not exit 0 on SIGTERM", src);
	close(o.fd);
	close(errfd);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		(void)!system(cmd);
	}
}

/* A shell running ". "$1"" from a memfd (a script of "sleep 4"), $0 a
 * pad of pad_len bytes, $1 /dev/fd/3; as uid (its gid the same), unless
 * (uid_t)-1. */
static pid_t script_as(size_t pad_len, uid_t uid)
{
	static const char text[] = "sleep 4\n";
	pid_t pid = fork();

	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		int m = memfd_create("mw-wsrc-script", 0);
		char *pad = malloc(pad_len + 1);

		if (!pad || m < 0 || write(m, text, sizeof(text) - 1) != (ssize_t)sizeof(text) - 1 || dup2(m, 3) != 3)
			_exit(120);
		if (uid != (uid_t)-1 && (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0))
			_exit(121);
		memset(pad, 'p', pad_len);
		pad[pad_len] = '\0';
		execl("/bin/sh", "sh", "-c", ". \"$1\"", pad, "/dev/fd/3", (char *)NULL);
		_exit(122);
	}
	return pid;
}

static pid_t script_after(size_t pad_len)
{
	return script_as(pad_len, (uid_t)-1);
}

/* The value of counter name in the textfile prom, or -1. */
static long long prom_value(const char *prom, const char *name)
{
	FILE *f = fopen(prom, "re");
	char line[512];
	long long v = -1;
	size_t n = strlen(name);

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ' ')
			v = atoll(line + n + 1);
	if (f)
		fclose(f);
	return v;
}

#define LONG_BURST 48

/* Kill and reap the n processes of burst; then, with a watcher (not 0),
 * stop it (it must exit 0 on SIGTERM) and close its output o and errfd. */
static void end_burst(const pid_t *burst, int n, pid_t watcher, struct out *o, int errfd, const char *src)
{
	for (int i = 0; i < n; i++) {
		kill(burst[i], SIGKILL);
		live_wait(burst[i]);
	}
	if (!watcher)
		return;
	kill(watcher, SIGTERM);
	CHECK(live_wait(watcher) == 0, "%s: the watch did not exit 0 on SIGTERM", src);
	close(o->fd);
	close(errfd);
}

/*
 * Command lines longer than the 64 KiB the watch reads at every exec: a
 * memfd script whose path, /dev/fd/3, ends at byte 65,536 exactly is
 * reported at its exec from those 64 KiB; one whose path starts past
 * 70,000 bytes too, by a full read of the process (all its arguments).
 * Such full reads are rationed (16 at once, 8 a second after): of
 * LONG_BURST such processes started at once, no more than the ration are
 * reported at their exec, the others are counted in
 * memward_audit_exec_args_unread_total (--textfile) and each gets an
 * exec_args_unread line at once, with its pid and executable, and every
 * one of them is reported by the next full scan (--interval 1) while it
 * runs: none is lost without a trace, even if it exits before that scan.
 */
static void check_args_cap(const char *memward, bool no_bpf)
{
	/* "sh\0-c\0. "$1"\0": 14 bytes, then the pad and its NUL */
	const size_t at_cap = 65536 - 14 - 1 - strlen("/dev/fd/3"), past = 70000;
	char dir[] = "/tmp/mw-wcap-XXXXXX", prom[64], src[32] = "", line[8192], srcs[64];
	static struct out o;
	double t_seen = 0, t0, t1;
	int errfd, at_exec_n = 0, at_scan_n = 0, n_exec, lined_n = 0, either_n = 0;
	char sh[PATH_MAX], exe_key[PATH_MAX + 16];
	pid_t no_trace = 0;
	pid_t watcher, p, burst[LONG_BURST];
	long long unread = -1;
	const char *at_exec[] = { "\"event\":\"exec\"", "/memfd:mw-wsrc-script", srcs, NULL };

	REQUIRE(mkdtemp(dir), "mkdtemp");
	REQUIRE(realpath("/bin/sh", sh), "realpath /bin/sh");
	snprintf(exe_key, sizeof(exe_key), "\"exe\":\"%s\"", sh);
	snprintf(prom, sizeof(prom), "%s/memward_audit.prom", dir);
	{
		const char *extra[] = { "--interval", "1", "--textfile", dir, no_bpf ? "--no-bpf" : NULL, NULL };

		watcher = start_watch(memward, false, extra, &o, &errfd, src);
	}
	snprintf(srcs, sizeof(srcs), "\"source\":\"%s\"", src);
	for (int i = 0; i < 2; i++) {
		p = script_after(i ? past : at_cap);
		CHECK(wait_line(&o, p, at_exec, 10, line, sizeof(line), &t_seen),
		      "%s: a script run from a memfd whose path %s (pid %d) not reported at its exec", src,
		      i ? "starts past 70,000 bytes of arguments" : "ends at byte 65,536 of the command line", (int)p);
		kill(p, SIGKILL);
		live_wait(p);
	}
	sleep(2); /* the ration full again */
	t0 = now_s();
	for (int i = 0; i < LONG_BURST; i++)
		burst[i] = script_after(past);
	t1 = now_s();
	/* until each is accounted for: reported at its exec or counted
	 * unread (a full scan may run meanwhile: its lines can come first),
	 * and every one reported by a full scan */
	for (double end = now_s() + 20; now_s() < end;) {
		const char *none[] = { "\"no such line\"", NULL };

		(void)wait_line(&o, 0, none, 0.2, line, sizeof(line), &t_seen); /* read what came */
		unread = prom_value(prom, "memward_audit_exec_args_unread_total");
		n_exec = at_exec_n;
		at_exec_n = at_scan_n = lined_n = either_n = 0;
		no_trace = 0;
		for (int i = 0; i < LONG_BURST; i++) {
			bool ex = count_lines(&o, burst[i], "\"event\":\"exec\"") > 0;
			bool ln = count_lines(&o, burst[i], "\"type\":\"exec_args_unread\"") > 0;

			at_exec_n += ex;
			lined_n += ln && count_lines(&o, burst[i], exe_key) > 0;
			either_n += ex || ln;
			if (!ex && !ln && !no_trace)
				no_trace = burst[i];
			at_scan_n += count_lines(&o, burst[i], "\"event\":\"scan\"") > 0;
		}
		if (at_exec_n != n_exec)
			t1 = now_s(); /* the last exec line came by then */
		if (at_exec_n + unread >= LONG_BURST && either_n == LONG_BURST && at_scan_n == LONG_BURST)
			break;
	}
	CHECK(at_scan_n == LONG_BURST, "%s: of %d scripts named past 70,000 bytes of arguments, %d reported by the "
	      "next full scans", src, LONG_BURST, at_scan_n);
	/* 16 at once, then 8 a second until the last was read */
	CHECK(at_exec_n <= 16 + (int)((t1 - t0) * 8) + 1,
	      "%s: %d of %d long command lines read whole at their exec in %.1f s: more than the ration", src,
	      at_exec_n, LONG_BURST, t1 - t0);
	CHECK(at_exec_n >= 16, "%s: only %d of %d long command lines read whole at their exec (16 at once)", src,
	      at_exec_n, LONG_BURST);
	CHECK(unread == LONG_BURST - at_exec_n,
	      "%s: %d of %d long command lines not reported at their exec, but memward_audit_exec_args_unread_total "
	      "is %lld", src, LONG_BURST - at_exec_n, LONG_BURST, unread);
	/* the ones past the ration named at once, not only counted */
	CHECK(either_n == LONG_BURST, "%s: of %d long command lines, pid %d neither reported at its exec nor given an "
	      "exec_args_unread line", src, LONG_BURST, (int)no_trace);
	CHECK(lined_n == LONG_BURST - at_exec_n, "%s: %d exec_args_unread lines naming the executable (%s), for %d long "
	      "command lines not read at their exec", src, lined_n, exe_key, LONG_BURST - at_exec_n);
	end_burst(burst, LONG_BURST, watcher, &o, errfd, src);
	live_note("%s: long command lines: at the 64 KiB cap and past it reported at the exec; of a burst of %d, "
		  "%d read whole at the exec (the last %.2f s after the first exec), %lld counted unread, %d reported "
		  "by the next scan, %d exec_args_unread lines", src, LONG_BURST, at_exec_n, t1 - t0, unread, at_scan_n,
		  lined_n);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		(void)!system(cmd);
	}
}

#define USER_UID 65534 /* nobody */

/*
 * With --user, the exec_args_unread lines name that user's processes only,
 * by their real or effective uid, as the findings do: LONG_BURST shells of
 * root's with long command lines spend the ration, LONG_BURST of nobody's
 * follow; each of nobody's is reported at its exec or named in an
 * exec_args_unread line, none of root's is in any line.
 */
static void check_args_user(const char *memward, bool no_bpf)
{
	char src[32] = "", line[8192], uid[16];
	static struct out o;
	double t_seen = 0;
	int errfd, either_n = 0, root_n = 0, lined_n = 0;
	pid_t watcher, roots[LONG_BURST], users[LONG_BURST], no_trace = 0, named = 0;

	if (geteuid() != 0) {
		live_note("--user with long command lines not checked: not root (cannot start nobody's processes)");
		return;
	}
	snprintf(uid, sizeof(uid), "%d", USER_UID);
	{
		const char *extra[] = { "--user", uid, no_bpf ? "--no-bpf" : NULL, NULL };

		watcher = start_watch(memward, false, extra, &o, &errfd, src);
	}
	for (int i = 0; i < LONG_BURST; i++)
		roots[i] = script_after(70000);
	for (int i = 0; i < LONG_BURST; i++)
		users[i] = script_as(70000, USER_UID);
	for (double end = now_s() + 20; now_s() < end && either_n < LONG_BURST;) {
		const char *none[] = { "\"no such line\"", NULL };

		(void)wait_line(&o, 0, none, 0.2, line, sizeof(line), &t_seen); /* read what came */
		either_n = lined_n = 0;
		no_trace = 0;
		for (int i = 0; i < LONG_BURST; i++) {
			bool ex = count_lines(&o, users[i], "\"event\":\"exec\"") > 0;
			bool ln = count_lines(&o, users[i], "\"type\":\"exec_args_unread\"") > 0;

			either_n += ex || ln;
			lined_n += ln;
			if (!ex && !ln && !no_trace)
				no_trace = users[i];
		}
	}
	sleep(1); /* any late line about root's */
	(void)wait_line(&o, 0, (const char *[]){ "\"no such line\"", NULL }, 0.2, line, sizeof(line), &t_seen);
	for (int i = 0; i < LONG_BURST; i++)
		if (count_lines(&o, roots[i], "\"type\"") > 0) {
			root_n++;
			named = roots[i];
		}
	CHECK(either_n == LONG_BURST, "%s --user %s: of %d long command lines of that user's, pid %d neither reported "
	      "at its exec nor named in an exec_args_unread line", src, uid, LONG_BURST, (int)no_trace);
	CHECK(lined_n > 0, "%s --user %s: no exec_args_unread line for that user's long command lines after root's "
	      "spent the ration", src, uid);
	CHECK(root_n == 0, "%s --user %s: %d lines name root's processes (pid %d among them)", src, uid, root_n,
	      (int)named);
	end_burst(roots, LONG_BURST, 0, NULL, -1, src);
	end_burst(users, LONG_BURST, watcher, &o, errfd, src);
	live_note("%s --user %s: after %d of root's long command lines, %d of the user's: %d named in exec_args_unread "
		  "lines, the others reported at their exec; %d lines about root's", src, uid, LONG_BURST, LONG_BURST,
		  lined_n, root_n);
}

int main(int argc, char **argv)
{
	int cerr, berr;

	if (argc == 3 && !strcmp(argv[1], "--unlink-live")) {
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (n <= 0)
			return 121;
		self[n] = '\0';
		if (unlink(self) < 0 || write(3, "u", 1) != 1)
			return 122;
		close(3);
		usleep((useconds_t)atoi(argv[2]) * 1000);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--then-sleep")) {
		execl("/bin/sleep", "sleep", "2", (char *)NULL);
		return 121;
	}
	if (argc == 3 && !strcmp(argv[1], "--live")) {
		usleep((useconds_t)atoi(argv[2]) * 1000);
		return 0;
	}
	REQUIRE(argc == 2, "usage: live-audit-watch-source MEMWARD");
	if (!live_loader_of("/bin/sh", loader, sizeof(loader)))
		loader[0] = '\0';
	cerr = connector_error();
	berr = raw_tp_error();
	live_note("raw tracepoint program on sched_process_exec: %s; proc connector: %s",
		  berr ? strerror(berr) : "loads", cerr ? strerror(cerr) : "listens");
	/* the guests' BPF LSM loads: tracepoint programs must too */
	if (berr && lk_profile_state("bpf_lsm") && !strcmp(lk_profile_state("bpf_lsm"), "supported"))
		CHECK(0, "the profile expects BPF programs to load, but a raw tracepoint fails: %s", strerror(berr));
	if (berr && cerr)
		live_skip("neither a raw tracepoint program (%s) nor the proc connector (%s) here",
			  strerror(berr), strerror(cerr));
#ifdef MW_HAVE_LIBBPF
	run_source(argv[1], false, false, !berr);
	check_args_cap(argv[1], false);
	check_args_user(argv[1], false);
	if (!berr)
		run_source(argv[1], false, true, true);
#else
	/* memward built without libbpf: the proc connector, always */
	live_note("memward was built without libbpf: no BPF source to expect");
	run_source(argv[1], false, false, false);
	check_args_cap(argv[1], false);
	check_args_user(argv[1], false);
#endif
	if (!cerr) {
		run_source(argv[1], true, false, false);
		check_args_cap(argv[1], true);
		check_args_user(argv[1], true);
	}
	else
		live_note("--no-bpf not run: the proc connector refuses this process: %s", strerror(cerr));
	return live_done();
}
