/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reclaim part of `memward status`: per DAMOS filter type, action and
 * scheme feature whether this kernel has it (from files only, unless
 * --damon-probe asks for a scratch kdamond), MGLRU aging/eviction and
 * memory.reclaim usability.
 */
#include "cli.h"
#include "status_reclaim.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <memward/damon.h>
#include <memward/memcg.h>
#include <memward/mglru.h>

struct reclaim_info {
	struct mw_damon_features df;
	int probe_ret;
	struct mw_mglru_status ms;
	int memcg_reclaim;           /* 1 usable, 0 not, -1 unknown */
	char memcg_why[1200];
	char mglru_why[160];
};

static void gather(struct reclaim_info *ri, bool probe)
{
	char root[1024], path[1100];

	memset(ri, 0, sizeof(*ri));
	ri->df.sz = sizeof(ri->df);
	ri->ms.sz = sizeof(ri->ms);
	ri->probe_ret = mw_damon_features_get(&ri->df, probe ? MW_DAMON_PROBE_WRITE : 0);
	mw_mglru_status_get(&ri->ms);
	snprintf(ri->mglru_why, sizeof(ri->mglru_why), "%s",
		 !ri->ms.present ? "no /sys/kernel/mm/lru_gen (kernel without CONFIG_LRU_GEN)" :
		 !(ri->ms.enabled > 0 && (ri->ms.enabled & 1)) ? "MGLRU is disabled (memward mglru enable)" :
		 !ri->ms.debugfs ? "/sys/kernel/debug/lru_gen not readable (debugfs not mounted, or not root)" :
				   "debugfs lru_gen readable; MGLRU enabled");
	ri->memcg_reclaim = -1;
	if (mw_memcg_root(root, sizeof(root)) < 0) {
		snprintf(ri->memcg_why, sizeof(ri->memcg_why), "no cgroup2 mount");
		ri->memcg_reclaim = 0;
		return;
	}
	snprintf(path, sizeof(path), "%s/memory.reclaim", root);
	ri->memcg_reclaim = access(path, F_OK) == 0;
	snprintf(ri->memcg_why, sizeof(ri->memcg_why), "%s %s", path,
		 ri->memcg_reclaim ? "exists" : "absent (needs 5.19 and the memory controller)");
}

static const char *tri(unsigned int known, unsigned int have, unsigned int bit)
{
	return !(known & bit) ? "unknown" : (have & bit) ? "yes" : "no";
}

void status_reclaim_text(bool probe)
{
	struct reclaim_info ri;

	gather(&ri, probe);
	printf("\nRECLAIM\n");
	printf("%-28s %s\n", "damon answers from", ri.df.source);
	if (probe && ri.probe_ret == -EBUSY)
		printf("%-28s %s\n", "damon probe", "refused: kdamonds exist that memward did not create");
	for (int t = 0; t < MW_DAMOS_FILTER_COUNT_; t++) {
		char k[64];

		snprintf(k, sizeof(k), "damos filter %s", mw_damon_filter_name((enum mw_damon_filter_type)t));
		printf("%-28s %-8s (Linux %s)\n", k, tri(ri.df.filters_known, ri.df.filters_have, 1u << t),
		       mw_damon_filter_release((enum mw_damon_filter_type)t));
	}
	for (unsigned int i = 0; i < MW_DAMON_FEAT_COUNT_; i++) {
		char k[64];

		snprintf(k, sizeof(k), "damos %s", mw_damon_feat_name(i));
		printf("%-28s %-8s (Linux %s)\n", k, tri(ri.df.feats_known, ri.df.feats_have, 1u << i),
		       mw_damon_feat_release(i));
	}
	printf("%-28s %-8s %s\n", "mglru aging/eviction",
	       ri.ms.present && ri.ms.enabled > 0 && (ri.ms.enabled & 1) && ri.ms.debugfs ? "yes" : "no", ri.mglru_why);
	printf("%-28s %-8s %s\n", "memory.reclaim",
	       ri.memcg_reclaim < 0 ? "unknown" : ri.memcg_reclaim ? "yes" : "no", ri.memcg_why);
}

static json_object *jtri(unsigned int known, unsigned int have, unsigned int bit)
{
	return !(known & bit) ? NULL : json_object_new_boolean((have & bit) != 0);
}

static json_object *entry(json_object *avail, const char *since)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "available", avail);
	json_object_object_add(o, "since", json_object_new_string(since));
	return o;
}

void status_reclaim_json(json_object *root, bool probe)
{
	struct reclaim_info ri;
	json_object *rec = json_object_new_object(), *damon = json_object_new_object();
	json_object *filters = json_object_new_object(), *actions = json_object_new_object();
	json_object *feats = json_object_new_object(), *mglru = json_object_new_object();
	json_object *memcg = json_object_new_object();

	gather(&ri, probe);
	json_object_object_add(damon, "source", json_object_new_string(ri.df.source));
	for (int t = 0; t < MW_DAMOS_FILTER_COUNT_; t++)
		json_object_object_add(filters, mw_damon_filter_name((enum mw_damon_filter_type)t),
				       entry(jtri(ri.df.filters_known, ri.df.filters_have, 1u << t),
					     mw_damon_filter_release((enum mw_damon_filter_type)t)));
	for (int a = 0; a < MW_DAMOS_ACTION_COUNT_; a++)
		json_object_object_add(actions, mw_damon_action_name((enum mw_damon_action)a),
				       entry(jtri(ri.df.actions_known, ri.df.actions_have, 1u << a),
					     mw_damon_action_release((enum mw_damon_action)a)));
	for (unsigned int i = 0; i < MW_DAMON_FEAT_COUNT_; i++)
		json_object_object_add(feats, mw_damon_feat_name(i),
				       entry(jtri(ri.df.feats_known, ri.df.feats_have, 1u << i), mw_damon_feat_release(i)));
	json_object_object_add(damon, "filters", filters);
	json_object_object_add(damon, "actions", actions);
	json_object_object_add(damon, "scheme_features", feats);
	json_object_object_add(rec, "damon", damon);
	json_object_object_add(mglru, "aging_eviction", json_object_new_boolean(
		ri.ms.present && ri.ms.enabled > 0 && (ri.ms.enabled & 1) && ri.ms.debugfs));
	json_object_object_add(mglru, "reason", json_object_new_string(ri.mglru_why));
	json_object_object_add(rec, "mglru", mglru);
	json_object_object_add(memcg, "available", ri.memcg_reclaim < 0 ? NULL :
				json_object_new_boolean(ri.memcg_reclaim));
	json_object_object_add(memcg, "reason", json_object_new_string(ri.memcg_why));
	json_object_object_add(rec, "memory_reclaim", memcg);
	json_object_object_add(root, "reclaim", rec);
}
