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

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <memward/mglru.h>

#define LRU_GEN_SYS "/sys/kernel/mm/lru_gen"
#define LRU_GEN_DBG "/sys/kernel/debug/lru_gen"
#define MAX_NODES 64

MW_API int mw_mglru_status_get(struct mw_mglru_status *out)
{
	struct mw_mglru_status v = { 0 };
	char buf[32];
	long x;
	MW_AUTOCLOSE int fd = -1;

	if (!out || out->sz == 0)
		return -EINVAL;
	v.enabled = v.min_ttl_ms = -1;
	v.present = access(LRU_GEN_SYS, F_OK) == 0;
	if (mw__read_file(LRU_GEN_SYS "/enabled", buf, sizeof(buf)) >= 0 && mw__parse_long(buf, &x) == 0)
		v.enabled = (int)x;
	if (mw__read_file(LRU_GEN_SYS "/min_ttl_ms", buf, sizeof(buf)) >= 0 && mw__parse_long(buf, &x) == 0)
		v.min_ttl_ms = (int)x;
	fd = open(LRU_GEN_DBG, O_RDONLY | O_CLOEXEC);
	v.debugfs = fd >= 0;
	return MW_RESULT_OUT(out, v);
}

MW_API int mw_mglru_enable(unsigned int bits)
{
	char val[16];

	if (bits > 7)
		return -EINVAL;
	snprintf(val, sizeof(val), "0x%04x", bits);
	return mw__write_file(LRU_GEN_SYS "/enabled", val);
}

MW_API int mw_mglru_min_ttl_set(unsigned int ms)
{
	char val[16];

	snprintf(val, sizeof(val), "%u", ms);
	return mw__write_file(LRU_GEN_SYS "/min_ttl_ms", val);
}

/* One parsed lru_gen: the memcg id of rel and its generations. */
struct parsed {
	long memcg_id;
	struct mw_mglru_gen *gens;
	size_t n, cap;
};

static uint64_t num(const char **p)
{
	char *end;
	uint64_t v;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	v = strtoull(*p, &end, 10);
	*p = end;
	/* Counts may carry a mark ('~', '-'); skip it. */
	while (**p && **p != ' ' && **p != '\n')
		(*p)++;
	return v;
}

/* Parse lru_gen text for the memcg whose path is rel. Pure; -ENOENT when the
 * memcg is not listed. */
MW_HIDDEN int mw__mglru_parse(const char *text, const char *rel, struct parsed *out);
int mw__mglru_parse(const char *text, const char *rel, struct parsed *out)
{
	bool mine = false;
	int node = 0;

	out->memcg_id = -1;
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		long id;
		char path[4096];

		if (sscanf(l, "memcg %ld %4095s", &id, path) == 2 ||
		    (sscanf(l, "memcg %ld", &id) == 1 && (path[0] = '\0', true))) {
			mine = !strcmp(path, rel) || (!path[0] && !strcmp(rel, "/"));
			if (mine)
				out->memcg_id = id;
		} else if (sscanf(l, " node %d", &node) == 1) {
			continue;
		} else if (mine && isdigit((unsigned char)l[strspn(l, " ")])) {
			struct mw_mglru_gen g = { .sz = sizeof(g), .node = node };
			const char *p = l;

			g.seq = num(&p);
			g.age_ms = num(&p);
			g.anon_pages = num(&p);
			g.file_pages = num(&p);
			if (out->n == out->cap) {
				size_t cap = out->cap ? out->cap * 2 : 16;
				void *ng = realloc(out->gens, cap * sizeof(*out->gens));

				if (!ng)
					return -ENOMEM;
				out->gens = ng;
				out->cap = cap;
			}
			out->gens[out->n++] = g;
		}
	}
	return out->memcg_id < 0 ? -ENOENT : 0;
}

static int load(const char *cgroup, struct parsed *p)
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
	fd = open(LRU_GEN_DBG, O_RDONLY | O_CLOEXEC);
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
	struct parsed p;
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

	if (mw__read_file(LRU_GEN_SYS "/enabled", buf, sizeof(buf)) < 0)
		return -ENOENT;
	return mw__parse_long(buf, &x) == 0 && (x & 1) ? 0 : -EOPNOTSUPP;
}

/* Youngest and oldest seq per node. */
static void node_span(const struct parsed *p, int node, uint64_t *min, uint64_t *max, bool *any)
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
	struct parsed p;
	char cmd[128];
	int ret = need_enabled();

	if (ret < 0)
		return ret;
	ret = load(cgroup, &p);
	for (int node = 0; ret == 0 && node < MAX_NODES; node++) {
		uint64_t min, max;
		bool any;

		node_span(&p, node, &min, &max, &any);
		if (!any)
			continue;
		/* force_scan 1: walk the page tables even when the kernel thinks
		 * the bloom filter says nothing changed; that is the measurement. */
		snprintf(cmd, sizeof(cmd), "+ %ld %d %" PRIu64 " %d 1", p.memcg_id, node, max, anon ? 1 : 0);
		ret = mw__write_file(LRU_GEN_DBG, cmd);
	}
	free(p.gens);
	return ret;
}

static int evict_node(const struct parsed *p, int node, uint64_t min_age_ms, int swappiness,
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
	return mw__write_file(LRU_GEN_DBG, cmd);
}

MW_API int mw_mglru_evict(const char *cgroup, uint64_t min_age_ms, int swappiness, uint64_t nr_pages,
			  uint64_t *evicted)
{
	struct parsed p;
	bool done = false;
	int ret = need_enabled();

	if (ret < 0)
		return ret;
	if (swappiness > 200 || swappiness < -1)
		return -EINVAL;
	if (evicted)
		*evicted = 0;
	ret = load(cgroup, &p);
	for (int node = 0; ret == 0 && node < MAX_NODES; node++) {
		int r = evict_node(&p, node, min_age_ms, swappiness, nr_pages, evicted);

		if (r == 0)
			done = true;
		else if (r != -ERANGE)
			ret = r;
	}
	free(p.gens);
	return ret == 0 && !done ? -ERANGE : ret;
}
