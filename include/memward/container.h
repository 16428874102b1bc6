/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Containers: act on the pid namespace another process lives in, from
 * outside it (an OCI runtime hook, a container engine).
 *
 * Kernel facts that shape the API:
 *  - vm.memfd_noexec is per pid namespace (Linux 6.3, commit 105ff5339f49)
 *    and hierarchical since 6.6 (commit 9876cfe8ec1c): a namespace never
 *    goes below its parent's level. Its handler acts on the pid namespace
 *    of the *writing task* (task_active_pid_ns(current)), not on the /proc
 *    mount's, so the write must come from a process inside the namespace.
 *  - setns(pidfd, CLONE_NEWPID) (5.8) changes only where the caller's next
 *    children go; the library joins in a short-lived child and writes from
 *    a grandchild, so the caller's own namespaces never change.
 *
 * See mw_container_noexec_set(3).
 */
#ifndef MEMWARD_CONTAINER_H
#define MEMWARD_CONTAINER_H

#include <sys/types.h>
#include <memward/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Set vm.memfd_noexec (0, 1 or 2) of the pid namespace process pid lives in,
 * and check that the namespace now shows that level. flags must be 0.
 *
 * Returns 0, or:
 *  -EINVAL   pid <= 0, level outside 0..2, or unknown flags
 *  -ESRCH    no such process (or it exited)
 *  -EXDEV    pid shares the caller's pid namespace: setting the level would
 *            change the caller's own (the host's) namespace
 *  -ERANGE   the namespace is held at a higher level (an ancestor's, or on
 *            6.3-6.5 its own ratchet): mw_container_noexec_get() says which
 *  -EOPNOTSUPP the kernel has no vm.memfd_noexec (before 6.3)
 *  -EPERM    no CAP_SYS_ADMIN over the namespace (setns or the sysctl)
 *  -EAGAIN, -ENOMEM  the helper processes could not be created
 *  other -errno from pidfd_open, setns or the sysctl file.
 */
MW_API int mw_container_noexec_set(pid_t pid, int level, unsigned int flags);

/*
 * The effective vm.memfd_noexec level (0..2) of process pid's pid namespace,
 * as a process inside it reads it. Errors as mw_container_noexec_set, except
 * -EXDEV and -ERANGE (the caller's own namespace is allowed here).
 */
MW_API int mw_container_noexec_get(pid_t pid);

#ifdef __cplusplus
}
#endif
#endif
