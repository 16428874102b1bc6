/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `memward guard`: the memfd exec policy enforced by the kernel (BPF LSM).
 *
 * Every decision is taken on the file the kernel is about to execute or map
 * (bprm->file, the mmap'ed file, vma->vm_file), never on a path, and the
 * caller's identity is the executable the kernel committed at its last exec
 * (task storage, inherited at fork), never /proc/PID/exe or mm->exe_file,
 * which PR_SET_MM can replace.
 *
 * No vmlinux.h: the kernel fields used are declared here with
 * preserve_access_index and relocated (CO-RE) against the running kernel's
 * BTF, so one object loads on 6.1 and 6.12. Where a hook's arguments moved
 * between those kernels (inode_setattr gained an idmap first argument in
 * 6.10, inode_set_acl appeared in 6.2) there are two programs and the loader
 * keeps the one whose prototype the kernel has (src/guard/guard.c).
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "guard/bpf_event.h"

#define PA __attribute__((preserve_access_index))

struct vfsmount { int mnt_flags; } PA;
struct mnt_namespace { __u64 seq; } PA;
/* fs/mount.h: the vfsmount is embedded in struct mount (container_of). */
struct mount { struct mnt_namespace *mnt_ns; struct vfsmount mnt; } PA;
struct qstr { const unsigned char *name; } PA;
struct user_namespace { int level; } PA;
struct super_block {
	__u32 s_dev;
	unsigned long s_magic;
	unsigned long s_flags;
	struct user_namespace *s_user_ns;
} PA;
struct inode {
	unsigned short i_mode;
	unsigned int i_nlink;
	unsigned long i_ino;
	__u32 i_rdev;
	struct super_block *i_sb;
} PA;
struct dentry { struct qstr d_name; struct inode *d_inode; } PA;
struct path { struct vfsmount *mnt; struct dentry *dentry; } PA;
struct file { struct path f_path; struct inode *f_inode; unsigned int f_mode; } PA;
struct linux_binprm { struct file *file; } PA;
struct vm_area_struct { struct file *vm_file; } PA;
struct iattr { unsigned int ia_valid; unsigned short ia_mode; } PA;
struct task_struct { int pid; int tgid; unsigned int ptrace; char comm[16]; } PA;
struct bpf_map { __u32 id; } PA;
struct bpf_prog_aux { __u32 id; } PA;
struct bpf_prog { struct bpf_prog_aux *aux; } PA;
struct shmem_inode_info { unsigned int seals; struct inode vfs_inode; } PA;
struct hugetlbfs_inode_info { unsigned int seals; struct inode vfs_inode; } PA;
struct mnt_idmap;
struct posix_acl;

#define MNT_INTERNAL 0x4000      /* kern_mount(): shm_mnt, hugetlbfs, secretmem */
#define SB_KERNMOUNT (1ul << 22) /* the superblock of a kern_mount() */
#define TMPFS_MAGIC 0x01021994ul
#define HUGETLBFS_MAGIC 0x958458f6ul
#define S_IFMT 00170000
#define S_IFREG 0100000
#define PROT_EXEC 0x4
#define S_IFCHR 0020000
#define ATTR_MODE 1u
#define ATTR_SIZE 8u
#define FMODE_WRITE 0x2u
#define MAP_TYPE 0x0ful
#define MAP_PRIVATE 0x02ul
#define DEV_ZERO ((1u << 20) | 5u)       /* kernel dev_t of /dev/zero, 1:5 */
#define SEC_NS 1000000000ull
#define RATE_BURST 32                    /* denials per task and second */
#define F_SEAL_EXEC 0x0020u
#define PR_SET_MM 35
#define PR_SET_MM_EXE_FILE 13
#define PR_SET_MM_MAP 14
#define EPERM 1
#define PTRACE_MODE_ATTACH 0x02

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load; read-only afterwards (frozen rodata). */
const volatile __u32 guard_tgid = 0;
const volatile __u32 enforce = 1;
const volatile __u32 scoped = 0;     /* 1: only tasks under scope_cg[0] */
const volatile __u32 req_seals = 0;  /* F_SEAL_* a listed program's memfd needs */

__u64 dropped = 0;                   /* events lost to a full ring buffer */
__u64 dropped_exec = 0;              /* the same for the exec ring buffer */
__u64 suppressed = 0;                /* denials not sent (rate limit per task) */

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct mw_gtask);
} tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct mw_gkey);
	__type(value, __u8);
} allow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct mw_gobj);
	__type(value, __u8);
} protect SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} scope_cg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

/* Exec decisions, self-protection and identity forging have a ring buffer
 * of their own: a flood of cheap mmap denials (millions a second from a
 * few processes, redteam-guard-flood) cannot crowd them out. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18);
} exec_events SEC(".maps");

struct obj {
	__u64 ino;
	__u32 dev, kind, seals;
	struct dentry *dentry;
};

/* Scope is sticky: a task seen under the scope cgroup (at fork, exec or
 * any decision) is marked in task storage, keeps the mark when it moves
 * itself to another cgroup (cgroup.procs is writable by root and by the
 * owner of a delegated subtree) and hands it to its children at fork. */
static __always_inline int in_scope(void)
{
	struct mw_gtask *t;

	if (!scoped)
		return 1;
	t = bpf_task_storage_get(&tasks, bpf_get_current_task_btf(), 0, 0);
	if (t && (t->flags & MW_GT_SCOPED))
		return 1;
	if (bpf_current_task_under_cgroup(&scope_cg, 0) != 1)
		return 0;
	t = bpf_task_storage_get(&tasks, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (t)
		t->flags |= MW_GT_SCOPED;
	return 1;
}

static __always_inline int is_guard(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == guard_tgid;
}

static __always_inline int name_is_memfd(struct dentry *d)
{
	char n[8] = {};

	bpf_probe_read_kernel_str(n, sizeof(n), d->d_name.name);
	return n[0] == 'm' && n[1] == 'e' && n[2] == 'm' && n[3] == 'f' && n[4] == 'd' && n[5] == ':';
}

/* F_GET_SEALS's answer, read from the shmem or hugetlbfs info that embeds
 * the inode. hugetlbfs never counts as exec sealed: its setattr ignores
 * F_SEAL_EXEC (checked on 6.18), so that bit is dropped. */
static __always_inline __u32 inode_seals(struct inode *inode, int huge)
{
	__u32 seals = 0;
	void *info;

	if (huge) {
		info = (void *)inode - bpf_core_field_offset(struct hugetlbfs_inode_info, vfs_inode);
		bpf_probe_read_kernel(&seals, sizeof(seals),
				      info + bpf_core_field_offset(struct hugetlbfs_inode_info, seals));
		return seals & ~F_SEAL_EXEC;
	}
	info = (void *)inode - bpf_core_field_offset(struct shmem_inode_info, vfs_inode);
	bpf_probe_read_kernel(&seals, sizeof(seals), info + bpf_core_field_offset(struct shmem_inode_info, seals));
	return seals;
}

/* A mount in no mount namespace (fsmount() without move_mount(), or
 * lazily unmounted) or in an anonymous one (fsmount, open_tree CLONE):
 * a file there has no name any other process can open. is_anon_ns() is
 * `seq == 0` in fs/mount.h of 6.1 and 6.12. */
static __always_inline int detached(struct vfsmount *mnt)
{
	struct mnt_namespace *ns = 0;
	__u64 seq = 1;
	void *m = (void *)mnt - bpf_core_field_offset(struct mount, mnt);

	bpf_probe_read_kernel(&ns, sizeof(ns), m + bpf_core_field_offset(struct mount, mnt_ns));
	if (!ns)
		return 1;
	if (bpf_core_field_exists(struct mnt_namespace, seq))
		bpf_probe_read_kernel(&seq, sizeof(seq), (void *)ns + bpf_core_field_offset(struct mnt_namespace, seq));
	return seq == 0;
}

/* Classify the object behind (mnt, dentry, inode). MW_GK_NONE for a named
 * file of an ordinary mount: paths are the business of mount options and
 * the other LSMs, not of this guard. */
static __always_inline void classify(struct vfsmount *mnt, struct dentry *dentry, struct inode *inode,
				     struct obj *o)
{
	struct super_block *sb = inode->i_sb;
	unsigned long magic = sb->s_magic;
	int internal;

	o->kind = MW_GK_NONE;
	o->seals = 0;
	o->dentry = dentry;
	o->ino = inode->i_ino;
	o->dev = sb->s_dev;
	/* Both marks: the mount's (lost by a bind-mount clone) and the
	 * superblock's (the kern_mount's own superblock keeps it). */
	internal = (mnt && (mnt->mnt_flags & MNT_INTERNAL)) ||
		   (sb->s_flags & SB_KERNMOUNT);
	if (internal) {
		if (magic == TMPFS_MAGIC) {
			o->kind = name_is_memfd(dentry) ? MW_GK_MEMFD : MW_GK_SHMEM;
			o->seals = inode_seals(inode, 0);
		} else if (magic == HUGETLBFS_MAGIC) {
			o->kind = name_is_memfd(dentry) ? MW_GK_MEMFD_HUGETLB : MW_GK_SHMEM_HUGETLB;
			o->seals = inode_seals(inode, 1);
		} else {
			o->kind = MW_GK_INTERNAL;
		}
		return;
	}
	if ((inode->i_mode & S_IFMT) == S_IFREG && inode->i_nlink == 0) {
		o->kind = MW_GK_UNLINKED;
		return;
	}
	/* A superblock of a user namespace other than the initial one: any
	 * user may mount tmpfs, ramfs, FUSE or overlayfs there (as root of
	 * its own user namespace), so what it holds is the caller's own. */
	if (sb->s_user_ns && BPF_CORE_READ(sb, s_user_ns, level) != 0) {
		o->kind = MW_GK_USERNS;
		return;
	}
	if (mnt && detached(mnt))
		o->kind = MW_GK_DETACHED;
}

static __always_inline void classify_file(struct file *f, struct obj *o)
{
	classify(f->f_path.mnt, f->f_path.dentry, f->f_inode, o);
}

static __always_inline struct mw_gtask *cur_task(void)
{
	return bpf_task_storage_get(&tasks, bpf_get_current_task_btf(), 0, 0);
}

static __always_inline int is_listed(struct mw_gtask *t)
{
	struct mw_gkey k = {};

	if (!t)
		return 0;
	k.dev = t->exe_dev;
	k.ino = t->exe_ino;
	return bpf_map_lookup_elem(&allow, &k) != 0;
}

/* Per-task rate limit of the cheap denials (mmap, mprotect, chmod, ACL):
 * RATE_BURST a second, the rest counted and reported by the task's next
 * event. Exec decisions are never limited (a task could otherwise spend its
 * budget first and hide the exec that follows). Returns 1 to send. */
static __always_inline int rate_ok(struct mw_gtask *t, __u32 hook, int denied, __u32 *supp)
{
	__u64 now;

	*supp = 0;
	if (!t)
		return 1;
	if (hook == MW_GH_EXEC || !denied) {
		*supp = t->suppressed;
		t->suppressed = 0;
		return 1;
	}
	now = bpf_ktime_get_boot_ns();
	if (now - t->win_start >= SEC_NS) {
		t->win_start = now;
		t->win_count = 0;
	}
	if (t->win_count >= RATE_BURST) {
		t->suppressed++;
		__sync_fetch_and_add(&suppressed, 1);
		return 0;
	}
	t->win_count++;
	*supp = t->suppressed;
	t->suppressed = 0;
	return 1;
}

/* Send one decision; returns the hook's answer. */
static __always_inline int emit_ev(struct obj *o, __u32 hook, __u32 why, int denied, __u32 arg, int always)
{
	/* Created when missing: a process started before the guard has no
	 * record (nor its forks), and would otherwise not be rate limited
	 * (redteam-guard-flood's flooders lost 23,001 events that way). */
	struct mw_gtask *t = bpf_task_storage_get(&tasks, bpf_get_current_task_btf(), 0,
						  BPF_LOCAL_STORAGE_GET_F_CREATE);
	__u64 id = bpf_get_current_pid_tgid();
	int own = hook == MW_GH_EXEC || hook == MW_GH_PRCTL || hook == MW_GH_BPF || hook == MW_GH_PTRACE ||
		  hook == MW_GH_WRITE;
	struct mw_gev *e;
	__u32 supp;

	if (!rate_ok(t, hook, denied, &supp))
		return denied && (enforce || always) ? -EPERM : 0;
	e = own ? bpf_ringbuf_reserve(&exec_events, sizeof(*e), 0) : bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(own ? &dropped_exec : &dropped, 1);
		if (t)
			t->suppressed += supp;
	} else {
		e->suppressed = supp;
		e->ktime_ns = bpf_ktime_get_boot_ns();
		e->pid = id >> 32;
		e->tid = (__u32)id;
		e->uid = (__u32)bpf_get_current_uid_gid();
		e->kind = o->kind;
		e->hook = hook;
		e->why = why;
		e->seals = o->seals;
		e->arg = arg;
		e->obj_dev = o->dev;
		e->obj_ino = o->ino;
		e->denied = denied;
		e->enforced = denied && (enforce || always);
		e->audit = !enforce;
		e->listed = is_listed(t);
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		e->obj_name[0] = 0;
		if (o->dentry)
			bpf_probe_read_kernel_str(e->obj_name, sizeof(e->obj_name),
						  o->dentry->d_name.name);
		if (t && (t->flags & MW_GT_EXE)) {
			e->exe_known = 1;
			e->exe_dev = t->exe_dev;
			e->exe_ino = t->exe_ino;
			__builtin_memcpy(e->exe_name, t->exe_name, sizeof(e->exe_name));
		} else {
			e->exe_known = 0;
			e->exe_dev = 0;
			e->exe_ino = 0;
			e->exe_name[0] = 0;
		}
		bpf_ringbuf_submit(e, 0);
	}
	return denied && (enforce || always) ? -EPERM : 0;
}

static __always_inline int emit(struct obj *o, __u32 hook, __u32 why, int denied, __u32 arg)
{
	return emit_ev(o, hook, why, denied, arg, 0);
}

static __always_inline int traced(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return task->ptrace != 0;
}

/* The exec/map decision for a fileless object. */
static __always_inline int decide(struct obj *o, __u32 hook, __u32 arg)
{
	struct mw_gtask *t;

	if (o->kind == MW_GK_NONE || !in_scope())
		return 0;
	t = cur_task();
	/* The ELF loader (kernel) and ld.so map the executable the task runs
	 * now; it passed this guard at exec, so it is not asked again. */
	if (hook != MW_GH_EXEC && t && t->exe_dev == o->dev && t->exe_ino == o->ino)
		return 0;
	if (!is_listed(t))
		return emit(o, hook, MW_GW_UNLISTED, 1, arg);
	/* Trust is in the listed program's code, not in whoever drives it: a
	 * tracer (PTRACE_TRACEME in a child that then execs the listed
	 * program, or an attach) can make it run any memfd. */
	if (traced())
		return emit(o, hook, MW_GW_TRACED, 1, arg);
	if (o->kind != MW_GK_MEMFD)
		return emit(o, hook, MW_GW_KIND, 1, arg);
	if ((o->seals & req_seals) != req_seals)
		return emit(o, hook, MW_GW_SEALS, 1, arg);
	return emit(o, hook, MW_GW_LISTED, 0, arg);
}

/* ---- identity: the executable committed at exec -------------------------- */

SEC("lsm/bprm_committed_creds")
int BPF_PROG(mw_commit, struct linux_binprm *bprm)
{
	struct mw_gtask *t;
	struct file *f = bprm->file;
	struct inode *inode = f->f_inode;

	t = bpf_task_storage_get(&tasks, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t)
		return 0;
	t->exe_ino = inode->i_ino;
	t->exe_dev = inode->i_sb->s_dev;
	t->flags |= MW_GT_EXE;
	in_scope(); /* marks the task when it runs under the scope */
	bpf_probe_read_kernel_str(t->exe_name, sizeof(t->exe_name), f->f_path.dentry->d_name.name);
	return 0;
}

/* fork and clone: the child runs the parent's executable until it execs. */
SEC("lsm/task_alloc")
int BPF_PROG(mw_fork, struct task_struct *task, unsigned long clone_flags)
{
	struct mw_gtask *p, *c;

	in_scope(); /* marks the parent when it runs under the scope */
	p = cur_task();
	if (!p)
		return 0;
	c = bpf_task_storage_get(&tasks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (c)
	{
		__builtin_memcpy(c, p, sizeof(*c));
		c->suppressed = 0;
		c->win_count = 0;
	}
	return 0;
}

/* ---- exec and map -------------------------------------------------------- */

/* Called for every binary handler round: the script, then its #!
 * interpreter (and binfmt_misc's), each with its own bprm->file. */
SEC("lsm/bprm_check_security")
int BPF_PROG(mw_exec, struct linux_binprm *bprm)
{
	struct obj o;

	classify_file(bprm->file, &o);
	return decide(&o, MW_GH_EXEC, 0);
}

static __always_inline int is_dev_zero(struct file *f)
{
	struct inode *inode = f->f_inode;

	return (inode->i_mode & S_IFMT) == S_IFCHR && inode->i_rdev == DEV_ZERO;
}

SEC("lsm/mmap_file")
int BPF_PROG(mw_mmap, struct file *file, unsigned long reqprot, unsigned long prot, unsigned long flags)
{
	struct obj o;

	__u64 raw = 0;

	/* prot: what the kernel will map (READ_IMPLIES_EXEC included). */
	if (!(prot & PROT_EXEC))
		return 0;
	/* `file` is NULL for anonymous mappings, but the verifier of 6.12
	 * types hook arguments as trusted non-NULL pointers and drops an
	 * `if (!file)` on them: the JIT'ed program then dereferenced NULL
	 * (oops seen in the 6.12 guest). Test the raw argument instead. */
	bpf_probe_read_kernel(&raw, sizeof(raw), &ctx[0]);
	if (!raw || is_dev_zero(file)) {
		/* MAP_SHARED anonymous memory and MAP_SHARED of /dev/zero: the
		 * kernel makes their shmem file (shmem_zero_setup) only after
		 * this hook, so it is judged here, as shmem. A private mapping
		 * is anonymous memory (a JIT): not a file, not judged. */
		if ((flags & MAP_TYPE) == MAP_PRIVATE)
			return 0;
		o.kind = MW_GK_SHMEM;
		o.seals = 0;
		o.ino = 0;
		o.dev = 0;
		o.dentry = raw ? file->f_path.dentry : 0;
		return decide(&o, MW_GH_MMAP, (__u32)prot);
	}
	classify_file(file, &o);
	return decide(&o, MW_GH_MMAP, (__u32)prot);
}

SEC("lsm/file_mprotect")
int BPF_PROG(mw_mprotect, struct vm_area_struct *vma, unsigned long reqprot, unsigned long prot)
{
	struct file *file = vma->vm_file;
	struct obj o;

	if (!file || !(prot & PROT_EXEC))
		return 0;
	classify_file(file, &o);
	return decide(&o, MW_GH_MPROTECT, (__u32)prot);
}

/* ---- exec bits and ACLs on fileless objects ------------------------------ */

static __always_inline int fileless(__u32 kind)
{
	return kind == MW_GK_MEMFD || kind == MW_GK_MEMFD_HUGETLB || kind == MW_GK_SHMEM ||
	       kind == MW_GK_SHMEM_HUGETLB || kind == MW_GK_INTERNAL;
}

/* ---- listed files: not rewritten while the guard runs -------------------- */

/* Is this inode one of the listed executables? The loader keeps an O_PATH
 * fd of each open, so its inode number cannot be freed and handed to a
 * new file while the guard runs (an upgrade renames a new file over the
 * old one: the new one is not listed until the guard restarts). */
static __always_inline int listed_file(struct inode *inode)
{
	struct mw_gkey k = {};

	k.dev = inode->i_sb->s_dev;
	k.ino = inode->i_ino;
	return bpf_map_lookup_elem(&allow, &k) != 0;
}

/* Self-protection: refused in audit mode too, for everyone (also outside
 * a --cgroup scope: the file is shared). */
static __always_inline int refuse_write(struct dentry *dentry, struct inode *inode, __u32 hook)
{
	struct obj o = { .kind = MW_GK_LISTED_FILE, .dentry = dentry };

	o.ino = inode->i_ino;
	o.dev = inode->i_sb->s_dev;
	return emit_ev(&o, hook, MW_GW_PROTECTED, 1, 0, 1);
}

/* open(2) for writing (O_TRUNC included: it needs FMODE_WRITE and this
 * hook runs before the truncation, fs/namei.c do_open()). */
SEC("lsm/file_open")
int BPF_PROG(mw_file_open, struct file *file)
{
	struct inode *inode = file->f_inode;

	if (!(file->f_mode & FMODE_WRITE) || !inode || !listed_file(inode))
		return 0;
	return refuse_write(file->f_path.dentry, inode, MW_GH_WRITE);
}

static __always_inline int setattr(struct dentry *dentry, struct iattr *attr)
{
	struct inode *inode = dentry->d_inode;
	unsigned int valid = attr->ia_valid;
	unsigned short mode = attr->ia_mode, old;
	struct obj o;

	if (!inode)
		return 0;
	if ((valid & ATTR_SIZE) && listed_file(inode))
		return refuse_write(dentry, inode, MW_GH_WRITE);
	if (!(valid & ATTR_MODE) || !in_scope())
		return 0;
	old = inode->i_mode;
	if (!(mode & 0111 & ~(old & 0111)))
		return 0;
	classify(0, dentry, inode, &o);
	if (!fileless(o.kind))
		return 0;
	/* Exec bits may only be added to a plain memfd by a listed program
	 * and never against F_SEAL_EXEC (hugetlbfs ignores that seal). */
	if (!is_listed(cur_task()))
		return emit(&o, MW_GH_SETATTR, MW_GW_UNLISTED, 1, mode);
	if (o.kind != MW_GK_MEMFD || (o.seals & F_SEAL_EXEC))
		return emit(&o, MW_GH_SETATTR, MW_GW_KIND, 1, mode);
	return 0;
}

/* inode_setattr(dentry, attr) until 6.9 ... */
SEC("lsm/inode_setattr")
int BPF_PROG(mw_setattr_old, struct dentry *dentry, struct iattr *attr)
{
	return setattr(dentry, attr);
}

/* ... (idmap, dentry, attr) since 6.10 (commit "fs: add idmap argument to
 * security_inode_setattr"). */
SEC("lsm/inode_setattr")
int BPF_PROG(mw_setattr_new, struct mnt_idmap *idmap, struct dentry *dentry, struct iattr *attr)
{
	return setattr(dentry, attr);
}

static __always_inline int is_acl_name(const char *name)
{
	char n[24] = {};

	bpf_probe_read_kernel_str(n, sizeof(n), name);
	/* "system.posix_acl_access" and "system.posix_acl_default" */
	return n[0] == 's' && n[1] == 'y' && n[2] == 's' && n[3] == 't' && n[4] == 'e' && n[5] == 'm' &&
	       n[6] == '.' && n[7] == 'p' && n[8] == 'o' && n[9] == 's' && n[10] == 'i' && n[11] == 'x' &&
	       n[12] == '_' && n[13] == 'a' && n[14] == 'c' && n[15] == 'l' && n[16] == '_';
}

/* An ACL on a tmpfs memfd rewrites its mode bits past F_SEAL_EXEC (seen on
 * 6.18): no ACL on fileless objects at all, for anyone in scope. */
static __always_inline int set_acl(struct dentry *dentry, const char *name)
{
	struct inode *inode = dentry->d_inode;
	struct obj o;

	if (!inode || !in_scope() || !is_acl_name(name))
		return 0;
	classify(0, dentry, inode, &o);
	if (!fileless(o.kind))
		return 0;
	return emit(&o, MW_GH_SETXATTR, MW_GW_KIND, 1, 0);
}

/* Until 6.1 ACLs arrive here (the first argument is a user_namespace on
 * 6.1, an mnt_idmap since 6.3: a pointer either way). */
SEC("lsm/inode_setxattr")
int BPF_PROG(mw_setxattr, void *idmap, struct dentry *dentry, const char *name)
{
	return set_acl(dentry, name);
}

/* Since 6.2 (commit 1bdeb2187f3f "security: add set acl hook") POSIX ACLs
 * take this hook instead of inode_setxattr. */
SEC("lsm/inode_set_acl")
int BPF_PROG(mw_set_acl, struct mnt_idmap *idmap, struct dentry *dentry, const char *acl_name)
{
	return set_acl(dentry, acl_name);
}

/* ---- identity forging ------------------------------------------------------ */

SEC("lsm/task_prctl")
int BPF_PROG(mw_prctl, int option, unsigned long arg2)
{
	struct obj o = { .kind = MW_GK_TASK };

	if (option != PR_SET_MM || (arg2 != PR_SET_MM_EXE_FILE && arg2 != PR_SET_MM_MAP) || !in_scope())
		return 0;
	return emit(&o, MW_GH_PRCTL, MW_GW_FORGE, 1, (__u32)arg2);
}

/* ---- the guard protects itself ------------------------------------------- */

static __always_inline int protected(__u32 type, __u32 id)
{
	struct mw_gobj k = { .type = type, .id = id };

	return bpf_map_lookup_elem(&protect, &k) != 0;
}

static __always_inline int tamper(__u32 type, __u32 id, __u32 hook)
{
	struct obj o = { .kind = MW_GK_BPF, .ino = id };

	/* Never enforce-or-audit: protection holds in audit mode too. */
	return emit_ev(&o, hook, MW_GW_PROTECTED, 1, type, 1);
}

/* An fd for one of the guard's maps (by id or pinned path). */
SEC("lsm/bpf_map")
int BPF_PROG(mw_bpf_map, struct bpf_map *map, unsigned int fmode)
{
	__u32 id = map->id;

	if (is_guard() || !protected(1, id) || !in_scope())
		return 0;
	return tamper(1, id, MW_GH_BPF);
}

SEC("lsm/bpf_prog")
int BPF_PROG(mw_bpf_prog, struct bpf_prog *prog)
{
	__u32 id = prog->aux->id;

	if (is_guard() || !protected(2, id) || !in_scope())
		return 0;
	return tamper(2, id, MW_GH_BPF);
}

/* Links have no hook of their own: refuse BPF_LINK_GET_FD_BY_ID for ours. */
SEC("lsm/bpf")
int BPF_PROG(mw_bpf, int cmd, union bpf_attr *attr, unsigned int size)
{
	__u32 id = 0;

	if (cmd != BPF_LINK_GET_FD_BY_ID || is_guard())
		return 0;
	bpf_probe_read_kernel(&id, sizeof(id), &attr->link_id);
	if (!protected(3, id) || !in_scope())
		return 0;
	return tamper(3, id, MW_GH_BPF);
}

/* An unlisted task may not attach to, write the memory of (/proc/PID/mem,
 * process_vm_writev) or take fds from a listed one: it would drive the
 * listed program to run its memfd. A listed program that is traced anyway
 * (PTRACE_TRACEME before its exec) is refused by decide(). */
static __always_inline int ptrace_listed(struct task_struct *child)
{
	struct mw_gtask *c = bpf_task_storage_get(&tasks, child, 0, 0);
	struct obj o = { .kind = MW_GK_TASK };

	if (!is_listed(c) || is_listed(cur_task()))
		return 0;
	o.ino = (__u32)child->tgid;
	return emit(&o, MW_GH_PTRACE, MW_GW_TRACED, 1, 0);
}

/* ptrace, pidfd_getfd, /proc/PID/fd and /proc/PID/mem of the loader: the
 * way to its link fds (BPF_LINK_DETACH) and its memory. Read access (ps,
 * readlink of /proc/PID/fd) stays: reopening an anonymous bpf inode through
 * /proc fails anyway. */
SEC("lsm/ptrace_access_check")
int BPF_PROG(mw_ptrace, struct task_struct *child, unsigned int mode)
{
	__u32 tgid = child->tgid;

	if (!(mode & PTRACE_MODE_ATTACH) || is_guard() || !in_scope())
		return 0;
	if (tgid == guard_tgid)
		return tamper(4, tgid, MW_GH_PTRACE);
	return ptrace_listed(child);
}
