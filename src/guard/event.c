/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guard's names, JSON lines and hook probe: everything that needs no
 * loaded program.
 */
#include "core/internal.h"
#include "guard/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <memward/features.h>
#include <memward/guard.h>

#if MW_HAVE_GUARD_BPF
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#endif

static const char *const kinds[] = {
	"none", "memfd", "memfd_hugetlb", "shmem", "shmem_hugetlb", "internal", "unlinked", "task", "bpf",
	"userns_mount", "detached_mount", "listed_file",
};
static const char *const hooks[] = {
	"?", "exec", "mmap", "mprotect", "chmod", "acl", "prctl", "bpf", "ptrace", "write",
};
static const char *const whys[] = {
	"?", "unlisted", "seals", "kind", "listed", "own_exe", "protected", "forge", "traced",
};
#define NAME(tab, i) ((unsigned int)(i) < sizeof(tab) / sizeof(tab[0]) ? tab[i] : "?")

MW_API const char *mw_guard_kind_name(enum mw_guard_kind k) { return NAME(kinds, k); }
MW_API const char *mw_guard_hook_name(enum mw_guard_hook h) { return NAME(hooks, h); }
MW_API const char *mw_guard_why_name(enum mw_guard_why w) { return NAME(whys, w); }

/* Append a JSON string (escaped) at *pos. */
static void put_str(char *buf, size_t size, size_t *pos, const char *s)
{
	char tmp[8];

	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		const char *out = tmp;

		if (c == '"' || c == '\\')
			snprintf(tmp, sizeof(tmp), "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			snprintf(tmp, sizeof(tmp), "\\u%04x", c);
		else
			snprintf(tmp, sizeof(tmp), "%c", c);
		for (; *out; out++, (*pos)++)
			if (*pos + 1 < size)
				buf[*pos] = *out;
	}
}

__attribute__((format(printf, 4, 5)))
static void put(char *buf, size_t size, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*pos < size ? buf + *pos : NULL, *pos < size ? size - *pos : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos += (size_t)n;
}

MW_API int mw_guard_event_json(const struct mw_guard_event *ev, char *buf, size_t size)
{
	size_t pos = 0;

	if (!ev || !buf || !size)
		return -EINVAL;
	put(buf, size, &pos, "{\"time_ns\":%llu,\"pid\":%d,\"tid\":%d,\"uid\":%u,\"comm\":\"",
	    (unsigned long long)ev->time_ns, (int)ev->pid, (int)ev->tid, (unsigned int)ev->uid);
	put_str(buf, size, &pos, ev->comm);
	if (ev->exe_known)
		put(buf, size, &pos, "\",\"exe\":{\"dev\":\"%u:%u\",\"ino\":%llu,\"name\":\"",
		    major(ev->exe_dev), minor(ev->exe_dev), (unsigned long long)ev->exe_ino);
	else
		put(buf, size, &pos, "\",\"exe\":{\"dev\":null,\"ino\":null,\"name\":\"");
	put_str(buf, size, &pos, ev->exe_name);
	put(buf, size, &pos, "\",\"path\":\"");
	put_str(buf, size, &pos, ev->exe_path);
	put(buf, size, &pos, "\",\"listed\":%s},\"object\":{\"kind\":\"%s\",\"dev\":\"%u:%u\",\"ino\":%llu,\"name\":\"",
	    ev->listed ? "true" : "false", mw_guard_kind_name(ev->kind), major(ev->obj_dev),
	    minor(ev->obj_dev), (unsigned long long)ev->obj_ino);
	put_str(buf, size, &pos, ev->obj_name);
	put(buf, size, &pos,
	    "\",\"seals\":%u},\"hook\":\"%s\",\"arg\":%u,\"decision\":\"%s\",\"reason\":\"%s\",\"mode\":\"%s\",\"enforced\":%s,"
	    "\"suppressed\":%llu}",
	    ev->seals, mw_guard_hook_name(ev->hook), ev->arg, ev->denied ? "deny" : "allow",
	    mw_guard_why_name(ev->why), ev->audit ? "audit" : "enforce", ev->enforced ? "true" : "false",
	    (unsigned long long)ev->suppressed);
	/* put_str() writes no terminator of its own. */
	buf[pos < size ? pos : size - 1] = '\0';
	if (pos >= size)
		return -ENOSPC;
	return (int)pos;
}

MW_API int mw_guard_probe(char *why, size_t size)
{
	struct mw_feature_status st = { .sz = sizeof(st) };

	if (!why && size)
		return -EINVAL;
	mw_feature_probe(MW_FEAT_BPF_LSM, &st);
	if (st.state != MW_FEATURE_SUPPORTED) {
		snprintf(why, size, "BPF LSM is unavailable: %s", st.reason);
		return 0;
	}
#if MW_HAVE_GUARD_BPF
	static const char *const need[] = {
		"bpf_lsm_bprm_check_security", "bpf_lsm_bprm_committed_creds", "bpf_lsm_task_alloc",
		"bpf_lsm_mmap_file", "bpf_lsm_file_mprotect", "bpf_lsm_inode_setattr",
		"bpf_lsm_inode_setxattr", "bpf_lsm_task_prctl", "bpf_lsm_bpf_map", "bpf_lsm_bpf_prog",
		"bpf_lsm_bpf", "bpf_lsm_ptrace_access_check", "bpf_lsm_file_open",
	};
	struct btf *vm = btf__load_vmlinux_btf();

	if (!vm) {
		snprintf(why, size, "no kernel BTF: %s", strerror(errno));
		return 0;
	}
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (btf__find_by_name_kind(vm, need[i], BTF_KIND_FUNC) < 0) {
			snprintf(why, size, "the kernel has no %s hook", need[i] + 8);
			btf__free(vm);
			return 0;
		}
	}
	btf__free(vm);
	/* Task storage: 5.11 (commit 4cf1bc1f1045 "bpf: Implement task local storage"). */
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) != 1) {
		snprintf(why, size, "the kernel has no BPF task storage (5.11+)");
		return 0;
	}
	snprintf(why, size, "every hook of the guard is available");
	return 1;
#else
	snprintf(why, size, "memward was built without libbpf, clang or bpftool: no guard");
	return 0;
#endif
}
