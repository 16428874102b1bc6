/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `memward audit`'s iterators where the kernel has bpf_rdonly_cast (6.2)
 * but not the open-coded VMA iterator (6.7: bpf/audit_iter3.bpf.c):
 * each process's record and its fd table (bpf/audit_fds.bpf.h) in one
 * program run per process (iter/task), its memory map with iter/task_vma,
 * read on a second thread meanwhile. bpf/audit_iter.bpf.c, used where this does not load, walks
 * the fd tables with iter/task_file: a program run per fd, and a task lock
 * and a file reference taken for each (in perf profiles of `memward audit`
 * on 2,000 processes x 17 fds, 14% of the command's CPU; this walk of the
 * open_fds bitmap, 9%). Same records
 * (src/audit/bpf_rec.h), read by src/audit/bpf.c, which loads this object
 * before that one: the kfunc is tried at load, never assumed from a
 * version number.
 *
 * Every pointer the verifier trusts (the iterators' task and vma) is cast
 * to an untrusted one before fields are read through it (untrusted()).
 */
#include "audit_fds.bpf.h"

char LICENSE[] SEC("license") = "GPL";

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

/* A record being made: too large for the stack beside the process record
 * and the loop callbacks' frames. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rec_buf);
} scratch SEC(".maps");

SEC("iter/task_vma")
int mw_audit_vmas(struct bpf_iter__task_vma *ctx)
{
	struct task_struct *task = ctx->task;
	struct vm_area_struct *vma = ctx->vma;
	struct rec_buf b;

	if (!task || !vma)
		return 0;
	task = untrusted(task, struct task_struct);
	if (task->pid != task->tgid || (task->flags & PF_KTHREAD))
		return 0;
	return emit_vma(ctx->meta->seq, task, untrusted(vma, struct vm_area_struct), &b);
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
	if (procs_only) {
		size = make_gen(task, &pb);
		bpf_seq_write(seq, &pb, size);
		return 0;
	}
	size = make_proc(task, &pb);
	bpf_seq_write(seq, &pb, size);
	b = bpf_map_lookup_elem(&scratch, &key);
	if (b) {
		struct fd_walk w = { .seq = seq, .b = b, .exec_id = pb.r.exec_id, .pid = pb.r.pid };

		b->used = b->cut = 0;
		walk_fds(task, &w);
	}
	return 0;
}
