/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * BPF iterators for `memward audit`: walk every process's fd table
 * (iter/task_file) and memory map (iter/task_vma) in the kernel and write
 * one fixed record per memfd or secretmem found, instead of one readlink per
 * fd, one pidfd_getfd per memfd and one PROCMAP_QUERY per mapped file
 * through /proc. Read by src/audit/bpf.c; the /proc path stays the fallback
 * (and the reference: both must give the same findings).
 *
 * No vmlinux.h: the few kernel fields used are declared in
 * audit_common.bpf.h with preserve_access_index, and libbpf relocates them (CO-RE) against the
 * running kernel's BTF, so one object works on 6.1 and later kernels.
 *
 * Used where bpf/audit_iter2.bpf.c (the same in one walk of the tasks) does
 * not load: kernels before 6.7 (no open-coded VMA iterator).
 */
#include "audit_common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("iter/task_file")
int mw_audit_fds(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct rec_buf b;

	if (!task || !file)
		return 0;
	/* /proc/PID/fd is the leader's table; threads sharing it are
	 * skipped by the iterator, threads with their own are skipped here. */
	if (task->pid != task->tgid || (task->flags & PF_KTHREAD))
		return 0;
	__builtin_memset(&b.r, 0, sizeof(b.r));
	if (classify(file, &b))
		return 0;
	b.r.type = MW_BREC_FD;
	b.r.pid = (__u32)task->tgid;
	b.r.exec_id = BPF_CORE_READ(task, self_exec_id);
	b.r.fd = (__s32)ctx->fd;
	if (file->f_flags & O_ACCMODE)
		b.r.flags |= MW_BREC_FD_WRITE;
	emit(ctx->meta->seq, &b);
	return 0;
}

SEC("iter/task_vma")
int mw_audit_vmas(struct bpf_iter__task_vma *ctx)
{
	struct task_struct *task = ctx->task;
	struct vm_area_struct *vma = ctx->vma;
	struct rec_buf b;

	if (!task || !vma)
		return 0;
	if (task->pid != task->tgid || (task->flags & PF_KTHREAD))
		return 0;
	return emit_vma(ctx->meta->seq, task, vma, &b);
}

SEC("iter/task")
int mw_audit_procs(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct proc_buf b;

	if (!task || task->pid != task->tgid || (task->flags & PF_KTHREAD))
		return 0;
	bpf_seq_write(ctx->meta->seq, &b, make_proc(task, &b));
	return 0;
}
