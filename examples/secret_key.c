/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Keep a key in the secret heap and use it.
 *
 * The program puts a 32-byte key (random, from getrandom) in a guarded
 * secret-heap object, keeps it NOACCESS while it is not in use, and uses it
 * to compute HMAC-SHA-256 tags of its arguments. SHA-256 is written out here
 * (FIPS 180-4) so that the example needs nothing but libc and libmemward;
 * all key-dependent state (the key, the padded key blocks, the hash state)
 * lives in the secret heap too, and is wiped when freed.
 *
 *   $ ./secret_key hello world
 *   backing: secretmem (compact+guarded heaps)
 *   HMAC-SHA-256 self-test (RFC 4231 case 2): ok
 *   hello  <64 hex digits>
 *   world  <64 hex digits>
 *   the same key twice gives the same tag: yes
 *
 * Usage: secret_key [message...]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <memward/secret.h>

/* ---- SHA-256 (FIPS 180-4) ---- */
struct sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char buf[64];
	size_t fill;
};

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(struct sha256 *s, const unsigned char *b)
{
	uint32_t w[64], a, bb, c, d, e, f, g, h, t1, t2;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
		       (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
	for (int i = 16; i < 64; i++)
		w[i] = (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10)) + w[i - 7] +
		       (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) + w[i - 16];
	a = s->h[0]; bb = s->h[1]; c = s->h[2]; d = s->h[3];
	e = s->h[4]; f = s->h[5]; g = s->h[6]; h = s->h[7];
	for (int i = 0; i < 64; i++) {
		t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & bb) ^ (a & c) ^ (bb & c));
		h = g; g = f; f = e; e = d + t1; d = c; c = bb; bb = a; a = t1 + t2;
	}
	s->h[0] += a; s->h[1] += bb; s->h[2] += c; s->h[3] += d;
	s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
	/* w held key-derived words: do not leave them on the stack. */
	memset(w, 0, sizeof(w));
	__asm__ __volatile__("" : : "r"(w) : "memory");
}

static void sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
	s->fill = 0;
}

static void sha256_update(struct sha256 *s, const void *data, size_t n)
{
	const unsigned char *p = data;

	s->len += n;
	while (n) {
		size_t take = 64 - s->fill < n ? 64 - s->fill : n;

		memcpy(s->buf + s->fill, p, take);
		s->fill += take;
		p += take;
		n -= take;
		if (s->fill == 64) {
			sha256_block(s, s->buf);
			s->fill = 0;
		}
	}
}

static void sha256_final(struct sha256 *s, unsigned char out[32])
{
	uint64_t bits = s->len * 8;
	unsigned char pad = 0x80, zero = 0, len[8];

	sha256_update(s, &pad, 1);
	while (s->fill != 56)
		sha256_update(s, &zero, 1);
	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_update(s, len, 8);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(s->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)s->h[i];
	}
}

/* ---- HMAC-SHA-256 (RFC 2104) with every key-dependent byte in the heap ---- */
struct hmac_scratch {
	unsigned char pad[64];
	struct sha256 ctx;
};

static int hmac(struct mw_secret_heap *work, const unsigned char *key, size_t keylen,
		const void *msg, size_t n, unsigned char tag[32])
{
	struct hmac_scratch *s = mw_secret_alloc(work, sizeof(*s));
	unsigned char inner[32];

	if (!s)
		return -errno;
	memset(s->pad, 0x36, 64);
	for (size_t i = 0; i < keylen; i++)
		s->pad[i] ^= key[i];
	sha256_init(&s->ctx);
	sha256_update(&s->ctx, s->pad, 64);
	sha256_update(&s->ctx, msg, n);
	sha256_final(&s->ctx, inner);
	for (size_t i = 0; i < 64; i++)
		s->pad[i] ^= 0x36 ^ 0x5c;
	sha256_init(&s->ctx);
	sha256_update(&s->ctx, s->pad, 64);
	sha256_update(&s->ctx, inner, 32);
	sha256_final(&s->ctx, tag);
	mw_secret_free(work, s); /* wiped */
	return 0;
}

int main(int argc, char **argv)
{
	struct mw_secret_opts g = { .sz = sizeof(g), .mode = MW_SECRET_GUARDED };
	struct mw_secret_heap *keys = mw_secret_heap_new(&g);
	struct mw_secret_heap *work = mw_secret_heap_new(NULL);
	unsigned char *key, tag[32], first[32], again[32];
	static const unsigned char rfc4231_2[32] = {
		0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75, 0xc7,
		0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43,
	};
	const char *fallback_msgs[] = { "hello", "world" };
	const char **msgs = argc > 1 ? (const char **)argv + 1 : fallback_msgs;
	int nmsg = argc > 1 ? argc - 1 : 2, rc = 0;

	if (!keys || !work) {
		fprintf(stderr, "secret_key: %s: %s\n", strerror(errno), mw_secret_last_error());
		return 1;
	}
	printf("backing: %s (compact+guarded heaps)%s%s\n",
	       mw_secret_backing_name(mw_secret_heap_backing(keys)),
	       mw_secret_heap_fallback_reason(keys)[0] ? "; fallback because " : "",
	       mw_secret_heap_fallback_reason(keys));

	/* RFC 4231 test case 2: the HMAC below is the real thing. */
	if (hmac(work, (const unsigned char *)"Jefe", 4, "what do ya want for nothing?", 28, tag) < 0 ||
	    memcmp(tag, rfc4231_2, 32) != 0) {
		fprintf(stderr, "secret_key: HMAC-SHA-256 self-test failed\n");
		return 1;
	}
	printf("HMAC-SHA-256 self-test (RFC 4231 case 2): ok\n");

	key = mw_secret_alloc(keys, 32);
	if (!key || getrandom(key, 32, 0) != 32) {
		fprintf(stderr, "secret_key: key: %s\n", strerror(errno));
		return 1;
	}
	/* Not in use: nobody, not even this process by accident, touches it. */
	mw_secret_protect(keys, key, MW_SECRET_NOACCESS);

	for (int i = 0; i < nmsg && rc == 0; i++) {
		mw_secret_protect(keys, key, MW_SECRET_READONLY);
		rc = hmac(work, key, 32, msgs[i], strlen(msgs[i]), tag);
		mw_secret_protect(keys, key, MW_SECRET_NOACCESS);
		if (i == 0)
			memcpy(first, tag, 32);
		printf("%-10s ", msgs[i]);
		for (int j = 0; j < 32; j++)
			printf("%02x", tag[j]);
		printf("\n");
	}
	mw_secret_protect(keys, key, MW_SECRET_READONLY);
	rc = rc ? rc : hmac(work, key, 32, msgs[0], strlen(msgs[0]), again);
	printf("the same key twice gives the same tag: %s\n", memcmp(first, again, 32) == 0 ? "yes" : "no");

	mw_secret_free(keys, key); /* wiped */
	mw_secret_heap_destroy(keys);
	mw_secret_heap_destroy(work);
	return rc ? 1 : 0;
}
