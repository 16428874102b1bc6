/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Identity of what runs from a memfd: the SHA-256 of its contents (GNU
 * Nettle: a small library, where libcrypto's 21,000 relocations cost every
 * start of the command about a millisecond), compared with the binaries the
 * operator trusts. Seals only
 * say that the contents cannot change; anyone can seal a memfd, so they say
 * nothing about who wrote it. A runc/crun/youki copy of itself (the
 * CVE-2019-5736 defence) has the same bytes as the runtime on disk.
 */
#include "audit/collect.h"
#include "audit/rules.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if MW_HAVE_NETTLE
#include <nettle/sha2.h>
#include <nettle/version.h>
#endif

#define HASH_MAX (1ull << 30)

int mw__audit_sha256_fd(int fd, unsigned char out[32])
{
#if MW_HAVE_NETTLE
	struct sha256_ctx ctx;
	unsigned char buf[65536];
	uint64_t off = 0;

	sha256_init(&ctx);
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		off += (uint64_t)n;
		if (off > HASH_MAX)
			return -EFBIG;
		sha256_update(&ctx, (size_t)n, buf);
	}
#if NETTLE_VERSION_MAJOR >= 4
	sha256_digest(&ctx, out); /* Nettle 4 dropped the length argument */
#else
	sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
#endif
	return 0;
#else
	(void)fd;
	(void)out;
	return -ENOSYS;
#endif
}

int mw__audit_hash_exe(struct mw__audit_hcache *hc, int fd, const struct mw__file_info *fi,
		       unsigned char out[32])
{
	bool sealed = hc && mw__audit_content_sealed(fi->seals);
	int err;

	if (sealed) {
		pthread_mutex_lock(&hc->lock);
		for (size_t i = 0; i < hc->n; i++)
			if (hc->v[i].dev == fi->dev && hc->v[i].ino == fi->ino) {
				memcpy(out, hc->v[i].sha256, 32);
				pthread_mutex_unlock(&hc->lock);
				return 0;
			}
		pthread_mutex_unlock(&hc->lock);
	}
	err = mw__audit_sha256_fd(fd, out);
	if (err || !sealed)
		return err;
	pthread_mutex_lock(&hc->lock);
	if (hc->n == hc->cap && hc->cap < 65536) {
		size_t cap = hc->cap ? hc->cap * 2 : 16;
		void *nv = realloc(hc->v, cap * sizeof(*hc->v));

		if (nv) {
			hc->v = nv;
			hc->cap = cap;
		}
	}
	if (hc->n < hc->cap) {
		hc->v[hc->n].dev = fi->dev;
		hc->v[hc->n].ino = fi->ino;
		memcpy(hc->v[hc->n].sha256, out, 32);
		hc->n++;
	}
	pthread_mutex_unlock(&hc->lock);
	return 0;
}

void mw__audit_hcache_free(struct mw__audit_hcache *hc)
{
	free(hc->v);
	hc->v = NULL;
	hc->n = hc->cap = 0;
}

/* The runtimes that execute a sealed memfd copy of themselves. */
static const char *const default_runtimes[] = {
	"/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc", "/usr/local/bin/runc",
	"/usr/bin/crun", "/usr/sbin/crun", "/usr/local/bin/crun",
	"/usr/bin/youki", "/usr/local/bin/youki",
};

static int add_path(struct mw__audit_trust *t, const char *path)
{
	MW_AUTOCLOSE int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	unsigned char h[32];
	struct stat st;
	void *nv;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || mw__audit_sha256_fd(fd, h) < 0)
		return 0; /* not on this system */
	for (size_t i = 0; i < t->n; i++)
		if (!memcmp(t->v[i].sha256, h, 32))
			return 0; /* a symlink or copy of one already listed */
	nv = realloc(t->v, (t->n + 1) * sizeof(*t->v));
	if (!nv)
		return -ENOMEM;
	t->v = nv;
	memcpy(t->v[t->n].sha256, h, 32);
	t->v[t->n].path = strdup(path);
	if (!t->v[t->n].path)
		return -ENOMEM;
	t->n++;
	return 0;
}

int mw__audit_trust_load(struct mw__audit_trust *t, const char *const *paths, size_t n)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	if (!paths) {
		paths = default_runtimes;
		n = sizeof(default_runtimes) / sizeof(default_runtimes[0]);
	}
	t->paths = calloc(n ? n : 1, sizeof(*t->paths));
	t->sizes = calloc(n ? n : 1, sizeof(*t->sizes));
	if (!t->paths || !t->sizes)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (!paths[i] || stat(paths[i], &st) < 0 || !S_ISREG(st.st_mode))
			continue; /* not on this system */
		t->sizes[t->npaths] = (uint64_t)st.st_size;
		t->paths[t->npaths] = strdup(paths[i]);
		if (!t->paths[t->npaths])
			return -ENOMEM;
		t->npaths++;
	}
	return 0;
}

const char *mw__audit_trusted(struct mw__audit_trust *t, const unsigned char sha256[32])
{
	const char *who = NULL;

	if (!t)
		return NULL;
	pthread_mutex_lock(&t->lock);
	if (!t->hashed) {
		t->hashed = true;
		for (size_t i = 0; i < t->npaths; i++)
			if (add_path(t, t->paths[i]) < 0)
				break; /* ENOMEM: fewer trusted binaries, never more */
	}
	for (size_t i = 0; i < t->n && !who; i++)
		if (!memcmp(t->v[i].sha256, sha256, 32))
			who = t->v[i].path;
	pthread_mutex_unlock(&t->lock);
	return who;
}

void mw__audit_trust_free(struct mw__audit_trust *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].path);
	free(t->v);
	for (size_t i = 0; i < t->npaths; i++)
		free(t->paths[i]);
	free(t->paths);
	free(t->sizes);
	pthread_mutex_destroy(&t->lock);
	memset(t, 0, sizeof(*t));
}
