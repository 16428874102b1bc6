/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Prometheus metrics of the audit's watch mode: the text exposition format,
 * served by libmicrohttpd (its own thread; the metrics are locked) and/or
 * written for node_exporter's textfile collector atomically (a temporary
 * file in the same directory, fsync, rename).
 */
#include "cli.h"
#include "audit.h"
#include "audit_metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#if MW_HAVE_MHD
#include <dlfcn.h>
#include <microhttpd.h>

/*
 * libmicrohttpd is opened only for --listen: linked, it loads gnutls and
 * half a dozen libraries into every memward command (10+ ms of dynamic
 * linking, more than a scan of a small system).
 */
static struct {
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_destroy_response) *destroy_response;
} mhd;

static int mhd_open(void)
{
	void *h = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		cli_err("--listen: cannot load libmicrohttpd: %s", dlerror());
		return -1;
	}
#define SYM(n) (mhd.n = (__typeof__(mhd.n))dlsym(h, "MHD_" #n))
	if (!SYM(start_daemon) || !SYM(stop_daemon) || !SYM(create_response_from_buffer) ||
	    !SYM(add_response_header) || !SYM(queue_response) || !SYM(destroy_response)) {
		cli_err("--listen: libmicrohttpd lacks a function: %s", dlerror());
		return -1;
	}
#undef SYM
	return 0;
}
#endif
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void counter_line(FILE *f, const struct audit_counter *c)
{
	fputs("memward_audit_findings_total{", f);
	audit_prom_label(f, "kind", mw_audit_kind_key(c->kind), false);
	audit_prom_label(f, "severity", mw_audit_severity_name(c->sev), true);
	audit_prom_label(f, "container", c->container, true);
	audit_prom_label(f, "pod", c->pod, true);
	fprintf(f, "} %" PRIu64 "\n", c->n);
}

static void render_to(FILE *f, const struct audit_metrics *m)
{
	fputs("# HELP memward_audit_findings_total Findings reported since the watch started, by kind, "
	      "severity and container.\n# TYPE memward_audit_findings_total counter\n", f);
	for (size_t i = 0; i < m->nc; i++)
		counter_line(f, &m->c[i]);
	fputs("# HELP memward_audit_findings Findings of the last full scan by severity and kind.\n"
	      "# TYPE memward_audit_findings gauge\n", f);
	for (int s = MW_AUDIT_INFO; s <= MW_AUDIT_CRITICAL; s++)
		for (int k = 0; k < MW_AUDIT_KIND_COUNT_; k++)
			fprintf(f, "memward_audit_findings{severity=\"%s\",kind=\"%s\"} %zu\n",
				mw_audit_severity_name((enum mw_audit_severity)s),
				mw_audit_kind_key((enum mw_audit_kind)k), m->last[s][k]);
	fprintf(f, "# HELP memward_audit_exec_events_total Exec events received.\n"
		"# TYPE memward_audit_exec_events_total counter\n"
		"memward_audit_exec_events_total %" PRIu64 "\n"
		"# HELP memward_audit_exec_inspected_total New processes read fully (memfd or unlinked exe).\n"
		"# TYPE memward_audit_exec_inspected_total counter\n"
		"memward_audit_exec_inspected_total %" PRIu64 "\n"
		"# HELP memward_audit_exec_unread_total New processes gone before their exe could be read.\n"
		"# TYPE memward_audit_exec_unread_total counter\n"
		"memward_audit_exec_unread_total %" PRIu64 "\n"
		"# HELP memward_audit_exec_lost_total Event overruns (execs the kernel dropped).\n"
		"# TYPE memward_audit_exec_lost_total counter\n"
		"memward_audit_exec_lost_total %" PRIu64 "\n"
		"# HELP memward_audit_exec_args_unread_total New processes with over 64 KiB of arguments not read past "
		"them at their exec (over the watch's rate).\n"
		"# TYPE memward_audit_exec_args_unread_total counter\n"
		"memward_audit_exec_args_unread_total %" PRIu64 "\n",
		m->st.execs, m->st.inspected, m->st.unread, m->st.lost, m->st.args_unread);
	fprintf(f, "# HELP memward_audit_processes Processes of the last full scan by outcome.\n"
		"# TYPE memward_audit_processes gauge\n"
		"memward_audit_processes{state=\"scanned\"} %u\n"
		"memward_audit_processes{state=\"unreadable\"} %u\n"
		"# HELP memward_audit_scan_duration_seconds Wall-clock time of the last full scan.\n"
		"# TYPE memward_audit_scan_duration_seconds gauge\n"
		"memward_audit_scan_duration_seconds %.6f\n"
		"# HELP memward_audit_last_scan_timestamp_seconds When the last full scan ended.\n"
		"# TYPE memward_audit_last_scan_timestamp_seconds gauge\n"
		"memward_audit_last_scan_timestamp_seconds %.3f\n",
		m->procs_scanned, m->procs_unreadable, m->scan_duration, m->scan_time);
}

char *audit_metrics_render(struct audit_metrics *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	pthread_mutex_lock(&m->lock);
	render_to(f, m);
	pthread_mutex_unlock(&m->lock);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

#if MW_HAVE_MHD
static enum MHD_Result serve(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			     const char *version, const char *data, size_t *size, void **state)
{
	struct audit_metrics *m = cls;
	struct MHD_Response *resp;
	enum MHD_Result r;
	char *text;
	unsigned int code = MHD_HTTP_OK;

	(void)version;
	(void)data;
	(void)size;
	(void)state;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return MHD_NO;
	if (strcmp(url, "/metrics")) {
		static const char nf[] = "not found: try /metrics\n";

		resp = mhd.create_response_from_buffer(sizeof(nf) - 1, (void *)nf, MHD_RESPMEM_PERSISTENT);
		code = MHD_HTTP_NOT_FOUND;
	} else {
		text = audit_metrics_render(m);
		if (!text)
			return MHD_NO;
		resp = mhd.create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	}
	if (!resp)
		return MHD_NO;
	mhd.add_response_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	r = mhd.queue_response(conn, code, resp);
	mhd.destroy_response(resp);
	return r;
}

#endif

/* "ADDR:PORT" (IPv4, "[v6]:PORT", or ":PORT" for every address). */
static int parse_listen(const char *s, struct sockaddr_storage *ss, int *family)
{
	const char *colon = strrchr(s, ':');
	char host[128];
	long port;
	char *end;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (*end || port <= 0 || port > 65535)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		host[strlen(host) - 1] = '\0';
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*family = AF_INET6;
		return inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1 ? 0 : -1;
	}
	{
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*family = AF_INET;
		if (!host[0])
			return 0;
		return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
	}
}

int audit_metrics_start(struct audit_metrics *m, const char *textfile_dir, const char *listen)
{
	pthread_mutex_init(&m->lock, NULL);
	m->lock_ready = true;
	m->textfile_dir = textfile_dir;
	if (textfile_dir && access(textfile_dir, W_OK) < 0) {
		cli_err("--textfile %s: %s", textfile_dir, strerror(errno));
		return -1;
	}
	if (listen) {
		struct sockaddr_storage ss;
		int family;

		if (parse_listen(listen, &ss, &family) < 0) {
			cli_err("--listen '%s': expected ADDR:PORT (e.g. 127.0.0.1:9717)", listen);
			return -1;
		}
#if MW_HAVE_MHD
		if (mhd_open() < 0)
			return -1;
		m->httpd = mhd.start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
					    (family == AF_INET6 ? MHD_USE_IPv6 : 0),
					    0, NULL, NULL, serve, m, MHD_OPTION_SOCK_ADDR, &ss,
					    MHD_OPTION_CONNECTION_LIMIT, 16u,
					    MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
		if (!m->httpd) {
			cli_err("--listen %s: cannot start the HTTP server: %s", listen, strerror(errno));
			return -1;
		}
#else
		cli_err("--listen: this memward was built without libmicrohttpd; use --textfile");
		return -1;
#endif
	}
	m->dirty = true;
	return 0;
}

void audit_metrics_count(struct audit_metrics *m, const struct mw_audit_finding *f)
{
	struct audit_counter *c = NULL;

	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->nc && !c; i++)
		if (m->c[i].kind == f->kind && m->c[i].sev == f->severity &&
		    !strcmp(m->c[i].container, f->container) && !strcmp(m->c[i].pod, f->pod))
			c = &m->c[i];
	if (!c && m->nc == m->capc && m->capc < 100000) {
		size_t cap = m->capc ? m->capc * 2 : 32;
		void *nv = realloc(m->c, cap * sizeof(*m->c));

		if (nv) {
			m->c = nv;
			m->capc = cap;
		}
	}
	if (!c && m->nc < m->capc) {
		c = &m->c[m->nc];
		c->kind = f->kind;
		c->sev = f->severity;
		c->container = strdup(f->container);
		c->pod = strdup(f->pod);
		c->n = 0;
		if (c->container && c->pod)
			m->nc++;
		else {
			free(c->container);
			free(c->pod);
			c = NULL;
		}
	}
	if (c)
		c->n++;
	m->dirty = true;
	pthread_mutex_unlock(&m->lock);
}

void audit_metrics_scan(struct audit_metrics *m, const struct mw_audit_report *r)
{
	pthread_mutex_lock(&m->lock);
	memset(m->last, 0, sizeof(m->last));
	for (size_t i = 0; i < r->nfindings; i++)
		if ((unsigned int)r->findings[i]->severity <= MW_AUDIT_CRITICAL &&
		    (unsigned int)r->findings[i]->kind < MW_AUDIT_KIND_COUNT_)
			m->last[r->findings[i]->severity][r->findings[i]->kind]++;
	m->procs_scanned = r->procs_scanned;
	m->procs_unreadable = r->procs_unreadable;
	m->scan_duration = r->duration_s;
	m->scan_time = (double)time(NULL);
	m->dirty = true;
	pthread_mutex_unlock(&m->lock);
}

void audit_metrics_watch(struct audit_metrics *m, const struct mw_audit_watch_stats *st)
{
	pthread_mutex_lock(&m->lock);
	if (memcmp(&m->st, st, sizeof(*st)))
		m->dirty = true;
	m->st = *st;
	pthread_mutex_unlock(&m->lock);
}

/* DIR/memward_audit.prom, atomically: node_exporter never reads half a file. */
static void write_textfile(struct audit_metrics *m)
{
	char tmp[4096], dst[4096];
	char *text = audit_metrics_render(m);
	size_t len;
	int fd;

	if (!text)
		return;
	snprintf(dst, sizeof(dst), "%s/memward_audit.prom", m->textfile_dir);
	snprintf(tmp, sizeof(tmp), "%s/.memward_audit.prom.%d", m->textfile_dir, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
	len = strlen(text);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0 || close(fd) < 0 ||
	    rename(tmp, dst) < 0) {
		cli_err("--textfile %s: %s", dst, strerror(errno));
		if (fd >= 0)
			unlink(tmp);
	}
	free(text);
}

void audit_metrics_tick(struct audit_metrics *m)
{
	time_t now = time(NULL);

	if (!m->textfile_dir || !m->dirty || now == m->written)
		return;
	m->dirty = false;
	m->written = now;
	write_textfile(m);
}

void audit_metrics_stop(struct audit_metrics *m)
{
#if MW_HAVE_MHD
	if (m->httpd)
		mhd.stop_daemon(m->httpd);
#endif
	m->httpd = NULL;
	if (m->textfile_dir && m->dirty) {
		m->written = 0;
		audit_metrics_tick(m);
	}
	for (size_t i = 0; i < m->nc; i++) {
		free(m->c[i].container);
		free(m->c[i].pod);
	}
	free(m->c);
	if (m->lock_ready)
		pthread_mutex_destroy(&m->lock);
}
