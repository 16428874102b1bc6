/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memfd_producer: share a frozen memfd with one consumer.
 *
 *   memfd_producer SOCKET_PATH [TEXT]
 *
 * Listens on the AF_UNIX socket SOCKET_PATH, writes TEXT into a new memfd
 * (non-executable by default), freezes it (MW_SEALS_FROZEN: no write, no
 * resize, no exec, no more seals; without F_SEAL_EXEC on kernels before 6.3,
 * which it says), and passes it to the first client with its length as
 * payload. Run memfd_consumer SOCKET_PATH in another terminal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <memward/memward.h>

int main(int argc, char **argv)
{
	const char *text = argc > 2 ? argv[2] : "hello from a frozen memfd\n";
	struct mw_memfd_info info = { .sz = sizeof(info) };
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	unsigned int seals = MW_SEALS_FROZEN;
	char names[80];
	int fd, lsock, conn, r;
	size_t len = strlen(text);

	if (argc < 2 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: %s SOCKET_PATH [TEXT]\n", argv[0]);
		return 64;
	}
	fd = mw_memfd_create("example-message", NULL, &info);
	if (fd < 0) {
		fprintf(stderr, "memfd: %s (%s)\n", strerror(-fd), info.note);
		return 1;
	}
	printf("created: %s\n", info.note);
	if (write(fd, text, len) != (ssize_t)len) {
		perror("write");
		return 1;
	}
	r = mw_memfd_seal(fd, seals);
	if (r == -EOPNOTSUPP) {
		/* Before Linux 6.3: no F_SEAL_EXEC. Say so rather than drop it. */
		seals &= mw_memfd_seals_supported();
		mw_memfd_seals_to_string(MW_SEALS_FROZEN & ~seals, names, sizeof(names));
		printf("this kernel lacks the seal(s) %s; sealing without them\n", names);
		r = mw_memfd_seal(fd, seals);
	}
	if (r < 0) {
		fprintf(stderr, "seal: %s\n", strerror(-r));
		return 1;
	}
	mw_memfd_seals_to_string((unsigned int)r, names, sizeof(names));
	printf("sealed: %s\n", names);

	strcpy(addr.sun_path, argv[1]);
	unlink(argv[1]);
	lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lsock < 0 || bind(lsock, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(lsock, 1) < 0) {
		perror(argv[1]);
		return 1;
	}
	printf("waiting on %s\n", argv[1]);
	fflush(stdout);
	conn = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0) {
		perror("accept");
		return 1;
	}
	r = mw_share_send(conn, fd, &len, sizeof(len));
	if (r < 0) {
		fprintf(stderr, "send: %s\n", strerror(-r));
		return 1;
	}
	printf("sent %zu bytes in a sealed memfd\n", len);
	close(conn);
	close(lsock);
	unlink(argv[1]);
	close(fd);
	return 0;
}
