/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Runs inside the test container (statically linked: the rootfs is only
 * busybox-static). Prints what memfd_create does here, one fact a line:
 *   level N            /proc/sys/vm/memfd_noexec as this namespace reads it
 *   exec-memfd ok|E..  memfd_create(MFD_EXEC)
 *   plain-memfd mode 0NNN exec-sealed yes|no, or plain-memfd E..
 * The runc test (tests/oci/runc-hook) compares these lines with the level
 * the hook was asked to set. Uses glibc's memfd_create wrapper (no raw
 * syscall); the 6.3 flags are spelled out for glibc 2.36 headers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROBE_MFD_EXEC 0x0010U     /* Linux 6.3, commit 105ff5339f49 */
#define PROBE_F_SEAL_EXEC 0x0020   /* Linux 6.3, commit 6fd7353829ca */

static void print_errno(const char *what, int err)
{
	printf("%s %s\n", what, err == EACCES ? "EACCES" : err == EINVAL ? "EINVAL" : strerror(err));
}

int main(void)
{
	char buf[8] = "?";
	struct stat st;
	int fd;

	fd = open("/proc/sys/vm/memfd_noexec", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		buf[n > 0 ? (size_t)n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		close(fd);
	}
	printf("level %s\n", buf);

	fd = memfd_create("probe-exec", MFD_CLOEXEC | PROBE_MFD_EXEC);
	if (fd < 0)
		print_errno("exec-memfd", errno);
	else
		printf("exec-memfd ok\n");
	if (fd >= 0)
		close(fd);

	fd = memfd_create("probe-plain", MFD_CLOEXEC);
	if (fd < 0) {
		print_errno("plain-memfd", errno);
	} else if (fstat(fd, &st) == 0) {
		int seals = fcntl(fd, F_GET_SEALS);

		printf("plain-memfd mode %04o exec-sealed %s\n", (unsigned)(st.st_mode & 07777),
		       seals >= 0 && (seals & PROBE_F_SEAL_EXEC) ? "yes" : "no");
		close(fd);
	}
	return 0;
}
