/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the library's modules. Not installed, not exported. */
#ifndef MW_INTERNAL_H
#define MW_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#define MW_HIDDEN __attribute__((visibility("hidden")))

/* Close an fd when the variable leaves scope: `MW_AUTOCLOSE int fd = -1;`. */
MW_HIDDEN void mw__closep(int *fd);
#define MW_AUTOCLOSE __attribute__((cleanup(mw__closep)))

/* Report through the caller's log callback, if any (syslog levels). */
MW_HIDDEN void mw__log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Read up to size-1 bytes of a (small) file and NUL-terminate. Returns the
 * length or -errno. Trailing newlines are stripped. */
MW_HIDDEN ssize_t mw__read_file(const char *path, char *buf, size_t size);
/* Read fd to its end into a malloc'd, NUL-terminated buffer (any size; more
 * than max bytes, when max is not 0, fails with EFBIG). NULL + errno on error. */
MW_HIDDEN char *mw__read_fd_alloc(int fd, size_t max, size_t *len);
/* Read fd to its end into *buf (malloc'd, grown as needed, *cap its size;
 * both may start NULL/0 or hold a buffer to reuse), NUL-terminated. The
 * length, or -errno (-EFBIG past max when max is not 0, -ENOMEM); *buf
 * stays the caller's to free either way. */
MW_HIDDEN ssize_t mw__read_grow(int fd, char **buf, size_t *cap, size_t max);
/* Write a string to a sysfs/procfs file. Returns 0 or -errno. */
MW_HIDDEN int mw__write_file(const char *path, const char *text);
/*
 * For memward's own tests only: MEMWARD_TEST_SYSROOT=/dir puts the files the
 * reclaim capabilities drive (DAMON sysfs, MGLRU's sysfs and debugfs lru_gen)
 * and memward's DAMON record (/run/memward/damon) under /dir, so the write
 * paths run against a tree of ordinary files (unit tests under ASan; the host
 * runs a kdamond memward must never write to). "" when unset, relative, or in
 * a set-id program (secure_getenv).
 */
MW_HIDDEN const char *mw__sysroot(void);
/* Parse a whole string as an integer (base 0: 10, 0x16, 0 8). 0 or -EINVAL. */
MW_HIDDEN int mw__parse_long(const char *text, long *out);

/* Is capability bit `cap` in this thread's effective set (capget(2), else
 * /proc/self/status)? */
#define MW_CAP_IPC_LOCK 14
#define MW_CAP_SYS_ADMIN 21
#define MW_CAP_BPF 39
MW_HIDDEN bool mw__cap_effective(int cap);

/* Parsers for kernel text, kept pure so unit tests can feed them samples. */
/* Is name one entry of a comma-separated list (securityfs lsm)? */
MW_HIDDEN bool mw__list_has(const char *list, const char *name);
/* DAMON avail_operations ("vaddr\nfvaddr\npaddr") to MW_DAMON_OPS_* bits;
 * unknown words are ignored. */
MW_HIDDEN unsigned int mw__parse_damon_ops(const char *text);
/* The hex mask after "key:" in /proc/PID/status text (CapEff etc.).
 * Returns 0 or -ENOENT / -EINVAL. */
MW_HIDDEN int mw__parse_status_hex(const char *status, const char *key, uint64_t *out);
/* The decimal value after "key:" in /proc/PID/status text. */
MW_HIDDEN int mw__parse_status_long(const char *status, const char *key, long *out);

#endif
