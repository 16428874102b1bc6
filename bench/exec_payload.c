/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The program bench/exec-sealed executes: a static binary of about 10 MiB
 * that exits at once. The size is an honest part of the file: a 9.25 MiB
 * initialised array in .rodata, loaded by a PT_LOAD segment like any
 * large binary's code and data (static glibc adds the rest).
 */
#define PAD_BYTES (9u * 1024 * 1024 + 256 * 1024)

const volatile unsigned char mw_bench_pad[PAD_BYTES] = { 1 };

int main(int argc, char **argv)
{
	(void)argv;
	/* Touch one byte so the array cannot be dropped. */
	return mw_bench_pad[argc] == 7;
}
