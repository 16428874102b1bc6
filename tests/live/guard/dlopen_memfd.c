/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gt-dlopen-memfd DSO: copy the shared object DSO into a memfd and
 * dlopen("/proc/self/fd/N"), as a fileless loader does. Dynamically linked
 * (a static program has no usable dlopen). Exits with what gt_dso_answer()
 * returns (42) when the object loaded, 101 when dlopen failed with errno
 * EPERM, 102 when it failed to map a segment (glibc 2.36 says so without
 * the errno: the guard's deny line names the refused mmap), 3 for any other
 * failure (the dlerror() text on stdout), 2 when the memfd could not be made.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[65536], path[64];
	int src, fd;
	ssize_t n;
	void *h;
	int (*answer)(void);
	const char *err;

	if (argc != 2)
		return 2;
	src = open(argv[1], O_RDONLY | O_CLOEXEC);
	fd = memfd_create("gt-dso", MFD_CLOEXEC);
	if (src < 0 || fd < 0)
		return 2;
	while ((n = read(src, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			return 2;
	close(src);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	errno = 0;
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		int e = errno;

		err = dlerror();
		printf("dlopen %s: %s (errno %d)\n", path, err ? err : "?", e);
		if (e == EPERM || (err && strstr(err, strerror(EPERM))))
			return 101;
		return err && strstr(err, "failed to map segment") ? 102 : 3;
	}
	answer = (int (*)(void))dlsym(h, "gt_dso_answer");
	if (!answer) {
		printf("dlsym: %s\n", dlerror());
		return 3;
	}
	return answer();
}
