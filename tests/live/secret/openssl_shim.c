/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmemward-openssl.so with a real client (issue 10): `openssl s_server`
 * with an RSA-2048 and an ECDSA P-256 key (-cert/-key and -dcert/-dkey),
 * once without the shim and once with LD_PRELOAD=libmemward-openssl.so.
 * After TLS 1.2 handshakes with each key (`openssl s_client`, RSA and ECDSA
 * signatures), another process (this one) reads every readable mapping of
 * the server through /proc/PID/mem and looks for the RSA private exponent d
 * and the EC private scalar as OpenSSL keeps them in a BIGNUM (little-endian
 * limbs): they must be found without the shim (else the scan proves
 * nothing) and not found with it (they live in memfd_secret pages, which
 * /proc/PID/mem cannot read). Reported, not checked (OpenSSL's own copies
 * outside its secure heap): p and q (the Montgomery contexts keep copies of
 * them in ordinary memory), and big-endian copies of d and the scalar (file
 * and DER buffers).
 * The shim run is repeated with the server as nobody (no CAP_IPC_LOCK,
 * RLIMIT_MEMLOCK 8 MiB) when the test runs as root.
 * Usage: live-secret-openssl-shim SHIM.so
 */
#include "live.h"

#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#define OPENSSL_BIN "/usr/bin/openssl"

static char dir[] = "/tmp/memward-ossl-XXXXXX";

struct needle {
	const char *name;
	unsigned char b[512];
	int len;
	bool checked;  /* must vanish with the shim */
};
static struct needle needles[12];
static int nneedles;

static bool as_nobody; /* the server runs as nobody under 8 MiB */

static int run(char *const argv[], const char *preload)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (preload)
			setenv("LD_PRELOAD", preload, 1);
		if (as_nobody) {
			struct rlimit rl = { 8 << 20, 8 << 20 };

			if (setrlimit(RLIMIT_MEMLOCK, &rl) < 0 || setgroups(0, NULL) < 0 ||
			    setgid(65534) < 0 || setuid(65534) < 0)
				_exit(126);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void add_bn(const char *name, const BIGNUM *bn, bool checked, bool le)
{
	struct needle *n = &needles[nneedles++];

	n->name = name;
	n->len = BN_num_bytes(bn);
	n->checked = checked;
	if (le)
		BN_bn2lebinpad(bn, n->b, n->len);
	else
		BN_bn2bin(bn, n->b);
}

static void load_key(const char *file, bool rsa)
{
	char path[256];
	FILE *f;
	EVP_PKEY *k;
	BIGNUM *bn = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	REQUIRE(f, "open %s", path);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	REQUIRE(k, "read %s", path);
	if (rsa) {
		REQUIRE(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_D, &bn), "d");
		add_bn("RSA d (BIGNUM)", bn, true, true);
		add_bn("RSA d (big-endian)", bn, false, false);
		BN_free(bn);
		bn = NULL;
		REQUIRE(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_FACTOR1, &bn), "p");
		add_bn("RSA p (BIGNUM)", bn, false, true);
		BN_free(bn);
		bn = NULL;
		REQUIRE(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_FACTOR2, &bn), "q");
		add_bn("RSA q (BIGNUM)", bn, false, true);
		BN_free(bn);
		bn = NULL;
		REQUIRE(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_EXPONENT1, &bn), "dP");
		add_bn("RSA dP (BIGNUM)", bn, false, true);
		BN_free(bn);
		bn = NULL;
		REQUIRE(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, &bn), "qInv");
		add_bn("RSA qInv (BIGNUM)", bn, false, true);
	} else {
		REQUIRE(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &bn), "priv");
		add_bn("EC scalar (BIGNUM)", bn, true, true);
		add_bn("EC scalar (big-endian)", bn, false, false);
	}
	BN_free(bn);
	EVP_PKEY_free(k);
}

/* Count each needle in every readable mapping of pid. */
static void scan(pid_t pid, int found[], long *bytes, int *secretmem_maps)
{
	char path[64], line[512];
	FILE *maps;
	int mem;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	maps = fopen(path, "r");
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	mem = open(path, O_RDONLY | O_CLOEXEC);
	REQUIRE(maps && mem >= 0, "open /proc/%d: %s", (int)pid, strerror(errno));
	*bytes = 0;
	*secretmem_maps = 0;
	memset(found, 0, sizeof(int) * (size_t)nneedles);
	while (fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi;
		char perm[8];
		unsigned char *buf;
		ssize_t n;

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) != 3 || perm[0] != 'r')
			continue;
		if (strstr(line, "secretmem"))
			(*secretmem_maps)++;
		if (strstr(line, "[vvar") || strstr(line, "[vsyscall]"))
			continue;
		buf = malloc(hi - lo);
		REQUIRE(buf, "malloc");
		n = pread(mem, buf, hi - lo, (off_t)lo); /* secretmem: EIO */
		if (n > 0) {
			*bytes += n;
			for (int i = 0; i < nneedles; i++)
				if (memmem(buf, (size_t)n, needles[i].b, (size_t)needles[i].len))
					found[i]++;
		}
		free(buf);
	}
	fclose(maps);
	close(mem);
}

static bool wait_port(int port)
{
	for (int i = 0; i < 100; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool ok;

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
		close(s);
		if (ok)
			return true;
		usleep(50000);
	}
	return false;
}

static int handshake(int port, const char *sigalg)
{
	char addr[32];
	char *argv[] = { OPENSSL_BIN, "s_client", "-connect", addr, "-tls1_2", "-sigalgs",
			 (char *)sigalg, NULL };
	pid_t pid;

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	pid = run(argv, NULL); /* stdin /dev/null: handshake, then EOF closes */
	return live_wait(pid);
}

static void one(const char *shim, int port, int found[], long *bytes, int *smaps)
{
	char cert[256], key[256], dcert[256], dkey[256], accept[32];
	char *argv[] = { OPENSSL_BIN, "s_server", "-accept", accept, "-cert", cert, "-key", key,
			 "-dcert", dcert, "-dkey", dkey, "-quiet", NULL };
	pid_t srv;
	int rc;

	snprintf(accept, sizeof(accept), "127.0.0.1:%d", port);
	snprintf(cert, sizeof(cert), "%s/rsa.crt", dir);
	snprintf(key, sizeof(key), "%s/rsa.key", dir);
	snprintf(dcert, sizeof(dcert), "%s/ec.crt", dir);
	snprintf(dkey, sizeof(dkey), "%s/ec.key", dir);
	srv = run(argv, shim);
	REQUIRE(wait_port(port), "s_server%s does not listen on %d", shim ? " (shim)" : "", port);
	rc = handshake(port, "RSA-PSS+SHA256:RSA+SHA256");
	CHECK(rc == 0, "s_client RSA handshake%s: exit %d", shim ? " with the shim" : "", rc);
	rc = handshake(port, "ECDSA+SHA256");
	CHECK(rc == 0, "s_client ECDSA handshake%s: exit %d", shim ? " with the shim" : "", rc);
	scan(srv, found, bytes, smaps);
	kill(srv, SIGTERM);
	live_wait(srv);
}

int main(int argc, char **argv)
{
	int plain[12], shimmed[12], nobody[12], smaps0, smaps1, smaps2;
	long b0, b1, b2;
	char cmd[1024];

	REQUIRE(argc == 2, "usage: %s SHIM.so", argv[0]);
	if (access(OPENSSL_BIN, X_OK) != 0)
		live_skip("%s not installed (scripts/setup installs openssl)", OPENSSL_BIN);
	{
		int fd = (int)syscall(447, O_CLOEXEC); /* memfd_secret, tried here */

		if (fd < 0)
			live_skip("memfd_secret: %s: the shim would use the mlock fallback, which "
				  "/proc/PID/mem can read", strerror(errno));
		close(fd);
	}
	REQUIRE(mkdtemp(dir), "mkdtemp");
	snprintf(cmd, sizeof(cmd),
		 "cd %s && " OPENSSL_BIN " req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.crt "
		 "-days 1 -subj /CN=rsa >/dev/null 2>&1 && " OPENSSL_BIN " req -x509 -newkey ec "
		 "-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key -out ec.crt -days 1 "
		 "-subj /CN=ec >/dev/null 2>&1", dir);
	REQUIRE(system(cmd) == 0, "making the keys failed");
	load_key("rsa.key", true);
	load_key("ec.key", false);

	one(NULL, 44000 + getpid() % 1000, plain, &b0, &smaps0);
	one(argv[1], 45000 + getpid() % 1000, shimmed, &b1, &smaps1);
	if (geteuid() == 0) {
		/* As a TLS server runs: nobody, no CAP_IPC_LOCK, 8 MiB. */
		REQUIRE(chmod(dir, 0755) == 0, "chmod");
		snprintf(cmd, sizeof(cmd), "chmod 0644 %s/*.key", dir);
		REQUIRE(system(cmd) == 0, "chmod keys");
		as_nobody = true;
		one(argv[1], 46000 + getpid() % 1000, nobody, &b2, &smaps2);
		as_nobody = false;
		CHECK(smaps2 > 0, "no secretmem mapping in the server as nobody under the shim");
	} else {
		memset(nobody, 0, sizeof(nobody));
	}
	live_note("scanned %ld bytes without the shim, %ld with it (%d secretmem mappings, unreadable)",
		  b0, b1, smaps1);
	CHECK(smaps1 > 0, "no secretmem mapping in the server under the shim");
	for (int i = 0; i < nneedles; i++) {
		live_note("%-24s without shim: %-9s with shim: %-9s as nobody: %-9s%s",
			  needles[i].name, plain[i] ? "found" : "-", shimmed[i] ? "FOUND" : "-",
			  geteuid() ? "(not run)" : nobody[i] ? "FOUND" : "-",
			  needles[i].checked ? "" : "  (reported, not checked)");
		if (!needles[i].checked)
			continue;
		CHECK(plain[i] > 0, "%s not found without the shim: the scan proves nothing",
		      needles[i].name);
		CHECK(shimmed[i] == 0, "%s readable in the server's memory under the shim",
		      needles[i].name);
		CHECK(nobody[i] == 0, "%s readable in the memory of the server run as nobody "
		      "under the shim", needles[i].name);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		live_note("could not remove %s", dir);
	return live_done();
}
