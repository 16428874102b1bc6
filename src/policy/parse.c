/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy file: a line format, one directive per line (memward-policy(5)).
 *
 *   # comment
 *   mode enforce|audit
 *   allow-exec-memfd /usr/bin/runc      (repeatable; resolved to dev+ino now)
 *   exec-request refuse|downgrade
 *   require-seals seal,shrink,grow,write,exec
 *
 * The parser is small, pure (apart from stat() of the listed paths) and
 * fuzzed (tests/fuzz/policy_fuzz.c). Every error carries its line number.
 */
#include "core/internal.h"
#include "core/seals.h"
#include "sys/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <memward/policy.h>

#define MAX_ERRORS 64
#define MAX_ALLOW 1024
#define MAX_LINE 4096
#define MAX_FILE (1 << 20)

struct allow {
	char *path;
	uint64_t dev, ino;
};

struct perr {
	unsigned int line;
	char msg[200];
};

struct mw_policy {
	enum mw_policy_mode mode;
	enum mw_policy_exec_request req;
	unsigned int seals;
	struct allow *allow;
	size_t nallow, capallow;
	struct perr errors[MAX_ERRORS];
	size_t nerr;
	unsigned int seen; /* directives met once already (bit per kind) */
};

#define DEFAULT_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_EXEC)

__attribute__((format(printf, 3, 4)))
static void perror_at(struct mw_policy *p, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	if (p->nerr >= MAX_ERRORS)
		return;
	p->errors[p->nerr].line = line;
	va_start(ap, fmt);
	vsnprintf(p->errors[p->nerr].msg, sizeof(p->errors[p->nerr].msg), fmt, ap);
	va_end(ap);
	p->nerr++;
}

static int parse_seals(struct mw_policy *p, unsigned int line, char *list, unsigned int *out)
{
	char *save = NULL, *tok;
	unsigned int seals = 0;
	int bad = 0;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned int bit = mw__seal_bit(tok);

		if (!bit) {
			perror_at(p, line, "unknown seal '%.40s' (expected seal, shrink, grow, write, "
				  "future_write, exec)", tok);
			bad = 1;
			continue;
		}
		seals |= bit;
	}
	if (bad)
		return -1;
	if (!(seals & F_SEAL_WRITE)) {
		perror_at(p, line, "require-seals must include 'write' (an unsealed memfd can be rewritten after the check)");
		return -1;
	}
	*out = seals;
	return 0;
}

static int add_allow(struct mw_policy *p, unsigned int line, const char *path, unsigned int flags)
{
	struct stat st = { 0 };
	struct allow *a;

	if (path[0] != '/') {
		perror_at(p, line, "allow-exec-memfd needs an absolute path, got '%.60s'", path);
		return 0;
	}
	if (!(flags & MW_POLICY_NO_RESOLVE)) {
		if (stat(path, &st) < 0) {
			perror_at(p, line, "cannot resolve '%.80s': %s", path, strerror(errno));
			return 0;
		}
		if (!S_ISREG(st.st_mode)) {
			perror_at(p, line, "'%.80s' is not a regular file", path);
			return 0;
		}
	}
	if (p->nallow >= MAX_ALLOW) {
		perror_at(p, line, "too many allow-exec-memfd lines (at most %d)", MAX_ALLOW);
		return 0;
	}
	if (p->nallow == p->capallow) {
		size_t cap = p->capallow ? p->capallow * 2 : 8;
		struct allow *n = realloc(p->allow, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		p->allow = n;
		p->capallow = cap;
	}
	a = &p->allow[p->nallow];
	a->path = strdup(path);
	if (!a->path)
		return -ENOMEM;
	a->dev = st.st_dev;
	a->ino = st.st_ino;
	p->nallow++;
	return 0;
}

enum { SEEN_MODE = 1, SEEN_REQ = 2, SEEN_SEALS = 4 };

static bool once(struct mw_policy *p, unsigned int line, unsigned int bit, const char *name)
{
	if (p->seen & bit) {
		perror_at(p, line, "'%s' given twice", name);
		return false;
	}
	p->seen |= bit;
	return true;
}

/* One line, NUL-terminated, comment and newline removed. 0 or -ENOMEM. */
static int parse_line(struct mw_policy *p, unsigned int line, char *s, unsigned int flags)
{
	char *words[3] = { NULL, NULL, NULL }, *save = NULL, *w;
	int n = 0;

	for (w = strtok_r(s, " \t\r\v\f", &save); w; w = strtok_r(NULL, " \t\r\v\f", &save)) {
		if (n == 3) {
			n++;
			break;
		}
		words[n++] = w;
	}
	if (n == 0)
		return 0;
	if (n == 1) {
		if (!strcmp(words[0], "mode") || !strcmp(words[0], "allow-exec-memfd") ||
		    !strcmp(words[0], "exec-request") || !strcmp(words[0], "require-seals"))
			perror_at(p, line, "'%s' needs a value", words[0]);
		else
			perror_at(p, line, "unknown directive '%.40s' (expected mode, allow-exec-memfd, exec-request, require-seals)",
				  words[0]);
		return 0;
	}
	if (n > 2) {
		if (!strcmp(words[0], "mode") || !strcmp(words[0], "allow-exec-memfd") ||
		    !strcmp(words[0], "exec-request") || !strcmp(words[0], "require-seals"))
			perror_at(p, line, "'%s' takes one value, got more (paths with spaces are not supported)",
				  words[0]);
		else
			perror_at(p, line, "unknown directive '%.40s' (expected mode, allow-exec-memfd, exec-request, require-seals)",
				  words[0]);
		return 0;
	}
	if (!strcmp(words[0], "mode")) {
		if (!once(p, line, SEEN_MODE, "mode"))
			return 0;
		if (!strcmp(words[1], "enforce"))
			p->mode = MW_POLICY_ENFORCE;
		else if (!strcmp(words[1], "audit"))
			p->mode = MW_POLICY_AUDIT;
		else
			perror_at(p, line, "mode must be 'enforce' or 'audit', got '%.40s'", words[1]);
	} else if (!strcmp(words[0], "exec-request")) {
		if (!once(p, line, SEEN_REQ, "exec-request"))
			return 0;
		if (!strcmp(words[1], "refuse"))
			p->req = MW_POLICY_REQ_REFUSE;
		else if (!strcmp(words[1], "downgrade"))
			p->req = MW_POLICY_REQ_DOWNGRADE;
		else
			perror_at(p, line, "exec-request must be 'refuse' or 'downgrade', got '%.40s'", words[1]);
	} else if (!strcmp(words[0], "require-seals")) {
		unsigned int seals;

		if (!once(p, line, SEEN_SEALS, "require-seals"))
			return 0;
		if (parse_seals(p, line, words[1], &seals) == 0)
			p->seals = seals;
	} else if (!strcmp(words[0], "allow-exec-memfd")) {
		return add_allow(p, line, words[1], flags);
	} else {
		perror_at(p, line, "unknown directive '%.40s' (expected mode, allow-exec-memfd, exec-request, require-seals)",
			  words[0]);
	}
	return 0;
}

MW_API void mw_policy_free(struct mw_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nallow; i++)
		free(p->allow[i].path);
	free(p->allow);
	free(p);
}

MW_API struct mw_policy *mw_policy_parse(const char *text, size_t len, unsigned int flags)
{
	struct mw_policy *p;
	char line[MAX_LINE + 1];
	unsigned int lineno = 0;
	size_t pos = 0;

	if (!text || (flags & ~MW_POLICY_FLAGS_ALL)) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->seals = DEFAULT_SEALS;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len, l = end - pos;
		char *hash;

		lineno++;
		if (l > MAX_LINE) {
			perror_at(p, lineno, "line too long (more than %d bytes)", MAX_LINE);
		} else if (memchr(text + pos, '\0', l)) {
			perror_at(p, lineno, "NUL byte in line");
		} else {
			memcpy(line, text + pos, l);
			line[l] = '\0';
			hash = strchr(line, '#');
			if (hash)
				*hash = '\0';
			if (parse_line(p, lineno, line, flags) < 0) {
				mw_policy_free(p);
				errno = ENOMEM;
				return NULL;
			}
		}
		pos = end + 1;
	}
	return p;
}

MW_API struct mw_policy *mw_policy_load(const char *path, unsigned int flags)
{
	MW_AUTOCLOSE int fd = -1;
	struct mw_policy *p;
	char *buf;
	size_t len = 0;
	struct stat st;

	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0)
		return NULL;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return NULL;
	}
	buf = mw__read_fd_alloc(fd, MAX_FILE, &len);
	if (!buf)
		return NULL;
	p = mw_policy_parse(buf, len, flags);
	free(buf);
	return p;
}

MW_API size_t mw_policy_error_count(const struct mw_policy *p)
{
	return p ? p->nerr : 0;
}

MW_API const char *mw_policy_error(const struct mw_policy *p, size_t i, unsigned int *line)
{
	if (!p || i >= p->nerr)
		return NULL;
	if (line)
		*line = p->errors[i].line;
	return p->errors[i].msg;
}

MW_API enum mw_policy_mode mw_policy_mode(const struct mw_policy *p)
{
	return p ? p->mode : MW_POLICY_ENFORCE;
}

MW_API enum mw_policy_exec_request mw_policy_exec_request(const struct mw_policy *p)
{
	return p ? p->req : MW_POLICY_REQ_REFUSE;
}

MW_API unsigned int mw_policy_required_seals(const struct mw_policy *p)
{
	return p ? p->seals : DEFAULT_SEALS;
}

MW_API size_t mw_policy_allow_count(const struct mw_policy *p)
{
	return p ? p->nallow : 0;
}

MW_API const char *mw_policy_allow(const struct mw_policy *p, size_t i, uint64_t *dev, uint64_t *ino)
{
	if (!p || i >= p->nallow)
		return NULL;
	if (dev)
		*dev = p->allow[i].dev;
	if (ino)
		*ino = p->allow[i].ino;
	return p->allow[i].path;
}

MW_API int mw_policy_allows(const struct mw_policy *p, uint64_t dev, uint64_t ino)
{
	if (!p)
		return 0;
	for (size_t i = 0; i < p->nallow; i++)
		if (p->allow[i].ino && p->allow[i].dev == dev && p->allow[i].ino == ino)
			return 1;
	return 0;
}
