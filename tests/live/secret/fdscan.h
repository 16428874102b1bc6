/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by fd_fork.c and fd_getfd.c (issue F5/F6): a heap holding a secret
 * of each kind (compact slot, guarded slot, compact large object) as an
 * unprivileged process, and a scan of descriptors for anything that maps
 * back to it: a secretmem file, or any file whose mapping shows a secret.
 */
#ifndef MW_TEST_FDSCAN_H
#define MW_TEST_FDSCAN_H

#include "unpriv.h"

#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <memward/secret.h>

#define FDSCAN_KINDS 3
#define FDSCAN_MARK 32
#define FDSCAN_MAXFD 1024

static const char *const fdscan_kind[FDSCAN_KINDS] = { "compact", "guarded", "large" };
static const size_t fdscan_size[FDSCAN_KINDS] = { 48, 48, 64 * 1024 };
/* Random bytes, never printed: found only where the secret itself is. */
static unsigned char fdscan_mark[FDSCAN_MARK];

/* The heap of kind k with the mark written into a fresh object; NULL and a
 * message on failure. */
static inline struct mw_secret_heap *fdscan_heap(int k, char **obj)
{
	struct mw_secret_opts o = { .sz = sizeof(o) };
	struct mw_secret_heap *h;

	o.mode = k == 1 ? MW_SECRET_GUARDED : MW_SECRET_COMPACT;
	o.chunk_size = 1 << 20; /* well under the 8 MiB RLIMIT_MEMLOCK */
	h = mw_secret_heap_new(&o);
	if (!h) {
		printf("%s: mw_secret_heap_new: %s (%s)\n", fdscan_kind[k], strerror(errno),
		       mw_secret_last_error());
		return NULL;
	}
	*obj = mw_secret_alloc(h, fdscan_size[k]);
	if (!*obj) {
		printf("%s: mw_secret_alloc: %s (%s)\n", fdscan_kind[k], strerror(errno),
		       mw_secret_last_error());
		mw_secret_heap_destroy(h);
		return NULL;
	}
	memcpy(*obj, fdscan_mark, FDSCAN_MARK);
	return h;
}

static inline int fdscan_init(void)
{
	return getrandom(fdscan_mark, sizeof(fdscan_mark), 0) == (ssize_t)sizeof(fdscan_mark)
		       ? 0 : -1;
}

/* Is fd (ours) a secretmem file, or does mapping it show the mark? Returns
 * a description of what was found, or NULL. */
static inline const char *fdscan_check(int fd)
{
	char path[64], link[256] = "";
	struct stat st;
	size_t len;
	char *m;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (readlink(path, link, sizeof(link) - 1) > 0 && strstr(link, "secretmem"))
		return "a secretmem descriptor";
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
		return NULL;
	len = st.st_size > (off_t)(64 * MIB) ? 64 * MIB : (size_t)st.st_size;
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return NULL;
	for (size_t i = 0; i + FDSCAN_MARK <= len; i++)
		if (m[i] == (char)fdscan_mark[0] && !memcmp(m + i, fdscan_mark, FDSCAN_MARK)) {
			munmap(m, len);
			return "a file whose mapping holds the secret";
		}
	munmap(m, len);
	return NULL;
}

#endif
