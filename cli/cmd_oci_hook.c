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
#define EXIT_REFUSED 1
#define EXIT_ERROR 2

struct hook_opts {
	const char *annotation;
	int default_level; /* -1: the annotation is required */
	bool verbose;
};

/* "0", "1" or "2" exactly; -1 otherwise. */
static int parse_level(const char *s)
{
	if (s && s[0] >= '0' && s[0] <= '2' && s[1] == '\0')
		return s[0] - '0';
	return -1;
}

/* Read all of stdin (at most STATE_MAX bytes) into a NUL-terminated buffer. */
static char *read_state(size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		size_t got;

		if (n + 1 == cap) {
			char *bigger = cap >= STATE_MAX ? NULL : realloc(buf, cap * 2);

			if (!bigger) {
				free(buf);
				errno = cap >= STATE_MAX ? EFBIG : ENOMEM;
				return NULL;
			}
			buf = bigger;
			cap *= 2;
		}
		got = fread(buf + n, 1, cap - 1 - n, stdin);
		n += got;
		if (got == 0) {
			if (ferror(stdin)) {
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

static json_object *member(json_object *obj, const char *key, json_type type)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

/* Validate the state; *pid and *level (from the annotation or the default).
 * Returns 0 or an exit code after printing why. */
static int parse_state(const char *text, size_t len, const struct hook_opts *o,
		       pid_t *pid, int *level, const char **id)
{
	enum json_tokener_error jerr = json_tokener_success;
	json_tokener *tok = json_tokener_new();
	json_object *st = NULL, *v, *ann;
	int64_t p;
	int rc = EXIT_ERROR;

	if (tok) {
		st = json_tokener_parse_ex(tok, text, (int)len);
		jerr = json_tokener_get_error(tok);
		/* One JSON value, then nothing but white space. */
		if (st && jerr == json_tokener_success) {
			size_t end = json_tokener_get_parse_end(tok);

			while (end < len && strchr(" \t\r\n", text[end]) && text[end])
				end++;
			if (end != len)
				jerr = json_tokener_error_parse_unexpected;
		}
		json_tokener_free(tok);
	}
	if (!st || jerr != json_tokener_success) {
		cli_err("oci-hook: the container state on stdin is not JSON (%s)",
			len == 0 ? "empty input" :
			json_tokener_error_desc(jerr == json_tokener_success ?
						json_tokener_error_parse_eof : jerr));
		goto out;
	}
	if (!json_object_is_type(st, json_type_object) ||
	    !member(st, "ociVersion", json_type_string) ||
	    !(v = member(st, "id", json_type_string))) {
		cli_err("oci-hook: the container state on stdin is not an OCI state object "
			"(no \"ociVersion\" or \"id\" string)");
		goto out;
	}
	*id = json_object_get_string(v);
	v = member(st, "pid", json_type_int);
	p = v ? json_object_get_int64(v) : 0;
	if (p <= 0 || p > INT32_MAX) {
		cli_err("oci-hook: container %s: the state has no valid \"pid\" "
			"(run this hook at createRuntime or prestart)", *id);
		goto out;
	}
	*pid = (pid_t)p;
	v = member(st, "status", json_type_string);
	if (v && strcmp(json_object_get_string(v), "creating") &&
	    strcmp(json_object_get_string(v), "created")) {
		cli_err("oci-hook: container %s is '%s': the level must be set before the "
			"container starts (createRuntime or prestart hook)", *id, json_object_get_string(v));
		rc = EXIT_REFUSED;
		goto out;
	}
	ann = member(st, "annotations", json_type_object);
	if (ann && json_object_object_get_ex(ann, o->annotation, &v)) {
		const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;

		*level = parse_level(s);
		if (*level < 0) {
			cli_err("oci-hook: container %s: annotation %s=%s: expected \"0\", \"1\" or \"2\"",
				*id, o->annotation, json_object_to_json_string(v));
			goto out;
		}
	} else if (o->default_level >= 0) {
		*level = o->default_level;
	} else {
		cli_err("oci-hook: container %s has no annotation %s and no --default was given",
			*id, o->annotation);
		goto out;
	}
	rc = 0;
out:
	json_object_put(st);
	return rc;
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
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct hook_opts o = { DEFAULT_ANNOTATION, -1, false };
	const char *id = "?";
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
	text = read_state(&len);
	if (!text) {
		cli_err("oci-hook: cannot read the container state from stdin: %s", strerror(errno));
		return EXIT_ERROR;
	}
	rc = parse_state(text, len, &o, &pid, &level, &id);
	if (rc == 0)
		rc = apply(pid, level, id, &o);
	free(text);
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
		"the parent namespace's, a kernel without the sysctl (before Linux 6.3).\n"
		"\n"
		"  --default=N        level for containers without the annotation\n"
		"  --annotation=NAME  read the level from annotation NAME instead\n"
		"  -v, --verbose      say what was set (on stderr)\n"
		"\n"
		"See memward-oci-hook(8) for the runc/crun config.json entry and the\n"
		"podman/CRI-O hooks.d file.\n"
		"\n"
		"Exit status: 0 set, 1 refused (the kernel cannot give this container the\n"
		"level), 2 error (state, annotation, process), 64 bad command line.\n",
	.run = run_oci_hook,
};
