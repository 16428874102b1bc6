/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The watch's reading of an exec (watch_rec.c) and its proc connector
 * (watch_cn.c), for watch.c. */
#ifndef MW_AUDIT_WATCH_REC_H
#define MW_AUDIT_WATCH_REC_H

#include "audit/scan.h"
#include "audit/bpf_rec.h"

MW_HIDDEN bool mw__watch_args_name_fd(int procfd, const char *buf, size_t len, pid_t pid, bool relative,
				      bool interp);
MW_HIDDEN bool mw__watch_rec_script(int procfd, const struct mw_exec_rec *r);
MW_HIDDEN bool mw__watch_rec_args_cut(const struct mw_exec_rec *r);
MW_HIDDEN bool mw__watch_rec_stdin(const struct mw_exec_rec *r);
MW_HIDDEN bool mw__watch_rec_fileless(const struct mw_exec_rec *r);
MW_HIDDEN struct mw__audit_ident *mw__watch_rec_ident(struct mw__audit_report *rep, const struct mw_exec_rec *r);
MW_HIDDEN int mw__watch_judge_stdin_record(struct mw__audit_report *rep, const struct mw_exec_rec *r);
MW_HIDDEN bool mw__watch_covered(const struct mw_audit_report *rep, const struct mw_exec_rec *r);
MW_HIDDEN bool mw__watch_covered_stdin(const struct mw_audit_report *rep, const struct mw_exec_rec *r);

/* A proc connector socket (non-blocking, close-on-exec) that receives
 * exec events only: the fd, or -errno (EPERM without CAP_NET_ADMIN). */
MW_HIDDEN int mw__watch_cn_open(void);
/* Tell the connector this socket wants no more events (before its close). */
MW_HIDDEN void mw__watch_cn_stop(int sock);
/* One connector datagram (len bytes): the exec event's process (thread
 * group) id, its kernel time in *ts and one more in *execs; 0 for any
 * other datagram. */
MW_HIDDEN pid_t mw__watch_cn_exec_pid(const char *buf, size_t len, uint64_t *execs, uint64_t *ts);

#endif
