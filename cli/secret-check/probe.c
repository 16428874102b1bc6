/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `memward secret check`, the attack side.
 *
 * For each backing, this process (the "checker") forks an "owner" child that
 * creates a secret heap, allocates a secret and receives a random pattern
 * into it with read(2) straight from a pipe, plus a control buffer (ordinary
 * malloc memory) with another pattern. The patterns are generated only after
 * the fork, and the owner never copies the secret into ordinary memory, so
 * the owner's only copy of the pattern is in the secret pages: a core dump
 * that contains it leaked it from there.
 *
 * Then the checker, another process, tries to read the secret by every way
 * the backing should block, each time reading the control buffer the same way
 * first: when the control cannot be read either (no permission, Yama, a
 * filesystem without O_DIRECT) the method is "not testable here", never
 * "blocked".
 */
#include "protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memward/memward.h>

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif


static const char *en(int e) { return mw_errno_name(e); }

/* ---- the checker ------------------------------------------------------ */

struct session {
	pid_t pid;
	int cmd, rep, data;      /* checker's ends */
	int od;                  /* O_DIRECT file, or -1 */
	bool od_tmpfs;
	uint64_t secret, control;
	unsigned char pat[PG], ctl[PG], fill[PG];
	const struct sc_options *opt;
	struct sc_backing_report *br;
	bool dead;               /* the owner is gone (core dump, timeout) */
};

static int ask(struct session *s, int op, const char *arg, struct reply *r)
{
	struct req q = { .op = op };
	int e;

	if (arg)
		snprintf(q.arg, sizeof(q.arg), "%s", arg);
	e = sc_write_full(s->cmd, &q, sizeof(q));
	if (!e)
		e = sc_read_full(s->rep, r, sizeof(*r), REPLY_TIMEOUT_MS);
	if (e) {
		kill(s->pid, SIGKILL);
		s->dead = true;
	}
	return e;
}

static bool random_fill(unsigned char *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = getrandom(p + got, n - got, 0);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return false;
		got += (size_t)k;
	}
	/* A pattern that begins with zeros would match wiped memory. */
	p[0] |= 1;
	return true;
}

/* Classify a read of the secret by some method, given the same read of the
 * control buffer. */
static void classify(struct sc_cell *c, const char *how, ssize_t n, int err,
		     const unsigned char *got, ssize_t cn, int cerr, const unsigned char *cgot,
		     const unsigned char *ctl)
{
	if (cn != (ssize_t)CMP || memcmp(cgot, ctl, CMP)) {
		c->err = cerr;
		sc_cell_set(c, SC_NOT_TESTABLE, "%s of ordinary memory fails too (%s)", how,
			 cerr ? en(cerr) : "wrong bytes");
		return;
	}
	(void)got;
	c->err = err;
	if (n < 0)
		sc_cell_set(c, SC_BLOCKED, "%s fails with %s", how, en(err));
	else
		sc_cell_set(c, SC_BLOCKED, "%s returned %zd bytes, not the secret", how, n);
}

static void remote_read(struct session *s, enum sc_method m)
{
	struct sc_cell *c = &s->br->cells[m];
	unsigned char got[CMP] = { 0 }, cgot[CMP] = { 0 };
	ssize_t n = -1, cn = -1;
	int err = 0, cerr = 0;
	const char *how = "";

	if (m == SC_PVR) {
		struct iovec l = { got, CMP }, r = { (void *)(uintptr_t)s->secret, CMP };
		struct iovec cl = { cgot, CMP }, cr = { (void *)(uintptr_t)s->control, CMP };

		how = "process_vm_readv";
		cn = process_vm_readv(s->pid, &cl, 1, &cr, 1, 0);
		cerr = cn < 0 ? errno : 0;
		n = process_vm_readv(s->pid, &l, 1, &r, 1, 0);
		err = n < 0 ? errno : 0;
	} else if (m == SC_PROCMEM) {
		char path[64];
		int fd;

		how = "pread of /proc/PID/mem";
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)s->pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			cerr = err = errno;
		} else {
			cn = pread(fd, cgot, CMP, (off_t)s->control);
			cerr = cn < 0 ? errno : 0;
			n = pread(fd, got, CMP, (off_t)s->secret);
			err = n < 0 ? errno : 0;
			close(fd);
		}
	} else { /* SC_PTRACE */
		int st;

		how = "PTRACE_PEEKDATA";
		if (ptrace(PTRACE_SEIZE, s->pid, 0, 0) < 0) {
			cerr = err = errno;
			how = "PTRACE_SEIZE";
		} else {
			if (ptrace(PTRACE_INTERRUPT, s->pid, 0, 0) < 0 ||
			    waitpid(s->pid, &st, __WALL) < 0) {
				cerr = err = errno;
			} else {
				cn = n = CMP;
				for (size_t i = 0; i < CMP; i += sizeof(long)) {
					long w;

					errno = 0;
					w = ptrace(PTRACE_PEEKDATA, s->pid, s->control + i, 0);
					if (errno && cn > 0) {
						cerr = errno;
						cn = -1;
					}
					memcpy(cgot + i, &w, sizeof(w));
					errno = 0;
					w = ptrace(PTRACE_PEEKDATA, s->pid, s->secret + i, 0);
					if (errno && n > 0) {
						err = errno;
						n = -1;
					}
					memcpy(got + i, &w, sizeof(w));
				}
			}
			ptrace(PTRACE_DETACH, s->pid, 0, 0);
		}
	}
	if (n == (ssize_t)CMP && !memcmp(got, s->pat, CMP) &&
	    cn == (ssize_t)CMP && !memcmp(cgot, s->ctl, CMP)) {
		sc_cell_set(c, SC_READABLE, "%s returns the secret's bytes", how);
		return;
	}
	classify(c, how, n, err, got, cn, cerr, cgot, s->ctl);
}

/* Bytes the owner wrote (or vmspliced) into the data pipe: n then n2. */
static int drain_data(struct session *s, long long n, unsigned char *buf)
{
	if (n <= 0)
		return 0;
	return sc_read_full(s->data, buf, (size_t)n, REPLY_TIMEOUT_MS);
}

static void do_fill(struct session *s, bool first)
{
	struct sc_cell *c = &s->br->cells[SC_READ_INTO];
	struct req q = { .op = OP_FILL };
	struct reply r;
	int e;

	e = sc_write_full(s->cmd, &q, sizeof(q));
	if (!e)
		e = sc_write_full(s->cmd, s->pat, PG);
	if (!e)
		e = sc_write_full(s->cmd, s->ctl, PG);
	if (!e)
		e = sc_read_full(s->rep, &r, sizeof(r), REPLY_TIMEOUT_MS);
	if (e) {
		kill(s->pid, SIGKILL);
		s->dead = true;
		if (first)
			sc_cell_set(c, SC_NOT_TESTABLE, "the owner did not answer (%s)", en(-e));
		return;
	}
	if (!first)
		return;
	c->err = r.err;
	if (r.err)
		sc_cell_set(c, SC_FAILS, "read(2) from a pipe into the secret fails with %s", en(r.err));
	else
		sc_cell_set(c, SC_WORKS, "read(2) from a pipe filled the secret (%u bytes)", PG);
}

static void do_echo(struct session *s)
{
	struct sc_cell *c = &s->br->cells[SC_WRITE_FROM];
	unsigned char got[CMP];
	struct reply r;

	if (ask(s, OP_ECHO, NULL, &r) || drain_data(s, r.n, got)) {
		sc_cell_set(c, SC_NOT_TESTABLE, "the owner did not answer");
		return;
	}
	c->err = r.err;
	if (r.n != CMP)
		sc_cell_set(c, SC_FAILS, "write(2) from the secret to a pipe fails with %s", en(r.err));
	else if (memcmp(got, s->pat, CMP))
		sc_cell_set(c, SC_FAILS, "write(2) from the secret sent other bytes");
	else
		sc_cell_set(c, SC_WORKS, "write(2) from the secret to a pipe sends its bytes");
}

static void do_vmsplice(struct session *s)
{
	struct sc_cell *c = &s->br->cells[SC_VMSPLICE];
	unsigned char got[CMP] = { 0 }, cgot[CMP] = { 0 };
	struct reply r;

	if (ask(s, OP_VMSPLICE, NULL, &r) || drain_data(s, r.n2, cgot) || drain_data(s, r.n, got)) {
		sc_cell_set(c, SC_NOT_TESTABLE, "the owner did not answer");
		return;
	}
	if (r.n == CMP && !memcmp(got, s->pat, CMP) && r.n2 == CMP && !memcmp(cgot, s->ctl, CMP)) {
		sc_cell_set(c, SC_READABLE, "vmsplice of the secret succeeds; the pipe reader gets its bytes");
		return;
	}
	classify(c, "vmsplice", r.n, r.err, got, r.n2, r.err2, cgot, s->ctl);
}

/* ---- O_DIRECT --------------------------------------------------------- */

/* An unlinked file opened with O_DIRECT in a directory whose filesystem
 * accepts it, 3 pages long: [0] the secret's write target, [1] the
 * control's, [2] the bytes read into the secret. Prefers a filesystem that
 * does real direct I/O: tmpfs (6.6+) accepts O_DIRECT but copies through the
 * page cache like write(2), which secretmem allows. */
static void fs_name(unsigned long type, char *out, size_t len)
{
	static const struct { unsigned long magic; const char *name; } fs[] = {
		{ 0xEF53, "ext4" }, { 0x58465342, "xfs" }, { 0x9123683E, "btrfs" },
		{ 0x794c7630, "overlayfs" }, { 0xF2F52010, "f2fs" }, { 0x6969, "nfs" },
	};

	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++)
		if (fs[i].magic == type) {
			snprintf(out, len, "%s", fs[i].name);
			return;
		}
	snprintf(out, len, "fs magic 0x%lx", type);
}

static int odirect_open(const struct sc_options *opt, struct sc_report *rep, bool *is_tmpfs,
			char *why, size_t whylen)
{
	const char *cands[5];
	char cwd[PATH_MAX];
	size_t nc = 0;
	int tmpfs_fd = -1;
	char tmpfs_dir[PATH_MAX] = "";
	void *buf = NULL;

	if (opt->odirect_dir) {
		cands[nc++] = opt->odirect_dir;
	} else {
		const char *all[4] = { getenv("TMPDIR"), "/tmp", "/var/tmp",
				       getcwd(cwd, sizeof(cwd)) ? cwd : NULL };

		for (size_t i = 0; i < 4; i++) {
			bool dup = !all[i] || !all[i][0];

			for (size_t j = 0; j < nc && !dup; j++)
				dup = !strcmp(cands[j], all[i]);
			if (!dup)
				cands[nc++] = all[i];
		}
	}
	{
		size_t used = (size_t)snprintf(why, whylen, "no filesystem accepting O_DIRECT in");

		for (size_t i = 0; i < nc && used < whylen; i++)
			used += (size_t)snprintf(why + used, whylen - used, "%s %s", i ? "," : "", cands[i]);
	}
	if (posix_memalign(&buf, PG, PG))
		return -1;
	memset(buf, 0, PG);
	for (size_t i = 0; i < nc; i++) {
		char path[PATH_MAX];
		struct statfs sfs;
		int fd;

		if (snprintf(path, sizeof(path), "%s/.memward-odirect-XXXXXX", cands[i]) >=
		    (int)sizeof(path))
			continue;
		fd = mkostemp(path, O_CLOEXEC | O_DIRECT);
		if (fd < 0)
			continue;
		unlink(path);
		if (fstatfs(fd, &sfs) < 0 || pwrite(fd, buf, PG, 0) != PG ||
		    ftruncate(fd, 3 * PG) < 0) {
			close(fd);
			continue;
		}
		if (sfs.f_type == TMPFS_MAGIC) {
			if (tmpfs_fd < 0) {
				tmpfs_fd = fd;
				snprintf(tmpfs_dir, sizeof(tmpfs_dir), "%s", cands[i]);
			} else {
				close(fd);
			}
			continue;
		}
		if (tmpfs_fd >= 0)
			close(tmpfs_fd);
		snprintf(rep->odirect_dir, sizeof(rep->odirect_dir), "%s", cands[i]);
		fs_name(sfs.f_type, rep->odirect_fs, sizeof(rep->odirect_fs));
		*is_tmpfs = false;
		free(buf);
		return fd;
	}
	free(buf);
	if (tmpfs_fd >= 0) {
		snprintf(rep->odirect_dir, sizeof(rep->odirect_dir), "%s", tmpfs_dir);
		snprintf(rep->odirect_fs, sizeof(rep->odirect_fs), "tmpfs");
		*is_tmpfs = true;
	}
	return tmpfs_fd;
}

static int od_io(int fd, bool wr, const unsigned char *src, unsigned char *dst, off_t off)
{
	void *buf;
	ssize_t k;

	if (posix_memalign(&buf, PG, PG))
		return -ENOMEM;
	if (wr) {
		memcpy(buf, src, PG);
		k = pwrite(fd, buf, PG, off);
	} else {
		k = pread(fd, buf, PG, off);
		if (k == PG)
			memcpy(dst, buf, PG);
	}
	free(buf);
	return k == PG ? 0 : k < 0 ? -errno : -EIO;
}

static void do_odirect(struct session *s, const char *why)
{
	struct sc_cell *co = &s->br->cells[SC_ODIRECT_OUT], *ci = &s->br->cells[SC_ODIRECT_IN];
	unsigned char *zero = calloc(1, PG), *got = malloc(PG), *cgot = malloc(PG);
	struct reply r;

	if (!zero || !got || !cgot)
		goto out;
	if (s->od < 0) {
		sc_cell_set(co, SC_NOT_TESTABLE, "not testable here: %s", why);
		sc_cell_set(ci, SC_NOT_TESTABLE, "not testable here: %s", why);
		goto out;
	}
	/* Out of the secret: clear the targets, let the owner write, look. */
	if (od_io(s->od, true, zero, NULL, 0) || od_io(s->od, true, zero, NULL, PG) ||
	    od_io(s->od, true, s->fill, NULL, 2 * PG)) {
		sc_cell_set(co, SC_NOT_TESTABLE, "cannot prepare the O_DIRECT file");
		sc_cell_set(ci, SC_NOT_TESTABLE, "cannot prepare the O_DIRECT file");
		goto out;
	}
	if (ask(s, OP_OD_OUT, NULL, &r)) {
		sc_cell_set(co, SC_NOT_TESTABLE, "the owner did not answer");
		sc_cell_set(ci, SC_NOT_TESTABLE, "the owner did not answer");
		goto out;
	}
	if (od_io(s->od, false, NULL, got, 0) || od_io(s->od, false, NULL, cgot, PG)) {
		sc_cell_set(co, SC_NOT_TESTABLE, "cannot read the O_DIRECT file back");
	} else if (r.n2 != PG || memcmp(cgot, s->ctl, PG)) {
		co->err = r.err2;
		sc_cell_set(co, SC_NOT_TESTABLE, "O_DIRECT write of ordinary memory fails too (%s)",
			 r.err2 ? en(r.err2) : "wrong bytes");
	} else if (r.n == PG && !memcmp(got, s->pat, PG)) {
		if (s->od_tmpfs)
			sc_cell_set(co, SC_NOT_APPLICABLE,
				 "written: tmpfs O_DIRECT is a buffered copy like write(2), no page pinning");
		else
			sc_cell_set(co, SC_READABLE, "O_DIRECT write from the secret reached the file");
	} else {
		co->err = r.err;
		if (r.n < 0)
			sc_cell_set(co, SC_BLOCKED, "O_DIRECT write fails with %s", en(r.err));
		else
			sc_cell_set(co, SC_BLOCKED, "O_DIRECT write returned %lld, the secret is not in the file",
				 r.n);
	}

	/* Into the secret: the owner preads page 2 (fill) into it. */
	if (ask(s, OP_OD_IN, NULL, &r)) {
		sc_cell_set(ci, SC_NOT_TESTABLE, "the owner did not answer");
		goto out;
	}
	if (r.n2 != PG) {
		ci->err = r.err2;
		sc_cell_set(ci, SC_NOT_TESTABLE, "O_DIRECT read into ordinary memory fails too (%s)",
			 en(r.err2));
	} else if (r.n == PG) {
		if (s->od_tmpfs)
			sc_cell_set(ci, SC_NOT_APPLICABLE,
				 "read: tmpfs O_DIRECT is a buffered copy like read(2), no page pinning");
		else
			sc_cell_set(ci, SC_READABLE, "O_DIRECT read into the secret succeeds (the device could DMA into it)");
	} else {
		ci->err = r.err;
		sc_cell_set(ci, SC_BLOCKED, "O_DIRECT read fails with %s", r.n < 0 ? en(r.err) : "short read");
	}
	/* Put the pattern back (the read may have replaced it). */
	do_fill(s, false);
out:
	free(zero);
	free(got);
	free(cgot);
}

static void do_fork(struct session *s)
{
	struct sc_cell *c = &s->br->cells[SC_FORK];
	unsigned char got[CMP] = { 0 }, cgot[CMP] = { 0 };
	static const unsigned char zeros[CMP];
	struct reply r;

	if (ask(s, OP_FORK, NULL, &r) || drain_data(s, r.n, got) || drain_data(s, r.n2, cgot)) {
		sc_cell_set(c, SC_NOT_TESTABLE, "the owner did not answer");
		return;
	}
	if (r.n2 != CMP || memcmp(cgot, s->ctl, CMP)) {
		sc_cell_set(c, SC_NOT_TESTABLE, "the child cannot read its copy of ordinary memory either%s%s",
			 r.msg[0] ? ": " : "", r.msg);
		return;
	}
	c->err = r.err;
	if (r.n < 0)
		sc_cell_set(c, SC_BLOCKED, "no: not mapped in the child (write(2) from it: %s)", en(r.err));
	else if (!memcmp(got, s->pat, CMP))
		sc_cell_set(c, SC_READABLE, "yes: a forked child reads the secret");
	else if (!memcmp(got, zeros, CMP))
		sc_cell_set(c, SC_BLOCKED, "no: zero-filled in the child (MADV_WIPEONFORK)");
	else
		sc_cell_set(c, SC_BLOCKED, "no: the child sees other bytes");
}

/* ---- core dump (secret_check_core.c) ---------------------------------- */

static void do_core(struct session *s)
{
	struct sc_cell *c = &s->br->cells[SC_CORE];
	const unsigned char *needles[] = { s->pat, s->pat + PG / 2, s->fill, s->ctl };
	struct sc_core cc;
	struct reply r;

	if (!sc_core_begin(s->opt->core_dump, &cc, c))
		return;
	if (ask(s, OP_CORE, cc.dir, &r) || r.err) {
		c->err = s->dead ? 0 : r.err;
		sc_cell_set(c, SC_NOT_TESTABLE, "not testable here: the owner cannot dump core (%s%s%s)",
			    s->dead ? "no answer" : r.msg, s->dead ? "" : ": ", s->dead ? "" : en(r.err));
		sc_core_abort(&cc);
		return;
	}
	sc_core_finish(&cc, s->pid, needles, 4, NEEDLE, c);
	s->dead = true;
}

/* ---- one backing ------------------------------------------------------ */

static void set_all(struct sc_backing_report *br, enum sc_result res, const char *detail)
{
	for (int m = 0; m < SC_NMETHODS; m++)
		if (br->cells[m].result == SC_SKIPPED)
			sc_cell_set(&br->cells[m], res, "%s", detail);
}

static int run_backing(const struct sc_options *opt, enum sc_backing b, struct sc_backing_report *br,
		       int od, bool od_tmpfs, const char *od_why)
{
	int cmdp[2], repp[2], datap[2];
	struct session *s;
	struct reply r;
	int e, ws;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (pipe2(cmdp, O_CLOEXEC) < 0 || pipe2(repp, O_CLOEXEC) < 0 || pipe2(datap, O_CLOEXEC) < 0) {
		e = -errno;
		free(s);
		return e;
	}
	fflush(NULL);
	s->pid = fork();
	if (s->pid < 0) {
		e = -errno;
		free(s);
		return e;
	}
	if (s->pid == 0) {
		close(cmdp[1]);
		close(repp[0]);
		close(datap[0]);
		sc_owner_main(b, opt->share_children, (struct owner_io){ cmdp[0], repp[1], datap[1], od });
	}
	close(cmdp[0]);
	close(repp[1]);
	close(datap[1]);
	s->cmd = cmdp[1];
	s->rep = repp[0];
	s->data = datap[0];
	s->od = od;
	s->od_tmpfs = od_tmpfs;
	s->opt = opt;
	s->br = br;

	e = sc_read_full(s->rep, &r, sizeof(r), REPLY_TIMEOUT_MS);
	if (e) {
		kill(s->pid, SIGKILL);
		snprintf(br->reason, sizeof(br->reason), "the owner process did not start (%s)", en(-e));
		set_all(br, SC_NOT_TESTABLE, br->reason);
		goto done;
	}
	if (r.err) {
		snprintf(br->reason, sizeof(br->reason), "%s: %.200s", en(r.err), r.msg);
		if (b == SC_SECRETMEM) {
			struct mw_feature_status fst = { .sz = sizeof(fst) };

			if (!mw_feature_probe(MW_FEAT_MEMFD_SECRET, &fst) && fst.state != MW_FEATURE_SUPPORTED)
				snprintf(br->reason, sizeof(br->reason), "%s", fst.reason);
		}
		set_all(br, SC_UNAVAILABLE, br->reason);
		goto done;
	}
	br->available = true;
	br->bytes_locked = r.locked;
	snprintf(br->reason, sizeof(br->reason), "%s", r.msg);
	s->secret = r.secret;
	s->control = r.control;
	/* The patterns exist only from now on: the owner, forked before, has no
	 * copy of them outside its secret pages. */
	if (!random_fill(s->pat, PG) || !random_fill(s->ctl, PG) || !random_fill(s->fill, PG)) {
		kill(s->pid, SIGKILL);
		set_all(br, SC_NOT_TESTABLE, "getrandom failed");
		goto done;
	}
	do_fill(s, true);
	if (br->cells[SC_READ_INTO].result != SC_WORKS) {
		set_all(br, SC_NOT_TESTABLE, "the secret could not be filled");
		goto done;
	}
	do_echo(s);
	if (!s->dead)
		remote_read(s, SC_PVR);
	if (!s->dead)
		remote_read(s, SC_PROCMEM);
	if (!s->dead)
		remote_read(s, SC_PTRACE);
	if (!s->dead)
		do_vmsplice(s);
	if (!s->dead)
		do_odirect(s, od_why);
	if (!s->dead)
		do_fork(s);
	if (!s->dead)
		do_core(s);
	if (!s->dead)
		ask(s, OP_QUIT, NULL, &r);
	set_all(br, SC_NOT_TESTABLE, "the owner process went away");
done:
	close(s->cmd);
	close(s->rep);
	close(s->data);
	while (waitpid(s->pid, &ws, 0) < 0 && errno == EINTR)
			;
	explicit_bzero(s, sizeof(*s));
	free(s);
	return 0;
}

int sc_run(const struct sc_options *opt, struct sc_report *rep)
{
	char why[400];
	bool od_tmpfs = false;
	int od, e = 0;
	struct sigaction ign = { .sa_handler = SIG_IGN }, oldpipe;

	memset(rep, 0, sizeof(*rep));
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &oldpipe);
	od = odirect_open(opt, rep, &od_tmpfs, why, sizeof(why));
	for (int b = 0; b < SC_NBACKINGS && !e; b++) {
		rep->b[b].selected = opt->backing[b];
		if (opt->backing[b])
			e = run_backing(opt, (enum sc_backing)b, &rep->b[b], od, od_tmpfs, why);
	}
	if (od >= 0)
		close(od);
	sigaction(SIGPIPE, &oldpipe, NULL);
	return e;
}
