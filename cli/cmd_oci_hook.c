/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward oci-hook: an OCI runtime hook (createRuntime or prestart) that sets
 * vm.memfd_noexec in the container's pid namespace.
 *
 * The runtime writes the container state (OCI runtime spec, "State") on the
 * hook's stdin and refuses to start the container when the hook exits
 * non-zero. So every doubt is a refusal: a state that is not what the spec
 * says, an annotation that is not exactly 0, 1 or 2, a container in the
 * hook's own pid namespace, a level the kernel will not grant.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <memward/memward.h>

#define DEFAULT_ANNOTATION "io.memward.memfd-noexec"
#define STATE_MAX (1u << 20)
#define CONFIG_MAX (16u << 20)
#define EXIT_REFUSED 1
#define EXIT_ERROR 2

struct hook_opts {
	const char *annotation;
	int default_level; /* -1: the annotation is required */
	bool allow_sys_admin;
	bool verbose;
};

/* "0", "1" or "2" exactly; -1 otherwise. */
static int parse_level(const char *s)
{
	if (s && s[0] >= '0' && s[0] <= '2' && s[1] == '\0')
		return s[0] - '0';
	return -1;
}

/* Read all of f (at most max bytes) into a NUL-terminated buffer. */
static char *read_all(FILE *f, size_t max, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		size_t got;

		if (n + 1 == cap) {
			char *bigger = cap >= max ? NULL : realloc(buf, cap * 2);

			if (!bigger) {
				free(buf);
				errno = cap >= max ? EFBIG : ENOMEM;
				return NULL;
			}
			buf = bigger;
			cap *= 2;
		}
		got = fread(buf + n, 1, cap - 1 - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				free(buf);
				errno = EIO;
				return NULL;
			}
			buf[n] = '\0';
			*len = n;
			return buf;
		}
	}
	errno = ENOMEM;
	return NULL;
}

/* One JSON value, then nothing but white space; NULL and *why otherwise. */
static json_object *parse_json(const char *text, size_t len, const char **why)
{
	enum json_tokener_error jerr;
	json_tokener *tok = json_tokener_new();
	json_object *v = NULL;

	if (!tok) {
		*why = "out of memory";
		return NULL;
	}
	v = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (v && jerr == json_tokener_success) {
		size_t end = json_tokener_get_parse_end(tok);

		while (end < len && text[end] && strchr(" \t\r\n", text[end]))
			end++;
		if (end != len)
			jerr = json_tokener_error_parse_unexpected;
	} else if (jerr == json_tokener_success || jerr == json_tokener_continue) {
		jerr = json_tokener_error_parse_eof;
	}
	json_tokener_free(tok);
	if (jerr != json_tokener_success) {
		json_object_put(v);
		*why = len == 0 ? "empty input" : json_tokener_error_desc(jerr);
		return NULL;
	}
	return v;
}

static json_object *member(json_object *obj, const char *key, json_type type)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

/* Validate the state st; *pid, *level (from the annotation or the default),
 * *id and *bundle (pointing into st). Returns 0 or an exit code after
 * printing why. */
static int parse_state(json_object *st, const struct hook_opts *o, pid_t *pid, int *level,
		       const char **id, const char **bundle)
{
	json_object *v, *ann;
	int64_t p;

	if (!json_object_is_type(st, json_type_object) ||
	    !member(st, "ociVersion", json_type_string) ||
	    !(v = member(st, "id", json_type_string))) {
		cli_err("oci-hook: the container state on stdin is not an OCI state object "
			"(no \"ociVersion\" or \"id\" string)");
		return EXIT_ERROR;
	}
	*id = json_object_get_string(v);
	v = member(st, "pid", json_type_int);
	p = v ? json_object_get_int64(v) : 0;
	if (p <= 0 || p > INT32_MAX) {
		cli_err("oci-hook: container %s: the state has no valid \"pid\" "
			"(run this hook at createRuntime or prestart)", *id);
		return EXIT_ERROR;
	}
	*pid = (pid_t)p;
	v = member(st, "status", json_type_string);
	if (v && strcmp(json_object_get_string(v), "creating") &&
	    strcmp(json_object_get_string(v), "created")) {
		cli_err("oci-hook: container %s is '%s': the level must be set before the "
			"container starts (createRuntime or prestart hook)", *id, json_object_get_string(v));
		return EXIT_REFUSED;
	}
	v = member(st, "bundle", json_type_string);
	*bundle = v ? json_object_get_string(v) : NULL;
	ann = member(st, "annotations", json_type_object);
	if (ann && json_object_object_get_ex(ann, o->annotation, &v)) {
		const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;

		*level = parse_level(s);
		if (*level < 0) {
			cli_err("oci-hook: container %s: annotation %s=%s: expected \"0\", \"1\" or \"2\"",
				*id, o->annotation, json_object_to_json_string(v));
			return EXIT_ERROR;
		}
	} else if (o->default_level >= 0) {
		*level = o->default_level;
	} else {
		cli_err("oci-hook: container %s has no annotation %s and no --default was given",
			*id, o->annotation);
		return EXIT_ERROR;
	}
	return 0;
}

/*
 * A process with CAP_SYS_ADMIN over the container's pid namespace can write
 * the sysctl itself, and since Linux 6.6 a namespace may lower its own level
 * down to its parent's (commit 9876cfe8ec1c): on a host at 0, back to 0. A
 * read-only /proc/sys does not stop it (it can mount another proc). So a
 * container whose process may hold CAP_SYS_ADMIN (any of its capability sets
 * in config.json) is refused unless --allow-cap-sys-admin says the caller
 * knows. The bundle's config.json is the runtime's own copy.
 */
static bool caps_have_sys_admin(json_object *caps)
{
	static const char *const sets[] = { "bounding", "effective", "permitted",
					     "inheritable", "ambient" };

	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		json_object *list = member(caps, sets[i], json_type_array);

		for (size_t j = 0; list && j < json_object_array_length(list); j++) {
			const char *name = json_object_get_string(json_object_array_get_idx(list, j));

			if (name && !strcmp(name, "CAP_SYS_ADMIN"))
				return true;
		}
	}
	return false;
}

static int check_config(const char *bundle, const char *id, const struct hook_opts *o)
{
	char path[4096];
	const char *why = NULL;
	json_object *cfg, *proc, *caps;
	size_t len = 0;
	char *text = NULL;
	FILE *f;
	bool admin;

	if (o->allow_sys_admin)
		return 0;
	if (!bundle || !bundle[0] ||
	    snprintf(path, sizeof(path), "%s/config.json", bundle) >= (int)sizeof(path)) {
		cli_err("oci-hook: container %s: the state names no bundle: cannot check that its "
			"process lacks CAP_SYS_ADMIN (see --allow-cap-sys-admin)", id);
		return EXIT_ERROR;
	}
	f = fopen(path, "rbe");
	if (f) {
		text = read_all(f, CONFIG_MAX, &len);
		fclose(f);
	}
	cfg = text ? parse_json(text, len, &why) : NULL;
	free(text);
	if (!cfg) {
		cli_err("oci-hook: container %s: cannot read %s: %s", id, path,
			why ? why : strerror(errno));
		return EXIT_ERROR;
	}
	proc = member(cfg, "process", json_type_object);
	caps = proc ? member(proc, "capabilities", json_type_object) : NULL;
	admin = caps && caps_have_sys_admin(caps);
	json_object_put(cfg);
	if (admin) {
		cli_err("oci-hook: container %s: its process may hold CAP_SYS_ADMIN, with which it "
			"can lower vm.memfd_noexec again (to its parent's level): drop the "
			"capability, or pass --allow-cap-sys-admin", id);
		return EXIT_REFUSED;
	}
	return 0;
}

/* Set the level; a refusal gets an explanation. */
static int apply(pid_t pid, int level, const char *id, const struct hook_opts *o)
{
	int r = mw_container_noexec_set(pid, level, 0), now;

	switch (r) {
	case 0:
		if (o->verbose)
			fprintf(stderr, "memward: oci-hook: container %s (pid %d): vm.memfd_noexec=%d\n",
				id, (int)pid, level);
		return 0;
	case -EXDEV:
		cli_err("oci-hook: container %s (pid %d) has no pid namespace of its own: "
			"vm.memfd_noexec is per pid namespace, setting it would change the host's. "
			"Give the container a pid namespace (linux.namespaces: {\"type\": \"pid\"})",
			id, (int)pid);
		return EXIT_REFUSED;
	case -ERANGE:
		now = mw_container_noexec_get(pid);
		cli_err("oci-hook: container %s: vm.memfd_noexec=%d is below %d, the level its pid "
			"namespace is held at by its parent: the kernel does not lower it",
			id, level, now);
		return EXIT_REFUSED;
	case -EOPNOTSUPP:
		cli_err("oci-hook: container %s: this kernel has no vm.memfd_noexec (Linux 6.3+); "
			"a hook cannot install a seccomp filter in the container's processes: "
			"use the runtime's seccomp profile (see memward-oci-hook(8))", id);
		return EXIT_REFUSED;
	case -ESRCH:
		cli_err("oci-hook: container %s: process %d does not exist (state from a stale "
			"container, or the hook runs in another pid namespace)", id, (int)pid);
		return EXIT_ERROR;
	case -EPERM:
		cli_err("oci-hook: container %s: not allowed to enter pid %d's pid namespace or "
			"to set its sysctl (the hook needs CAP_SYS_ADMIN over it)", id, (int)pid);
		return EXIT_ERROR;
	default:
		cli_err("oci-hook: container %s: setting vm.memfd_noexec=%d failed: %s",
			id, level, strerror(-r));
		return EXIT_ERROR;
	}
}

static int run_oci_hook(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "default", required_argument, NULL, 'd' },
		{ "annotation", required_argument, NULL, 'a' },
		{ "allow-cap-sys-admin", no_argument, NULL, 'A' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct hook_opts o = { DEFAULT_ANNOTATION, -1, false, false };
	const char *id = "?", *bundle = NULL, *why = "";
	json_object *st;
	size_t len = 0;
	char *text;
	pid_t pid = 0;
	int c, level = -1, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o.default_level = parse_level(optarg);
			if (o.default_level < 0)
				return cli_usage_error(&cmd_oci_hook, "--default=%s: expected 0, 1 or 2", optarg);
			break;
		case 'a':
			if (!optarg[0])
				return cli_usage_error(&cmd_oci_hook, "--annotation: empty name");
			o.annotation = optarg;
			break;
		case 'A':
			o.allow_sys_admin = true;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'h':
			cli_print_help(&cmd_oci_hook, stdout);
			return 0;
		default:
			return cli_usage_error(&cmd_oci_hook, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(&cmd_oci_hook, "unexpected argument '%s' (the state is read "
				       "from stdin)", argv[optind]);
	text = read_all(stdin, STATE_MAX, &len);
	if (!text) {
		cli_err("oci-hook: cannot read the container state from stdin: %s", strerror(errno));
		return EXIT_ERROR;
	}
	st = parse_json(text, len, &why);
	free(text);
	if (!st) {
		cli_err("oci-hook: the container state on stdin is not JSON (%s)", why);
		return EXIT_ERROR;
	}
	rc = parse_state(st, &o, &pid, &level, &id, &bundle);
	if (rc == 0)
		rc = check_config(bundle, id, &o);
	if (rc == 0)
		rc = apply(pid, level, id, &o);
	json_object_put(st);
	return rc;
}

const struct cli_cmd cmd_oci_hook = {
	.name = "oci-hook",
	.summary = "OCI runtime hook: set vm.memfd_noexec in a container's pid namespace",
	.help =
		"Usage: memward oci-hook [--default=0|1|2] [--annotation=NAME] [-v]\n"
		"\n"
		"An OCI runtime hook for the createRuntime (or prestart) stage: reads the\n"
		"container state JSON on stdin and sets vm.memfd_noexec in the container's\n"
		"pid namespace to the value of its annotation io.memward.memfd-noexec\n"
		"(\"0\", \"1\" or \"2\"), or to --default when the container has none.\n"
		"Anything it cannot do makes it exit non-zero, so that the runtime refuses\n"
		"to start the container: a malformed state or annotation, no annotation and\n"
		"no --default, a container without its own pid namespace, a level below\n"
		"the parent namespace's, a kernel without the sysctl (before Linux 6.3), a\n"
		"container whose process may hold CAP_SYS_ADMIN (it could lower the level).\n"
		"\n"
		"  --default=N        level for containers without the annotation\n"
		"  --annotation=NAME  read the level from annotation NAME instead\n"
		"  --allow-cap-sys-admin  set the level even when the container's process may\n"
		"                     hold CAP_SYS_ADMIN (it can lower it again)\n"
		"  -v, --verbose      say what was set (on stderr)\n"
		"\n"
		"See memward-oci-hook(8) for the runc/crun config.json entry and the\n"
		"podman/CRI-O hooks.d file.\n"
		"\n"
		"Exit status: 0 set, 1 refused (the kernel cannot give this container the\n"
		"level), 2 error (state, annotation, process), 64 bad command line.\n",
	.run = run_oci_hook,
};
