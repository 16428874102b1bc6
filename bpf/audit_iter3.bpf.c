/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `memward audit`'s iterator where the kernel has the open-coded VMA
 * iterator (bpf_iter_task_vma, 6.7): one program run per process writes its
 * record, its fd table (bpf/audit_fds.bpf.h) and its memory map, and two
 * readers share the walk (src/audit/bpf.c), each taking the next process
 * neither has taken. bpf/audit_iter2.bpf.c (6.2) walks the maps with a
 * second iterator: a program run per mapping, and a walk of its own of the
 * tasks, on one CPU; bpf/audit_iter.bpf.c (older kernels) also walks the
 * fd tables with task_file. Same records (src/audit/bpf_rec.h).
 * src/audit/bpf.c loads this object first: the kfuncs are tried at load,
 * never assumed from a version number.
 *
 * The VMA iterator takes the map's lock with a trylock: when it is held
 * (an mmap or munmap under way), the process's record says so
 * (MW_BREC_PROC_NO_MAPS) and user space reads /proc/PID/maps for it.
 *
 * Every pointer the verifier trusts (the iterator's task, the VMA
 * iterator's vma) is cast to an untrusted one before fields are read
 * through it (see untrusted() in bpf/audit_iter2.bpf.c): only the task is
 * passed trusted, to bpf_iter_task_vma_new().
 */
#include <stdbool.h>

#include "audit_fds.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct bpf_iter_task_vma {
	__u64 opaque_[1];
} __attribute__((aligned(8)));
extern int bpf_iter_task_vma_new(struct bpf_iter_task_vma *it, struct task_struct *task, __u64 addr) __ksym;
extern struct vm_area_struct *bpf_iter_task_vma_next(struct bpf_iter_task_vma *it) __ksym;
extern void bpf_iter_task_vma_destroy(struct bpf_iter_task_vma *it) __ksym;

#define untrusted(p, type) ((type *)bpf_rdonly_cast((p), bpf_core_type_id_kernel(type)))

#define ENOENT 2
#define EBUSY 16

/* Set by user space (src/audit/bpf.c) before a read. */
__u32 procs_only = 0;  /* process records only: the generation check */
__u32 shared = 0;      /* two readers share the walk: each takes a process by claimed */
__u32 reader[2];       /* their thread ids: the second one's records are made in scratch[1] */
__u32 maps_busy = 0;   /* tests: as if every map's lock were held (MW_BREC_PROC_NO_MAPS) */
/* Written here: */
__u64 claimed = 0;     /* the highest tgid a reader took (readers walk tgids in order;
			* 64 bits: the atomics of BPF ISA v1) */
__u64 mine[2];         /* the last tgid each reader took */
__u32 lost = 0;        /* a process neither reader could take: the read is void */

/* A record being made, one per reader (the stack cannot hold it beside the
 * process record and the fd walk's callback frames; a per-CPU slot would
 * be shared by two readers preempted on one CPU). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct rec_buf);
} scratch SEC(".maps");

/*
 * Take process tgid for this reader. Both readers walk the tgids in
 * ascending order; claimed is the highest one taken. A tgid at or below it
 * was passed by the reader ahead (taken by one of the two), so it is
 * skipped; above it, the first reader to move claimed to it has it. The
 * compare-and-swap fails only when the other reader took a process in
 * between, so a few tries are plenty; past them the read is marked lost and
 * user space reads again with one reader. A process whose records did not
 * fit in what was left of the read's buffer is shown again by the next
 * read: the reader that took it keeps it (mine[slot]).
 */
static __always_inline bool take(__u64 tgid, __u32 slot)
{
	bool got = false, passed = false;

	if (slot > 1)
		return false;
	if (mine[slot] == tgid)
		return true;
	/* unrolled: a loop would cost the kfuncs of a number iterator, each
	 * looked up by name in the kernel's BTF at every load */
#pragma unroll
	for (int i = 0; i < 8 && !got && !passed; i++) {
		__u64 old = *(volatile __u64 *)&claimed;

		if (tgid <= old)
			passed = true;
		else if (__sync_val_compare_and_swap(&claimed, old, tgid) == old)
			got = true;
	}
	if (got)
		mine[slot] = tgid;
	else if (!passed)
		lost = 1;
	return got;
}

SEC("iter/task")
int mw_audit_all(struct bpf_iter__task *ctx)
{
	struct task_struct *trusted = ctx->task, *task;
	struct seq_file *seq = ctx->meta->seq;
	struct bpf_iter_task_vma vmas;
	struct fd_walk w = { 0 };
	struct vm_area_struct *vma;
	struct proc_buf pb;
	struct rec_buf *b;
	__u32 key, size;
	int err;

	if (!trusted)
		return 0;
	task = untrusted(trusted, struct task_struct);
	if (task->pid != task->tgid || (task->flags & PF_KTHREAD))
		return 0;
	key = shared && (__u32)bpf_get_current_pid_tgid() == reader[1];
	if (shared && !take((__u64)(__u32)task->tgid, key))
		return 0;
	if (procs_only) {
		size = make_gen(task, &pb);
		bpf_seq_write(seq, &pb, size);
		return 0;
	}
	b = bpf_map_lookup_elem(&scratch, &key);
	if (!b)
		return 0;
	/* The record (its exec count) before the map's lock: an exec
	 * between the two gives mapping records of the new program with the
	 * old count, which the generation check at the end of the scan finds
	 * changed. The record says whether the lock was had. */
	size = make_proc(task, &pb);
	err = bpf_iter_task_vma_new(&vmas, trusted, 0);
	if (!err && maps_busy)
		err = -EBUSY;
	if (err && err != -ENOENT) /* -ENOENT: no memory map (exited) */
		pb.r.flags |= MW_BREC_PROC_NO_MAPS;
	bpf_seq_write(seq, &pb, size);
	w.seq = seq;
	w.b = b;
	w.exec_id = pb.r.exec_id;
	w.pid = pb.r.pid;
	b->used = b->cut = 0;
	walk_fds(task, &w);
	while (!err && !b->cut && (vma = bpf_iter_task_vma_next(&vmas))) {
		struct vm_area_struct *v = untrusted(vma, struct vm_area_struct);
		struct file *file = v->vm_file;
		struct inode *inode;
		__u64 addr = 0;

		/* what fill_vma() looks for, in a few loads: a file on an
		 * internal mount, or code from a file with no name (the rest
		 * in vma_rec(), checked once by the verifier, not at every
		 * turn of this loop) */
		if (!file)
			continue;
		inode = file->f_inode;
		if (!inode || (!(inode->i_sb->s_flags & SB_KERNMOUNT) && !((v->vm_flags & VM_EXEC) && !inode->i_nlink)))
			continue;
		/* its address as a number, for the global function */
		if (bpf_probe_read_kernel(&addr, sizeof(addr), &v))
			continue;
		write_rec(seq, b, vma_rec(addr, b), w.pid, w.exec_id);
	}
	bpf_iter_task_vma_destroy(&vmas);
	return 0;
}
