/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `memward audit`'s iterators where the kernel has bpf_rdonly_cast (6.2):
 * each process's record and its fd table in one program run per process
 * (iter/task), its memory map with iter/task_vma, read on a second thread
 * meanwhile. bpf/audit_iter.bpf.c, used where this does not load, walks
 * the fd tables with iter/task_file: a program run per fd, and a task lock
 * and a file reference taken for each (in perf profiles of `memward audit`
 * on 2,000 processes x 17 fds, 14% of the command's CPU; this walk of the
 * open_fds bitmap, 9%). Same records
 * (src/audit/bpf_rec.h), read by src/audit/bpf.c, which loads this object
 * first: the kfunc is tried at load, never assumed from a version number.
 *
 * Every pointer the verifier trusts (the iterators' task and vma) is cast
 * to an untrusted one before fields are read through it (untrusted()).
 */
#include "audit_common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/*
 * The same pointer, untrusted to the verifier. Each load through a trusted
 * pointer (an iterator's task or vma) has the verifier look for a
 * "<struct>__safe_trusted" type in the kernel's BTF, by a linear walk of
 * its types (126,668 on a 6.18 host), on every path it explores: a variant
 * of this object walking the maps with the open-coded VMA iterator took
 * 14 ms more to load for it. Loads through an untrusted pointer are probe
 * loads all the same; the kfunc is a register copy once verified.
 */
#define untrusted(p, type) ((type *)bpf_rdonly_cast((p), bpf_core_type_id_kernel(type)))

/* Set by user space (src/audit/bpf.c) before a read. */
__u32 procs_only = 0;  /* process records only: the generation check */

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
	unsigned long *open_fds;
} PA;
struct files_struct { struct fdtable *fdt; } PA;

/* A record being made: too large for the stack beside the process record
 * and the loop callbacks' frames. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rec_buf);
} scratch SEC(".maps");

/* One process's fd table, walked by fd_word() and fd_bit(). */
struct fd_walk {
	struct seq_file *seq;
	struct rec_buf *b;
	unsigned long fds;      /* struct file ** */
	unsigned long open;     /* the open_fds bitmap */
	__u64 exec_id;
	__u64 word;             /* the bitmap word being walked */
	__u32 base;             /* its first fd */
	__u32 pid;
};

static long fd_bit(__u64 i, void *arg)
{
	struct fd_walk *w = arg;
	struct rec_buf *b = w->b;
	unsigned long p = 0;
	struct file *file;
	__u32 fd = w->base + (__u32)i;

	if (!(w->word >> i))
		return 1; /* no higher bit set */
	if (!((w->word >> i) & 1))
		return 0;
	/* the file pointer of fd, as the kernel's lockless lookups read it
	 * (under RCU, which the iterator holds); NULL while an open that
	 * reserved it is in progress */
	if (bpf_probe_read_kernel(&p, sizeof(p), (void *)(w->fds + (unsigned long)fd * sizeof(p))) || !p)
		return 0;
	file = bpf_rdonly_cast((void *)p, bpf_core_type_id_kernel(struct file));
	__builtin_memset(&b->r, 0, sizeof(b->r));
	if (classify(file, b))
		return 0;
	b->r.type = MW_BREC_FD;
	b->r.pid = w->pid;
	b->r.exec_id = w->exec_id;
	b->r.fd = (__s32)fd;
	if (file->f_flags & O_ACCMODE)
		b->r.flags |= MW_BREC_FD_WRITE;
	emit(w->seq, b);
	return 0;
}

static long fd_word(__u64 i, void *arg)
{
	struct fd_walk *w = arg;

	if (bpf_probe_read_kernel(&w->word, sizeof(w->word), (void *)(w->open + i * sizeof(w->word))))
		return 1;
	if (w->word) {
		w->base = (__u32)i * 64;
		bpf_loop(64, fd_bit, w, 0);
	}
	return 0;
}

/* The fd table (what /proc/PID/fd lists), by the open_fds bitmap. */
static __always_inline void walk_fds(struct task_struct *task, struct seq_file *seq, struct rec_buf *b,
				     const struct mw_brec_proc *pr)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct fd_walk w = { .seq = seq, .b = b, .exec_id = pr->exec_id, .pid = pr->pid };
	__u32 nwords;

	if (!fdt)
		return;
	w.fds = (unsigned long)BPF_CORE_READ(fdt, fd);
	w.open = (unsigned long)BPF_CORE_READ(fdt, open_fds);
	/* max_fds is a multiple of BITS_PER_LONG; bpf_loop() stops at 2^23
	 * words (2^29 fds, past fs.nr_open's maximum) */
	nwords = BPF_CORE_READ(fdt, max_fds) / 64;
	if (nwords > (1u << 23))
		nwords = 1u << 23;
	if (w.fds && w.open && nwords)
		bpf_loop(nwords, fd_word, &w, 0);
}

SEC("iter/task_vma")
int mw_audit_vmas(struct bpf_iter__task_vma *ctx)
{
	struct task_struct *task = ctx->task;
	struct vm_area_struct *vma = ctx->vma;

	if (!task || !vma)
		return 0;
	task = untrusted(task, struct task_struct);
	if (task->pid != task->tgid || (task->flags & PF_KTHREAD))
		return 0;
	return emit_vma(ctx->meta->seq, task, untrusted(vma, struct vm_area_struct));
}

SEC("iter/task")
int mw_audit_all(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct seq_file *seq = ctx->meta->seq;
	struct proc_buf pb;
	struct rec_buf *b;
	__u32 key = 0, size;

	if (!task)
		return 0;
	task = untrusted(task, struct task_struct);
	if (task->pid != task->tgid || (task->flags & PF_KTHREAD))
		return 0;
	size = make_proc(task, &pb);
	bpf_seq_write(seq, &pb, size);
	if (procs_only)
		return 0;
	b = bpf_map_lookup_elem(&scratch, &key);
	if (b)
		walk_fds(task, seq, b, &pb.r);
	return 0;
}
