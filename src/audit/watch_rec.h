/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The watch's reading of an exec (watch_rec.c), for watch.c. */
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

#endif
