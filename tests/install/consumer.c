/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A program built only from the installed headers and `pkg-config memward`. */
#include <stdio.h>
#include <string.h>

#include <memward/memward.h>

int main(void)
{
	struct mw_feature_status st = { .sz = sizeof(st) };

	if (strcmp(mw_version(), "0.0.0") <= 0)
		return 1;
	if (mw_feature_probe(MW_FEAT_MEMFD_CREATE, &st) != 0)
		return 1;
	printf("consumer: libmemward %s, memfd_create %s\n", mw_version(),
	       mw_feature_state_name(st.state));
	return 0;
}
