/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The three ways the audit tests scan a fixture process, since each reads it
 * by another path: every process through the BPF iterators (where they load;
 * else through /proc), every process through /proc, and that process alone
 * by pid. modes_scan() returns the report of one of them.
 */
#ifndef MW_TESTS_AUDIT_MODES_H
#define MW_TESTS_AUDIT_MODES_H

#include "live.h"

#include <memward/memward.h>

#define MODES 3

/* The modes by the CLI options that pick them. */
static const char *const modes_name[MODES] = { "--bpf", "--no-bpf", "--pid" };

/* Scan in mode m (0..MODES-1), the pid mode naming *pid alone; the test
 * stops when the scan fails. The caller frees the report. */
static struct mw_audit_report *modes_scan(int m, const pid_t *pid)
{
	struct mw_audit_opts o = { .sz = sizeof(o), .flags = MW_AUDIT_F_BPF };
	struct mw_audit_report *r = NULL;
	int err;

	if (m == 1)
		o.flags = MW_AUDIT_F_NO_BPF;
	if (m == 2) {
		o.pids = pid;
		o.npids = 1;
	}
	err = mw_audit_scan(&o, &r);
	REQUIRE(err == 0, "scan (%s): %s", modes_name[m], strerror(-err));
	return r;
}

#endif
