/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Container attribution from /proc/PID/cgroup text (issue 12, item 6):
 * the cgroup path shown on v2, hybrid and v1 hosts, and the container id
 * and pod UID for the path conventions of docker, containerd (CRI), CRI-O
 * and podman, with the systemd and cgroupfs drivers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "audit/collect.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID "1f2e3d4c-5b6a-7988-a7b6-c5d4e3f2a1b0"
#define UID_ "1f2e3d4c_5b6a_7988_a7b6_c5d4e3f2a1b0"

static void expect(const char *text, const char *cg, const char *id, const char *pod)
{
	char a[1024], b[80], c[48];

	mw__audit_pick_cgroup(text, a, sizeof(a));
	mw__audit_container(text, b, sizeof(b), c, sizeof(c));
	assert_string_equal(a, cg);
	assert_string_equal(b, id);
	assert_string_equal(c, pod);
}

static void v2_paths(void **state)
{
	(void)state;
	expect("0::/user.slice/user-1000.slice/session-2.scope\n",
	       "/user.slice/user-1000.slice/session-2.scope", "", "");
	expect("0::/system.slice/docker-" ID ".scope\n", "/system.slice/docker-" ID ".scope", ID, "");
	expect("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	       ".slice/cri-containerd-" ID ".scope\n",
	       "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	       ".slice/cri-containerd-" ID ".scope", ID, UID);
	expect("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	       ".slice/crio-" ID ".scope\n",
	       "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	       ".slice/crio-" ID ".scope", ID, UID);
	expect("0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope/container\n",
	       "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope/container", ID, "");
	/* CRI-O's monitor is not the container */
	expect("0::/system.slice/crio-conmon-" ID ".scope\n", "/system.slice/crio-conmon-" ID ".scope", "", "");
	/* 63 hex digits: not an id */
	expect("0::/docker/" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n",
	       "/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", "", "");
}

static void hybrid_and_v1(void **state)
{
	(void)state;
	/* a hybrid host: the unified line is "/" for everyone */
	expect("12:pids:/docker/" ID "\n11:memory:/docker/" ID "\n1:name=systemd:/docker/" ID "\n0::/\n",
	       "/docker/" ID, ID, "");
	expect("5:memory:/kubepods/besteffort/pod" UID "/" ID "\n3:cpu,cpuacct:/kubepods/besteffort/pod" UID
	       "/" ID "\n0::/\n", "/kubepods/besteffort/pod" UID "/" ID, ID, UID);
	expect("12:pids:/user.slice/user-0.slice/session-1.scope\n1:name=systemd:/user.slice/user-0.slice/"
	       "session-1.scope\n0::/\n", "/user.slice/user-0.slice/session-1.scope", "", "");
	/* podman's cgroupfs driver */
	expect("8:memory:/libpod_parent/libpod-" ID "\n0::/\n", "/libpod_parent/libpod-" ID, ID, "");
	/* nothing but roots */
	expect("0::/\n", "/", "", "");
	expect("", "", "", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v2_paths),
		cmocka_unit_test(hybrid_and_v1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
