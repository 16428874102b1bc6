/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward audit --watch against real exec events: a fileless process
 * (a copy of this program run from an unsealed memfd, living 1 s) must
 * appear as one JSON line on stdout, critical fileless_exec with its pid,
 * shortly after its exec (the median delay is printed); one that exits at
 * once must appear as a finding or as exec_unread, never not at all; the
 * journal must hold the same lines and rotate at its size bound, keeping
 * --journal-keep old files; --textfile must leave a complete
 * memward_audit.prom counting the findings. The proc connector is tried by
 * the test itself: without it (not root, no CONFIG_PROC_EVENTS) the test
 * skips with the reason.
 *
 * usage: live-audit-watch MEMWARD
 *        live-audit-watch --live MS   (what the memfd copies run)
 */
#include "watch.h"
#include "sys/shim.h"

#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <time.h>

#define N_FILELESS 12



/* Run a copy of this program from an unsealed memfd; it lives ms. */
static pid_t fileless(int ms, double *t_exec)
{
	pid_t pid;

	*t_exec = now_s();
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		int m = self_memfd("mw-watch", MFD_CLOEXEC);
		char arg[16], *argv[] = { "mw-watch", "--live", arg, NULL };

		snprintf(arg, sizeof(arg), "%d", ms);
		*t_exec = now_s();
		mw_sys_execveat(m, "", argv, argv, AT_EMPTY_PATH);
		_exit(122);
	}
	return pid;
}

/* Read the watch's stdout until a line about pid shows (or timeout s). */
static bool wait_line(int fd, char *acc, size_t size, size_t *len, pid_t pid, const char *want, double tmo,
		      double *t_seen)
{
	char key[32];
	double end = now_s() + tmo;

	snprintf(key, sizeof(key), "\"pid\":%d,", (int)pid);
	for (;;) {
		char *p = acc;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		while ((p = strstr(p, key))) {
			char *bol = p, *eol = strchr(p, '\n');

			while (bol > acc && bol[-1] != '\n')
				bol--;
			if (eol && (!want || memmem(bol, (size_t)(eol - bol), want, strlen(want))))
				return true;
			p++;
		}
		if (now_s() > end || *len >= size - 1)
			return false;
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = read(fd, acc + *len, size - 1 - *len);
		if (n <= 0)
			return false;
		*len += (size_t)n;
		acc[*len] = '\0';
		*t_seen = now_s();
	}
}

/* --listen: GET /metrics from a second watch. */
static void check_listen(const char *memward)
{
	char port[16], addr[32], line[4096], resp[65536];
	int errp[2];
	size_t el = 0, rl = 0;
	ssize_t n;
	pid_t w;

	snprintf(port, sizeof(port), "%d", 20000 + (int)(getpid() % 20000));
	snprintf(addr, sizeof(addr), "127.0.0.1:%s", port);
	REQUIRE(pipe2(errp, O_CLOEXEC) == 0, "pipe");
	w = fork();
	REQUIRE(w >= 0, "fork");
	if (w == 0) {
		char *args[] = { (char *)memward, "audit", "--watch", "--interval", "0", "--no-ns-probe",
				 "--listen", addr, NULL };
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		dup2(null, 1);
		dup2(errp[1], 2);
		execv(args[0], args);
		_exit(127);
	}
	close(errp[1]);
	line[0] = '\0';
	while (!strchr(line, '\n') && el < sizeof(line) - 1 &&
	       (n = read(errp[0], line + el, sizeof(line) - 1 - el)) > 0) {
		el += (size_t)n;
		line[el] = '\0';
	}
	if (strstr(line, "built without libmicrohttpd")) {
		live_note("--listen not checked: %s", line);
		live_wait(w);
		close(errp[0]);
		return;
	}
	CHECK(strstr(line, "watching exec events"), "--listen watch did not start: %s", line);
	{
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		static const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";

		REQUIRE(s >= 0, "socket");
		CHECK(connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		      write(s, req, sizeof(req) - 1) == (ssize_t)sizeof(req) - 1, "connect %s: %s", addr,
		      strerror(errno));
		while (rl < sizeof(resp) - 1 && (n = read(s, resp + rl, sizeof(resp) - 1 - rl)) > 0)
			rl += (size_t)n;
		resp[rl] = '\0';
		close(s);
		CHECK(!strncmp(resp, "HTTP/1.", 7) && strstr(resp, " 200 ") &&
		      strstr(resp, "\nmemward_audit_exec_events_total ") &&
		      strstr(resp, "text/plain; version=0.0.4"), "GET /metrics:\n%.300s", resp);
	}
	kill(w, SIGTERM);
	CHECK(live_wait(w) == 0, "--listen watch did not exit 0 on SIGTERM");
	close(errp[0]);
}


/* Run args (the watch), its stdout into out[0] (a pipe of pipe_size bytes
 * unless 0), its stderr into errp[0]. Its pid. */
static pid_t spawn(char *const args[], int out[2], int errp[2], int pipe_size)
{
	pid_t pid;

	REQUIRE(pipe2(out, O_CLOEXEC) == 0 && pipe2(errp, O_CLOEXEC) == 0, "pipe");
	if (pipe_size)
		(void)fcntl(out[1], F_SETPIPE_SZ, pipe_size);
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(errp[1], 2);
		execv(args[0], args);
		_exit(127);
	}
	close(out[1]);
	close(errp[1]);
	return pid;
}

/*
 * SIGTERM ends the watch with status 0 also while it is blocked writing a
 * line to a reader that stopped reading (a log shipper that stalled):
 * stdout is a pipe of one page that nobody reads, fileless processes give
 * it more lines than fit, then SIGTERM. Before, the interrupted write was
 * taken as an output error: status 2, "writing the output: Interrupted
 * system call".
 */
static void check_stalled_reader(const char *memward)
{
	int out[2], errp[2], status = -1;
	char errbuf[4096] = "";
	size_t el = 0;
	pid_t watcher, w = 0, kids[10];
	double t;

	char *args[] = { (char *)memward, "audit", "--watch", "--interval", "0", "--no-ns-probe", NULL };

	watcher = spawn(args, out, errp, 4096);
	/* its start (or its first scan blocked on the full pipe already) */
	for (double end = now_s() + 30; !strstr(errbuf, "watching exec events") && now_s() < end;) {
		struct pollfd pfd = { .fd = errp[0], .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 500) <= 0)
			continue;
		n = read(errp[0], errbuf + el, sizeof(errbuf) - 1 - el);
		if (n <= 0)
			break;
		el += (size_t)n;
		errbuf[el] = '\0';
	}
	for (int i = 0; i < 10; i++)
		kids[i] = fileless(3000, &t);
	usleep(1500000); /* their lines written, up to the full pipe */
	kill(watcher, SIGTERM);
	for (double end = now_s() + 10; !w && now_s() < end; usleep(20000))
		w = waitpid(watcher, &status, WNOHANG);
	if (!w) {
		kill(watcher, SIGKILL);
		waitpid(watcher, &status, 0);
	}
	CHECK(w == watcher && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "SIGTERM while stdout's reader stalled: the watch %s %d", w != watcher ? "did not end in 10 s, status"
	      : WIFEXITED(status) ? "exited" : "was killed by signal",
	      WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? WTERMSIG(status) : status);
	for (int i = 0; i < 10; i++) {
		kill(kids[i], SIGKILL);
		live_wait(kids[i]);
	}
	close(out[0]);
	close(errp[0]);
}

int main(int argc, char **argv)
{
	static char acc[1 << 20];
	char dir[] = "/tmp/mw-watch-XXXXXX", journal[64], prom[128], errbuf[4096];
	int out[2], errp[2], err;
	size_t len = 0;
	double delays[N_FILELESS];
	int ndelays = 0;
	pid_t watcher;

	if (argc == 3 && !strcmp(argv[1], "--live")) {
		usleep((useconds_t)atoi(argv[2]) * 1000);
		return 0;
	}
	REQUIRE(argc == 2, "usage: live-audit-watch MEMWARD");
	err = connector_error();
	if (err)
		live_skip("the proc connector refuses this process: %s", strerror(err));
	REQUIRE(mkdtemp(dir), "mkdtemp");
	snprintf(journal, sizeof(journal), "%s/journal", dir);
	{
		char *args[] = { argv[1], "audit", "--watch", "--interval", "0", "--no-ns-probe", "--journal",
				 journal, "--journal-size", "4K", "--journal-keep", "2", "--textfile", dir, NULL };

		watcher = spawn(args, out, errp, 0);
	}
	{
		/* "watching exec events" on stderr: the listener is up. The
		 * full scan's lines come first on stdout (megabytes on a busy
		 * machine): read them meanwhile, or the full pipe stops the
		 * watch before it says so. */
		size_t el = 0;
		ssize_t n;

		errbuf[0] = '\0';
		while (!strchr(errbuf, '\n') && el < sizeof(errbuf) - 1) {
			struct pollfd pfd[2] = { { .fd = errp[0], .events = POLLIN }, { .fd = out[0], .events = POLLIN } };

			if (poll(pfd, 2, 1000) <= 0)
				continue;
			if ((pfd[1].revents & POLLIN) && read(out[0], acc, sizeof(acc) - 1) <= 0)
				break;
			if (pfd[0].revents & (POLLIN | POLLHUP)) {
				n = read(errp[0], errbuf + el, sizeof(errbuf) - 1 - el);
				if (n <= 0)
					break;
				el += (size_t)n;
				errbuf[el] = '\0';
			}
		}
		acc[0] = '\0';
		REQUIRE(strstr(errbuf, "watching exec events"), "the watch did not start: %s", errbuf);
	}
	for (int i = 0; i < N_FILELESS; i++) {
		double t_exec, t_seen = 0;
		/* it lives 1 s: time enough under TCG (a slow guest) too */
		pid_t p = fileless(1000, &t_exec);
		bool ok = wait_line(out[0], acc, sizeof(acc), &len, p,
				    "\"kind\":\"fileless_exec\",\"severity\":\"critical\"", 5, &t_seen);

		CHECK(ok, "fileless process %d (run %d) not reported as critical fileless_exec", (int)p, i);
		if (ok && strstr(acc, "\"event\":\"exec\""))
			delays[ndelays++] = t_seen - t_exec;
		live_wait(p);
	}
	{
		double t;
		pid_t p = fileless(0, &t);

		CHECK(wait_line(out[0], acc, sizeof(acc), &len, p, NULL, 5, &t),
		      "a fileless process that exited at once left no line (finding or exec_unread)");
		live_wait(p);
	}
	if (ndelays) {
		qsort(delays, (size_t)ndelays, sizeof(delays[0]), cmp_d);
		live_note("exec to JSON line: median %.1f ms over %d (fork+exec included; upper bound)",
			  delays[ndelays / 2] * 1e3, ndelays);
	}
	kill(watcher, SIGTERM);
	CHECK(live_wait(watcher) == 0, "the watch did not exit 0 on SIGTERM");
	{
		char path[128];
		struct stat st;

		snprintf(path, sizeof(path), "%s.1", journal);
		CHECK(stat(journal, &st) == 0 && st.st_size <= 4096 + 2048, "journal size %lld",
		      (long long)st.st_size);
		CHECK(stat(path, &st) == 0, "no rotated journal %s", path);
		snprintf(path, sizeof(path), "%s.3", journal);
		CHECK(stat(path, &st) < 0, "more than --journal-keep 2 old journals");
		snprintf(prom, sizeof(prom), "%s/memward_audit.prom", dir);
		{
			FILE *f = fopen(prom, "re");
			char line[512];
			bool counted = false, ended = false;

			CHECK(f != NULL, "no textfile %s", prom);
			while (f && fgets(line, sizeof(line), f)) {
				if (strstr(line, "memward_audit_findings_total{kind=\"fileless_exec\",severity=\"critical\""))
					counted = atoi(strrchr(line, ' ') + 1) >= ndelays;
				ended |= !strncmp(line, "memward_audit_last_scan_timestamp_seconds ", 42);
			}
			if (f)
				fclose(f);
			CHECK(counted && ended, "textfile: counter %d, complete %d", counted, ended);
		}
	}
	check_listen(argv[1]);
	check_stalled_reader(argv[1]);
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		(void)!system(cmd);
	}
	return live_done();
}
