/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/secret-shim SHIM.so: what libmemward-openssl.so costs OpenSSL.
 * RSA-2048 (PKCS#1 v1.5, SHA-256) and ECDSA P-256 signatures per second of
 * this process's CPU time, with and without LD_PRELOAD=SHIM.so: the program
 * runs itself 5 times each way, alternating, and prints the medians and the
 * ratio (target >= 0.95x).
 * Usage: bench/secret-shim SHIM.so [--nobody]   (as root; --nobody: the
 * children run as uid 65534 under RLIMIT_MEMLOCK 8 MiB)
 */
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "nobody.h"

#define REPS 5

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Signatures per CPU second with key k over ~0.5 s. */
static double rate(EVP_PKEY *k)
{
	unsigned char msg[32] = "memward", sig[512];
	double t0 = cpu_s(), t;
	long n = 0;

	do {
		EVP_MD_CTX *c = EVP_MD_CTX_new();
		size_t len = sizeof(sig);

		if (!c || EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, k) != 1 ||
		    EVP_DigestSign(c, sig, &len, msg, sizeof(msg)) != 1) {
			EVP_MD_CTX_free(c);
			return -1;
		}
		EVP_MD_CTX_free(c);
		n++;
	} while ((t = cpu_s() - t0) < 0.5);
	return (double)n / t;
}

static int child(void)
{
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	if (!rsa || !ec)
		return 1;
	/* With the shim, the private key lives in its heap. */
	printf("%f %f %d\n", rate(rsa), rate(ec), CRYPTO_secure_malloc_initialized());
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	return 0;
}

static bool nobody;

static bool run(const char *self, const char *shim, double *r, double *e, int *init)
{
	int fds[2];
	char buf[256] = "";
	pid_t pid;
	ssize_t n;

	if (pipe(fds) < 0)
		return false;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		if (shim)
			setenv("LD_PRELOAD", shim, 1);
		else
			unsetenv("LD_PRELOAD");
		setenv("MW_BENCH_CHILD", "1", 1);
		if (nobody && bench_become_nobody() < 0)
			_exit(126);
		execl(self, self, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	waitpid(pid, NULL, 0);
	buf[n > 0 ? n : 0] = '\0';
	return sscanf(buf, "%lf %lf %d", r, e, init) == 3 && *r > 0 && *e > 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	double r[2][REPS], e[2][REPS];
	char self[4096];
	ssize_t n;
	int init[2] = { 0, 0 };

	if (getenv("MW_BENCH_CHILD"))
		return child();
	if (argc < 2 || (argc == 3 && strcmp(argv[2], "--nobody")) || argc > 3) {
		fprintf(stderr, "usage: %s SHIM.so [--nobody]\n", argv[0]);
		return 64;
	}
	nobody = argc == 3;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 2;
	self[n] = '\0';
	for (int i = 0; i < REPS; i++)
		for (int s = 0; s < 2; s++) {
			int w = (i % 2) ? 1 - s : s; /* alternate which goes first */

			if (!run(self, w ? argv[1] : NULL, &r[w][i], &e[w][i], &init[w])) {
				fprintf(stderr, "bench: a run %s the shim failed\n", w ? "with" : "without");
				return 1;
			}
			/* A shim ld.so could not preload (a wrong path: it only
			 * warns) would measure OpenSSL against itself. */
			if (init[w] != w) {
				fprintf(stderr, "bench: CRYPTO_secure_malloc_initialized() is %d %s the shim: %s\n",
					init[w], w ? "with" : "without",
					w ? "the shim did not take over OpenSSL's secure heap (is SHIM.so a readable path?)"
					  : "something else initialised OpenSSL's secure heap (LD_PRELOAD already set?)");
				return 1;
			}
		}
	for (int s = 0; s < 2; s++) {
		qsort(r[s], REPS, sizeof(double), cmp);
		qsort(e[s], REPS, sizeof(double), cmp);
	}
	printf("bench/secret-shim%s: signatures per CPU second, median of %d runs each\n",
	       nobody ? " (children as nobody, RLIMIT_MEMLOCK 8 MiB)" : "", REPS);
	printf("   RSA-2048    without %8.0f   with %8.0f   %.3fx %s\n", r[0][REPS / 2],
	       r[1][REPS / 2], r[1][REPS / 2] / r[0][REPS / 2],
	       r[1][REPS / 2] >= 0.95 * r[0][REPS / 2] ? "MET (>= 0.95x)" : "NOT MET (< 0.95x)");
	printf("   ECDSA P-256 without %8.0f   with %8.0f   %.3fx %s\n", e[0][REPS / 2],
	       e[1][REPS / 2], e[1][REPS / 2] / e[0][REPS / 2],
	       e[1][REPS / 2] >= 0.95 * e[0][REPS / 2] ? "MET (>= 0.95x)" : "NOT MET (< 0.95x)");
	printf("   CRYPTO_secure_malloc_initialized(): %d without, %d with the shim\n", init[0], init[1]);
	return 0;
}
