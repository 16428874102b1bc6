/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The watch's BPF exec source: loads bpf/audit_exec.bpf.c (a libbpf
 * skeleton) with one of its two programs, tp_btf first, then raw_tp (a kernel
 * may refuse BPF_PROG_TYPE_TRACING and load raw tracepoints: this host's
 * 6.18 does), attaches it to sched_process_exec and hands each ring-buffer
 * record to the watch (watch.c). Nothing is assumed from the kernel
 * version: each program type is tried. Needs CAP_BPF and CAP_PERFMON (or
 * CAP_SYS_ADMIN) and kernel BTF; any failure leaves the watch to the proc
 * connector.
 */
#include "audit/collect.h"
#include "audit/bpf_rec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#if MW_HAVE_AUDIT_BPF
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "audit_exec.skel.h"

struct mw__exec_bpf {
	struct mw_audit_exec *skel;
	struct ring_buffer *rb;
	int (*cb)(void *arg, const struct mw_exec_rec *r);
	void *arg;
	const char *name;
};

/* libbpf's messages (a refused program type is expected here) go to the
 * library's log, at debug level: the library never prints. */
static int libbpf_to_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char msg[2048], *line, *save = NULL;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (line = strtok_r(msg, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		mw__log(LOG_DEBUG, "audit watch: libbpf: %s", line);
	return 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct mw__exec_bpf *b = ctx;
	struct mw_exec_rec r;

	if (size < sizeof(r))
		return 0;
	memcpy(&r, data, sizeof(r)); /* ring-buffer records are 8-aligned; a copy is cheap */
	r.comm[sizeof(r.comm) - 1] = '\0';
	r.name[sizeof(r.name) - 1] = '\0';
	r.filename[sizeof(r.filename) - 1] = '\0';
	for (unsigned int i = 0; i < MW_EXEC_DEPTH; i++)
		r.dirs[i][MW_EXEC_COMP - 1] = '\0';
	return b->cb ? b->cb(b->arg, &r) : 0;
}

/* Open, load and attach with one program: 0 or -errno. */
static int try_load(struct mw__exec_bpf *b, bool btf)
{
	struct mw_audit_exec *s = mw_audit_exec__open();
	int err;

	if (!s)
		return errno ? -errno : -EINVAL;
	bpf_program__set_autoload(btf ? s->progs.mw_exec_raw : s->progs.mw_exec_btf, false);
	err = mw_audit_exec__load(s);
	if (!err)
		err = btf ? (s->links.mw_exec_btf = bpf_program__attach(s->progs.mw_exec_btf)) ? 0 : -errno
			  : (s->links.mw_exec_raw = bpf_program__attach(s->progs.mw_exec_raw)) ? 0 : -errno;
	if (err) {
		mw_audit_exec__destroy(s);
		return err < 0 ? err : -EINVAL;
	}
	b->skel = s;
	b->name = btf ? "bpf_tp_btf" : "bpf_raw_tp";
	return 0;
}

int mw__exec_bpf_open(struct mw__exec_bpf **out)
{
	struct mw__exec_bpf *b = calloc(1, sizeof(*b));
	libbpf_print_fn_t old;
	int err, err_btf;

	*out = NULL;
	if (!b)
		return -ENOMEM;
	old = libbpf_set_print(libbpf_to_log);
	/* MEMWARD_WATCH_SKIP_TP_BTF (tests): behave as a kernel that refuses
	 * the tracing program type, so the raw_tp program is exercised where
	 * tp_btf loads (here and in both guests) */
	err_btf = err = secure_getenv("MEMWARD_WATCH_SKIP_TP_BTF") ? -EPERM : try_load(b, true);
	if (err)
		err = try_load(b, false);
	libbpf_set_print(old);
	if (!err) {
		b->rb = ring_buffer__new(bpf_map__fd(b->skel->maps.mw_exec_rb), on_record, b, NULL);
		if (!b->rb)
			err = errno ? -errno : -ENOMEM;
	}
	if (err) {
		mw__log(LOG_INFO, "audit watch: no BPF exec events (tp_btf: %s; raw_tp: %s)",
			strerror(-err_btf), strerror(-err));
		mw__exec_bpf_close(b);
		return err;
	}
	if (err_btf)
		mw__log(LOG_INFO, "audit watch: tp_btf refused (%s): raw tracepoint", strerror(-err_btf));
	*out = b;
	return 0;
}

const char *mw__exec_bpf_name(const struct mw__exec_bpf *b)
{
	return b->name;
}

int mw__exec_bpf_fd(const struct mw__exec_bpf *b)
{
	return ring_buffer__epoll_fd(b->rb);
}

int mw__exec_bpf_drain(struct mw__exec_bpf *b, int (*cb)(void *arg, const struct mw_exec_rec *r), void *arg)
{
	int n;

	b->cb = cb;
	b->arg = arg;
	n = ring_buffer__consume(b->rb);
	b->cb = NULL;
	return n < 0 ? n : 0;
}

void mw__exec_bpf_counts(const struct mw__exec_bpf *b, uint64_t *execs, uint64_t *dropped)
{
	*execs = __atomic_load_n(&b->skel->bss->execs, __ATOMIC_RELAXED);
	*dropped = __atomic_load_n(&b->skel->bss->dropped, __ATOMIC_RELAXED);
}

void mw__exec_bpf_close(struct mw__exec_bpf *b)
{
	if (!b)
		return;
	ring_buffer__free(b->rb);
	if (b->skel)
		mw_audit_exec__destroy(b->skel);
	free(b);
}

#else

struct mw__exec_bpf {
	int unused;
};

int mw__exec_bpf_open(struct mw__exec_bpf **out)
{
	*out = NULL;
	return -EOPNOTSUPP;
}

const char *mw__exec_bpf_name(const struct mw__exec_bpf *b)
{
	(void)b;
	return NULL;
}

int mw__exec_bpf_fd(const struct mw__exec_bpf *b)
{
	(void)b;
	return -EOPNOTSUPP;
}

int mw__exec_bpf_drain(struct mw__exec_bpf *b, int (*cb)(void *arg, const struct mw_exec_rec *r), void *arg)
{
	(void)b, (void)cb, (void)arg;
	return -EOPNOTSUPP;
}

void mw__exec_bpf_counts(const struct mw__exec_bpf *b, uint64_t *execs, uint64_t *dropped)
{
	(void)b;
	*execs = *dropped = 0;
}

void mw__exec_bpf_close(struct mw__exec_bpf *b)
{
	free(b);
}

#endif
