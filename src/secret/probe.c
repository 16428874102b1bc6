/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memfd_secret as the heap uses it, for the feature probe (probe.h). */
#include "secret/probe.h"
#include "secret/internal.h"
#include "sys/shim.h"

#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

void mw__secret_probe(struct mw__secret_probe *r)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t page = pg > 0 ? (size_t)pg : 4096;
	int fd, err;
	char *p;

	memset(r, 0, sizeof(*r));
	fd = mw_sys_memfd_secret(O_CLOEXEC);
	if (fd < 0) {
		r->stage = MW__SECRET_PROBE_OPEN;
		r->err = errno;
		return;
	}
	if (ftruncate(fd, (off_t)page) < 0) {
		r->stage = MW__SECRET_PROBE_TRUNCATE;
		r->err = errno;
		close(fd);
		return;
	}
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	err = errno;
	close(fd); /* the mapping holds the file */
	if (p == MAP_FAILED) {
		r->stage = MW__SECRET_PROBE_MMAP;
		r->err = err;
		return;
	}
	err = mw__secret_touch(p, page, page, r->why, sizeof(r->why));
	munmap(p, page); /* the file and its page go with the mapping */
	if (err < 0) {
		r->stage = MW__SECRET_PROBE_FAULT;
		r->err = -err;
	}
}
