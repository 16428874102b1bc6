/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward audit: fileless execution and risky memfds on the running system,
 * as a table, JSON, JSON lines or Prometheus textfile metrics.
 *
 * Names come from the kernel as raw bytes (a memfd name may hold a newline or
 * bytes that are not UTF-8). Every format prints the same escaped text: a
 * backslash is doubled and a byte that is not part of valid UTF-8 becomes
 * "\xNN"; then each format applies its own quoting (json-c escapes control
 * characters, Prometheus label escaping turns \ " and newline into \\ \" \n,
 * the table writes control characters as \n, \t or \xNN).
 */
#include "cli.h"
#include "audit.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <memward/memward.h>

enum fmt { FMT_TABLE, FMT_JSON, FMT_JSONL, FMT_PROM };

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
size_t audit_utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
			return 0; /* overlong, surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

/*
 * Escape raw bytes into valid UTF-8: backslash doubled, invalid bytes as
 * \xNN; with ctl, control characters too (\n, \t, \xNN) for the table.
 * Never returns NULL (exits on out-of-memory: the CLI cannot go on).
 */
static char *esc(const char *raw, bool ctl)
{
	const unsigned char *s = (const unsigned char *)(raw ? raw : "");
	size_t n = strlen((const char *)s);
	char *out = malloc(n * 4 + 1), *w = out;

	if (!out) {
		cli_err("out of memory");
		exit(2);
	}
	while (*s) {
		size_t l = audit_utf8_len(s);

		if (*s == '\\') {
			*w++ = '\\';
			*w++ = '\\';
			s++;
		} else if (l == 0) {
			w += sprintf(w, "\\x%02x", *s++);
		} else if (ctl && (*s < 0x20 || *s == 0x7f)) {
			if (*s == '\n')
				w += sprintf(w, "\\n");
			else if (*s == '\t')
				w += sprintf(w, "\\t");
			else
				w += sprintf(w, "\\x%02x", *s);
			s++;
		} else {
			memcpy(w, s, l);
			w += l;
			s += l;
		}
	}
	*w = '\0';
	return out;
}

static json_object *jstr(const char *raw)
{
	char *e = esc(raw, false);
	json_object *o = json_object_new_string(e);

	free(e);
	return o;
}

static json_object *seal_array(int seals)
{
	json_object *a;

	if (seals < 0)
		return NULL;
	a = json_object_new_array();
	for (unsigned int bit = 1; bit & MW_SEAL_ALL; bit <<= 1)
		if ((unsigned int)seals & bit)
			json_object_array_add(a, json_object_new_string(mw_memfd_seal_name(bit)));
	return a;
}

json_object *audit_finding_json(const struct mw_audit_finding *f)
{
	json_object *o = json_object_new_object();
	char buf[32];

	json_object_object_add(o, "kind", json_object_new_string(mw_audit_kind_key(f->kind)));
	json_object_object_add(o, "severity", json_object_new_string(mw_audit_severity_name(f->severity)));
	json_object_object_add(o, "reason", jstr(f->reason));
	json_object_object_add(o, "pid", json_object_new_int(f->pid));
	json_object_object_add(o, "uid", f->uid == (uid_t)-1 ? NULL : json_object_new_int64(f->uid));
	json_object_object_add(o, "comm", jstr(f->comm));
	json_object_object_add(o, "exe", jstr(f->exe));
	json_object_object_add(o, "cmdline", jstr(f->cmdline));
	json_object_object_add(o, "cgroup", jstr(f->cgroup));
	json_object_object_add(o, "container", f->container[0] ? jstr(f->container) : NULL);
	json_object_object_add(o, "pod", f->pod[0] ? jstr(f->pod) : NULL);
	json_object_object_add(o, "tid", f->tid > 0 ? json_object_new_int(f->tid) : NULL);
	json_object_object_add(o, "object", jstr(f->object));
	json_object_object_add(o, "fd", f->fd < 0 ? NULL : json_object_new_int(f->fd));
	snprintf(buf, sizeof(buf), "%u:%u", major(f->dev), minor(f->dev));
	json_object_object_add(o, "dev", f->ino ? json_object_new_string(buf) : NULL);
	json_object_object_add(o, "inode", f->ino ? json_object_new_int64((int64_t)f->ino) : NULL);
	snprintf(buf, sizeof(buf), "%04o", f->mode);
	json_object_object_add(o, "mode", f->mode ? json_object_new_string(buf) : NULL);
	json_object_object_add(o, "seals", seal_array(f->seals));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)f->size));
	json_object_object_add(o, "peer_pid", f->peer_pid ? json_object_new_int(f->peer_pid) : NULL);
	json_object_object_add(o, "pidns", f->pidns ? json_object_new_int64((int64_t)f->pidns) : NULL);
	if (f->kind == MW_AUDIT_NOEXEC_POLICY)
		json_object_object_add(o, "memfd_noexec",
				       f->memfd_noexec < 0 ? NULL : json_object_new_int(f->memfd_noexec));
	/* watch, BPF source: made from the kernel's record of the exec (the
	 * process was gone before it could be read) */
	if (f->exec_record)
		json_object_object_add(o, "exec_record", json_object_new_boolean(true));
	return o;
}

static void add_summary(json_object *o, const struct mw_audit_report *r)
{
	json_object *procs = json_object_new_object();
	json_object *counts = json_object_new_object();

	json_object_object_add(o, "memward_version", json_object_new_string(mw_version()));
	json_object_object_add(o, "partial", json_object_new_boolean(r->partial));
	json_object_object_add(o, "duration_seconds", json_object_new_double(r->duration_s));
	json_object_object_add(o, "via_bpf", json_object_new_boolean(r->via_bpf));
	json_object_object_add(procs, "seen", json_object_new_int64(r->procs_seen));
	json_object_object_add(procs, "scanned", json_object_new_int64(r->procs_scanned));
	json_object_object_add(procs, "unreadable", json_object_new_int64(r->procs_unreadable));
	json_object_object_add(procs, "vanished", json_object_new_int64(r->procs_vanished));
	json_object_object_add(procs, "kernel", json_object_new_int64(r->procs_kernel));
	json_object_object_add(procs, "unstable", json_object_new_int64(r->procs_unstable));
	json_object_object_add(o, "processes", procs);
	for (int s = MW_AUDIT_INFO; s <= MW_AUDIT_CRITICAL; s++) {
		size_t n = 0;

		for (size_t i = 0; i < r->nfindings; i++)
			n += r->findings[i]->severity == (enum mw_audit_severity)s;
		json_object_object_add(counts, mw_audit_severity_name((enum mw_audit_severity)s),
				       json_object_new_int64((int64_t)n));
	}
	json_object_object_add(o, "counts", counts);
}

/* The findings are streamed (audit_json.c); the summary is a json-c object. */
static void out_json(const struct mw_audit_report *r)
{
	json_object *root = json_object_new_object();

	json_object_object_add(root, "schema", json_object_new_int(1));
	add_summary(root, r);
	audit_out_json(stdout, r, root);
	json_object_put(root);
}

static void out_jsonl(const struct mw_audit_report *r)
{
	json_object *sum = json_object_new_object();

	json_object_object_add(sum, "type", json_object_new_string("summary"));
	json_object_object_add(sum, "schema", json_object_new_int(1));
	add_summary(sum, r);
	audit_out_jsonl(stdout, r, sum);
	json_object_put(sum);
}

static int parse_pids(const char *arg, pid_t **pids, size_t *n)
{
	char *copy = strdup(arg), *save, *tok;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		long v;
		pid_t *np;

		errno = 0;
		v = strtol(tok, &end, 10);
		if (errno || *end || end == tok || v <= 0 || v > INT_MAX) {
			free(copy);
			return -1;
		}
		np = realloc(*pids, (*n + 1) * sizeof(**pids));
		if (!np) {
			free(copy);
			return -1;
		}
		*pids = np;
		(*pids)[(*n)++] = (pid_t)v;
	}
	free(copy);
	return 0;
}

static int parse_user(const char *arg, uid_t *uid)
{
	char *end;
	unsigned long v;
	struct passwd *pw;
	FILE *f;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (!errno && *arg && !*end && v < (uid_t)-1) {
		*uid = (uid_t)v;
		return 0;
	}
	/* /etc/passwd itself rather than getpwnam(): no NSS modules, so the
	 * static build (QEMU guests) behaves the same. Directory users (LDAP,
	 * sssd) can be given by number. */
	f = fopen("/etc/passwd", "re");
	if (!f)
		return -1;
	while ((pw = fgetpwent(f))) {
		if (!strcmp(pw->pw_name, arg)) {
			*uid = pw->pw_uid;
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	return -1;
}

struct audit_cfg {
	struct mw_audit_opts o;
	enum mw_audit_severity fail_on;
	bool never_fail;
	enum fmt fmt;
	pid_t *pids;
	size_t npids;
	const char *policy;
	char **trusted;
	size_t ntrusted;
	bool watch;
	struct watch_cfg w;
};

static void cfg_free(struct audit_cfg *c)
{
	free(c->pids);
	for (size_t i = 0; i < c->ntrusted; i++)
		free(c->trusted[i]);
	free(c->trusted);
}

/* The allow-exec-memfd paths of a memward-policy(5) file: the binaries
 * trusted to run from a sealed memfd. 0, or 2 after a message. */
static int load_trusted(struct audit_cfg *c)
{
	struct mw_policy *pol = mw_policy_load(c->policy, 0);
	size_t n;

	if (!pol) {
		cli_err("cannot load the policy %s: %s", c->policy, strerror(errno));
		return 2;
	}
	if (mw_policy_error_count(pol)) {
		unsigned int line = 0;
		const char *msg = mw_policy_error(pol, 0, &line);

		cli_err("%s:%u: %s", c->policy, line, msg ? msg : "error");
		mw_policy_free(pol);
		return 2;
	}
	n = mw_policy_allow_count(pol);
	c->trusted = calloc(n ? n : 1, sizeof(*c->trusted));
	for (size_t i = 0; c->trusted && i < n; i++) {
		const char *path = mw_policy_allow(pol, i, NULL, NULL);

		if (path && (c->trusted[c->ntrusted] = strdup(path)))
			c->ntrusted++;
	}
	mw_policy_free(pol);
	if (!c->trusted) {
		cli_err("out of memory");
		return 2;
	}
	if (!c->ntrusted)
		cli_err("note: %s lists no allow-exec-memfd binary: no memfd executable is trusted",
			c->policy);
	return 0;
}

/* Parse the command line into c. 0, or an exit code. */
static int parse_args(int argc, char **argv, struct audit_cfg *c)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "jsonl", no_argument, NULL, 'l' },
		{ "prometheus", no_argument, NULL, 'P' },
		{ "fail-on", required_argument, NULL, 'f' },
		{ "no-ns-probe", no_argument, NULL, 'N' },
		{ "no-bpf", no_argument, NULL, 'B' },
		{ "bpf", no_argument, NULL, 'b' },
		{ "policy", required_argument, NULL, 'C' },
		{ "watch", no_argument, NULL, 'W' },
		{ "journal", required_argument, NULL, 'J' },
		{ "journal-size", required_argument, NULL, 'S' },
		{ "journal-keep", required_argument, NULL, 'K' },
		{ "interval", required_argument, NULL, 'I' },
		{ "textfile", required_argument, NULL, 'T' },
		{ "listen", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int nfmt = 0, ch;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+p:u:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (parse_pids(optarg, &c->pids, &c->npids) < 0)
				return cli_usage_error(&cmd_audit, "bad --pid '%s' (expected PID[,PID...])", optarg);
			break;
		case 'u':
			if (parse_user(optarg, &c->o.uid) < 0)
				return cli_usage_error(&cmd_audit, "unknown user '%s'", optarg);
			c->o.flags |= MW_AUDIT_F_UID;
			break;
		case 'j': c->fmt = FMT_JSON; nfmt++; break;
		case 'l': c->fmt = FMT_JSONL; nfmt++; break;
		case 'P': c->fmt = FMT_PROM; nfmt++; break;
		case 'N': c->o.flags |= MW_AUDIT_F_NO_NS_PROBE; break;
		case 'B': c->o.flags |= MW_AUDIT_F_NO_BPF; break;
		case 'b': c->o.flags |= MW_AUDIT_F_BPF; break;
		case 'C': c->policy = optarg; break;
		case 'W': c->watch = true; break;
		case 'J': c->w.journal = optarg; break;
		case 'T': c->w.textfile_dir = optarg; break;
		case 'L': c->w.listen = optarg; break;
		case 'S': case 'K': case 'I': {
			char *end;
			unsigned long long v;

			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || end == optarg || (*end && strcmp(end, "M") && strcmp(end, "K")) ||
			    (ch != 'S' && *end) || v > (1ull << 40))
				return cli_usage_error(&cmd_audit, "bad number '%s' for %s", optarg,
						       argv[optind - 1]);
			if (ch == 'S')
				c->w.journal_max = v << (*end == 'M' ? 20 : *end == 'K' ? 10 : 0);
			else if (ch == 'K')
				c->w.journal_keep = (unsigned int)(v > 1000 ? 1000 : v);
			else
				c->w.interval = (unsigned int)(v > 86400 * 7 ? 86400 * 7 : v);
			break;
		}
		case 'f':
			if (!strcmp(optarg, "none"))
				c->never_fail = true;
			else if (mw_audit_severity_parse(optarg, &c->fail_on) < 0)
				return cli_usage_error(&cmd_audit, "bad --fail-on '%s' (expected info, low, "
						       "medium, high, critical or none)", optarg);
			break;
		case 'h':
			cli_print_help(&cmd_audit, stdout);
			return -1;
		default:
			if (optopt && optopt != '?')
				return cli_usage_error(&cmd_audit, "option '%s' is unknown or lacks its value",
						       argv[optind - 1]);
			return cli_usage_error(&cmd_audit, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error(&cmd_audit, "unexpected argument '%s'", argv[optind]);
	if (nfmt > 1)
		return cli_usage_error(&cmd_audit, "choose one of --json, --jsonl, --prometheus");
	if (!c->watch && (c->w.journal || c->w.textfile_dir || c->w.listen))
		return cli_usage_error(&cmd_audit, "--journal, --textfile and --listen go with --watch");
	if (c->watch && (nfmt || c->npids))
		return cli_usage_error(&cmd_audit, "--watch writes JSON lines of every process: "
				       "no --pid, --json, --jsonl or --prometheus with it");
	return c->policy ? load_trusted(c) : 0;
}

/* Write the report; 0, or 2 when the output could not be written (a full
 * disk, a closed pipe: stdio keeps the error in the stream, and fflush()
 * alone returns 0 when the failed write emptied the buffer). */
static int output(const struct audit_cfg *c, const struct mw_audit_report *r)
{
	/* Nothing was written to stdout yet: a buffer of 256 KiB, not
	 * BUFSIZ (a scan of 20,000 findings writes 5 to 14 MB: 1,100 to
	 * 3,300 write(2)s with 4 KiB). */
	static char buf[256 << 10];

	setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	switch (c->fmt) {
	case FMT_JSON: out_json(r); break;
	case FMT_JSONL: out_jsonl(r); break;
	case FMT_PROM: audit_out_prom(stdout, r); break;
	default: audit_out_table(stdout, r); break;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_err("writing the output: %s", strerror(errno ? errno : EIO));
		return 2;
	}
	return 0;
}

static int run_audit(int argc, char **argv)
{
	struct audit_cfg c = { .o = { .sz = sizeof(c.o) }, .fail_on = MW_AUDIT_HIGH,
			       .w = { .journal_max = 16 << 20, .journal_keep = 4, .interval = 300 } };
	struct mw_audit_report *r = NULL;
	int rc, err;

	rc = parse_args(argc, argv, &c);
	if (rc) {
		cfg_free(&c);
		return rc < 0 ? 0 : rc;
	}
	c.o.pids = c.pids;
	c.o.npids = c.npids;
	c.o.trusted = (const char *const *)c.trusted;
	c.o.ntrusted = c.ntrusted;
	if (c.watch) {
		c.w.o = c.o;
		rc = audit_watch_run(&c.w);
		cfg_free(&c);
		return rc;
	}
	/* the table and the metrics do not show the command lines */
	if (c.fmt == FMT_TABLE || c.fmt == FMT_PROM)
		c.o.flags |= MW_AUDIT_F_NO_CMDLINE;
	err = mw_audit_scan(&c.o, &r);
	if (err < 0) {
		cli_err("audit failed: %s", strerror(-err));
		cfg_free(&c);
		return 2;
	}
	rc = output(&c, r);
	if (r->partial && c.fmt != FMT_TABLE) {
		if (r->procs_unreadable)
			cli_err("partial audit: %u process(es) could not be read (permission denied)",
				r->procs_unreadable);
		if (r->procs_unstable)
			cli_err("partial audit: %u process(es) changed during every read: their fds and maps "
				"were not audited (unstable_process)", r->procs_unstable);
	}
	/* every pid asked for must exist (memward-audit(1): exit 2) */
	for (size_t i = 0; i < r->nmissing; i++) {
		cli_err("no such process: %d", (int)r->missing[i]);
		rc = 2;
	}
	if (!rc)
		rc = !c.never_fail && mw_audit_report_count(r, c.fail_on) > 0 ? 1 : 0;
	mw_audit_report_free(r);
	cfg_free(&c);
	return rc;
}

const struct cli_cmd cmd_audit = {
	.name = "audit",
	.summary = "find fileless execution and risky memfds on this system",
	.help =
	"Usage: memward audit [--pid PID[,PID...]] [--user USER] [--policy FILE]\n"
	"                     [--watch [--interval SEC] [--journal FILE] [--textfile DIR]\n"
	"                      [--listen ADDR:PORT]]\n"
	"                     [--json | --jsonl | --prometheus] [--fail-on SEVERITY]\n"
	"\n"
	"Scan every process (or the ones selected) and report: executables that are a\n"
	"memfd or an unlinked file, and scripts run from a memfd (an interpreter given\n"
	"/dev/fd/N of a memfd it holds, as fexecve() of a #! memfd does, or named so\n"
	"in its environment, or with the memfd on its stdin): fileless execution;\n"
	"executable memfds that are not exec-sealed, memfds mapped\n"
	"executable, memfds mapped by one process and writable by another without a\n"
	"write seal, memfd_secret users and how much they hold, and the effective\n"
	"vm.memfd_noexec of every pid namespace seen. A sealed memfd\n"
	"executable is low only when its contents (SHA-256) are those of a trusted\n"
	"binary: the allow-exec-memfd entries of --policy, or by default runc, crun\n"
	"and youki found on this system; any other memfd executable is high or\n"
	"critical, sealed or not.\n"
	"\n"
	"Options:\n"
	"  --pid PID[,PID]    scan only these processes (repeatable)\n"
	"  --user USER        scan only processes whose real or effective uid is USER\n"
	"                     (a number, or a name from /etc/passwd)\n"
	"  --json             one JSON document\n"
	"  --jsonl            one JSON object per line: findings, then a summary\n"
	"  --prometheus       node_exporter textfile-collector metrics\n"
	"  --fail-on SEV      exit 1 when a finding is at least SEV: info, low, medium,\n"
	"                     high (default), critical; 'none' never fails\n"
	"  --no-ns-probe      do not fork into other pid namespaces to read their sysctl\n"
	"  --no-bpf           read every process through /proc; load no BPF iterators;\n"
	"                     with --watch, exec events from the proc connector only\n"
	"  --bpf              use the BPF iterators (where they work) even on a small\n"
	"                     system (by default: from 300 processes on)\n"
	"  --policy FILE      trust the allow-exec-memfd binaries of this\n"
	"                     memward-policy(5) file (instead of runc/crun/youki)\n"
	"  --watch            report exec of fileless processes as it happens: a full\n"
	"                     scan, then one JSON line per finding on stdout; exec\n"
	"                     events from a BPF program on sched_process_exec where\n"
	"                     one loads (tp_btf, else raw_tp: \"source\":\"bpf_tp_btf\"\n"
	"                     or \"bpf_raw_tp\"; a process gone before it is read is\n"
	"                     reported from the kernel's record, \"exec_record\":true),\n"
	"                     else the proc connector (\"proc_connector\": a pid\n"
	"                     only); needs root\n"
	"  --interval SEC     with --watch: a full scan every SEC seconds (300; 0 none)\n"
	"  --journal FILE     with --watch: append the JSON lines to FILE too, rotated\n"
	"                     past --journal-size BYTES[K|M] (16M), keeping\n"
	"                     --journal-keep N old files FILE.1..FILE.N (4)\n"
	"  --textfile DIR     with --watch: write DIR/memward_audit.prom atomically for\n"
	"                     node_exporter's textfile collector\n"
	"  --listen ADDR:PORT with --watch: serve Prometheus metrics at /metrics\n"
	"  --help             show this help\n"
	"\n"
	"Without root, other users' processes cannot be read: the result is marked\n"
	"partial and says how many processes were skipped. So is a process that\n"
	"changed during every read (an unstable_process finding: fds and maps unread).\n"
	"Names are escaped in every format: a backslash is doubled, a byte that is not\n"
	"UTF-8 is written \\xNN. See memward-audit(1).\n"
	"Exit status: 0 clean, 1 findings at or above --fail-on, 2 error, 64 bad usage.\n",
	.run = run_audit,
};
