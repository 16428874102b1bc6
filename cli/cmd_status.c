/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memward status: what this kernel offers, probed, with reasons. */
#include "cli.h"
#include "status_reclaim.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <memward/memward.h>

static json_object *json_tristate(int v)
{
	return v < 0 ? NULL : json_object_new_boolean(v);
}

static json_object *json_int_or_null(long long v)
{
	return v < 0 ? NULL : json_object_new_int64(v);
}

static json_object *json_bytes(uint64_t v)
{
	return json_object_new_int64(v == UINT64_MAX ? -1 : (int64_t)v);
}

/* Values that belong to one feature, added to its JSON object. */
static void add_extras(json_object *o, enum mw_feature f, const struct mw_feature_sysinfo *si)
{
	switch (f) {
	case MW_FEAT_MEMFD_NOEXEC_SYSCTL:
		json_object_object_add(o, "level", json_int_or_null(si->memfd_noexec));
		break;
	case MW_FEAT_MEMFD_SECRET:
		json_object_object_add(o, "boot_enabled", json_tristate(si->secretmem_boot_enabled));
		break;
	case MW_FEAT_BPF_LSM: {
		json_object *list = NULL;

		if (si->lsm_list[0]) {
			char copy[sizeof(si->lsm_list)], *save, *tok;

			list = json_object_new_array();
			memcpy(copy, si->lsm_list, sizeof(copy));
			for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
				json_object_array_add(list, json_object_new_string(tok));
		}
		json_object_object_add(o, "listed", json_tristate(si->bpf_lsm_listed));
		json_object_object_add(o, "loadable", json_tristate(si->bpf_lsm_loadable));
		json_object_object_add(o, "lsm_list", list);
		{
			/* Whether `memward guard` can attach every hook it uses. */
			char why[320];
			int ok = mw_guard_probe(why, sizeof(why));

			json_object_object_add(o, "guard_hooks", json_object_new_boolean(ok == 1));
			json_object_object_add(o, "guard_reason", json_object_new_string(why));
		}
		break;
	}
	case MW_FEAT_DAMON_SYSFS: {
		json_object *ops = json_object_new_array();

		if (si->damon_ops & MW_DAMON_OPS_VADDR)
			json_object_array_add(ops, json_object_new_string("vaddr"));
		if (si->damon_ops & MW_DAMON_OPS_FVADDR)
			json_object_array_add(ops, json_object_new_string("fvaddr"));
		if (si->damon_ops & MW_DAMON_OPS_PADDR)
			json_object_array_add(ops, json_object_new_string("paddr"));
		json_object_object_add(o, "operations", ops);
		break;
	}
	case MW_FEAT_MGLRU:
		json_object_object_add(o, "enabled_bits", json_int_or_null(si->mglru_enabled));
		json_object_object_add(o, "min_ttl_ms", json_int_or_null(si->mglru_min_ttl_ms));
		break;
	case MW_FEAT_MEMLOCK:
		json_object_object_add(o, "rlimit_soft_bytes", json_bytes(si->memlock_cur));
		json_object_object_add(o, "rlimit_hard_bytes", json_bytes(si->memlock_max));
		json_object_object_add(o, "cap_ipc_lock", json_object_new_boolean(si->cap_ipc_lock));
		break;
	default:
		break;
	}
}

static int status_json(const struct mw_feature_sysinfo *si, const struct utsname *un, bool damon_probe)
{
	json_object *root = json_object_new_object();
	json_object *kernel = json_object_new_object();
	json_object *feats = json_object_new_object();

	json_object_object_add(root, "schema", json_object_new_int(1));
	json_object_object_add(root, "memward_version", json_object_new_string(mw_version()));
	json_object_object_add(kernel, "release", json_object_new_string(un->release));
	json_object_object_add(kernel, "machine", json_object_new_string(un->machine));
	json_object_object_add(root, "kernel", kernel);
	for (int f = 0; f < MW_FEAT_COUNT_; f++) {
		struct mw_feature_status st = { .sz = sizeof(st) };
		json_object *o = json_object_new_object();
		const char *en;

		mw_feature_probe((enum mw_feature)f, &st);
		en = st.error ? mw_errno_name(st.error) : NULL;
		json_object_object_add(o, "state", json_object_new_string(mw_feature_state_name(st.state)));
		json_object_object_add(o, "cause", json_object_new_string(mw_feature_cause_name(st.cause)));
		json_object_object_add(o, "errno", en ? json_object_new_string(en) : NULL);
		json_object_object_add(o, "reason", json_object_new_string(st.reason));
		add_extras(o, (enum mw_feature)f, si);
		json_object_object_add(feats, mw_feature_key((enum mw_feature)f), o);
	}
	json_object_object_add(root, "features", feats);
	status_reclaim_json(root, damon_probe);
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return 0;
}

static int status_text(const struct utsname *un, bool damon_probe)
{
	int missing = 0;

	printf("memward %s on Linux %s %s\n\n", mw_version(), un->release, un->machine);
	printf("%-20s %-10s %s\n", "FEATURE", "STATE", "WHY");
	for (int f = 0; f < MW_FEAT_COUNT_; f++) {
		struct mw_feature_status st = { .sz = sizeof(st) };

		mw_feature_probe((enum mw_feature)f, &st);
		if (st.state != MW_FEATURE_SUPPORTED)
			missing++;
		printf("%-20s %-10s %s\n", mw_feature_key((enum mw_feature)f),
		       mw_feature_state_name(st.state), st.reason);
	}
	printf("\n%d of %d features supported here.\n", MW_FEAT_COUNT_ - missing, MW_FEAT_COUNT_);
	status_reclaim_text(damon_probe);
	{
		char why[320];
		int ok = mw_guard_probe(why, sizeof(why));

		printf("memward guard (BPF LSM hooks): %s: %s\n", ok == 1 ? "available" : "unavailable", why);
	}
	return 0;
}

extern const struct cli_cmd cmd_status;

/* --json, --damon-probe, --help. 0 go on, -1 help printed, EXIT_USAGE. */
static int parse_status(int argc, char **argv, bool *json, bool *damon_probe)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "damon-probe", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': *json = true; break;
		case 'd': *damon_probe = true; break;
		case 'h': cli_print_help(&cmd_status, stdout); return -1;
		default:
			return cli_usage_error(&cmd_status, "unknown option '%s' (expected --json, --damon-probe or --help)",
					       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(&cmd_status, "unexpected argument '%s' (this command takes none)", argv[optind]);
	return 0;
}

static int run_status(int argc, char **argv)
{
	struct mw_feature_sysinfo si = { .sz = sizeof(si) };
	struct utsname un;
	bool json = false, damon_probe = false;
	int r = parse_status(argc, argv, &json, &damon_probe);

	if (r)
		return r < 0 ? 0 : r;
	if (uname(&un) < 0) {
		cli_err("uname: %m");
		return 2;
	}
	if (mw_feature_sysinfo_get(&si) < 0) {
		cli_err("cannot read system information");
		return 2;
	}
	return json ? status_json(&si, &un, damon_probe) : status_text(&un, damon_probe);
}

const struct cli_cmd cmd_status = {
	.name = "status",
	.summary = "probe what this kernel offers, with reasons",
	.help =
	"Usage: memward status [--json] [--damon-probe]\n"
	"\n"
	"Probe every kernel feature memward relies on by trying it, and print one line\n"
	"per feature: its state (supported, missing, unknown) and why.\n"
	"\n"
	"Features: memfd_create, mfd_noexec_seal, mfd_exec, seal_exec, seal_future_write,\n"
	"memfd_secret, memfd_noexec_sysctl, seccomp_filter, seccomp_user_notif,\n"
	"seccomp_notif_addfd, pidfd_getfd, bpf_lsm, damon_sysfs, mglru, memlock.\n"
	"\n"
	"Options:\n"
	"  --json         print one JSON object instead (keys documented in memward-status(1))\n"
	"  --damon-probe  when no kdamond exists, create one for a moment (root only) to\n"
	"                 learn DAMON's operations, filter types and actions; without it\n"
	"                 DAMON is only read, from existing kdamonds' files\n"
	"  --help         show this help\n"
	"\n"
	"The RECLAIM section lists per DAMOS filter type, action and scheme feature\n"
	"whether this kernel has it (yes/no/unknown, with the release that added it),\n"
	"and whether MGLRU aging/eviction and cgroup memory.reclaim are usable.\n"
	"Exit status: 0 when the probe ran (whatever it found), 2 on error.\n",
	.run = run_status,
};
