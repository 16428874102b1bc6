/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gt-dso.so: the shared object gt-dlopen-memfd loads from a memfd. */
int gt_dso_answer(void);

int gt_dso_answer(void)
{
	return 42;
}
