/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Feature probing. Every answer comes from trying the feature on the running
 * kernel, never from its version number. Results are cached per process: the
 * first call for a feature probes, later calls return the cached answer.
 */
#ifndef MEMWARD_FEATURES_H
#define MEMWARD_FEATURES_H

#include <stddef.h>
#include <stdint.h>
#include <memward/common.h>

#ifdef __cplusplus
extern "C" {
#endif

enum mw_feature {
	MW_FEAT_MEMFD_CREATE = 0,    /* memfd_create(2) */
	MW_FEAT_MFD_NOEXEC_SEAL,     /* memfd_create(MFD_NOEXEC_SEAL), 6.3+ */
	MW_FEAT_MFD_EXEC,            /* memfd_create(MFD_EXEC), 6.3+ */
	MW_FEAT_SEAL_EXEC,           /* fcntl(F_ADD_SEALS, F_SEAL_EXEC), 6.3+ */
	MW_FEAT_SEAL_FUTURE_WRITE,   /* F_SEAL_FUTURE_WRITE, 5.1+ */
	MW_FEAT_MEMFD_SECRET,        /* memfd_secret(2), 5.14+, may be off at boot */
	MW_FEAT_MEMFD_NOEXEC_SYSCTL, /* vm.memfd_noexec, 6.3+ */
	MW_FEAT_SECCOMP_FILTER,      /* SECCOMP_SET_MODE_FILTER */
	MW_FEAT_SECCOMP_USER_NOTIF,  /* SECCOMP_RET_USER_NOTIF, 5.0+ */
	MW_FEAT_SECCOMP_NOTIF_ADDFD, /* SECCOMP_IOCTL_NOTIF_ADDFD, 5.9+ */
	MW_FEAT_PIDFD_GETFD,         /* pidfd_getfd(2), 5.6+ */
	MW_FEAT_BPF_LSM,             /* BPF LSM: listed and the program type loadable */
	MW_FEAT_DAMON_SYSFS,         /* /sys/kernel/mm/damon/admin */
	MW_FEAT_MGLRU,               /* /sys/kernel/mm/lru_gen */
	MW_FEAT_MEMLOCK,             /* room to lock memory: RLIMIT_MEMLOCK, CAP_IPC_LOCK */
	/* F_SEAL_EXEC keeps exec bits off a tmpfs memfd when a POSIX ACL is set
	 * (missing, cause KERNEL_BUG, on 6.18: the ACL adds them). */
	MW_FEAT_EXEC_SEAL_ACL,
	/* F_SEAL_EXEC keeps exec bits off a hugetlb memfd under fchmod
	 * (missing, cause KERNEL_BUG, where hugetlbfs ignores the seal). */
	MW_FEAT_EXEC_SEAL_HUGETLB,
	MW_FEAT_COUNT_               /* not a feature; grows with new releases */
};

enum mw_feature_state {
	MW_FEATURE_UNKNOWN = 0,   /* the probe could not decide */
	MW_FEATURE_SUPPORTED = 1, /* it works here, now, for this caller */
	MW_FEATURE_MISSING = 2,   /* it does not; reason says why */
};

/* Why a feature is missing (or unknown): stable, machine-readable. */
enum mw_feature_cause {
	MW_CAUSE_NONE = 0,        /* supported */
	MW_CAUSE_NOT_BUILT,       /* the kernel lacks it (not built or too old) */
	MW_CAUSE_DISABLED,        /* built in but switched off (boot flag, sysfs) */
	MW_CAUSE_BLOCKED,         /* refused by seccomp, an LSM or a sandbox */
	MW_CAUSE_NO_PERMISSION,   /* this caller lacks the privilege */
	MW_CAUSE_NOT_MOUNTED,     /* the filesystem that exposes it is not mounted */
	MW_CAUSE_ERROR,           /* the probe itself failed unexpectedly */
	MW_CAUSE_KERNEL_BUG,      /* present, but it does not do what it promises here */
};

/* A result: set sz to sizeof(struct mw_feature_status) before the call; an
 * older caller's smaller struct gets only the fields it knows. */
struct mw_feature_status {
	size_t sz;
	enum mw_feature_state state;
	enum mw_feature_cause cause;
	int error;          /* positive errno the probe saw, 0 if none */
	char reason[240];   /* one sentence for a person */
};

/*
 * Probe one feature (cached). Returns 0 and fills *out up to out->sz, or
 * -EINVAL for an unknown feature, a NULL out or an out->sz smaller than
 * sizeof(size_t). Thread-safe.
 */
MW_API int mw_feature_probe(enum mw_feature feature, struct mw_feature_status *out);

/* Shorthand: the state alone (MW_FEATURE_UNKNOWN for an unknown feature). */
MW_API enum mw_feature_state mw_feature_state(enum mw_feature feature);

/* Stable key of a feature as used in `memward status --json`
 * ("memfd_secret"); NULL for an unknown feature. */
MW_API const char *mw_feature_key(enum mw_feature feature);

/* Stable names: "supported"/"missing"/"unknown", and "none"/"not_built"/...;
 * NULL for a value this library does not know. */
MW_API const char *mw_feature_state_name(enum mw_feature_state state);
MW_API const char *mw_feature_cause_name(enum mw_feature_cause cause);

/* DAMON operations sets (mw_feature_sysinfo.damon_ops). */
#define MW_DAMON_OPS_VADDR  (1u << 0)
#define MW_DAMON_OPS_FVADDR (1u << 1)
#define MW_DAMON_OPS_PADDR  (1u << 2)

/*
 * Values behind the features, for callers that need numbers. Set sz to
 * sizeof(struct mw_feature_sysinfo) before the call (fields may be added at the end
 * in later releases; an older caller passes a smaller sz and gets only what
 * it knows about). Fields the kernel does not expose are -1.
 */
struct mw_feature_sysinfo {
	size_t sz;
	int memfd_noexec;            /* effective vm.memfd_noexec of the caller's pid ns */
	int bpf_lsm_listed;          /* 1/0, -1 when the LSM list cannot be read */
	int bpf_lsm_loadable;        /* 1/0, -1 unknown */
	unsigned int damon_ops;      /* MW_DAMON_OPS_* bits offered by DAMON sysfs */
	int mglru_enabled;           /* /sys/kernel/mm/lru_gen/enabled bits, -1 absent */
	int mglru_min_ttl_ms;        /* /sys/kernel/mm/lru_gen/min_ttl_ms, -1 absent */
	uint64_t memlock_cur;        /* RLIMIT_MEMLOCK soft, UINT64_MAX for infinity */
	uint64_t memlock_max;        /* RLIMIT_MEMLOCK hard */
	int cap_ipc_lock;            /* 1 when CAP_IPC_LOCK is effective */
	int secretmem_boot_enabled;  /* secretmem.enable: 1/0, -1 when not exposed */
	char lsm_list[256];          /* securityfs lsm file ("" unknown); read through a
	                              * private mount when securityfs is not mounted */
};

/* Fill *info up to info->sz. Returns 0, or -EINVAL when info is NULL or
 * info->sz is smaller than sizeof(size_t). */
MW_API int mw_feature_sysinfo_get(struct mw_feature_sysinfo *info);

#ifdef __cplusplus
}
#endif
#endif
