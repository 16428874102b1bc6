/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmemward-sodium.so under a program linked against the real libsodium
 * (this one): run once without and once with LD_PRELOAD, each run checks
 * the contract and reports where the key lives.
 *   - sodium_malloc(32): filled with 0xdb, usable as a crypto_secretbox key;
 *   - one byte past the object: SIGSEGV (guard page);
 *   - one byte before it (the canary) overwritten: sodium_free aborts;
 *   - sodium_mprotect_noaccess: a read faults; readonly: a write faults;
 *     readwrite: both work again;
 *   - sodium_allocarray with an overflowing count: NULL; sodium_free(NULL);
 *   - with the shim only: the key's page is a secretmem mapping and
 *     /proc/self/mem cannot read it; without the shim it is not (else this
 *     test could not tell the shim from libsodium).
 * Usage: live-secret-sodium-shim SHIM.so
 */
#include "live.h"

#include <signal.h>
#include <stdint.h>
#include <sodium.h>

/* Which mapping holds p: 1 secretmem, 0 another one, -1 none. */
static int in_secretmem(const void *p)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int r = -1;

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && (uintptr_t)p >= lo && (uintptr_t)p < hi) {
			r = strstr(line, "secretmem") != NULL;
			break;
		}
	}
	if (f)
		fclose(f);
	return r;
}

static char self[4096];

/* Run one misuse case in a fresh process of this program (same LD_PRELOAD):
 * a forked child would not have the secret pages at all (the heap's fork
 * semantics). Its death signal, 0 when it exited normally. */
static int dies(const char *which)
{
	char *args[] = { self, NULL };
	char out[1024];
	int rc;

	setenv("MW_SODIUM_CASE", which, 1);
	rc = live_capture(args, true, NULL, out, sizeof(out));
	unsetenv("MW_SODIUM_CASE");
	return rc > 128 ? rc - 128 : 0;
}

static void past_end(unsigned char *p)
{
	((volatile unsigned char *)p)[32] = 1;
}

static void canary(unsigned char *p)
{
	p[-1] ^= 0x55;
	sodium_free(p);
}

static void read_it(unsigned char *p)
{
	(void)*(volatile unsigned char *)p;
}

static void write_it(unsigned char *p)
{
	*(volatile unsigned char *)p = 1;
}

/* MW_SODIUM_CASE: allocate a key, set its protection, misuse it. */
static int one_case(const char *which)
{
	unsigned char *key;

	signal(SIGSEGV, SIG_DFL);
	signal(SIGABRT, SIG_DFL);
	if (sodium_init() < 0 || !(key = sodium_malloc(32)))
		return 2;
	if (!strcmp(which, "past_end"))
		past_end(key);
	else if (!strcmp(which, "canary"))
		canary(key);
	else if (!strcmp(which, "noaccess_read"))
		sodium_mprotect_noaccess(key), read_it(key);
	else if (!strcmp(which, "readonly_read"))
		sodium_mprotect_readonly(key), read_it(key);
	else if (!strcmp(which, "readonly_write"))
		sodium_mprotect_readonly(key), write_it(key);
	else if (!strcmp(which, "readwrite_write"))
		sodium_mprotect_noaccess(key), sodium_mprotect_readwrite(key), write_it(key);
	else
		return 3;
	return 0;
}

static int contract(bool shim)
{
	unsigned char *key, *k2, nonce[crypto_secretbox_NONCEBYTES] = { 0 };
	unsigned char m[16] = "attack at dawn", c[sizeof(m) + crypto_secretbox_MACBYTES], out[16];
	char path[32];
	int fd, where, sig;
	bool dbs = true;

	REQUIRE(sodium_init() >= 0, "sodium_init");
	key = sodium_malloc(crypto_secretbox_KEYBYTES);
	REQUIRE(key, "sodium_malloc: %s", strerror(errno));
	for (size_t i = 0; i < crypto_secretbox_KEYBYTES; i++)
		dbs &= key[i] == 0xdb;
	CHECK(dbs, "a new region is not filled with 0xdb");
	randombytes_buf(key, crypto_secretbox_KEYBYTES);
	CHECK(crypto_secretbox_easy(c, m, sizeof(m), nonce, key) == 0, "secretbox");
	CHECK(crypto_secretbox_open_easy(out, c, sizeof(c), nonce, key) == 0 &&
	      memcmp(out, m, sizeof(m)) == 0, "secretbox open");
	CHECK(dies("past_end") == SIGSEGV, "one byte past the object does not fault");
	/* libsodium raises SIGSEGV on a bad canary, memward aborts: both kill. */
	sig = dies("canary");
	CHECK(sig == SIGABRT || sig == SIGSEGV, "an overwritten canary does not kill sodium_free "
	      "(signal %d)", sig);
	CHECK(dies("noaccess_read") == SIGSEGV, "NOACCESS object readable");
	CHECK(dies("readonly_read") == 0, "READONLY object not readable");
	CHECK(dies("readonly_write") == SIGSEGV, "READONLY object writable");
	CHECK(dies("readwrite_write") == 0, "READWRITE object not writable");
	CHECK(sodium_mprotect_noaccess(key) == 0, "mprotect_noaccess: %s", strerror(errno));
	CHECK(sodium_mprotect_readonly(key) == 0, "mprotect_readonly: %s", strerror(errno));
	CHECK(sodium_mprotect_readwrite(key) == 0, "mprotect_readwrite: %s", strerror(errno));
	errno = 0;
	CHECK(sodium_allocarray(SIZE_MAX / 2, 4) == NULL, "allocarray overflow not refused");
	k2 = sodium_allocarray(4, 8);
	CHECK(k2, "allocarray(4, 8)");
	sodium_free(k2);
	sodium_free(NULL);

	where = in_secretmem(key);
	snprintf(path, sizeof(path), "/proc/self/mem");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	{
		unsigned char b[32];
		ssize_t n = fd >= 0 ? pread(fd, b, sizeof(b), (off_t)(uintptr_t)key) : -1;

		live_note("%s: key in a %s mapping; /proc/self/mem read: %s", shim ? "shim" : "libsodium",
			  where == 1 ? "secretmem" : "non-secretmem", n == 32 ? "readable" : strerror(errno));
		if (shim) {
			CHECK(where == 1, "with the shim the key is not in secretmem");
			CHECK(n != 32, "with the shim /proc/self/mem reads the key");
		} else {
			CHECK(where == 0, "without the shim the key is in secretmem?");
			CHECK(n == 32, "without the shim /proc/self/mem cannot read the key: the check "
			      "cannot tell the shim from libsodium");
		}
	}
	if (fd >= 0)
		close(fd);
	if (shim) {
		/* A child of fork() with a heap of its own: protecting or freeing
		 * the parent's object fails cleanly (round 4: libsodium's own
		 * sodium_mprotect_* was handed the pointer and faulted). */
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			unsigned char *mine = sodium_malloc(16);
			int r0, e0, r1, e1;

			errno = 0;
			r0 = sodium_mprotect_noaccess(key);
			e0 = errno;
			errno = 0;
			r1 = sodium_mprotect_readonly(key);
			e1 = errno;
			sodium_free(key);
			if (!mine || r0 != -1 || e0 != EPERM || r1 != -1 || e1 != EPERM) {
				printf("child: mprotect of the parent's object: %d (%s), %d (%s), want -1 EPERM\n",
				       r0, strerror(e0), r1, strerror(e1));
				fflush(stdout);
				_exit(1);
			}
			sodium_mprotect_noaccess(mine); /* its own: works */
			sodium_mprotect_readwrite(mine);
			sodium_free(mine);
			_exit(0);
		}
		sig = live_wait(pid);
		CHECK(sig == 0, "a child's sodium_mprotect_*/sodium_free of the parent's object: exit %d%s", sig,
		      sig > 128 ? " (killed by a signal)" : "");
	}
	sodium_free(key);
	return live_done();
}

int main(int argc, char **argv)
{
	char *args[] = { self, NULL };
	char out[8192];
	int rc;
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	REQUIRE(n > 0, "readlink");
	self[n] = '\0';
	if (getenv("MW_SODIUM_CASE"))
		return one_case(getenv("MW_SODIUM_CASE"));
	if (getenv("MW_SODIUM_CHILD"))
		return contract(getenv("LD_PRELOAD") != NULL);
	REQUIRE(argc == 2, "usage: %s SHIM.so", argv[0]);
	{
		int fd = (int)syscall(447, O_CLOEXEC);

		if (fd < 0)
			live_skip("memfd_secret: %s (tried here): the shim would use the mlock fallback",
				  strerror(errno));
		close(fd);
	}
	setenv("MW_SODIUM_CHILD", "1", 1);
	unsetenv("LD_PRELOAD");
	rc = live_capture(args, true, NULL, out, sizeof(out));
	printf("%s", out);
	CHECK(rc == 0, "without the shim: exit %d", rc);
	setenv("LD_PRELOAD", argv[1], 1);
	rc = live_capture(args, true, NULL, out, sizeof(out));
	unsetenv("LD_PRELOAD");
	printf("%s", out);
	CHECK(rc == 0, "with the shim: exit %d", rc);
	return live_done();
}
