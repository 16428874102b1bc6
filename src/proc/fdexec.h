/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the kernel lets happen to an open file: is it a memfd (by marks a
 * sender cannot forge), can it be executed now, can exec be enabled later.
 * The single source of truth for share (verification), memfd (query) and
 * inspect (verdicts). Internal.
 *
 * Kernel facts encoded here (checked on 6.18, the 6.1 and 6.12 guests):
 *  - Only memfd_create() clears F_SEAL_SEAL on a shmem or hugetlbfs inode;
 *    any other seal set proves a memfd. A memfd made without
 *    MFD_ALLOW_SEALING has exactly F_SEAL_SEAL, like any tmpfs file: then
 *    only its device (the kernel's internal mount) tells it apart.
 *  - hugetlbfs accepts F_SEAL_EXEC but never checks it: chmod +x works on an
 *    "exec-sealed" hugetlb memfd (hugetlbfs_setattr has no seal check). A
 *    hugetlb memfd is never exec-sealed.
 *  - On tmpfs, a POSIX ACL (fsetxattr "system.posix_acl_access") sets the
 *    mode through simple_set_acl(), around shmem_setattr()'s F_SEAL_EXEC
 *    check: the owner of an exec-sealed memfd, through any fd, can add exec
 *    bits (found on 6.18). F_SEAL_EXEC proves "no chmod", not "never exec".
 *  - mmap(PROT_EXEC) of a memfd is decided by the mount (the kernel's
 *    internal one allows it), never by the mode or seals: "exec" here means
 *    execve/execveat, not mapping.
 */
#ifndef MW_PROC_FDEXEC_H
#define MW_PROC_FDEXEC_H

#include <stdbool.h>
#include <sys/stat.h>

#include "core/internal.h"

/* mw__fd_facts() flags */
#define MW__FACTS_NO_PROBE 1u /* make no memfd of our own (a sandboxed receiver):
				 unprovable cases are reported as such */

struct mw__fd_facts {
	struct stat st;
	bool regular;
	bool shmem;          /* tmpfs or hugetlbfs: seals exist */
	bool hugetlbfs;
	bool mount_noexec;
	int seals;           /* F_GET_SEALS, or -1 */
	bool link_memfd;     /* /proc/self/fd link reads "/memfd:NAME (deleted)" */
	char name[256];      /* NAME without "memfd:", or the whole link */
	bool memfd;          /* proven a memfd */
	bool memfd_unproven; /* looks like one (link, no seals allowed), but its
				device could not be compared (NO_PROBE, or
				memfd_create blocked): neither proven nor refuted */
	bool acl;            /* an access ACL is present */
	int acl_err;         /* reading it failed (not ENODATA/EOPNOTSUPP): -errno */
	bool exec_bits;      /* mode & 0111 */
	bool exec_sealed;    /* F_SEAL_EXEC on tmpfs: chmod cannot change exec bits
				(never true on hugetlbfs) */
	bool exec_now;       /* execve of it would pass the mode check now */
	bool exec_later;     /* a holder of the file could make it executable:
				not exec_sealed, or the ACL path is open on this
				kernel (assumed open unless probed closed) */
};

/* Fill f for fd. Returns 0 or -errno from fstat (the rest is best effort,
 * with unknowns reported in the fields). */
MW_HIDDEN int mw__fd_facts(int fd, unsigned int flags, struct mw__fd_facts *f);

/* Remember the device of a memfd the library made (no syscall but fstat):
 * later checks need no memfd of their own. */
MW_HIDDEN void mw__memdev_record(int fd);

/* Does a POSIX ACL add exec bits to an exec-sealed tmpfs memfd on this
 * kernel? 1 yes, 0 no, -errno could not tell (memfd_create or xattrs
 * unavailable). Makes a memfd once and caches the answer; never in a
 * NO_PROBE path. mw__acl_exec_known() returns the cached answer or -ENODATA. */
MW_HIDDEN int mw__acl_exec_probe(void);
MW_HIDDEN int mw__acl_exec_known(void);
/* mw__acl_exec_probe() and how it was answered: the errno of
 * memfd_create(MFD_NOEXEC_SEAL) (EINVAL: no F_SEAL_EXEC, before 6.3) and of
 * setting the ACL (EOPNOTSUPP: no tmpfs ACLs; EPERM: refused), 0 where the
 * step succeeded. */
MW_HIDDEN int mw__acl_exec_detail(int *create_err, int *set_err);

#endif
