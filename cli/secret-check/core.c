/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `memward secret check`: the core-dump row. The owner process is killed
 * with SIGABRT in an empty temporary directory and its core file searched
 * for the secret's bytes (and for the control buffer's, which must be there
 * for the result to mean anything).
 *
 * kernel.core_pattern is GLOBAL (not namespaced): when it is a plain
 * relative file name ("core", Debian's and busybox's default) the dump lands
 * in the owner's cwd and nothing changes. Otherwise (a pipe to a handler
 * such as systemd-coredump, an absolute path) it is set to "core" only with
 * --core-dump, only between the kill and the reaping of the owner, and put
 * back afterwards, from a signal handler too (SIGKILL excepted).
 */
#include "secret_check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memward/memward.h>

#define CORE_PATTERN "/proc/sys/kernel/core_pattern"

static char saved_pattern[520];
static size_t saved_len;
static volatile sig_atomic_t pattern_changed;
static const int restore_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGABRT, SIGFPE };
static struct sigaction old_actions[sizeof(restore_signals) / sizeof(restore_signals[0])];

static void restore_pattern(void)
{
	int fd;

	if (!pattern_changed)
		return;
	fd = open(CORE_PATTERN, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, saved_pattern, saved_len) == (ssize_t)saved_len)
			pattern_changed = 0;
		close(fd);
	}
}

static void restore_on_signal(int sig)
{
	restore_pattern();   /* open/write/close are async-signal-safe */
	signal(sig, SIG_DFL);
	raise(sig);
}

static void guard_signals(bool on)
{
	for (size_t i = 0; i < sizeof(restore_signals) / sizeof(restore_signals[0]); i++) {
		if (on) {
			struct sigaction sa = { .sa_handler = restore_on_signal };

			sigemptyset(&sa.sa_mask);
			sigaction(restore_signals[i], &sa, &old_actions[i]);
		} else {
			sigaction(restore_signals[i], &old_actions[i], NULL);
		}
	}
}

/* Search the core file for the needles, skipping holes. Sets *found_secret
 * and *found_control; returns the file size, or -errno. */
static long long scan_core(int fd, const unsigned char *const needles[], size_t nneedles,
			   size_t needle_len, bool *found_secret, bool *found_control, long long *where)
{
	enum { BUF = 1 << 20 };
	unsigned char *buf = malloc(BUF + needle_len);
	struct stat stt;
	off_t pos = 0;

	if (!buf)
		return -ENOMEM;
	if (fstat(fd, &stt) < 0) {
		free(buf);
		return -errno;
	}
	*found_secret = *found_control = false;
	while (pos < stt.st_size) {
		off_t data = lseek(fd, pos, SEEK_DATA), end;

		if (data < 0)
			break;
		end = lseek(fd, data, SEEK_HOLE);
		if (end < 0)
			end = stt.st_size;
		for (off_t off = data; off < end;) {
			size_t want = (size_t)(end - off) < BUF ? (size_t)(end - off) : BUF;
			ssize_t k = pread(fd, buf, want + needle_len - 1, off);

			if (k <= 0)
				break;
			for (size_t i = 0; i < nneedles; i++) {
				unsigned char *hit = memmem(buf, (size_t)k, needles[i], needle_len);

				if (!hit)
					continue;
				if (i == nneedles - 1) {
					*found_control = true;
				} else if (!*found_secret) {
					*found_secret = true;
					*where = (long long)(off + (hit - buf));
				}
			}
			off += (off_t)want;
		}
		pos = end;
	}
	free(buf);
	return stt.st_size;
}

bool sc_core_begin(bool allow_change, struct sc_core *cc, struct sc_cell *c)
{
	const char *tmp = getenv("TMPDIR");
	ssize_t k;
	int fd;

	memset(cc, 0, sizeof(*cc));
	fd = open(CORE_PATTERN, O_RDONLY | O_CLOEXEC);
	k = fd >= 0 ? read(fd, cc->pattern, sizeof(cc->pattern) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (k <= 0) {
		sc_cell_set(c, SC_NOT_TESTABLE, "not testable here: cannot read " CORE_PATTERN);
		return false;
	}
	cc->pattern[k] = '\0';
	cc->pattern[strcspn(cc->pattern, "\n")] = '\0';
	/* A plain relative name ("core", "core.%p") is written into the dumping
	 * process's cwd: nothing global needs to change. */
	cc->need_change = cc->pattern[0] == '|' || strchr(cc->pattern, '/') || !cc->pattern[0];
	if (cc->need_change && !allow_change) {
		sc_cell_set(c, SC_NOT_TESTED,
			    "not tested (would change the global core_pattern '%.100s'; pass --core-dump)",
			    cc->pattern);
		return false;
	}
	snprintf(cc->dir, sizeof(cc->dir), "%s/memward-core-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(cc->dir)) {
		sc_cell_set(c, SC_NOT_TESTABLE, "not testable here: mkdtemp: %s", mw_errno_name(errno));
		return false;
	}
	return true;
}

void sc_core_abort(struct sc_core *cc)
{
	rmdir(cc->dir);
}

void sc_core_finish(struct sc_core *cc, pid_t owner, const unsigned char *const needles[],
		    size_t nneedles, size_t needle_len, struct sc_cell *c)
{
	char file[PATH_MAX + 300] = "";
	bool dumped;
	int fd, ws;

	if (cc->need_change) {
		snprintf(saved_pattern, sizeof(saved_pattern), "%s\n", cc->pattern);
		saved_len = strlen(saved_pattern);
		guard_signals(true);
		pattern_changed = 1;
		fd = open(CORE_PATTERN, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "core\n", 5) != 5) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			restore_pattern();
			pattern_changed = 0;
			guard_signals(false);
			c->err = e;
			sc_cell_set(c, SC_NOT_TESTABLE, "not testable here: cannot set core_pattern (%s)",
				    mw_errno_name(e));
			kill(owner, SIGKILL);
			while (waitpid(owner, &ws, 0) < 0 && errno == EINTR)
				;
			rmdir(cc->dir);
			return;
		}
		close(fd);
	}
	kill(owner, SIGABRT);
	while (waitpid(owner, &ws, 0) < 0 && errno == EINTR)
		;
	if (cc->need_change) {
		restore_pattern();
		guard_signals(false);
	}
	dumped = WIFSIGNALED(ws) && WCOREDUMP(ws);
	{
		DIR *d = opendir(cc->dir);
		struct dirent *e;

		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.' && !file[0])
				snprintf(file, sizeof(file), "%s/%s", cc->dir, e->d_name);
		if (d)
			closedir(d);
	}
	if (!dumped || !file[0]) {
		sc_cell_set(c, SC_NOT_TESTABLE,
			    "not testable here: no core file was written (core_pattern '%.100s')",
			    cc->need_change ? "core" : cc->pattern);
	} else {
		bool fs = false, fc = false;
		long long where = -1, size;

		fd = open(file, O_RDONLY | O_CLOEXEC);
		size = fd >= 0 ? scan_core(fd, needles, nneedles, needle_len, &fs, &fc, &where) : -errno;
		if (fd >= 0)
			close(fd);
		if (size < 0)
			sc_cell_set(c, SC_NOT_TESTABLE, "cannot read the core file: %s",
				    mw_errno_name((int)-size));
		else if (!fc)
			sc_cell_set(c, SC_NOT_TESTABLE,
				    "not testable here: the control bytes are not in the %lld-byte core either",
				    size);
		else if (fs)
			sc_cell_set(c, SC_READABLE, "the secret is in the core dump (file offset %lld)", where);
		else
			sc_cell_set(c, SC_BLOCKED, "not in the %lld-byte core dump (the control bytes are)",
				    size);
		unlink(file);
	}
	rmdir(cc->dir);
}
