/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for the policy file parser (src/policy/parse.c).
 * Built when the compiler is clang with -fsanitize=fuzzer (tests/meson.build):
 *   build-clang/tests/fuzz-policy -max_total_time=60 tests/fuzz/corpus
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <memward/policy.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Paths are not resolved: no stat() of random names. */
	struct mw_policy *p = mw_policy_parse((const char *)data, size, MW_POLICY_NO_RESOLVE);
	size_t n, total = 0;

	if (!p)
		return 0;
	n = mw_policy_error_count(p);
	for (size_t i = 0; i < n; i++) {
		unsigned int line = 0;
		const char *msg = mw_policy_error(p, i, &line);

		/* Every error has a line within the input and a message. */
		if (!msg || !line || line > size + 1 || !msg[0])
			__builtin_trap();
		total += strlen(msg);
	}
	for (size_t i = 0; i < mw_policy_allow_count(p); i++) {
		const char *path = mw_policy_allow(p, i, NULL, NULL);

		if (!path || path[0] != '/')
			__builtin_trap();
		total += strlen(path);
	}
	(void)mw_policy_mode(p);
	(void)mw_policy_required_seals(p);
	(void)total;
	mw_policy_free(p);
	return 0;
}
