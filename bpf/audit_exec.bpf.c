/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `memward audit --watch`: one record per exec, written at the
 * sched_process_exec tracepoint (after the point of no return, in the new
 * program's context, before it runs a single instruction) into a ring
 * buffer read by src/audit/watch_bpf.c. The record holds what the kernel
 * knew of the executable then (inode, device, filesystem magic, link count,
 * seals, whether it is a memfd, internal shared memory or a file with no
 * name), so a fileless process that exits before user space reads /proc is
 * still reported with what it ran.
 *
 * Two programs of one body: tp_btf (BTF-typed arguments, 5.5) and raw_tp
 * (4.17). Some kernels (or their lockdown, or a seccomp filter) refuse the
 * BPF_PROG_TYPE_TRACING type behind tp_btf while raw tracepoints load: the
 * loader tries tp_btf, then raw_tp, then falls back to the proc connector.
 * Only probe reads (BPF_CORE_READ), which both program types allow; no
 * vmlinux.h: the fields are declared here and relocated (CO-RE).
 */
#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "audit/bpf_rec.h"

#define PA __attribute__((preserve_access_index))

struct vfsmount { struct dentry *mnt_root; int mnt_flags; } PA;
struct qstr { const unsigned char *name; } PA;
struct super_block;
struct dentry { struct qstr d_name; struct dentry *d_parent; struct super_block *d_sb; } PA;
struct mount { struct mount *mnt_parent; struct dentry *mnt_mountpoint; struct vfsmount mnt; } PA;
struct path { struct vfsmount *mnt; struct dentry *dentry; } PA;
struct super_block { __u32 s_dev; unsigned long s_magic; } PA;
struct inode {
	unsigned short i_mode;
	unsigned int i_nlink;
	unsigned long i_ino;
	struct super_block *i_sb;
	long long i_size;
} PA;
struct file { struct path f_path; struct inode *f_inode; } PA;
struct linux_binprm { struct file *file; const char *filename; } PA;
typedef struct { unsigned int val; } kuid_t;
struct cred { kuid_t uid; kuid_t euid; } PA;
struct inode___uid { kuid_t i_uid; } PA;
struct mm_struct { unsigned long arg_start, arg_end; } PA;
struct fdtable { unsigned int max_fds; struct file **fd; } PA;
struct files_struct { struct fdtable *fdt; } PA;
struct fs_struct { struct path pwd; } PA;
struct task_struct {
	int pid;
	int tgid;
	char comm[16];
	__u64 self_exec_id;
	const struct cred *real_cred;
	struct mm_struct *mm;
	struct files_struct *files;
	struct fs_struct *fs;
} PA;
struct shmem_inode_info { unsigned int seals; struct inode vfs_inode; } PA;
struct hugetlbfs_inode_info { unsigned int seals; struct inode vfs_inode; } PA;

#define MNT_INTERNAL 0x4000      /* kern_mount(): shm_mnt, hugetlbfs */
#define TMPFS_MAGIC 0x01021994ul
#define HUGETLBFS_MAGIC 0x958458f6ul
#define PROC_SUPER_MAGIC 0x9fa0ul

char LICENSE[] SEC("license") = "GPL";

__u64 execs = 0;   /* every exec seen */
__u64 dropped = 0; /* records lost to a full ring buffer */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} mw_exec_rb SEC(".maps");

static __always_inline int read_seals(struct inode *inode, unsigned long magic)
{
	unsigned int seals;
	void *info;

	if (magic == TMPFS_MAGIC) {
		info = (void *)inode - bpf_core_field_offset(struct shmem_inode_info, vfs_inode);
		if (!bpf_probe_read_kernel(&seals, sizeof(seals),
					   info + bpf_core_field_offset(struct shmem_inode_info, seals)))
			return (int)seals;
	} else if (bpf_core_type_exists(struct hugetlbfs_inode_info)) {
		info = (void *)inode - bpf_core_field_offset(struct hugetlbfs_inode_info, vfs_inode);
		if (!bpf_probe_read_kernel(&seals, sizeof(seals),
					   info + bpf_core_field_offset(struct hugetlbfs_inode_info, seals)))
			return (int)seals;
	}
	return -1;
}

/* The directories above the file, nearest first, across mounts (what d_path
 * would show from the initial root; an unlinked dentry keeps its parent). */
static __always_inline void dirs_of(struct file *file, struct mw_exec_rec *r)
{
	struct vfsmount *vm = BPF_CORE_READ(file, f_path.mnt);
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
	struct mount *mnt;
	unsigned int n = 0;

	if (!vm || !d)
		return;
	mnt = (void *)vm - bpf_core_field_offset(struct mount, mnt);
	d = BPF_CORE_READ(d, d_parent);
	for (int i = 0; i < 24; i++) {
		struct dentry *parent;

		if (!d)
			break;
		if (d == BPF_CORE_READ(vm, mnt_root)) {
			struct mount *pm = BPF_CORE_READ(mnt, mnt_parent);

			if (!pm || pm == mnt)
				break; /* the root */
			d = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = pm;
			vm = (void *)pm + bpf_core_field_offset(struct mount, mnt);
			continue;
		}
		parent = BPF_CORE_READ(d, d_parent);
		if (parent == d)
			break;
		if (n >= MW_EXEC_DEPTH) {
			r->flags |= MW_EXEC_DIRS_CUT;
			break;
		}
		bpf_probe_read_kernel_str(r->dirs[n & (MW_EXEC_DEPTH - 1)], MW_EXEC_COMP, BPF_CORE_READ(d, d_name.name));
		n++;
		d = parent;
	}
	r->ndirs = n;
}

/* Is its fd 0 a memfd (an interpreter reading its program from memory:
 * sh < memfd)? Its inode and seals, then. */
static __always_inline void stdin_of(struct task_struct *task, struct mw_exec_rec *r)
{
	struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
	struct file *f = NULL;
	struct inode *inode;
	const char *nm;

	if (!fds || BPF_CORE_READ(task, files, fdt, max_fds) < 1 || bpf_probe_read_kernel(&f, sizeof(f), fds) || !f)
		return;
	if (!(BPF_CORE_READ(f, f_path.mnt, mnt_flags) & MNT_INTERNAL))
		return;
	nm = r->stdin_name;
	if (bpf_probe_read_kernel_str(r->stdin_name, sizeof(r->stdin_name), BPF_CORE_READ(f, f_path.dentry, d_name.name)) <
		    7 ||
	    nm[0] != 'm' || nm[1] != 'e' || nm[2] != 'm' || nm[3] != 'f' || nm[4] != 'd' || nm[5] != ':')
		return;
	inode = BPF_CORE_READ(f, f_inode);
	r->flags |= MW_EXEC_STDIN_MEMFD;
	r->stdin_ino = BPF_CORE_READ(inode, i_ino);
	r->stdin_dev = BPF_CORE_READ(inode, i_sb, s_dev);
	r->stdin_seals = read_seals(inode, BPF_CORE_READ(inode, i_sb, s_magic));
}

/* Is its working directory where a relative path may name an fd: on procfs
 * (/proc/self/fd: "sh 3") or named "dev" ("sh fd/3", "sh stdin")? */
static __always_inline void cwd_of(struct task_struct *task, struct mw_exec_rec *r)
{
	struct dentry *d = BPF_CORE_READ(task, fs, pwd.dentry);
	char nm[5];

	if (!d)
		return;
	if (BPF_CORE_READ(d, d_sb, s_magic) == PROC_SUPER_MAGIC ||
	    (bpf_probe_read_kernel_str(nm, sizeof(nm), BPF_CORE_READ(d, d_name.name)) == 4 && nm[0] == 'd' &&
	     nm[1] == 'e' && nm[2] == 'v'))
		r->flags |= MW_EXEC_CWD_FDS;
}

static __always_inline bool hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Does ch start a shell pattern or an expansion? */
static __always_inline bool built(char ch)
{
	return ch == '$' || ch == '`' || ch == '*' || ch == '?' || ch == '[' || ch == '{';
}

/* Worth waking the watcher for: an executable with no name in any
 * filesystem (a memfd, an unlinked file), a memfd on its standard input,
 * a working directory where a relative path may name an fd, or arguments
 * that may name an fd ("/fd" or "/std" in them: /dev/fd/N,
 * /proc/self/fd/N, /dev/stdin, "cd /dev/fd"...; a %XX escape:
 * file:///dev/fd/%33; a pattern or an expansion after a slash or "/f":
 * /dev/f?/3, /proc/$$/fd/3), or that the record does not hold (none
 * read, or more than MW_EXEC_ARGS bytes). */

static __always_inline bool urgent(const struct mw_exec_rec *r)
{
	__u32 n = r->nargs;

	if (r->flags & (MW_EXEC_UNLINKED | MW_EXEC_INTERNAL | MW_EXEC_STDIN_MEMFD | MW_EXEC_CWD_FDS))
		return true;
	if (n == 0 || n >= MW_EXEC_ARGS)
		return true;
	for (__u32 i = 0; i + 3 < MW_EXEC_ARGS; i++) {
		if (i + 3 >= n)
			break;
		if (r->args[i] == '/' && ((r->args[i + 1] == 'f' && r->args[i + 2] == 'd') ||
					  (r->args[i + 1] == 's' && r->args[i + 2] == 't' && r->args[i + 3] == 'd')))
			return true;
		/* a path an interpreter builds: /dev/f?/3, /dev/fd/[3], /proc/$$/... */
		if (r->args[i] == '/' && ((r->args[i + 1] == 'f' && built(r->args[i + 2])) || built(r->args[i + 1])))
			return true;
		if (r->args[i] == '%' && hex(r->args[i + 1]) && hex(r->args[i + 2]))
			return true;
	}
	return false;
}

static __always_inline void record(struct task_struct *task, int old_pid, struct linux_binprm *bprm)
{
	struct mw_exec_rec *r;
	struct mm_struct *mm;
	struct file *file;
	struct inode *inode;
	struct super_block *sb;
	unsigned long magic;
	int mflags;

	__sync_fetch_and_add(&execs, 1);
	r = bpf_ringbuf_reserve(&mw_exec_rb, sizeof(*r), 0);
	if (!r) {
		__sync_fetch_and_add(&dropped, 1);
		return;
	}
	/* all but the arguments' bytes (past nargs: never read) */
	__builtin_memset(r, 0, __builtin_offsetof(struct mw_exec_rec, args));
	r->seals = -1;
	r->stdin_seals = -1;
	r->pid = (__u32)BPF_CORE_READ(task, tgid);
	r->old_pid = (__u32)old_pid;
	r->exec_id = BPF_CORE_READ(task, self_exec_id);
	r->ruid = BPF_CORE_READ(task, real_cred, uid.val);
	r->euid = BPF_CORE_READ(task, real_cred, euid.val);
	r->boot_ns = bpf_ktime_get_boot_ns();
	bpf_probe_read_kernel_str(r->comm, sizeof(r->comm), task->comm);
	bpf_probe_read_kernel_str(r->filename, sizeof(r->filename), BPF_CORE_READ(bprm, filename));
	/* the first bytes of its arguments, from its new memory (the exec'ing
	 * task is current: the pages the kernel just wrote them to are there;
	 * a read that faults leaves them empty) */
	mm = BPF_CORE_READ(task, mm);
	if (mm) {
		unsigned long as = BPF_CORE_READ(mm, arg_start), ae = BPF_CORE_READ(mm, arg_end);
		__u32 n = ae > as ? (ae - as > MW_EXEC_ARGS ? MW_EXEC_ARGS : (__u32)(ae - as)) : 0;

		if (n && !bpf_probe_read_user(r->args, n, (const void *)as))
			r->nargs = n;
	}
	stdin_of(task, r);
	cwd_of(task, r);
	file = BPF_CORE_READ(bprm, file);
	inode = BPF_CORE_READ(file, f_inode);
	sb = BPF_CORE_READ(inode, i_sb);
	if (!file || !inode || !sb)
		goto out;
	bpf_probe_read_kernel_str(r->name, sizeof(r->name), BPF_CORE_READ(file, f_path.dentry, d_name.name));
	magic = BPF_CORE_READ(sb, s_magic);
	r->magic = (__u32)magic;
	r->dev = BPF_CORE_READ(sb, s_dev);
	r->ino = BPF_CORE_READ(inode, i_ino);
	r->mode = BPF_CORE_READ(inode, i_mode);
	r->size = (__u64)BPF_CORE_READ(inode, i_size);
	r->nlink = BPF_CORE_READ(inode, i_nlink);
	r->uid = BPF_CORE_READ((struct inode___uid *)inode, i_uid.val);
	r->flags |= MW_EXEC_UID;
	if (!r->nlink)
		r->flags |= MW_EXEC_UNLINKED;
	mflags = BPF_CORE_READ(file, f_path.mnt, mnt_flags);
	if (mflags & MNT_INTERNAL)
		r->flags |= MW_EXEC_INTERNAL;
	if (magic == HUGETLBFS_MAGIC)
		r->flags |= MW_EXEC_HUGETLB;
	if (magic == TMPFS_MAGIC || magic == HUGETLBFS_MAGIC) {
		r->seals = read_seals(inode, magic);
		if (r->seals >= 0)
			r->flags |= MW_EXEC_SEALS;
	}
	/* Only memfd_create() names its files "memfd:..." on the internal
	 * mounts (SysV segments are "SYSV%08x", anonymous shared memory
	 * "dev/zero"); user space still checks the device. */
	if (!(r->flags & MW_EXEC_INTERNAL) && (r->flags & MW_EXEC_UNLINKED))
		dirs_of(file, r);
	if ((r->flags & MW_EXEC_INTERNAL) && r->name[0] == 'm' && r->name[1] == 'e' && r->name[2] == 'm' &&
	    r->name[3] == 'f' && r->name[4] == 'd' && r->name[5] == ':')
		r->flags |= MW_EXEC_MEMFD;
out:
	/* the watcher is woken at once only for what it reports at once
	 * (src/audit/watch.c); the rest waits in the ring buffer for its
	 * next wake-up, 100 ms at most: a wake-up per exec cost more than
	 * the rest of its work */
	bpf_ringbuf_submit(r, urgent(r) ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(mw_exec_btf, struct task_struct *p, int old_pid, struct linux_binprm *bprm)
{
	record(p, old_pid, bprm);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(mw_exec_raw, struct task_struct *p, int old_pid, struct linux_binprm *bprm)
{
	record(p, old_pid, bprm);
	return 0;
}
