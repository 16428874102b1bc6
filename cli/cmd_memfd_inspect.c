/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memward memfd inspect PID[:FD]: a process's memfds, seals, exec, mappings. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <memward/memward.h>

static const char *access_name(int acc)
{
	switch (acc) {
	case O_RDONLY: return "r";
	case O_WRONLY: return "w";
	case O_RDWR: return "rw";
	default: return NULL;
	}
}

/* Union of a memfd's mapping permissions, "rw-s", or "-" when unmapped. */
static void map_perms(const struct mw_inspect_entry *e, char out[5])
{
	if (!e->mapped) {
		strcpy(out, "-");
		return;
	}
	out[0] = e->map_read ? 'r' : '-';
	out[1] = e->map_write ? 'w' : '-';
	out[2] = e->map_exec ? 'x' : '-';
	out[3] = e->map_shared ? 's' : 'p';
	out[4] = '\0';
}

static json_object *entry_json(const struct mw_inspect_entry *e)
{
	json_object *o = json_object_new_object(), *ex = json_object_new_object();
	json_object *seals = NULL, *maps = json_object_new_array();
	const char *acc = access_name(e->fd_access);
	char buf[32], perms[5];

	json_object_object_add(o, "fd", e->fd >= 0 ? json_object_new_int(e->fd) : NULL);
	json_object_object_add(o, "kind", json_object_new_string(mw_inspect_kind_name(e->kind)));
	json_object_object_add(o, "name", json_object_new_string(e->name));
	json_object_object_add(o, "inode", json_object_new_int64((int64_t)e->inode));
	json_object_object_add(o, "size", e->size >= 0 ? json_object_new_int64(e->size) : NULL);
	snprintf(buf, sizeof(buf), "%04o", e->mode);
	json_object_object_add(o, "mode", e->mode >= 0 ? json_object_new_string(buf) : NULL);
	json_object_object_add(o, "fd_access", acc ? json_object_new_string(acc) : NULL);
	if (e->seals >= 0) {
		char copy[sizeof(e->seals_text)], *save, *tok;

		seals = json_object_new_array();
		memcpy(copy, e->seals_text, sizeof(copy));
		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			if (strcmp(tok, "none"))
				json_object_array_add(seals, json_object_new_string(tok));
	}
	json_object_object_add(o, "seals", seals);
	json_object_object_add(o, "seals_raw", e->seals >= 0 ? json_object_new_int(e->seals) : NULL);
	json_object_object_add(o, "seals_error",
			       e->seals < 0 && mw_errno_name(e->seals_error)
				       ? json_object_new_string(mw_errno_name(e->seals_error)) : NULL);
	json_object_object_add(o, "write_sealed", json_object_new_boolean(e->write_sealed));
	json_object_object_add(ex, "possible", e->exec_possible >= 0 ? json_object_new_boolean(e->exec_possible) : NULL);
	json_object_object_add(ex, "bits", json_object_new_boolean(e->exec_bits));
	json_object_object_add(ex, "sealed", json_object_new_boolean(e->exec_sealed));
	json_object_object_add(ex, "seal_supported", json_object_new_boolean(e->exec_seal_supported));
	json_object_object_add(ex, "why", json_object_new_string(e->exec_text));
	json_object_object_add(o, "exec", ex);
	json_object_object_add(o, "mapped", json_object_new_boolean(e->mapped));
	map_perms(e, perms);
	json_object_object_add(o, "map_perms", e->mapped ? json_object_new_string(perms) : NULL);
	json_object_object_add(o, "map_read", json_object_new_boolean(e->map_read));
	json_object_object_add(o, "map_write", json_object_new_boolean(e->map_write));
	json_object_object_add(o, "map_exec", json_object_new_boolean(e->map_exec));
	for (unsigned int i = 0; i < e->nmappings && i < MW_INSPECT_MAX_MAPPINGS; i++) {
		json_object *m = json_object_new_object();

		snprintf(buf, sizeof(buf), "0x%" PRIx64, e->mappings[i].start);
		json_object_object_add(m, "start", json_object_new_string(buf));
		snprintf(buf, sizeof(buf), "0x%" PRIx64, e->mappings[i].end);
		json_object_object_add(m, "end", json_object_new_string(buf));
		json_object_object_add(m, "perms", json_object_new_string(e->mappings[i].perms));
		json_object_object_add(m, "offset", json_object_new_int64((int64_t)e->mappings[i].offset));
		json_object_array_add(maps, m);
	}
	json_object_object_add(o, "mappings", maps);
	json_object_object_add(o, "mapping_count", json_object_new_int((int)e->nmappings));
	return o;
}

static void print_json(const struct mw_inspect_report *r)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();

	json_object_object_add(root, "schema", json_object_new_int(1));
	json_object_object_add(root, "pid", json_object_new_int(r->pid));
	json_object_object_add(root, "exec_seal_supported",
			       json_object_new_boolean(mw_feature_state(MW_FEAT_SEAL_EXEC) == MW_FEATURE_SUPPORTED));
	json_object_object_add(root, "maps_error",
			       r->maps_error ? json_object_new_string(mw_errno_name(r->maps_error)) : NULL);
	for (size_t i = 0; i < r->count; i++)
		json_object_array_add(arr, entry_json(r->entries[i]));
	json_object_object_add(root, "memfds", arr);
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static void print_text(const struct mw_inspect_report *r)
{
	bool seal_exec = mw_feature_state(MW_FEAT_SEAL_EXEC) == MW_FEATURE_SUPPORTED;

	printf("memfds of pid %d: %zu%s\n", (int)r->pid, r->count,
	       seal_exec ? "" : " (this kernel has no F_SEAL_EXEC: exec seal unsupported)");
	if (r->maps_error)
		printf("(mappings unknown: /proc/%d/maps: %s)\n", (int)r->pid, strerror(r->maps_error));
	if (!r->count)
		return;
	printf("%-5s %-9s %10s %-5s %-3s %-28s %-5s %-44s %s\n", "FD", "KIND", "SIZE", "MODE", "ACC",
	       "SEALS", "MAP", "EXEC", "NAME");
	for (size_t i = 0; i < r->count; i++) {
		const struct mw_inspect_entry *e = r->entries[i];
		char fd[16], size[24], mode[8], perms[5];
		const char *acc = access_name(e->fd_access);

		snprintf(fd, sizeof(fd), e->fd >= 0 ? "%d" : "-", e->fd);
		snprintf(size, sizeof(size), e->size >= 0 ? "%" PRId64 : "?", e->size);
		snprintf(mode, sizeof(mode), e->mode >= 0 ? "%04o" : "?", e->mode);
		map_perms(e, perms);
		printf("%-5s %-9s %10s %-5s %-3s %-28s %-5s %-44s %s\n", fd, mw_inspect_kind_name(e->kind),
		       size, mode, acc ? acc : "-", e->seals_text, perms, e->exec_text,
		       e->kind == MW_INSPECT_SECRETMEM ? "(secretmem)" : e->name);
	}
}

/* "1234" or "1234:5". Returns 0 or -1. */
static int parse_target(const char *s, long *pid, long *fd)
{
	char *end;

	errno = 0;
	*pid = strtol(s, &end, 10);
	if (errno || end == s || *pid <= 0 || *pid > INT_MAX)
		return -1;
	*fd = -1;
	if (*end == ':') {
		const char *f = end + 1;

		*fd = strtol(f, &end, 10);
		if (errno || end == f || *fd < 0 || *fd > INT_MAX)
			return -1;
	}
	return *end ? -1 : 0;
}

static int run_inspect(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct mw_inspect_report rep = { .sz = sizeof(rep) };
	bool json = false;
	long pid, fd;
	int c, r;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", lopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h':
			cli_print_help(&cmd_memfd_inspect, stdout);
			return 0;
		default:
			return cli_usage_error(&cmd_memfd_inspect, "unknown option '%s' (expected --json or --help)",
					       argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(&cmd_memfd_inspect, optind >= argc ? "no PID given"
								  : "expected one PID[:FD], got more arguments");
	if (parse_target(argv[optind], &pid, &fd) < 0)
		return cli_usage_error(&cmd_memfd_inspect, "'%s' is not PID or PID:FD (positive numbers)",
				       argv[optind]);

	r = mw_inspect_pid((pid_t)pid, (int)fd, &rep);
	switch (r) {
	case 0:
		break;
	case -ESRCH:
		cli_err("memfd inspect: no such process: %ld", pid);
		return 1;
	case -EACCES:
	case -EPERM:
		cli_err("cannot read /proc/%ld/fd: permission denied (run as root or as the process's user)", pid);
		return 2;
	case -EBADF:
		cli_err("memfd inspect: process %ld has no fd %ld", pid, fd);
		return 1;
	case -EMEDIUMTYPE: {
		char path[64], link[256];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%ld/fd/%ld", pid, fd);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		cli_err("memfd inspect: fd %ld of process %ld is not a memfd (it is '%s')", fd, pid, link);
		return 1;
	}
	default:
		cli_err("memfd inspect: pid %ld: %s", pid, strerror(-r));
		return 2;
	}
	if (json)
		print_json(&rep);
	else
		print_text(&rep);
	mw_inspect_report_free(&rep);
	return 0;
}

const struct cli_cmd cmd_memfd_inspect = {
	.name = "memfd inspect",
	.summary = "list a process's memfds: seals, exec, mappings",
	.help =
	"Usage: memward memfd inspect PID[:FD] [--json]\n"
	"\n"
	"List the memfds and secretmem fds of process PID (or only its fd FD), read from\n"
	"/proc/PID/fd, fdinfo and maps: name, size, mode, the access of the fd, the\n"
	"seals decoded, whether the memfd can be executed (now, or after a chmod by its\n"
	"owner when F_SEAL_EXEC is not set), and whether and how it is mapped (union\n"
	"of r/w/x/s over its mappings, matched by inode). memfds that are mapped but\n"
	"no longer open are listed with FD '-'.\n"
	"\n"
	"EXEC column: 'yes: exec bits set, not exec-sealed' is the dangerous case when\n"
	"the contents can still be written (no write seal). On kernels before 6.3 the\n"
	"line says 'exec seal unsupported'.\n"
	"\n"
	"Options:\n"
	"  --json    print one JSON object (documented in memward-memfd-inspect(1))\n"
	"  --help    show this help\n"
	"\n"
	"Needs root or the process's own user. Exit status: 0 listed (also when none);\n"
	"1 no such process, no such fd, or the fd is not a memfd; 2 permission denied or\n"
	"other errors; 64 bad command line.\n",
	.run = run_inspect,
};
