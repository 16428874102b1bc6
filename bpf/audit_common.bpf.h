/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the audit's three BPF objects share (bpf/audit_iter.bpf.c, the
 * iterators every kernel with them loads; bpf/audit_iter2.bpf.c, the fd
 * tables in the task walk, 6.2 and later; bpf/audit_iter3.bpf.c, the maps
 * too, 6.7 and later): the kernel fields they read, declared with
 * preserve_access_index (CO-RE: no vmlinux.h, one object for every
 * kernel), and the making of a memfd or secretmem record.
 *
 * The light skeletons have the kernel do those relocations at every load:
 * for each struct a field access starts from, it finds the kernel's by
 * name, through a cache of 31 slots (jhash of the name) kept between loads;
 * two structs of one slot evict each other at every load, and each miss is
 * a walk of the whole kernel BTF (the load took 5.1 ms with four such
 * pairs, 3.5 to 3.9 ms with the two left, on a 6.18 host). So the structs
 * accesses start from are few: pid_namespace's inum is one nested access
 * (not pid_namespace, then ns_common), and the v2 cgroup id (css_set,
 * cgroup, kernfs_node) is not read: the css_set's address is the key user
 * space needs, and whether a file is on an internal mount is read from its
 * superblock's flags, not from the mount (vfsmount and super_block share a
 * slot). Left: pid/pid_namespace share one.
 */
#ifndef MW_AUDIT_COMMON_BPF_H
#define MW_AUDIT_COMMON_BPF_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "audit/bpf_rec.h"

#define PA __attribute__((preserve_access_index))

#ifdef MW_AUDIT_CAST
/* the objects for 6.2 and later (bpf/audit_fds.bpf.h): loads through casts
 * where the oldest one makes probe reads */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;
#endif

struct seq_file;
/* The iterator contexts have had these layouts since they were added (the
 * verifier checks each access against the kernel's own): no relocation. */
struct bpf_iter_meta { struct seq_file *seq; };
struct vfsmount;
struct qstr { const unsigned char *name; } PA;
struct dentry { struct qstr d_name; } PA;
struct path { struct vfsmount *mnt; struct dentry *dentry; } PA;
struct super_block { __u32 s_dev; unsigned long s_flags; unsigned long s_magic; } PA;
struct inode {
	unsigned short i_mode;
	unsigned int i_nlink;
	unsigned long i_ino;
	struct super_block *i_sb;
	long long i_size;
} PA;
struct file {
	struct path f_path;
	struct inode *f_inode;
	unsigned int f_flags;
} PA;
struct css_set; /* only its address is used (a key) */
typedef struct { unsigned int val; } kuid_t;
struct cred { kuid_t uid; kuid_t euid; } PA;
struct ns_common { unsigned int inum; } PA;
struct pid_namespace { struct ns_common ns; } PA;
struct upid { int nr; struct pid_namespace *ns; } PA;
struct pid { unsigned int level; struct upid numbers[1]; } PA;
struct mm_struct { struct file *exe_file; unsigned long arg_end; } PA;
struct files_struct;
struct task_struct {
	int pid;
	int tgid;
	unsigned int flags;
	__u64 self_exec_id;
	__u64 start_time;
	char comm[16];
	const struct cred *real_cred;
	struct pid *thread_pid;
	struct css_set *cgroups;
	struct mm_struct *mm;
	struct files_struct *files;
} PA;
struct vm_area_struct {
	unsigned long vm_start, vm_end;
	unsigned long vm_flags;
	struct file *vm_file;
} PA;
struct shmem_inode_info { unsigned int seals; struct inode vfs_inode; } PA;
struct hugetlbfs_inode_info { unsigned int seals; struct inode vfs_inode; } PA;
struct bpf_iter__task_file {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
	__u32 fd;
	struct file *file;
};
struct bpf_iter__task {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
};
struct bpf_iter__task_vma {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
	struct vm_area_struct *vma;
};

#define PF_KTHREAD 0x00200000u
#define SB_KERNMOUNT (1ul << 22) /* kern_mount(): shm_mnt, hugetlbfs, secretmem */
#define TMPFS_MAGIC 0x01021994ul
#define HUGETLBFS_MAGIC 0x958458f6ul
#define SECRETMEM_MAGIC 0x5345434dul
#define O_ACCMODE 3u
#define VM_WRITE 0x2ul
#define VM_EXEC 0x4ul
#define VM_MAYSHARE 0x80ul

struct rec_buf {
	struct mw_brec r;
	char name[MW_BREC_NAME_MAX + 8];
	/* of one program run of bpf/audit_fds.bpf.h's users, here (in a map
	 * value) and not on the stack, where the verifier would follow every
	 * value of them through every loop turn: */
	__u32 used;     /* bytes of fd and mapping records written (MW_BREC_RUN_MAX) */
	__u32 cut;      /* MW_BREC_CUT written: no more records */
};

/* Fill r from file when it is a memfd or secretmem: 0, else -1. Direct
 * loads through BTF pointers: every file of every process comes through
 * here, and a probe read costs more than the rest of the test. */
static __always_inline int classify(struct file *file, struct rec_buf *b)
{
	struct inode *inode = file->f_inode;
	struct super_block *sb;
	unsigned long magic;
	long n;

	/* on a kernel-internal mount: the superblock of a kern_mount(),
	 * which no mount a user makes shares (the mount's MNT_INTERNAL would
	 * say the same, but reading struct vfsmount costs every load of the
	 * light skeletons a miss of the kernel's CO-RE cache: see above) */
	if (!inode)
		return -1;
	sb = inode->i_sb;
	if (!sb || !(sb->s_flags & SB_KERNMOUNT))
		return -1;
	magic = sb->s_magic;
	if (magic != TMPFS_MAGIC && magic != HUGETLBFS_MAGIC && magic != SECRETMEM_MAGIC)
		return -1;
	n = bpf_probe_read_kernel_str(b->name, MW_BREC_NAME_MAX, file->f_path.dentry->d_name.name);
	if (n <= 0)
		return -1;
	b->r.namelen = (__u32)(n - 1);
	if (magic == SECRETMEM_MAGIC) {
		b->r.flags = MW_BREC_SECRET;
		b->r.seals = -1;
	} else {
		/* Only memfd_create() names pseudo files "memfd:..." (the
		 * internal shm mount also holds SysV shm and shared
		 * anonymous memory). */
		if (n < 7 || b->name[0] != 'm' || b->name[1] != 'e' || b->name[2] != 'm' ||
		    b->name[3] != 'f' || b->name[4] != 'd' || b->name[5] != ':')
			return -1;
		b->r.flags = 0;
		b->r.seals = -1;
		/* What F_GET_SEALS returns: the seals of the inode's shmem or
		 * hugetlbfs info, which embeds the inode. */
		if (magic == TMPFS_MAGIC) {
#ifdef MW_AUDIT_CAST
			/* a load through a cast (every memfd comes here: a
			 * probe read cost 20 times as much) */
			struct shmem_inode_info *info =
				bpf_rdonly_cast((void *)inode - bpf_core_field_offset(struct shmem_inode_info, vfs_inode),
						bpf_core_type_id_kernel(struct shmem_inode_info));

			b->r.seals = (int)info->seals;
#else
			unsigned int seals;
			void *info = (void *)inode - bpf_core_field_offset(struct shmem_inode_info, vfs_inode);

			if (!bpf_probe_read_kernel(&seals, sizeof(seals),
						   info + bpf_core_field_offset(struct shmem_inode_info, seals)))
				b->r.seals = (int)seals;
#endif
		} else if (bpf_core_type_exists(struct hugetlbfs_inode_info)) {
			unsigned int seals;
			void *info = (void *)inode - bpf_core_field_offset(struct hugetlbfs_inode_info, vfs_inode);

			if (!bpf_probe_read_kernel(&seals, sizeof(seals),
						   info + bpf_core_field_offset(struct hugetlbfs_inode_info, seals)))
				b->r.seals = (int)seals;
		}
	}
	b->r.ino = inode->i_ino;
	b->r.size = (__u64)inode->i_size;
	b->r.dev = sb->s_dev;
	b->r.mode = inode->i_mode;
	return 0;
}

static __always_inline void emit(struct seq_file *seq, struct rec_buf *b)
{
	/* namelen < 256; the mask lets the verifier see the bound (at most
	 * 262, within the buffer's 8 spare bytes). */
	__u32 len = ((b->r.namelen & 0xff) + 7) & 0x1f8;

	bpf_seq_write(seq, b, sizeof(b->r) + len);
}

struct proc_buf {
	struct mw_brec_proc r;
	char comm[24];
};

/* The record of process task (a thread group leader, not a kernel thread)
 * into b; its size. */
static __always_inline __u32 make_proc(struct task_struct *task, struct proc_buf *b)
{
	struct mm_struct *mm;
	struct pid *pid;
	struct file *exe;
	long n;

	__builtin_memset(b, 0, sizeof(*b));
	b->r.type = MW_BREC_PROC;
	b->r.pid = (__u32)task->tgid;
	/* the exec generation and the process's birth: user space checks,
	 * after reading /proc, that neither changed (bpf.c) */
	b->r.exec_id = BPF_CORE_READ(task, self_exec_id);
	b->r.start_ns = BPF_CORE_READ(task, start_time);
	/* Probe reads (BPF_CORE_READ) here, once per process: as BTF pointer
	 * walks, these chains cost the verifier 10 ms of by-name searches
	 * of the kernel's BTF at every load.
	 * The objective credentials, which /proc/PID/status shows: */
	b->r.ruid = BPF_CORE_READ(task, real_cred, uid.val);
	b->r.euid = BPF_CORE_READ(task, real_cred, euid.val);
	/* task_active_pid_ns(): the namespace of the pid's deepest level */
	pid = BPF_CORE_READ(task, thread_pid);
	if (pid) {
		unsigned int level = BPF_CORE_READ(pid, level);
		void *up = (void *)pid + bpf_core_field_offset(struct pid, numbers) +
			   (level & 63) * bpf_core_type_size(struct upid);
		struct pid_namespace *ns = NULL;
		unsigned int inum = 0;

		if (level < 64 &&
		    !bpf_probe_read_kernel(&ns, sizeof(ns), up + bpf_core_field_offset(struct upid, ns)) && ns &&
		    !bpf_probe_read_kernel(&inum, sizeof(inum),
					   (void *)ns + bpf_core_field_offset(struct pid_namespace, ns.inum)))
			b->r.pidns = inum;
	}
	/* a key for the cgroup text (one /proc/PID/cgroup read per css_set,
	 * hybrid v1 hosts included) */
	b->r.cset = (__u64)(unsigned long)BPF_CORE_READ(task, cgroups);
	/* what it runs now: the collector checks that /proc/PID/exe is
	 * still this file when it has read the process (no exec since) */
	/* An exec under way: its new memory is the process's from exec_mmap()
	 * on (/proc/PID/exe, maps and fds show the new program) while the
	 * exec count and comm still say the old one, until the exec goes on;
	 * the new memory has no arguments until create_elf_tables(). So the
	 * record may mix two programs, and the generation check at the end of
	 * the scan cannot tell: flagged, and read through /proc. */
	mm = BPF_CORE_READ(task, mm);
	if (mm && !BPF_CORE_READ(mm, arg_end))
		b->r.flags |= MW_BREC_PROC_EXECING;
	exe = mm ? BPF_CORE_READ(mm, exe_file) : NULL;
	if (exe) {
		b->r.exe_ino = BPF_CORE_READ(exe, f_inode, i_ino);
		b->r.exe_dev = BPF_CORE_READ(exe, f_inode, i_sb, s_dev);
	}
	n = bpf_probe_read_kernel_str(b->comm, 16, task->comm);
	b->r.namelen = n > 0 ? (__u32)(n - 1) : 0;
	return sizeof(b->r) + (((b->r.namelen & 0xf) + 7) & 0x18);
}

/* The record of process task for the generation check at the end of a scan
 * (src/audit/bpf.c reads its pid, exec count and start time only, and
 * nothing else is read here: two loads, where make_proc() makes a dozen
 * probe reads); its size. */
static __always_inline __u32 make_gen(struct task_struct *task, struct proc_buf *b)
{
	__builtin_memset(&b->r, 0, sizeof(b->r));
	b->r.type = MW_BREC_PROC;
	b->r.pid = (__u32)task->tgid;
	b->r.exec_id = task->self_exec_id;
	b->r.start_ns = task->start_time;
	/* an exec under way (see make_proc()): the check cannot say it did
	 * not change */
	if (task->mm && !task->mm->arg_end)
		b->r.flags |= MW_BREC_PROC_EXECING;
	return sizeof(b->r);
}

/* The record of one mapping of a process, made in b but for its pid and
 * exec_id: a memfd or secretmem mapping, or code mapped from a file with no
 * name. 0, or -1 for any other mapping (no record). */
static __always_inline int fill_vma(struct vm_area_struct *vma, struct rec_buf *b)
{
	struct file *file;
	unsigned long fl;

	file = vma->vm_file;
	if (!file)
		return -1;
	__builtin_memset(&b->r, 0, sizeof(b->r));
	fl = vma->vm_flags;
	if (classify(file, b)) {
		/* code mapped from a file with no name that is not a memfd
		 * (unlinked, O_TMPFILE, shared memory): a record without a
		 * name, for user space to read that process's maps */
		struct inode *inode = file->f_inode;

		if (!(fl & VM_EXEC) || !inode || inode->i_nlink)
			return -1;
		b->r.flags = MW_BREC_UNNAMED;
		b->r.seals = -1;
		b->r.ino = inode->i_ino;
		b->r.namelen = 0;
	}
	b->r.type = MW_BREC_VMA;
	b->r.fd = -1;
	b->r.start = vma->vm_start;
	b->r.end = vma->vm_end;
	if (fl & VM_WRITE)
		b->r.flags |= MW_BREC_VM_WRITE;
	if (fl & VM_EXEC)
		b->r.flags |= MW_BREC_VM_EXEC;
	if (fl & VM_MAYSHARE)
		b->r.flags |= MW_BREC_VM_SHARED;
	return 0;
}

/* The record of one mapping of a process (the task_vma iterators of
 * bpf/audit_iter.bpf.c and bpf/audit_iter2.bpf.c), made in b. */
static __always_inline int emit_vma(struct seq_file *seq, struct task_struct *task, struct vm_area_struct *vma,
				    struct rec_buf *b)
{
	if (fill_vma(vma, b))
		return 0;
	b->r.pid = (__u32)task->tgid;
	b->r.exec_id = BPF_CORE_READ(task, self_exec_id);
	emit(seq, b);
	return 0;
}

#endif
