/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `memward secret check`: the request/reply protocol between the checker
 * (probe.c) and the owner process that holds the secret (owner.c), and the
 * I/O helpers both use (io.c). Private to secret-check/.
 */
#ifndef MW_CLI_SECRET_CHECK_PROTOCOL_H
#define MW_CLI_SECRET_CHECK_PROTOCOL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "secret_check.h"

#define PG 4096               /* the secret window: one aligned page */
#define CMP 64                /* bytes read back by the remote methods */
#define NEEDLE 32             /* bytes searched for in a core dump */
#define REPLY_TIMEOUT_MS 120000 /* TCG guests are slow */

enum op { OP_HELLO = 1, OP_FILL, OP_ECHO, OP_VMSPLICE, OP_OD_OUT, OP_OD_IN, OP_FORK, OP_CORE, OP_QUIT };

struct req {
	int op;
	char arg[PATH_MAX];
};

struct reply {
	int op;
	int err, err2;           /* errno of the secret's / the control's attempt */
	long long n, n2;         /* their byte counts (-1 on failure) */
	uint64_t secret, control; /* OP_HELLO: addresses */
	uint64_t locked;          /* OP_HELLO: bytes_locked of the heap */
	char msg[256];
};

struct owner_io { int cmd, rep, data, od; };


/* Read exactly n bytes (timeout_ms < 0: no limit); 0, -errno, or -ETIMEDOUT. */
int sc_read_full(int fd, void *buf, size_t n, int timeout_ms);
/* Write exactly n bytes, EINTR retried; 0 or -errno. */
int sc_write_full(int fd, const void *buf, size_t n);
/* The owner: holds a secret of backing b and answers requests until
 * OP_QUIT. Runs in a forked child; never returns. */
__attribute__((noreturn)) void sc_owner_main(enum sc_backing b, bool share, struct owner_io io);

#endif
