/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The exec verdict of mw_inspect_pid() says what is possible now (issue 11,
 * item 11), checked against what the kernel actually does, in this process:
 *
 *  - a write-sealed, exec-sealed memfd without exec bits mapped r-x: "yes"
 *    (mapped code runs whatever the mode and seals);
 *  - secretmem: fchmod works on it, so its verdict must not claim the mode
 *    cannot change; exec is impossible (noexec mount: tried here);
 *  - a hugetlb memfd with F_SEAL_EXEC and no exec bit: chmod +x works
 *    (tried here), so not "no";
 *  - an exec-sealed memfd given exec bits by a POSIX ACL (where the kernel
 *    lets one through, tried here): "yes", never "frozen".
 */
#include "live.h"
#include "sys/shim.h"

#include <sys/mman.h>
#include <sys/xattr.h>

#include <memward/memward.h>

static const struct mw_inspect_entry *entry(const struct mw_inspect_report *r, int fd)
{
	for (size_t i = 0; i < r->count; i++)
		if (r->entries[i]->fd == fd)
			return r->entries[i];
	return NULL;
}

static const struct mw_inspect_entry *inspect(struct mw_inspect_report *r, int fd)
{
	int err;

	mw_inspect_report_free(r);
	r->sz = sizeof(*r);
	err = mw_inspect_pid(getpid(), fd, r);
	CHECK(err == 0, "mw_inspect_pid(self, %d): %s", fd, strerror(-err));
	return err ? NULL : entry(r, fd);
}

/* An access ACL equivalent to mode 0755 (user::rwx group::r-x other::r-x). */
static int acl_0755(int fd)
{
	struct {
		uint32_t version;
		struct { uint16_t tag, perm; uint32_t id; } e[3];
	} __attribute__((packed)) acl = { 2, { { 0x01, 7, ~0u }, { 0x04, 5, ~0u }, { 0x20, 5, ~0u } } };

	return fsetxattr(fd, "system.posix_acl_access", &acl, sizeof(acl), 0);
}

int main(void)
{
	struct mw_inspect_report r = { .sz = sizeof(r) };
	const struct mw_inspect_entry *e;
	struct stat st;
	int fd;

	/* 1. sealed, no exec bit, mapped r-xs: runs code now */
	fd = mw_sys_memfd_create("mw-sealed-rx", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	REQUIRE(fd >= 0 && ftruncate(fd, 4096) == 0 && fchmod(fd, 0644) == 0, "memfd");
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC) < 0)
		live_note("no F_SEAL_EXEC here (%s): the write seals only", strerror(errno));
	REQUIRE(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0,
		"seal: %s", strerror(errno));
	/* after the write seal a shared mapping may not be writable: r-x is */
	REQUIRE(mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0) != MAP_FAILED, "mmap r-x: %s",
		strerror(errno));
	e = inspect(&r, fd);
	CHECK(e && e->map_exec && e->exec_possible == 1 && e->exec_now && !strncmp(e->exec_text, "yes", 3),
	      "sealed r-xs mapping: possible %d now %d '%s'", e ? e->exec_possible : -9, e ? e->exec_now : 0,
	      e ? e->exec_text : "");
	CHECK(e && e->sz == sizeof(*e), "entry sz %zu", e ? e->sz : 0);

	/* 2. secretmem: the mode can change; exec cannot */
	fd = mw_sys_memfd_secret(0);
	if (fd < 0) {
		live_note("memfd_secret: %s: secretmem case not run", strerror(errno));
	} else {
		char *argv[] = { "x", NULL };

		REQUIRE(ftruncate(fd, 4096) == 0, "ftruncate secretmem");
		CHECK(fchmod(fd, 0700) == 0 && fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0700,
		      "fchmod secretmem failed: the premise changed (%s)", strerror(errno));
		CHECK(mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0) == MAP_FAILED,
		      "secretmem mapped executable: the premise changed");
		mw_sys_execveat(fd, "", argv, argv, AT_EMPTY_PATH);
		e = inspect(&r, fd);
		CHECK(e && e->kind == MW_INSPECT_SECRETMEM && !strstr(e->exec_text, "cannot change") &&
		      e->exec_possible == 0, "secretmem verdict: %d '%s'", e ? e->exec_possible : -9,
		      e ? e->exec_text : "");
	}

	/* 3. hugetlb: F_SEAL_EXEC accepted and ignored */
	fd = mw_sys_memfd_create("mw-huge", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB);
	if (fd < 0) {
		live_note("hugetlb memfd: %s: hugetlb case not run", strerror(errno));
	} else {
		bool sealed = fchmod(fd, 0644) == 0 && fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC) == 0;

		e = inspect(&r, fd);
		CHECK(e && e->hugetlb && !e->exec_sealed && e->exec_possible == 1,
		      "hugetlb verdict: hugetlb %d sealed %d possible %d '%s'", e ? e->hugetlb : 0,
		      e ? e->exec_sealed : 0, e ? e->exec_possible : -9, e ? e->exec_text : "");
		if (sealed)
			CHECK(fchmod(fd, 0755) == 0, "chmod of an exec-sealed hugetlb memfd refused: "
			      "the premise changed (%s)", strerror(errno));
	}

	/* 4. an ACL around F_SEAL_EXEC */
	fd = mw_sys_memfd_create("mw-acl", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	REQUIRE(fd >= 0 && fchmod(fd, 0644) == 0, "memfd acl");
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC) < 0 || acl_0755(fd) < 0 || fstat(fd, &st) < 0 ||
	    !(st.st_mode & 0111)) {
		live_note("no ACL path around F_SEAL_EXEC here (%s): ACL case not run", strerror(errno));
	} else {
		e = inspect(&r, fd);
		CHECK(e && e->exec_bits && e->exec_possible == 1 && !strstr(e->exec_text, "frozen"),
		      "ACL'd exec-sealed memfd: possible %d '%s'", e ? e->exec_possible : -9,
		      e ? e->exec_text : "");
	}
	/* unknown kinds have no name */
	CHECK(mw_inspect_kind_name((enum mw_inspect_kind)99) == NULL, "name for an unknown kind");
	{
		struct mw_inspect_report small = { .sz = 4 };

		CHECK(mw_inspect_pid(getpid(), -1, &small) == -EINVAL, "report sz 4 accepted");
	}
	mw_inspect_report_free(&r);
	return live_done();
}
