/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Feature probing: try each feature on the running kernel, cache a tri-state
 * and a reason. Never compare kernel versions (distributions backport, and
 * boot flags, seccomp profiles and LSMs switch features off at run time).
 */
#include "core/child.h"
#include "core/internal.h"
#include "core/opts.h"
#include "features/probe.h"
#include "memfd/probe.h"
#include "policy/probe.h"
#include "secret/probe.h"
#include "sys/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sched.h>

#ifdef MW_HAVE_LIBBPF
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#endif

#include <memward/features.h>



static const char *const feature_keys[MW_FEAT_COUNT_] = {
	[MW_FEAT_MEMFD_CREATE] = "memfd_create",
	[MW_FEAT_MFD_NOEXEC_SEAL] = "mfd_noexec_seal",
	[MW_FEAT_MFD_EXEC] = "mfd_exec",
	[MW_FEAT_SEAL_EXEC] = "seal_exec",
	[MW_FEAT_SEAL_FUTURE_WRITE] = "seal_future_write",
	[MW_FEAT_MEMFD_SECRET] = "memfd_secret",
	[MW_FEAT_MEMFD_NOEXEC_SYSCTL] = "memfd_noexec_sysctl",
	[MW_FEAT_SECCOMP_FILTER] = "seccomp_filter",
	[MW_FEAT_SECCOMP_USER_NOTIF] = "seccomp_user_notif",
	[MW_FEAT_SECCOMP_NOTIF_ADDFD] = "seccomp_notif_addfd",
	[MW_FEAT_PIDFD_GETFD] = "pidfd_getfd",
	[MW_FEAT_BPF_LSM] = "bpf_lsm",
	[MW_FEAT_DAMON_SYSFS] = "damon_sysfs",
	[MW_FEAT_MGLRU] = "mglru",
	[MW_FEAT_MEMLOCK] = "memlock",
	[MW_FEAT_EXEC_SEAL_ACL] = "exec_seal_acl",
	[MW_FEAT_EXEC_SEAL_HUGETLB] = "exec_seal_hugetlb",
};

/* Per-feature cache. `done` is read under the lock; probes are cheap enough
 * that serialising the first call per feature costs nothing that matters. */
static struct {
	pthread_mutex_t lock;
	bool done;
	struct mw_feature_status st;
} cache[MW_FEAT_COUNT_];
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

/* Extras learnt while probing, reported by mw_feature_sysinfo_get(). */
static int bpf_lsm_listed = -1, bpf_lsm_loadable = -1;
static unsigned int damon_ops;
static char lsm_list[256];

static void cache_init(void)
{
	for (int i = 0; i < MW_FEAT_COUNT_; i++)
		pthread_mutex_init(&cache[i].lock, NULL);
}











/* The secret heap's own code maps and faults the page (secret/probe.h): a
 * direct touch here was killed by SIGBUS on Debian 6.1/6.12 over
 * RLIMIT_MEMLOCK, where mmap succeeds and the first fault fails. */
static void probe_memfd_secret(struct mw_feature_status *st)
{
	struct mw__secret_probe r;
	char boot[16];

	mw__secret_probe(&r);
	if (r.stage == MW__SECRET_PROBE_OPEN) {
		int err = r.err;
		bool have_param = mw__read_file("/sys/module/secretmem/parameters/enable", boot,
						sizeof(boot)) > 0;

		if (err == ENOSYS && have_param && boot[0] == 'N')
			mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_DISABLED, err,
			    "built in but disabled at boot (secretmem.enable=0); boot with secretmem.enable=1");
		else if (err == ENOSYS && !mw__feature_under_seccomp())
			mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_NOT_BUILT, err,
			    "ENOSYS: kernel built without CONFIG_SECRETMEM (or older than 5.14)");
		else if (mw__feature_under_seccomp() && (err == ENOSYS || err == EPERM || err == EACCES))
			mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_BLOCKED, err,
			    "%s while a seccomp filter is active: blocked by the filter", mw__feature_ename(err));
		else
			mw__feature_syscall_error(st, "memfd_secret", err);
		return;
	}
	switch (r.stage) {
	case MW__SECRET_PROBE_TRUNCATE:
		mw__feature_set(st, MW_FEATURE_UNKNOWN, MW_CAUSE_ERROR, r.err, "ftruncate on memfd_secret: %s",
		    mw__feature_ename(r.err));
		return;
	case MW__SECRET_PROBE_MMAP:
	case MW__SECRET_PROBE_FAULT:
		if (r.err == EAGAIN || r.err == ENOMEM)
			mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_NO_PERMISSION, r.err,
			    "memfd_secret exists but %s one page fails with %s: RLIMIT_MEMLOCK exhausted",
			    r.stage == MW__SECRET_PROBE_MMAP ? "mapping" : "faulting in", mw__feature_ename(r.err));
		else if (r.stage == MW__SECRET_PROBE_MMAP)
			mw__feature_set(st, MW_FEATURE_UNKNOWN, MW_CAUSE_ERROR, r.err, "mmap of memfd_secret: %s",
			    mw__feature_ename(r.err));
		else
			mw__feature_set(st, MW_FEATURE_UNKNOWN, MW_CAUSE_ERROR, r.err, "memfd_secret: %s", r.why);
		return;
	default:
		break;
	}
	mw__feature_set(st, MW_FEATURE_SUPPORTED, MW_CAUSE_NONE, 0,
	    "memfd_secret works: a page was mapped and faulted in");
}







#ifdef MW_HAVE_LIBBPF
/* Try to load a trivial BPF_PROG_TYPE_LSM program for the file_open hook.
 * Returns 0 when it loads, else -errno; *why gets what the kernel said. */
static int bpf_lsm_load(char *why, size_t whysize)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct btf *vmlinux;
	int id, fd, err;

	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		err = errno;
		snprintf(why, whysize, "no kernel BTF (/sys/kernel/btf/vmlinux): %s", mw__feature_ename(err));
		return -err;
	}
	id = btf__find_by_name_kind(vmlinux, "bpf_lsm_file_open", BTF_KIND_FUNC);
	btf__free(vmlinux);
	if (id < 0) {
		snprintf(why, whysize, "kernel BTF has no bpf_lsm_file_open: built without CONFIG_BPF_LSM");
		return -ENOENT;
	}
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_LSM_MAC,
		    .attach_btf_id = (__u32)id);
	fd = bpf_prog_load(BPF_PROG_TYPE_LSM, "mw_probe", "GPL", insns, 2, &opts);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	err = errno;
	snprintf(why, whysize, "loading a BPF_PROG_TYPE_LSM program fails with %s", mw__feature_ename(err));
	return -err;
}
#endif

/*
 * The active LSM list lives in securityfs, which many systems (containers,
 * minimal VMs) do not mount. Read it through a private mount in a child: the
 * child's mount namespace dies with it, so nothing is left mounted. Needs
 * CAP_SYS_ADMIN; returns the length read or -errno.
 */
/* Child of read_lsm_private: writes the list to the pipe fd in *arg. */
static int lsm_child(void *arg)
{
	int wfd = *(int *)arg;
	char text[256];
	ssize_t len;

	if (unshare(CLONE_NEWNS) < 0 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("securityfs", "/sys/kernel/security", "securityfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return 1;
	len = mw__read_file("/sys/kernel/security/lsm", text, sizeof(text));
	if (len < 0 || write(wfd, text, (size_t)len) != len)
		return 1;
	return 0;
}

static ssize_t read_lsm_private(char *buf, size_t size)
{
	int fds[2], status, err;
	ssize_t n = 0;

	if (!mw__cap_effective(MW_CAP_SYS_ADMIN))
		return -EPERM;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	/* The list is short: the pipe holds it until the child has exited. */
	err = mw__child_run(lsm_child, &fds[1], 0, &status);
	close(fds[1]);
	if (err < 0) {
		close(fds[0]);
		return err;
	}
	while (n < (ssize_t)size - 1) {
		ssize_t r = read(fds[0], buf + n, size - 1 - (size_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += r;
	}
	close(fds[0]);
	buf[n] = '\0';
	if (!MW__CHILD_OK(status))
		return -EIO;
	return n;
}

static void probe_bpf_lsm(struct mw_feature_status *st)
{
	char list[256] = "", why[160] = "";
	ssize_t n = mw__read_file("/sys/kernel/security/lsm", list, sizeof(list));
	int listed;

	if (n == -ENOENT)
		n = read_lsm_private(list, sizeof(list));
	listed = n >= 0 ? mw__list_has(list, "bpf") : -1;
	if (n >= 0)
		snprintf(lsm_list, sizeof(lsm_list), "%s", list);
	int loaded;

#ifdef MW_HAVE_LIBBPF
	loaded = bpf_lsm_load(why, sizeof(why));
#else
	loaded = -EOPNOTSUPP;
	snprintf(why, sizeof(why), "libmemward was built without libbpf");
#endif
	bpf_lsm_listed = listed;
	bpf_lsm_loadable = loaded == 0 ? 1 : loaded == -EOPNOTSUPP ? -1 : 0;

	if (loaded == 0 && listed == 1) {
		mw__feature_set(st, MW_FEATURE_SUPPORTED, MW_CAUSE_NONE, 0,
		    "bpf is an active LSM and an LSM program loads");
	} else if (loaded == 0 && listed == 0) {
		mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_DISABLED, 0,
		    "LSM programs load but bpf is not in the active LSM list (boot with lsm=...,bpf)");
	} else if (loaded == 0) {
		mw__feature_set(st, MW_FEATURE_UNKNOWN, MW_CAUSE_NOT_MOUNTED, (int)-n,
		    "LSM programs load; the active LSM list is unreadable (securityfs not mounted at /sys/kernel/security)");
	} else if (loaded == -EOPNOTSUPP) {
		mw__feature_set(st, MW_FEATURE_UNKNOWN, MW_CAUSE_ERROR, EOPNOTSUPP, "%s", why);
	} else {
		bool privileged = mw__cap_effective(MW_CAP_BPF) || mw__cap_effective(MW_CAP_SYS_ADMIN);
		enum mw_feature_cause cause =
			(loaded == -EPERM || loaded == -EACCES) ?
				(privileged ? MW_CAUSE_BLOCKED : MW_CAUSE_NO_PERMISSION) :
				MW_CAUSE_NOT_BUILT;

		mw__feature_set(st, MW_FEATURE_MISSING, cause, -loaded, "%s, but %s%s",
		    listed == 1 ? "bpf is in the active LSM list" :
		    listed == 0 ? "bpf is not an active LSM" : "the LSM list is unreadable",
		    why,
		    cause == MW_CAUSE_BLOCKED ? " even with CAP_BPF and CAP_SYS_ADMIN: not loadable here" :
		    cause == MW_CAUSE_NO_PERMISSION ? " (needs CAP_BPF or CAP_SYS_ADMIN)" : "");
	}
}

#define DAMON_ADMIN "/sys/kernel/mm/damon/admin/kdamonds"

/* Offered operations sets, read from an existing context. A probe never
 * writes: creating a kdamond to read avail_operations would race every other
 * DAMON user (damo, an operator's kdamond), and writing nr_kdamonds recreates
 * all kdamond directories. mw_damon_features_get(MW_DAMON_PROBE_WRITE) is the
 * explicit way to learn more. Returns the bits, or -ENODATA / -errno. */
static int damon_read_ops(void)
{
	char buf[128], path[256];
	long nr, nctx;

	if (mw__read_file(DAMON_ADMIN "/nr_kdamonds", buf, sizeof(buf)) < 0 ||
	    mw__parse_long(buf, &nr) < 0)
		return -EIO;
	for (long k = 0; k < nr; k++) {
		snprintf(path, sizeof(path), DAMON_ADMIN "/%ld/contexts/nr_contexts", k);
		if (mw__read_file(path, buf, sizeof(buf)) < 0 || mw__parse_long(buf, &nctx) < 0 || nctx < 1)
			continue;
		snprintf(path, sizeof(path), DAMON_ADMIN "/%ld/contexts/0/avail_operations", k);
		if (mw__read_file(path, buf, sizeof(buf)) >= 0)
			return (int)mw__parse_damon_ops(buf);
	}
	return -ENODATA;
}

static void probe_damon(struct mw_feature_status *st)
{
	struct stat sb;
	char ops[64] = "";
	int bits;

	if (stat("/sys/kernel/mm/damon/admin", &sb) < 0) {
		if (errno == ENOENT && stat("/sys/kernel/mm", &sb) == 0)
			mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_NOT_BUILT, ENOENT,
			    "/sys/kernel/mm/damon/admin does not exist: kernel built without CONFIG_DAMON_SYSFS");
		else
			mw__feature_set(st, MW_FEATURE_UNKNOWN, MW_CAUSE_NOT_MOUNTED, errno,
			    "sysfs not readable at /sys/kernel/mm: %s", mw__feature_ename(errno));
		return;
	}
	bits = damon_read_ops();
	if (bits < 0) {
		mw__feature_set(st, MW_FEATURE_SUPPORTED, MW_CAUSE_NONE, -bits,
		    "DAMON sysfs present; operations sets unknown (%s)",
		    bits == -ENODATA ? "no kdamond context to read them from; memward does not create one "
				       "to probe (memward status --damon-probe does, when no kdamond exists)" :
		    mw__feature_ename(-bits));
		return;
	}
	damon_ops = (unsigned int)bits;
	snprintf(ops, sizeof(ops), "%s%s%s", bits & MW_DAMON_OPS_VADDR ? " vaddr" : "",
		 bits & MW_DAMON_OPS_FVADDR ? " fvaddr" : "", bits & MW_DAMON_OPS_PADDR ? " paddr" : "");
	mw__feature_set(st, MW_FEATURE_SUPPORTED, MW_CAUSE_NONE, 0, "DAMON sysfs present; operations:%s",
	    bits ? ops : " none");
}

static void probe_mglru(struct mw_feature_status *st)
{
	long bits;

	if (mw__feature_read_long(st, "/sys/kernel/mm/lru_gen/enabled",
				  "/sys/kernel/mm/lru_gen does not exist: kernel built without CONFIG_LRU_GEN",
				  &bits) < 0)
		return;
	if (!(bits & 1))
		mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_DISABLED, 0,
		    "built in but off (enabled=0x%04lx); enable with: echo y > /sys/kernel/mm/lru_gen/enabled",
		    bits);
	else
		mw__feature_set(st, MW_FEATURE_SUPPORTED, MW_CAUSE_NONE, 0, "enabled=0x%04lx", bits);
}

static void fmt_bytes(char *buf, size_t size, uint64_t v)
{
	if (v == UINT64_MAX)
		snprintf(buf, size, "unlimited");
	else if (v >= (1ULL << 20) && v % (1ULL << 20) == 0)
		snprintf(buf, size, "%llu MiB", (unsigned long long)(v >> 20));
	else if (v >= 1024 && v % 1024 == 0)
		snprintf(buf, size, "%llu KiB", (unsigned long long)(v >> 10));
	else
		snprintf(buf, size, "%llu bytes", (unsigned long long)v);
}

static void probe_memlock(struct mw_feature_status *st)
{
	struct rlimit rl;
	char cur[32], max[32];
	bool cap = mw__cap_effective(MW_CAP_IPC_LOCK);

	if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0) {
		mw__feature_set(st, MW_FEATURE_UNKNOWN, MW_CAUSE_ERROR, errno, "getrlimit: %s", mw__feature_ename(errno));
		return;
	}
	fmt_bytes(cur, sizeof(cur), rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur);
	fmt_bytes(max, sizeof(max), rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : rl.rlim_max);
	if (cap)
		mw__feature_set(st, MW_FEATURE_SUPPORTED, MW_CAUSE_NONE, 0,
		    "RLIMIT_MEMLOCK %s (hard %s); CAP_IPC_LOCK effective, so the limit does not apply",
		    cur, max);
	else if (rl.rlim_cur > 0)
		mw__feature_set(st, MW_FEATURE_SUPPORTED, MW_CAUSE_NONE, 0,
		    "RLIMIT_MEMLOCK %s (hard %s); no CAP_IPC_LOCK: locked and secret memory capped at %s",
		    cur, max, cur);
	else
		mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_NO_PERMISSION, 0,
		    "RLIMIT_MEMLOCK is 0 and CAP_IPC_LOCK is not effective: nothing can be locked");
}

static void run_probe(enum mw_feature f, struct mw_feature_status *st)
{
	switch (f) {
	case MW_FEAT_MEMFD_CREATE: mw__memfd_probe_create(st); break;
	case MW_FEAT_MFD_NOEXEC_SEAL: mw__memfd_probe_noexec_seal(st); break;
	case MW_FEAT_MFD_EXEC: mw__memfd_probe_exec(st); break;
	case MW_FEAT_SEAL_EXEC: mw__memfd_probe_seal(st, F_SEAL_EXEC, "F_SEAL_EXEC", "6.3"); break;
	case MW_FEAT_SEAL_FUTURE_WRITE:
		mw__memfd_probe_seal(st, F_SEAL_FUTURE_WRITE, "F_SEAL_FUTURE_WRITE", "5.1");
		break;
	case MW_FEAT_MEMFD_SECRET: probe_memfd_secret(st); break;
	case MW_FEAT_MEMFD_NOEXEC_SYSCTL: mw__policy_probe_noexec_sysctl(st); break;
	case MW_FEAT_SECCOMP_FILTER: mw__policy_probe_seccomp_filter(st); break;
	case MW_FEAT_SECCOMP_USER_NOTIF: mw__policy_probe_user_notif(st); break;
	case MW_FEAT_SECCOMP_NOTIF_ADDFD: mw__policy_probe_notif_addfd(st); break;
	case MW_FEAT_PIDFD_GETFD: mw__policy_probe_pidfd_getfd(st); break;
	case MW_FEAT_BPF_LSM: probe_bpf_lsm(st); break;
	case MW_FEAT_DAMON_SYSFS: probe_damon(st); break;
	case MW_FEAT_MGLRU: probe_mglru(st); break;
	case MW_FEAT_MEMLOCK: probe_memlock(st); break;
	case MW_FEAT_EXEC_SEAL_ACL: mw__policy_probe_exec_seal_acl(st); break;
	case MW_FEAT_EXEC_SEAL_HUGETLB: mw__policy_probe_exec_seal_hugetlb(st); break;
	case MW_FEAT_COUNT_: break;
	}
}

MW_API int mw_feature_probe(enum mw_feature feature, struct mw_feature_status *out)
{
	struct mw_feature_status st;

	if ((unsigned int)feature >= MW_FEAT_COUNT_ || !out || out->sz < sizeof(out->sz))
		return -EINVAL;
	pthread_once(&cache_once, cache_init);
	pthread_mutex_lock(&cache[feature].lock);
	if (!cache[feature].done) {
		int saved = errno;

		memset(&cache[feature].st, 0, sizeof(cache[feature].st));
		run_probe(feature, &cache[feature].st);
		cache[feature].done = true;
		errno = saved;
	}
	st = cache[feature].st;
	pthread_mutex_unlock(&cache[feature].lock);
	st.sz = sizeof(st);
	return mw__result_out(out, &st, sizeof(st));
}

MW_API enum mw_feature_state mw_feature_state(enum mw_feature feature)
{
	struct mw_feature_status st = { .sz = sizeof(st) };

	if (mw_feature_probe(feature, &st) < 0)
		return MW_FEATURE_UNKNOWN;
	return st.state;
}

MW_API const char *mw_feature_key(enum mw_feature feature)
{
	if ((unsigned int)feature >= MW_FEAT_COUNT_)
		return NULL;
	return feature_keys[feature];
}

MW_API const char *mw_feature_state_name(enum mw_feature_state state)
{
	switch (state) {
	case MW_FEATURE_SUPPORTED: return "supported";
	case MW_FEATURE_MISSING: return "missing";
	case MW_FEATURE_UNKNOWN: return "unknown";
	}
	return NULL;
}

MW_API const char *mw_feature_cause_name(enum mw_feature_cause cause)
{
	switch (cause) {
	case MW_CAUSE_NONE: return "none";
	case MW_CAUSE_NOT_BUILT: return "not_built";
	case MW_CAUSE_DISABLED: return "disabled";
	case MW_CAUSE_BLOCKED: return "blocked";
	case MW_CAUSE_NO_PERMISSION: return "no_permission";
	case MW_CAUSE_NOT_MOUNTED: return "not_mounted";
	case MW_CAUSE_ERROR: return "error";
	case MW_CAUSE_KERNEL_BUG: return "kernel_bug";
	}
	return NULL;
}

MW_API int mw_feature_sysinfo_get(struct mw_feature_sysinfo *info)
{
	struct mw_feature_sysinfo v;
	struct mw_feature_status st = { .sz = sizeof(st) };
	struct rlimit rl;
	char buf[64];
	long x;

	if (!info || info->sz < sizeof(info->sz))
		return -EINVAL;
	memset(&v, 0, sizeof(v));
	v.sz = sizeof(v);

	v.memfd_noexec = -1;
	if (mw__read_file("/proc/sys/vm/memfd_noexec", buf, sizeof(buf)) >= 0 &&
	    mw__parse_long(buf, &x) == 0)
		v.memfd_noexec = (int)x;

	mw_feature_probe(MW_FEAT_BPF_LSM, &st);
	mw_feature_probe(MW_FEAT_DAMON_SYSFS, &st);
	pthread_mutex_lock(&cache[MW_FEAT_BPF_LSM].lock);
	v.bpf_lsm_listed = bpf_lsm_listed;
	v.bpf_lsm_loadable = bpf_lsm_loadable;
	memcpy(v.lsm_list, lsm_list, sizeof(v.lsm_list));
	pthread_mutex_unlock(&cache[MW_FEAT_BPF_LSM].lock);
	pthread_mutex_lock(&cache[MW_FEAT_DAMON_SYSFS].lock);
	v.damon_ops = damon_ops;
	pthread_mutex_unlock(&cache[MW_FEAT_DAMON_SYSFS].lock);

	v.mglru_enabled = v.mglru_min_ttl_ms = -1;
	if (mw__read_file("/sys/kernel/mm/lru_gen/enabled", buf, sizeof(buf)) >= 0 &&
	    mw__parse_long(buf, &x) == 0)
		v.mglru_enabled = (int)x;
	if (mw__read_file("/sys/kernel/mm/lru_gen/min_ttl_ms", buf, sizeof(buf)) >= 0 &&
	    mw__parse_long(buf, &x) == 0)
		v.mglru_min_ttl_ms = (int)x;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
		v.memlock_cur = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur;
		v.memlock_max = rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : rl.rlim_max;
	}
	v.cap_ipc_lock = mw__cap_effective(MW_CAP_IPC_LOCK);

	v.secretmem_boot_enabled = -1;
	if (mw__read_file("/sys/module/secretmem/parameters/enable", buf, sizeof(buf)) > 0)
		v.secretmem_boot_enabled = buf[0] == 'Y' || buf[0] == '1';

	return MW_RESULT_OUT(info, v);
}
