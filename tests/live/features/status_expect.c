/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `memward status --json` is valid JSON carrying every feature, and shows what
 * this kernel must show. The expectations come from the file named by
 * $MW_EXPECT (a tests/expect/NAME.expect file), one per kernel of the matrix:
 *
 *   kernel PREFIX              uname -r must start with PREFIX, else skip
 *   expect PATH JSON           the value at PATH (dot-separated) equals JSON
 *   contains PATH JSON         the array at PATH contains JSON
 *   nonempty PATH              the string at PATH is not empty
 *
 * usage: live-status-expect MEMWARD
 */
#include "live.h"

#include <json-c/json.h>
#include <sys/utsname.h>

#include <memward/features.h>

static json_object *lookup(json_object *root, const char *path)
{
	char copy[256], *save, *tok;
	json_object *o = root;

	snprintf(copy, sizeof(copy), "%s", path);
	for (tok = strtok_r(copy, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, tok, &o))
			return (json_object *)-1;
	return o;
}

static const char *plain(json_object *o)
{
	return o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : "null";
}

static char *run_status(const char *memward)
{
	static char out[1 << 16];
	char *argv[] = { (char *)memward, "status", "--json", NULL };

	REQUIRE(live_capture(argv, false, NULL, out, sizeof(out)) == 0, "memward status --json failed");
	return out;
}

int main(int argc, char **argv)
{
	const char *expect = getenv("MW_EXPECT");
	struct utsname un;
	json_object *root, *feats;
	char line[512];
	FILE *f;
	int checks = 0;

	REQUIRE(argc == 2, "usage: live-status-expect MEMWARD");
	root = json_tokener_parse(run_status(argv[1]));
	REQUIRE(root && json_object_is_type(root, json_type_object), "status --json is not a JSON object");
	REQUIRE(json_object_object_get_ex(root, "features", &feats), "no features key");
	for (int i = 0; i < MW_FEAT_COUNT_; i++) {
		const char *key = mw_feature_key((enum mw_feature)i);
		json_object *o, *state, *reason;

		CHECK(json_object_object_get_ex(feats, key, &o), "feature %s missing from JSON", key);
		if (!json_object_object_get_ex(feats, key, &o))
			continue;
		CHECK(json_object_object_get_ex(o, "state", &state) &&
		      (!strcmp(json_object_get_string(state), "supported") ||
		       !strcmp(json_object_get_string(state), "missing") ||
		       !strcmp(json_object_get_string(state), "unknown")), "%s: bad state", key);
		CHECK(json_object_object_get_ex(o, "reason", &reason) &&
		      json_object_get_string_len(reason) > 0, "%s: no reason", key);
	}

	if (!expect)
		live_skip("MW_EXPECT names no expectations file; only the JSON shape was checked");
	f = fopen(expect, "re");
	REQUIRE(f, "cannot open %s: %s", expect, strerror(errno));
	uname(&un);
	while (fgets(line, sizeof(line), f)) {
		char op[16], path[128], value[256] = "";
		int n;

		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		n = sscanf(line, "%15s %127s %255[^\n]", op, path, value);
		REQUIRE(n >= 2, "bad line in %s: %s", expect, line);
		if (!strcmp(op, "kernel")) {
			if (strncmp(un.release, path, strlen(path)))
				live_skip("%s is for kernels %s*, this is %s", expect, path, un.release);
			continue;
		}
		json_object *got = lookup(root, path);
		if (got == (json_object *)-1) {
			CHECK(0, "%s: no such key", path);
			continue;
		}
		checks++;
		if (!strcmp(op, "expect")) {
			json_object *want = json_tokener_parse(value);
			char w[256];
			snprintf(w, sizeof(w), "%s", plain(want));
			CHECK(!strcmp(w, plain(got)), "%s = %s, expected %s", path, plain(got), w);
			json_object_put(want);
		} else if (!strcmp(op, "contains")) {
			json_object *want = json_tokener_parse(value);
			bool found = false;
			if (got && json_object_is_type(got, json_type_array))
				for (size_t i = 0; i < json_object_array_length(got); i++)
					found |= !strcmp(plain(json_object_array_get_idx(got, i)), plain(want));
			CHECK(found, "%s = %s does not contain %s", path, plain(got), value);
			json_object_put(want);
		} else if (!strcmp(op, "nonempty")) {
			CHECK(got && json_object_get_string_len(got) > 0, "%s is empty", path);
		} else {
			REQUIRE(0, "unknown op %s in %s", op, expect);
		}
	}
	fclose(f);
	live_note("%d expectations from %s checked on %s", checks, expect, un.release);
	json_object_put(root);
	return live_done();
}
