/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gt-dyn-payload: a dynamically linked program that exits 42. guard-loader
 * copies it into a memfd and runs it through the dynamic loader
 * (ld.so /proc/self/fd/N): built without -static on purpose, also in the
 * static build of the QEMU guests (tests/vm/matrix copies ld.so and the
 * libraries it needs into the initramfs).
 */
#include <stdlib.h>

int main(void)
{
	/* A call into libc: the loader must have mapped and relocated it. */
	exit(atoi("42"));
}
