/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit's rules (rules.c): the one place that decides every finding
 * kind and severity, from what the collectors produced. Not installed.
 */
#ifndef MW_AUDIT_RULES_H
#define MW_AUDIT_RULES_H

#include "audit/internal.h"

#include <pthread.h>

/* Contents the operator trusts to run from a memfd: SHA-256 digests of the
 * allow-exec-memfd binaries of memward-policy(5) given to the scan, or by
 * default of the container runtimes found on this system. */
struct mw__audit_trust {
	struct { unsigned char sha256[32]; char *path; } *v;
	size_t n;
	/* Digests are computed when first needed (a sealed memfd executable
	 * is rare; hashing runc costs more than a whole scan). */
	bool hashed;
	char **paths;
	uint64_t *sizes;        /* of paths[i] when loaded: contents of another
				 * size cannot match, so are not hashed */
	size_t npaths;
	pthread_mutex_t lock;
};

/* Build the set from paths (paths NULL: the default runtimes runc, crun,
 * youki in the usual system directories; paths not NULL with n 0: nothing
 * is trusted). Unreadable paths are skipped. 0 or -ENOMEM. */
MW_HIDDEN int mw__audit_trust_load(struct mw__audit_trust *t, const char *const *paths, size_t n);
MW_HIDDEN void mw__audit_trust_free(struct mw__audit_trust *t);
/* The trusted binary whose contents have this digest, or NULL (hashes the
 * set on first use; thread-safe). */
MW_HIDDEN const char *mw__audit_trusted(struct mw__audit_trust *t, const unsigned char sha256[32]);

/* Findings about one process's executable and secret memory. 0 or -ENOMEM. */
MW_HIDDEN int mw__audit_rules_proc(struct mw__audit_report *r, const struct mw__audit_proc *p,
				   struct mw__audit_trust *t);
/* The finding about a process that changed during each of reads reads
 * over ms milliseconds: its fds and maps went unread (p: what one
 * generation showed, or its pid alone). 0 or -ENOMEM. */
MW_HIDDEN int mw__audit_rules_unstable(struct mw__audit_report *r, const struct mw__audit_proc *p,
					unsigned int reads, unsigned int ms);
/* The finding about a pid namespace's vm.memfd_noexec (value -1: unknown,
 * reason says why), credited to id (its lowest pid seen). 0 or -ENOMEM. */
MW_HIDDEN int mw__audit_rules_ns(struct mw__audit_report *r, const struct mw__audit_ident *id,
				 uint64_t ns, int value, const char *reason);
/* Objects of the scan, as one collector holds them. */
struct mw__audit_objs {
	const struct mw__audit_obj *v;
	size_t n;
};
/* Findings about memfds, once every process has been seen (sharing is a
 * property of the whole system), and about executable mappings of unnamed
 * objects (t: the trusted binaries, or NULL), from the objects of all
 * collectors (parts[0..nparts), read only). nthreads > 1 may judge on a
 * second thread. 0 or -ENOMEM. */
MW_HIDDEN int mw__audit_rules_memfds(struct mw__audit_report *r, const struct mw__audit_objs *parts,
				     size_t nparts, unsigned int nthreads, struct mw__audit_trust *t);

#endif
