/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgroup v2: find the mount, resolve a cgroup argument, read flat-keyed files. */
#include "core/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int mw__cgroup2_root(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* "ID PARENT M:N ROOT MOUNTPOINT OPTS ... - FSTYPE SOURCE SUPER" */
		char root[1024], mnt[1024];
		const char *dash = strstr(line, " - ");

		if (!dash || strncmp(dash + 3, "cgroup2 ", 8) != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %1023s %1023s", root, mnt) != 2 || strcmp(root, "/"))
			continue;
		/* mountinfo escapes space as \040; cgroup mounts with spaces are not supported. */
		if (strchr(mnt, '\\'))
			continue;
		if (strlen(mnt) >= len) {
			ret = -ENAMETOOLONG;
			break;
		}
		strcpy(out, mnt);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

int mw__cgroup_resolve(const char *arg, char *dir, size_t dir_len, char *rel, size_t rel_len)
{
	char root[1024];
	const char *below;
	struct stat st;
	size_t rl;
	int ret;

	if (!arg || !*arg || strstr(arg, "/../") || !strcmp(arg, "..") || !strncmp(arg, "../", 3))
		return -EINVAL;
	ret = mw__cgroup2_root(root, sizeof(root));
	if (ret < 0)
		return ret;
	rl = strlen(root);
	if (!strncmp(arg, root, rl) && (arg[rl] == '/' || arg[rl] == '\0'))
		below = arg + rl;
	else
		below = arg;
	while (*below == '/')
		below++;
	if ((size_t)snprintf(rel, rel_len, "/%s", below) >= rel_len ||
	    (size_t)snprintf(dir, dir_len, "%s/%s", root, below) >= dir_len)
		return -ENAMETOOLONG;
	/* "/a/" and "/a" are the same cgroup; the kernel compares exact strings. */
	for (size_t n = strlen(rel); n > 1 && rel[n - 1] == '/'; n--)
		rel[n - 1] = '\0';
	if (stat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return 0;
}

int mw__cgroup_stat(const char *dir, const char *file, const char *key, uint64_t *out)
{
	char path[4096], line[256];
	size_t kl = strlen(key);
	FILE *f;
	int ret = -ENOENT;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, kl) && line[kl] == ' ') {
			*out = strtoull(line + kl + 1, NULL, 10);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}
