/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fd table walk of the task programs of bpf/audit_iter2.bpf.c and
 * bpf/audit_iter3.bpf.c: the open_fds bitmap read word by word, one
 * bpf_loop() callback per set bit (the lowest one, then cleared), and a
 * record for each fd that holds a memfd or secretmem. Callbacks, not an
 * open-coded loop: the verifier checks a callback once, where a number
 * iterator over the bits made it follow every value of the word (past its
 * million-instruction limit). For kernels with bpf_rdonly_cast (6.2).
 */
#ifndef MW_AUDIT_FDS_BPF_H
#define MW_AUDIT_FDS_BPF_H

/* bpf_rdonly_cast() (6.2) for audit_common.bpf.h too */
#define MW_AUDIT_CAST 1
#include "audit_common.bpf.h"

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
	unsigned long *open_fds;
} PA;
struct files_struct { struct fdtable *fdt; } PA;

/* One process's fd table, walked by fd_word() and fd_bit(). */
struct fd_walk {
	struct seq_file *seq;
	struct rec_buf *b;
	unsigned long fds;      /* struct file ** */
	unsigned long open;     /* the open_fds bitmap */
	__u64 exec_id;
	__u64 word;             /* the bitmap word being walked: its bits not yet seen */
	__u32 base;             /* its first fd */
	__u32 pid;
};

/* Index of the lowest set bit of x (x != 0): the bits below it, counted
 * without a branch (each branch is one more path for the verifier). */
static __always_inline __u32 low_bit(__u64 x)
{
	__u64 v = (x & -x) - 1;

	v = v - ((v >> 1) & 0x5555555555555555ull);
	v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
	v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (__u32)((v * 0x0101010101010101ull) >> 56);
}

/*
 * The record of the file at address file_addr held as fd, in b but for its
 * pid and exec_id: 1, or 0 when it is no memfd or secretmem. A global
 * function (so is vma_rec()): the verifier checks it once, not at each call
 * and loop turn of the programs that call it.
 */
__attribute__((noinline)) int fd_rec(__u64 file_addr, __u32 fd, struct rec_buf *b)
{
	struct file *file;

	if (!b || !file_addr)
		return 0;
	file = bpf_rdonly_cast((void *)file_addr, bpf_core_type_id_kernel(struct file));
	__builtin_memset(&b->r, 0, sizeof(b->r));
	if (classify(file, b))
		return 0;
	b->r.type = MW_BREC_FD;
	b->r.fd = (__s32)fd;
	if (file->f_flags & O_ACCMODE)
		b->r.flags |= MW_BREC_FD_WRITE;
	return 1;
}

/* The record of the mapping at address vma_addr, in b but for its pid and
 * exec_id: 1, or 0 for a mapping that makes none. */
__attribute__((noinline)) int vma_rec(__u64 vma_addr, struct rec_buf *b)
{
	if (!b || !vma_addr)
		return 0;
	return !fill_vma(bpf_rdonly_cast((void *)vma_addr, bpf_core_type_id_kernel(struct vm_area_struct)), b);
}

/* Write the record fd_rec() or vma_rec() made (made: what it returned),
 * or MW_BREC_CUT when it would take the program run's records past
 * MW_BREC_RUN_MAX (nothing more then: b->cut). */
static __always_inline void write_rec(struct seq_file *seq, struct rec_buf *b, int made, __u32 pid, __u64 exec_id)
{
	__u32 len;

	if (!made || b->cut)
		return;
	len = sizeof(b->r) + (((b->r.namelen & 0xff) + 7) & 0x1f8);
	b->r.pid = pid;
	b->r.exec_id = exec_id;
	if (b->used + len > MW_BREC_RUN_MAX) {
		__builtin_memset(&b->r, 0, sizeof(b->r));
		b->r.type = MW_BREC_CUT;
		b->r.pid = pid;
		b->r.exec_id = exec_id;
		b->r.fd = -1;
		b->r.seals = -1;
		bpf_seq_write(seq, b, sizeof(b->r));
		b->cut = 1;
		return;
	}
	b->used += len;
	emit(seq, b);
}

static long fd_bit(__u64 i, void *arg)
{
	struct fd_walk *w = arg;
	unsigned long p = 0;
	__u32 fd;

	(void)i;
	if (!w->word || w->b->cut)
		return 1; /* every set bit seen, or no room for more */
	fd = w->base + low_bit(w->word);
	w->word &= w->word - 1;
	/* the file pointer of fd, as the kernel's lockless lookups read it
	 * (under RCU, which the iterator holds); NULL while an open that
	 * reserved it is in progress */
	if (bpf_probe_read_kernel(&p, sizeof(p), (void *)(w->fds + (unsigned long)fd * sizeof(p))) || !p)
		return 0;
	write_rec(w->seq, w->b, fd_rec(p, fd, w->b), w->pid, w->exec_id);
	return 0;
}

static long fd_word(__u64 i, void *arg)
{
	struct fd_walk *w = arg;

	if (w->b->cut || bpf_probe_read_kernel(&w->word, sizeof(w->word), (void *)(w->open + i * sizeof(w->word))))
		return 1;
	if (w->word) {
		w->base = (__u32)i * 64;
		bpf_loop(65, fd_bit, w, 0);
	}
	return 0;
}

/* The fd table (what /proc/PID/fd lists), by the open_fds bitmap, with w
 * (zeroed but for seq, b, exec_id and pid; b->used and b->cut zeroed by the
 * caller, then telling what was written). */
static __always_inline void walk_fds(struct task_struct *task, struct fd_walk *w)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	__u32 nwords;

	if (!fdt)
		return;
	w->fds = (unsigned long)BPF_CORE_READ(fdt, fd);
	w->open = (unsigned long)BPF_CORE_READ(fdt, open_fds);
	/* max_fds is a multiple of BITS_PER_LONG; bpf_loop() stops at 2^23
	 * words (2^29 fds, past fs.nr_open's maximum) */
	nwords = BPF_CORE_READ(fdt, max_fds) / 64;
	if (nwords > (1u << 23))
		nwords = 1u << 23;
	if (w->fds && w->open && nwords)
		bpf_loop(nwords, fd_word, w, 0);
}

#endif
