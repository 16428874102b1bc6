/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Container attribution from /proc/PID/cgroup (v1 and v2 lines alike). The
 * engines name a container's cgroup after its 64-hex-digit id:
 *
 *   docker (cgroupfs driver)     /docker/<id>
 *   docker (systemd driver)      /system.slice/docker-<id>.scope
 *   containerd CRI (systemd)     .../cri-containerd-<id>.scope
 *   containerd CRI (cgroupfs)    /kubepods/<qos>/pod<uid>/<id>
 *   CRI-O                        .../crio-<id>.scope (crio-conmon-<id>: its monitor)
 *   podman                       .../libpod-<id>.scope, /libpod_parent/libpod-<id>
 *
 * and Kubernetes names a pod's cgroup after its UID: "pod<uid>" (cgroupfs)
 * or "kubepods-<qos>-pod<uid with _ for ->.slice" (systemd).
 */
#include "audit/collect.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static size_t hex_run(const char *p)
{
	size_t n = 0;

	while (isxdigit((unsigned char)p[n]) && !isupper((unsigned char)p[n]))
		n++;
	return n;
}

/* A 64-hex id that starts at p, preceded by '/', '-' (after a known
 * prefix) and followed by the end of the component or ".scope". */
static bool id_at(const char *line, const char *p)
{
	char after;

	if (p == line || (p[-1] != '/' && p[-1] != '-'))
		return false;
	if (hex_run(p) != 64)
		return false;
	after = p[64];
	return after == '\0' || after == '\n' || after == '/' || !strncmp(p + 64, ".scope", 6);
}

static void find_pod(const char *line, char *pod, size_t size)
{
	for (const char *p = strstr(line, "pod"); p && !*pod; p = strstr(p + 3, "pod")) {
		const char *u = p + 3;
		char out[37];
		size_t i;

		for (i = 0; i < 36; i++) {
			char c = u[i];

			if ((i == 8 || i == 13 || i == 18 || i == 23) ? (c == '-' || c == '_')
								      : isxdigit((unsigned char)c))
				out[i] = c == '_' ? '-' : c;
			else
				break;
		}
		if (i == 36 && (u[36] == '/' || u[36] == '.' || u[36] == '\n' || u[36] == '\0')) {
			out[36] = '\0';
			snprintf(pod, size, "%s", out);
		}
	}
}

void mw__audit_container(const char *text, char *id, size_t idsize, char *pod, size_t podsize)
{
	if (idsize)
		id[0] = '\0';
	if (podsize)
		pod[0] = '\0';
	for (const char *line = text; line && *line;) {
		const char *eol = strchrnul(line, '\n');

		for (const char *p = line; p < eol && !*id; p++) {
			if (!id_at(line, p))
				continue;
			/* the conmon monitor of CRI-O is not the container */
			if (p - line >= 12 && !strncmp(p - 12, "crio-conmon-", 12))
				continue;
			snprintf(id, idsize, "%.64s", p);
		}
		if (podsize && !*pod) {
			char tmp[512];

			snprintf(tmp, sizeof(tmp), "%.*s", (int)(eol - line), line);
			find_pod(tmp, pod, podsize);
		}
		line = *eol ? eol + 1 : NULL;
	}
}

/*
 * The cgroup to show from /proc/PID/cgroup text: the v2 path ("0::/...")
 * when it says more than "/"; on a hybrid or v1 host (where the unified
 * line is "/" for everyone) the first v1 path that is not "/", preferring
 * the pids, memory and name=systemd hierarchies. Written into out.
 */
void mw__audit_pick_cgroup(const char *text, char *out, size_t size)
{
	static const char *const pref[] = { ":pids:", ":memory:", ":name=systemd:" };
	const char *best = NULL, *v2 = NULL, *anyv1 = NULL;
	int bestrank = 99;

	for (const char *l = text; *l; ) {
		const char *eol = strchrnul(l, '\n');
		const char *p = memchr(l, ':', (size_t)(eol - l));
		const char *path = p ? memchr(p + 1, ':', (size_t)(eol - p - 1)) : NULL;

		if (path) {
			path++;
			if (!strncmp(l, "0::", 3))
				v2 = path;
			else if (!(eol - path == 1 && *path == '/')) {
				if (!anyv1)
					anyv1 = path;
				for (int i = 0; i < 3; i++)
					if (i < bestrank && memmem(l, (size_t)(path - l), pref[i] + 1,
								   strlen(pref[i]) - 1)) {
						best = path;
						bestrank = i;
					}
			}
		}
		l = *eol ? eol + 1 : eol;
	}
	if (v2 && !(v2[0] == '/' && (v2[1] == '\n' || v2[1] == '\0')))
		best = v2;
	else if (!best)
		best = anyv1 ? anyv1 : v2;
	if (!best) {
		snprintf(out, size, "%s", "");
		return;
	}
	snprintf(out, size, "%.*s", (int)(strchrnul(best, '\n') - best), best);
}

