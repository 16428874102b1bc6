/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MGLRU: the stable sysfs controls, and aging/eviction of one cgroup through
 * debugfs lru_gen (format in include/memward/mglru.h). memcg ids are
 * kernel-internal; they are taken from the "memcg ID PATH" lines of the same
 * file, so no id is ever guessed.
 */
#include "core/internal.h"
#include "core/opts.h"
#include "core/cgroup.h"
#include "mglru/internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <limits.h>

#include <memward/mglru.h>

#define LRU_GEN_SYS "/sys/kernel/mm/lru_gen"
#define LRU_GEN_DBG "/sys/kernel/debug/lru_gen"

/* path under mw__sysroot() (tests), in a buffer of the caller's frame. */
#define LG(path) lg_path((char[512]){ 0 }, path)

static const char *lg_path(char *buf, const char *path)
{
	snprintf(buf, 512, "%s%s", mw__sysroot(), path);
	return buf;
}

MW_API int mw_mglru_status_get(struct mw_mglru_status *out)
{
	struct mw_mglru_status v = { 0 };
	char buf[32];
	long x;
	MW_AUTOCLOSE int fd = -1;

	if (!out || out->sz == 0)
		return -EINVAL;
	v.enabled = v.min_ttl_ms = -1;
	v.present = access(LG(LRU_GEN_SYS), F_OK) == 0;
	if (mw__read_file(LG(LRU_GEN_SYS "/enabled"), buf, sizeof(buf)) >= 0 && mw__parse_long(buf, &x) == 0)
		v.enabled = (int)x;
	if (mw__read_file(LG(LRU_GEN_SYS "/min_ttl_ms"), buf, sizeof(buf)) >= 0 && mw__parse_long(buf, &x) == 0)
		v.min_ttl_ms = (int)x;
	fd = open(LG(LRU_GEN_DBG), O_RDONLY | O_CLOEXEC);
	v.debugfs = fd >= 0;
	return MW_RESULT_OUT(out, v);
}

MW_API int mw_mglru_enable(unsigned int bits)
{
	char val[16];

	if (bits > 7)
		return -EINVAL;
	snprintf(val, sizeof(val), "0x%04x", bits);
	return mw__write_file(LG(LRU_GEN_SYS "/enabled"), val);
}

MW_API int mw_mglru_min_ttl_set(unsigned int ms)
{
	char val[16];

	snprintf(val, sizeof(val), "%u", ms);
	return mw__write_file(LG(LRU_GEN_SYS "/min_ttl_ms"), val);
}

/* A decimal number at *p (after blanks), with an optional one-character
 * mark after it (lru_gen prints ' ' or, in the full file, 'x'). */
static int num(const char **p, uint64_t *v)
{
	char *end;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	if (!isdigit((unsigned char)**p))
		return -EBADMSG;
	errno = 0;
	*v = strtoull(*p, &end, 10);
	if (errno)
		return -EBADMSG;
	*p = end;
	if (**p && **p != ' ' && **p != '\t' && **p != '\n')
		(*p)++;
	return **p == '\0' || **p == ' ' || **p == '\t' || **p == '\n' ? 0 : -EBADMSG;
}

static bool rest_blank(const char *p)
{
	return p[strspn(p, " \t")] == '\n' || p[strspn(p, " \t")] == '\0';
}

static int push_gen(struct mw__mglru_parsed *out, const struct mw_mglru_gen *g)
{
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 16;
		void *ng = realloc(out->gens, cap * sizeof(*out->gens));

		if (!ng)
			return -ENOMEM;
		out->gens = ng;
		out->cap = cap;
	}
	out->gens[out->n++] = *g;
	return 0;
}

/* Parse state across lines: 0 before a memcg line, 1 after it, 2 after a node line. */
struct pstate {
	int level, node;
	bool mine;
};

/* "memcg ID PATH": the path is the rest of the line (cgroup names may hold
 * blanks); without CONFIG_MEMCG it is empty and means the root. */
static int memcg_line(const char *l, size_t len, const char *rel, struct pstate *st,
		      struct mw__mglru_parsed *out)
{
	const char *p = l + 5, *path;
	uint64_t id;
	size_t pl;

	if (num(&p, &id) < 0 || id > (uint64_t)LONG_MAX)
		return -EBADMSG;
	path = p + strspn(p, " \t");
	pl = (size_t)(l + len - path);
	while (pl && (path[pl - 1] == ' ' || path[pl - 1] == '\t'))
		pl--;
	st->mine = pl ? strlen(rel) == pl && !strncmp(path, rel, pl) : !strcmp(rel, "/");
	if (st->mine)
		out->memcg_id = (long)id;
	st->level = 1;
	return 0;
}

static int parse_line(const char *l, size_t len, const char *rel, struct pstate *st,
		      struct mw__mglru_parsed *out, const char **why)
{
	const char *p = l + strspn(l, " \t");
	uint64_t v;

	if ((size_t)(p - l) == len)
		return 0; /* blank */
	if (p == l && !strncmp(l, "memcg", 5) && (l[5] == ' ' || l[5] == '\t'))
		return memcg_line(l, len, rel, st, out) < 0 ? (*why = "memcg line without a numeric id", -EBADMSG) : 0;
	if (!strncmp(p, "node", 4) && (p[4] == ' ' || p[4] == '\t')) {
		p += 4;
		if (st->level < 1)
			return *why = "node line before any memcg line", -EBADMSG;
		if (num(&p, &v) < 0 || !rest_blank(p))
			return *why = "node line without a numeric node id", -EBADMSG;
		if (v >= MW_MGLRU_MAX_NODES)
			return *why = "node id out of range", -EBADMSG;
		st->node = (int)v;
		st->level = 2;
		return 0;
	}
	if (isdigit((unsigned char)*p)) {
		struct mw_mglru_gen g = { .sz = sizeof(g), .node = st->node };

		if (st->level < 2)
			return *why = "generation line outside a node", -EBADMSG;
		if (num(&p, &g.seq) < 0 || num(&p, &g.age_ms) < 0 || num(&p, &g.anon_pages) < 0 ||
		    num(&p, &g.file_pages) < 0 || !rest_blank(p))
			return *why = "generation line is not SEQ AGE_MS ANON FILE", -EBADMSG;
		return st->mine ? push_gen(out, &g) : 0;
	}
	return *why = "not a memcg, node or generation line", -EBADMSG;
}

int mw__mglru_parse(const char *text, const char *rel, struct mw__mglru_parsed *out)
{
	struct pstate st = { 0 };
	unsigned long lineno = 0;

	out->memcg_id = -1;
	for (const char *l = text; l && *l;) {
		const char *nl = strchr(l, '\n'), *why = NULL;
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		int ret;

		lineno++;
		ret = parse_line(l, len, rel, &st, out, &why);
		if (ret == -EBADMSG)
			mw__log(LOG_ERR, "mglru: lru_gen line %lu: %s: '%.*s'", lineno, why, (int)(len > 80 ? 80 : len), l);
		if (ret < 0)
			return ret;
		l = nl ? nl + 1 : NULL;
	}
	return out->memcg_id < 0 ? -ENOENT : 0;
}

static int load(const char *cgroup, struct mw__mglru_parsed *p)
{
	char dir[4096], rel[4096];
	MW_AUTOCLOSE int fd = -1;
	char *text;
	int ret;

	memset(p, 0, sizeof(*p));
	if (!cgroup)
		return -EINVAL;
	ret = mw__cgroup_resolve(cgroup, dir, sizeof(dir), rel, sizeof(rel));
	if (ret < 0)
		return ret;
	fd = open(LG(LRU_GEN_DBG), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	text = mw__read_fd_alloc(fd, 64u << 20, NULL);
	if (!text)
		return -errno;
	ret = mw__mglru_parse(text, rel, p);
	free(text);
	if (ret < 0)
		free(p->gens);
	return ret;
}

MW_API int mw_mglru_gens_foreach(const char *cgroup, mw_mglru_gen_fn fn, void *arg)
{
	struct mw__mglru_parsed p;
	int ret;

	if (!fn)
		return -EINVAL;
	ret = load(cgroup, &p);
	for (size_t i = 0; ret == 0 && i < p.n; i++)
		ret = fn(&p.gens[i], arg);
	free(p.gens);
	return ret;
}

/* The enabled bit gates aging and eviction; the kernel answers EINVAL
 * otherwise, which would look like a bad argument. */
static int need_enabled(void)
{
	char buf[32];
	long x;

	if (mw__read_file(LG(LRU_GEN_SYS "/enabled"), buf, sizeof(buf)) < 0)
		return -ENOENT;
	return mw__parse_long(buf, &x) == 0 && (x & 1) ? 0 : -EOPNOTSUPP;
}

/* Youngest and oldest seq per node. */
static void node_span(const struct mw__mglru_parsed *p, int node, uint64_t *min, uint64_t *max, bool *any)
{
	*any = false;
	for (size_t i = 0; i < p->n; i++) {
		if (p->gens[i].node != node)
			continue;
		if (!*any || p->gens[i].seq > *max)
			*max = p->gens[i].seq;
		if (!*any || p->gens[i].seq < *min)
			*min = p->gens[i].seq;
		*any = true;
	}
}

MW_API int mw_mglru_age(const char *cgroup, int anon)
{
	struct mw__mglru_parsed p;
	char cmd[128];
	int ret = need_enabled();

	if (ret < 0)
		return ret;
	ret = load(cgroup, &p);
	for (int node = 0; ret == 0 && node < MW_MGLRU_MAX_NODES; node++) {
		uint64_t min, max;
		bool any;

		node_span(&p, node, &min, &max, &any);
		if (!any)
			continue;
		/* force_scan 1: walk the page tables even when the kernel thinks
		 * the bloom filter says nothing changed; that is the measurement. */
		snprintf(cmd, sizeof(cmd), "+ %ld %d %" PRIu64 " %d 1", p.memcg_id, node, max, anon ? 1 : 0);
		ret = mw__write_file(LG(LRU_GEN_DBG), cmd);
	}
	free(p.gens);
	return ret;
}

static int evict_node(const struct mw__mglru_parsed *p, int node, uint64_t min_age_ms, int swappiness,
		      uint64_t nr_pages, uint64_t *evicted)
{
	uint64_t min, max, target = 0;
	bool any, found = false;
	char cmd[160];
	int n;

	node_span(p, node, &min, &max, &any);
	if (!any)
		return -ERANGE;
	for (size_t i = 0; i < p->n; i++) {
		const struct mw_mglru_gen *g = &p->gens[i];

		/* Two generations always stay (MIN_NR_GENS): seq + 2 <= max. */
		if (g->node != node || g->age_ms < min_age_ms || g->seq + 2 > max)
			continue;
		if (!found || g->seq > target)
			target = g->seq;
		found = true;
	}
	if (!found)
		return -ERANGE;
	for (size_t i = 0; evicted && i < p->n; i++)
		if (p->gens[i].node == node && p->gens[i].seq <= target)
			*evicted += p->gens[i].anon_pages + p->gens[i].file_pages;
	n = snprintf(cmd, sizeof(cmd), "- %ld %d %" PRIu64, p->memcg_id, node, target);
	if (swappiness >= 0 || nr_pages)
		n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, " %d", swappiness >= 0 ? swappiness : 60);
	if (nr_pages)
		snprintf(cmd + n, sizeof(cmd) - (size_t)n, " %" PRIu64, nr_pages);
	return mw__write_file(LG(LRU_GEN_DBG), cmd);
}

MW_API int mw_mglru_evict(const char *cgroup, uint64_t min_age_ms, int swappiness, uint64_t nr_pages,
			  uint64_t *evicted)
{
	struct mw__mglru_parsed p;
	bool done = false;
	int ret = need_enabled();

	if (ret < 0)
		return ret;
	if (swappiness > 200 || swappiness < -1)
		return -EINVAL;
	if (evicted)
		*evicted = 0;
	ret = load(cgroup, &p);
	for (int node = 0; ret == 0 && node < MW_MGLRU_MAX_NODES; node++) {
		int r = evict_node(&p, node, min_age_ms, swappiness, nr_pages, evicted);

		if (r == 0)
			done = true;
		else if (r != -ERANGE)
			ret = r;
	}
	free(p.gens);
	return ret == 0 && !done ? -ERANGE : ret;
}
