/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memfd_consumer: receive a memfd from memfd_producer and verify it before
 * use.
 *
 *   memfd_consumer [--copy] SOCKET_PATH
 *
 * Connects to SOCKET_PATH and receives one memfd against the policy "a
 * memfd, sealed against write, shrink and grow, exec impossible, at most
 * 1 MiB". Anything else is refused with the reason (and closed). --copy
 * accepts an unsealed or possibly executable memfd by copying it into a
 * frozen memfd of our own (the only way to meet "exec impossible" before
 * Linux 6.3, where F_SEAL_EXEC does not exist). Then maps it read-only and
 * prints it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <memward/memward.h>

int main(int argc, char **argv)
{
	struct mw_share_policy pol = {
		.sz = sizeof(pol),
		.flags = MW_SHARE_REQUIRE_MEMFD | MW_SHARE_NO_EXEC,
		.required_seals = MW_SEAL_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW,
		.max_size = 1 << 20,
	};
	struct mw_share_result res = { .sz = sizeof(res) };
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	const char *path = argv[argc - 1];
	char seals[80];
	size_t announced = 0, len;
	const char *p;
	int sock, fd;

	if (argc == 3 && !strcmp(argv[1], "--copy"))
		pol.flags |= MW_SHARE_COPY;
	else if (argc != 2)
		path = NULL;
	if (!path || strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: %s [--copy] SOCKET_PATH\n", argv[0]);
		return 64;
	}
	strcpy(addr.sun_path, path);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror(path);
		return 1;
	}
	fd = mw_share_recv(sock, &pol, &announced, sizeof(announced), &res);
	if (fd < 0) {
		fprintf(stderr, "refused (%s, %s): %s\n", mw_share_reason_name(res.reason),
			mw_errno_name(fd), res.detail);
		if (res.reason == MW_SHARE_EXEC_POSSIBLE && !(pol.flags & MW_SHARE_COPY))
			fprintf(stderr, "hint: --copy takes a private frozen copy instead\n");
		return 2;
	}
	mw_memfd_seals_to_string(res.seals, seals, sizeof(seals));
	printf("verified%s: seals %s, %llu bytes (producer announced %zu)\n",
	       res.copied ? " (our frozen copy)" : "", seals, (unsigned long long)res.size, announced);
	p = mw_share_map_ro(fd, &len);
	if (!p) {
		perror("map");
		return 1;
	}
	fwrite(p, 1, len, stdout);
	munmap((void *)p, len);
	close(fd);
	close(sock);
	return 0;
}
