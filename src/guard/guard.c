/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guard's loader: open the BPF object (bpf/guard.bpf.c, a libbpf
 * skeleton: CO-RE relocation needs the kernel's BTF parsed in user space,
 * which a long-running guard pays once), pick the programs whose hook
 * prototypes this kernel has, fill the policy in, attach, protect its own
 * objects, and turn ring-buffer records into mw_guard_event callbacks.
 */
#include "core/internal.h"
#include "core/opts.h"
#include "sys/shim.h"
#include "guard/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <memward/features.h>
#include <memward/guard.h>

#if MW_HAVE_GUARD_BPF
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "guard.skel.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

struct mw_guard {
	struct mw_guard_bpf *skel;
	struct ring_buffer *rb;
	void (*on_event)(const struct mw_guard_event *ev, void *ctx);
	void *ctx;
	int64_t boot_to_real;        /* CLOCK_REALTIME - CLOCK_BOOTTIME, ns */
	unsigned int seals;
	struct mw__guard_allow *allow;
	size_t nallow;
	int *pins;                   /* O_PATH fds of the listed files */
	size_t npins;
};

static int libbpf_to_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char msg[4096], *line, *save = NULL;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* The verifier's log arrives as one message of many lines. */
	for (line = strtok_r(msg, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		mw__log(level == LIBBPF_WARN ? LOG_WARNING : LOG_INFO, "%s", line);
	return 0;
}

static int64_t ts(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* The kernel's dev_t (MAJOR << 20 | MINOR) of a st_dev. */
static uint32_t kdev(uint64_t dev)
{
	return (uint32_t)(major(dev) << 20 | (minor(dev) & 0xfffff));
}

static uint64_t udev(uint32_t kd)
{
	return makedev(kd >> 20, kd & 0xfffff);
}

static int copy_opts(struct mw_guard_opts *o, const struct mw_guard_opts *in)
{
	int r;

	if (!in)
		return -EINVAL;
	if ((r = MW_OPTS_IN(*o, in)) < 0)
		return r;
	if (o->flags || !o->policy || mw_policy_error_count(o->policy))
		return -EINVAL;
	return 0;
}

/* Keep, of each pair of programs for one hook, the one whose prototype this
 * kernel has; drop inode_set_acl where it does not exist (6.1). */
static int pick_programs(struct mw_guard_bpf *s)
{
	struct btf *vm = btf__load_vmlinux_btf();
	const struct btf_type *t;
	int id, err = 0;

	if (!vm)
		return -EOPNOTSUPP;
	id = btf__find_by_name_kind(vm, "bpf_lsm_inode_setattr", BTF_KIND_FUNC);
	if (id < 0) {
		err = -EOPNOTSUPP;
		goto out;
	}
	t = btf__type_by_id(vm, btf__type_by_id(vm, (__u32)id)->type);
	if (btf_vlen(t) >= 3)
		bpf_program__set_autoload(s->progs.mw_setattr_old, false);
	else
		bpf_program__set_autoload(s->progs.mw_setattr_new, false);
	if (btf__find_by_name_kind(vm, "bpf_lsm_inode_set_acl", BTF_KIND_FUNC) < 0)
		bpf_program__set_autoload(s->progs.mw_set_acl, false);
out:
	btf__free(vm);
	return err;
}

static int obj_id(int fd, uint32_t *id)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	/* The three info structs start with type-specific fields; only the
	 * id is read, through the largest of them. */
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return -errno;
	*id = info.id;
	return 0;
}

static int protect_one(struct mw_guard *g, uint32_t type, int fd)
{
	struct mw_gobj k = { .type = type };
	__u8 one = 1;
	int r;

	if (fd < 0)
		return 0;
	if (type == 1) {
		struct bpf_map_info mi;
		__u32 len = sizeof(mi);

		memset(&mi, 0, sizeof(mi));
		if (bpf_obj_get_info_by_fd(fd, &mi, &len) < 0)
			return -errno;
		k.id = mi.id;
	} else if (type == 3) {
		struct bpf_link_info li;
		__u32 len = sizeof(li);

		memset(&li, 0, sizeof(li));
		if (bpf_obj_get_info_by_fd(fd, &li, &len) < 0)
			return -errno;
		k.id = li.id;
	} else if ((r = obj_id(fd, &k.id)) < 0) {
		return r;
	}
	if (bpf_map_update_elem(bpf_map__fd(g->skel->maps.protect), &k, &one, BPF_ANY) < 0)
		return -errno;
	return 0;
}

/* List the guard's maps, programs and links in its own `protect` map. */
static int protect_all(struct mw_guard *g)
{
	struct bpf_object *obj = g->skel->obj;
	struct bpf_program *p;
	struct bpf_map *m;
	int r;

	bpf_object__for_each_map(m, obj)
		if ((r = protect_one(g, 1, bpf_map__fd(m))) < 0)
			return r;
	bpf_object__for_each_program(p, obj)
		if ((r = protect_one(g, 2, bpf_program__fd(p))) < 0)
			return r;
	for (int i = 0; i < g->skel->skeleton->prog_cnt; i++) {
		struct bpf_link *l = *g->skel->skeleton->progs[i].link;

		if (l && (r = protect_one(g, 3, bpf_link__fd(l))) < 0)
			return r;
	}
	return 0;
}

/* Keep the listed file open (O_PATH) for the guard's lifetime: an inode in
 * use is not freed, so after an upgrade renames a new file over it its
 * number cannot be handed to a file someone else creates on that
 * filesystem (which would then be listed). A path that no longer names
 * the inode the policy resolved is not listed at all. */
static int pin(struct mw_guard *g, const char *path, uint64_t dev, uint64_t ino)
{
	struct stat st;
	int fd = open(path, O_PATH | O_CLOEXEC);

	if (fd < 0 && (errno == ENOMEM || errno == EMFILE || errno == ENFILE))
		return -errno;
	if (fd < 0) {
		mw__log(LOG_WARNING, "guard: %s: %s: not listed", path, strerror(errno));
		return 0;
	}
	if (fstat(fd, &st) < 0 || st.st_dev != dev || st.st_ino != ino) {
		mw__log(LOG_WARNING, "guard: %s changed since the policy was read: not listed", path);
		close(fd);
		return 0;
	}
	g->pins[g->npins++] = fd;
	return 1;
}

static int fill_policy(struct mw_guard *g, const struct mw_policy *pol)
{
	int fd = bpf_map__fd(g->skel->maps.allow);
	size_t n = mw_policy_allow_count(pol);
	int r;

	g->allow = calloc(n ? n : 1, sizeof(*g->allow));
	g->pins = calloc(n ? n : 1, sizeof(*g->pins));
	if (!g->allow || !g->pins)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint64_t dev, ino;
		const char *path = mw_policy_allow(pol, i, &dev, &ino);
		struct mw_gkey k = { .dev = kdev(dev), .ino = ino };
		__u8 one = 1;

		if (!path || !ino)
			continue;
		if ((r = pin(g, path, dev, ino)) < 0)
			return r;
		if (r == 0)
			continue;
		g->allow[g->nallow].dev = dev;
		g->allow[g->nallow].ino = ino;
		g->allow[g->nallow].path = strdup(path);
		if (!g->allow[g->nallow].path)
			return -ENOMEM;
		g->nallow++;
		if (bpf_map_update_elem(fd, &k, &one, BPF_ANY) < 0)
			return -errno;
	}
	return 0;
}

static int open_scope(const char *path)
{
	struct statfs sf;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC) {
		close(fd);
		return -EMEDIUMTYPE;
	}
	return fd;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct mw_guard *g = ctx;
	const struct mw_gev *r = data;
	struct mw_guard_event ev;
	char exe_name[sizeof(r->exe_name) + 1], obj_name[sizeof(r->obj_name) + 1];

	if (size < sizeof(*r) || !g->on_event)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.time_ns = (uint64_t)((int64_t)r->ktime_ns + g->boot_to_real);
	ev.pid = (pid_t)r->pid;
	ev.tid = (pid_t)r->tid;
	ev.uid = r->uid;
	memcpy(ev.comm, r->comm, sizeof(ev.comm));
	ev.comm[sizeof(ev.comm) - 1] = '\0';
	memcpy(exe_name, r->exe_name, sizeof(r->exe_name));
	exe_name[sizeof(r->exe_name)] = '\0';
	memcpy(obj_name, r->obj_name, sizeof(r->obj_name));
	obj_name[sizeof(r->obj_name)] = '\0';
	ev.exe_known = r->exe_known;
	ev.exe_dev = r->exe_known ? udev(r->exe_dev) : 0;
	ev.exe_ino = r->exe_ino;
	ev.exe_name = exe_name;
	ev.exe_path = "";
	for (size_t i = 0; r->listed && i < g->nallow; i++)
		if (g->allow[i].ino == ev.exe_ino && kdev(g->allow[i].dev) == r->exe_dev)
			ev.exe_path = g->allow[i].path;
	ev.listed = r->listed;
	ev.kind = (enum mw_guard_kind)r->kind;
	ev.obj_dev = r->kind == MW_GK_BPF || r->kind == MW_GK_TASK ? 0 : udev(r->obj_dev);
	ev.obj_ino = r->obj_ino;
	ev.obj_name = obj_name;
	ev.seals = r->seals;
	ev.hook = (enum mw_guard_hook)r->hook;
	ev.why = (enum mw_guard_why)r->why;
	ev.denied = r->denied;
	ev.enforced = r->enforced;
	ev.audit = r->audit;
	ev.arg = r->arg;
	ev.suppressed = r->suppressed;
	g->on_event(&ev, g->ctx);
	return 0;
}

static int setup(struct mw_guard *g, const struct mw_guard_opts *o)
{
	const struct mw_policy *pol = o->policy;
	MW_AUTOCLOSE int cg = -1;
	int r;

	if (o->cgroup && (cg = open_scope(o->cgroup)) < 0)
		return cg;
	g->skel = mw_guard_bpf__open();
	if (!g->skel)
		return -errno;
	g->seals = mw_policy_required_seals(pol);
	/* F_SEAL_EXEC is 6.3 (commit 6fd7353829ca): a 6.1 memfd cannot carry it. */
	if (mw_feature_state(MW_FEAT_SEAL_EXEC) != MW_FEATURE_SUPPORTED)
		g->seals &= ~(unsigned int)F_SEAL_EXEC;
	g->skel->rodata->guard_tgid = (__u32)getpid();
	g->skel->rodata->enforce = mw_policy_mode(pol) == MW_POLICY_ENFORCE;
	g->skel->rodata->scoped = cg >= 0;
	g->skel->rodata->req_seals = g->seals;
	if ((r = pick_programs(g->skel)) < 0)
		return r;
	if (mw_guard_bpf__load(g->skel) < 0)
		return -errno;
	if ((r = fill_policy(g, pol)) < 0)
		return r;
	if (cg >= 0) {
		__u32 zero = 0, v = (__u32)cg;

		if (bpf_map_update_elem(bpf_map__fd(g->skel->maps.scope_cg), &zero, &v, BPF_ANY) < 0)
			return -errno;
	}
	if (mw_guard_bpf__attach(g->skel) < 0)
		return -errno;
	if ((r = protect_all(g)) < 0)
		return r;
	g->rb = ring_buffer__new(bpf_map__fd(g->skel->maps.exec_events), on_record, g, NULL);
	if (!g->rb)
		return -errno;
	if (ring_buffer__add(g->rb, bpf_map__fd(g->skel->maps.events), on_record, g) < 0)
		return -errno;
	g->boot_to_real = ts(CLOCK_REALTIME) - ts(CLOCK_BOOTTIME);
	return 0;
}

MW_API struct mw_guard *mw_guard_open(const struct mw_guard_opts *opts)
{
	struct mw_guard_opts o;
	struct mw_guard *g;
	libbpf_print_fn_t old;
	int r = copy_opts(&o, opts);

	if (r < 0) {
		errno = -r;
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->on_event = o.on_event;
	g->ctx = o.ctx;
	old = libbpf_set_print(libbpf_to_log);
	r = setup(g, &o);
	libbpf_set_print(old);
	if (r < 0) {
		mw_guard_close(g);
		/* libbpf turns a verifier or attach refusal into EPERM/EINVAL;
		 * the kernel's own LSM refusal is EPERM too. */
		errno = r == -ESRCH || r == -ENOENT ? EOPNOTSUPP : -r;
		return NULL;
	}
	return g;
}

MW_API int mw_guard_fd(const struct mw_guard *g)
{
	return g ? ring_buffer__epoll_fd(g->rb) : -EINVAL;
}

MW_API int mw_guard_poll(struct mw_guard *g, int timeout_ms)
{
	int n;

	if (!g)
		return -EINVAL;
	n = ring_buffer__poll(g->rb, timeout_ms);
	return n < 0 ? (errno ? -errno : n) : n;
}

MW_API uint64_t mw_guard_dropped(const struct mw_guard *g)
{
	return g && g->skel && g->skel->bss ? g->skel->bss->dropped + g->skel->bss->dropped_exec : 0;
}

MW_API unsigned int mw_guard_required_seals(const struct mw_guard *g)
{
	return g ? g->seals : 0;
}

MW_API void mw_guard_close(struct mw_guard *g)
{
	if (!g)
		return;
	ring_buffer__free(g->rb);
	mw_guard_bpf__destroy(g->skel);
	for (size_t i = 0; i < g->npins; i++)
		close(g->pins[i]);
	free(g->pins);
	for (size_t i = 0; i < g->nallow; i++)
		free(g->allow[i].path);
	free(g->allow);
	free(g);
}

#else /* !MW_HAVE_GUARD_BPF */

MW_API struct mw_guard *mw_guard_open(const struct mw_guard_opts *opts)
{
	(void)opts;
	errno = EOPNOTSUPP;
	return NULL;
}

MW_API int mw_guard_fd(const struct mw_guard *g)
{
	(void)g;
	return -EINVAL;
}

MW_API int mw_guard_poll(struct mw_guard *g, int timeout_ms)
{
	(void)g;
	(void)timeout_ms;
	return -EINVAL;
}

MW_API uint64_t mw_guard_dropped(const struct mw_guard *g)
{
	(void)g;
	return 0;
}

MW_API unsigned int mw_guard_required_seals(const struct mw_guard *g)
{
	(void)g;
	return 0;
}

MW_API void mw_guard_close(struct mw_guard *g)
{
	(void)g;
}
#endif
