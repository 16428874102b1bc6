/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ACL path around F_SEAL_EXEC, established by the test itself (never by
 * the library's probe): on tmpfs a POSIX access ACL sets the mode through
 * simple_set_acl(), which skips shmem_setattr()'s F_SEAL_EXEC check (found on
 * Linux 6.18). live_acl_set_rwx() sets user::rwx group::rw- other::rw- on fd.
 */
#ifndef MW_LIVE_ACL_EXEC_H
#define MW_LIVE_ACL_EXEC_H

#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "sys/shim.h"

static inline int live_acl_set_rwx(int fd)
{
	struct { uint16_t tag, perm; uint32_t id; } e[3] = {
		{ 0x01, 7, UINT32_MAX }, { 0x04, 6, UINT32_MAX }, { 0x20, 6, UINT32_MAX } };
	char buf[4 + sizeof(e)];
	uint32_t version = 2;

	memcpy(buf, &version, 4);
	memcpy(buf + 4, e, sizeof(e));
	return fsetxattr(fd, "system.posix_acl_access", buf, sizeof(buf), 0) < 0 ? -errno : 0;
}

/* 1: an ACL adds exec bits to an exec-sealed memfd here; 0: it does not;
 * -errno: could not try (no MFD_NOEXEC_SEAL, no ACL support). */
static inline int live_acl_adds_exec(void)
{
	struct stat st;
	int fd = mw_sys_memfd_create("acl-try", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
	int r;

	if (fd < 0)
		return -errno;
	r = live_acl_set_rwx(fd);
	if (r == 0)
		r = fstat(fd, &st) < 0 ? -errno : (st.st_mode & 0111) != 0;
	else if (r == -EPERM)
		r = 0; /* refused on a sealed file: the path is closed */
	close(fd);
	return r;
}

#endif
