/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `memward secret check`: the model both sides share — the names of methods,
 * backings and results, which protections each backing promises, and how a
 * result cell is filled. Depends on nothing else in secret-check/, so the
 * attack side (probe.c), the core-dump method (core.c) and the report
 * (cmd_secret_check.c) all build on it without depending on each other.
 */
#include "secret_check.h"

#include <stdarg.h>
#include <stdio.h>

/* ---- tables ---------------------------------------------------------- */

static const char *const method_keys[SC_NMETHODS] = {
	[SC_READ_INTO] = "read_into",
	[SC_WRITE_FROM] = "write_from",
	[SC_PVR] = "process_vm_readv",
	[SC_PROCMEM] = "proc_pid_mem",
	[SC_PTRACE] = "ptrace_peekdata",
	[SC_VMSPLICE] = "vmsplice",
	[SC_ODIRECT_OUT] = "o_direct_write",
	[SC_ODIRECT_IN] = "o_direct_read",
	[SC_FORK] = "fork_inherits",
	[SC_CORE] = "core_dump",
};

static const char *const method_labels[SC_NMETHODS] = {
	[SC_READ_INTO] = "read() into secret (owner)",
	[SC_WRITE_FROM] = "write() from secret (owner)",
	[SC_PVR] = "process_vm_readv",
	[SC_PROCMEM] = "/proc/PID/mem pread",
	[SC_PTRACE] = "ptrace PEEKDATA",
	[SC_VMSPLICE] = "vmsplice (owner, to pipe)",
	[SC_ODIRECT_OUT] = "O_DIRECT write from secret",
	[SC_ODIRECT_IN] = "O_DIRECT read into secret",
	[SC_FORK] = "fork inherits",
	[SC_CORE] = "core dump contents",
};

const char *sc_method_key(enum sc_method m) { return method_keys[m]; }
const char *sc_method_label(enum sc_method m) { return method_labels[m]; }
const char *sc_backing_key(enum sc_backing b) { return b == SC_SECRETMEM ? "secretmem" : "mlock"; }

const char *sc_result_key(enum sc_result r)
{
	switch (r) {
	case SC_SKIPPED: return "skipped";
	case SC_BLOCKED: return "blocked";
	case SC_READABLE: return "readable";
	case SC_WORKS: return "works";
	case SC_FAILS: return "fails";
	case SC_NOT_TESTABLE: return "not_testable";
	case SC_NOT_TESTED: return "not_tested";
	case SC_NOT_APPLICABLE: return "not_applicable";
	case SC_UNAVAILABLE: return "unavailable";
	}
	return "unknown";
}

bool sc_is_fact(enum sc_method m) { return m == SC_READ_INTO || m == SC_WRITE_FROM; }

bool sc_promised(enum sc_method m, enum sc_backing b)
{
	switch (m) {
	case SC_PVR: case SC_PROCMEM: case SC_PTRACE: case SC_VMSPLICE:
	case SC_ODIRECT_OUT: case SC_ODIRECT_IN:
		/* secretmem: the pages are out of the direct map and GUP refuses
		 * them; the mlock fallback is ordinary memory. */
		return b == SC_SECRETMEM;
	case SC_FORK: /* heap default MADV_DONTFORK (+ WIPEONFORK on mlock) */
	case SC_CORE: /* secretmem VMAs are VM_DONTDUMP; fallback MADV_DONTDUMP */
		return true;
	default:
		return false;
	}
}

const char *sc_promise_text(enum sc_method m, enum sc_backing b)
{
	if (sc_is_fact(m))
		return "works (copies by the owner itself)";
	if (m == SC_FORK)
		return b == SC_SECRETMEM ? "not inherited (MADV_DONTFORK)"
					 : "not inherited (MADV_DONTFORK, WIPEONFORK)";
	if (m == SC_CORE)
		return b == SC_SECRETMEM ? "not dumped (VM_DONTDUMP)" : "not dumped (MADV_DONTDUMP)";
	return sc_promised(m, b) ? "blocked (no GUP on secretmem)" : "nothing (ordinary memory)";
}

void sc_cell_set(struct sc_cell *c, enum sc_result r, const char *fmt, ...)
{
	va_list ap;

	c->result = r;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}
