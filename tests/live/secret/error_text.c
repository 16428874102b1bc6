/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mw_secret_last_error() after a failure (issue 10, second red-team round):
 *  - the whole sentence: as nobody under 8 MiB, the compact heap's memlock
 *    message (limit, bytes held, what to do) ends with its advice; it was
 *    cut at 319 bytes, mid-word ("...says how much is l");
 *  - a call that fails on bad arguments says so, not the previous
 *    failure's text: mw_secret_alloc(NULL, n), mw_secret_realloc(NULL, ...),
 *    mw_secret_protect() of a compact heap, mw_secret_heap_stats() with a
 *    zero sz each leave their own sentence (alloc(NULL) kept the memlock
 *    message before).
 */
#include "unpriv.h"

#include <memward/secret.h>

static int run(void *arg)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = MW_SECRET_COMPACT };
	struct mw_secret_heap *h = mw_secret_heap_new(&o);
	struct mw_secret_stats st = { .sz = 0 };
	const char *msg;
	size_t n = 0, len;
	void *p;

	(void)arg;
	if (!h) {
		printf("heap_new: %s (%s)\n", strerror(errno), mw_secret_last_error());
		return 2;
	}
	while (n < 100000 && mw_secret_alloc(h, 4096))
		n++;
	msg = mw_secret_last_error();
	len = strlen(msg);
	printf("note: %zu objects, then: %s (%zu bytes)\n", n, msg, len);
	CHECK(n < 100000, "no allocation failed under an 8 MiB limit");
	CHECK(strstr(msg, "RLIMIT_MEMLOCK") != NULL, "the failure does not name RLIMIT_MEMLOCK: %s", msg);
	/* The message's last clause: the advice (CAP_IPC_LOCK either way). */
	CHECK(len > 0 && strstr(msg, "CAP_IPC_LOCK") != NULL && msg[len - 1] != ' ',
	      "the message is cut short (%zu bytes): ...%s", len, len > 40 ? msg + len - 40 : msg);

	errno = 0;
	p = mw_secret_alloc(NULL, 16);
	CHECK(!p && errno == EINVAL, "alloc(NULL heap): %p, errno %d", p, errno);
	CHECK(strstr(mw_secret_last_error(), "NULL") != NULL, "alloc(NULL heap) left: %s", mw_secret_last_error());
	errno = 0;
	p = mw_secret_realloc(NULL, NULL, 16);
	CHECK(!p && errno == EINVAL, "realloc(NULL heap): %p, errno %d", p, errno);
	CHECK(strstr(mw_secret_last_error(), "mw_secret_realloc") != NULL, "realloc(NULL heap) left: %s",
	      mw_secret_last_error());
	CHECK(mw_secret_protect(h, &st, MW_SECRET_READONLY) == -EOPNOTSUPP, "protect on a compact heap");
	CHECK(strstr(mw_secret_last_error(), "guarded") != NULL, "protect on a compact heap left: %s",
	      mw_secret_last_error());
	CHECK(mw_secret_heap_stats(h, &st) == -EINVAL, "stats with sz 0");
	CHECK(strstr(mw_secret_last_error(), "sz") != NULL, "stats with sz 0 left: %s", mw_secret_last_error());
	mw_secret_heap_destroy(h);
	return live_failures ? 1 : 0;
}

int main(void)
{
	int rc = unpriv_run(8 * MIB, run, NULL);

	if (rc == 77)
		return 77;
	CHECK(rc == 0, "as nobody, 8 MiB: exit %d", rc);
	return live_done();
}
