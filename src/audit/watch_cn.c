/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The watch's proc connector (NETLINK_CONNECTOR, CN_IDX_PROC): its socket,
 * subscribed to exec events and filtered in the kernel, and the reading of
 * its datagrams. The watch itself (watch.c) drains it.
 */
#include "audit/watch_rec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Since Linux 6.6 a listener may name the events it wants (struct
 * proc_input; the uapi header of older kernels lacks it): the kernel then
 * sends this socket exec events only, not the fork and exit of every
 * process too. Older kernels ignore a request of this size. */
struct mw_proc_input {
	uint32_t mcast_op;   /* enum proc_cn_mcast_op */
	uint32_t event_type; /* a mask of enum what: PROC_EVENT_EXEC */
};

/* Ask the connector for process events (or stop them): data is the
 * operation (every kernel), or a struct mw_proc_input (Linux 6.6 on). */
static int cn_send(int sock, const void *data, uint16_t len)
{
	/* nlmsghdr, cn_msg (whose data[] ends it), then the request */
	char buf[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(struct mw_proc_input))] __attribute__((aligned(8)));
	struct nlmsghdr *nl = (struct nlmsghdr *)buf;
	struct cn_msg *cn = NLMSG_DATA(nl);

	memset(buf, 0, sizeof(buf));
	nl->nlmsg_len = NLMSG_LENGTH(sizeof(*cn) + len);
	nl->nlmsg_type = NLMSG_DONE;
	cn->id.idx = CN_IDX_PROC;
	cn->id.val = CN_VAL_PROC;
	cn->len = len;
	memcpy(cn->data, data, len);
	return send(sock, buf, nl->nlmsg_len, 0) < 0 ? -errno : 0;
}

static int cn_listen(int sock, enum proc_cn_mcast_op op)
{
	uint32_t v = (uint32_t)op;

	return cn_send(sock, &v, sizeof(v));
}

/* In the kernel, before a datagram is queued: keep the connector's exec
 * events, drop the rest. Kernels before 6.6 send every listener every
 * process event (a fork and an exit around each exec, comm and uid
 * changes): without this each of them would wake the watch for nothing.
 * A classic socket filter (SO_ATTACH_FILTER, every kernel): BPF_ABS word
 * loads read network byte order, hence htonl() of host-order constants;
 * a load past a short datagram's end drops it. 0 or -errno. */
static int cn_attach_exec_filter(int sock)
{
	enum {
		OFF_IDX = NLMSG_HDRLEN + offsetof(struct cn_msg, id.idx),
		OFF_VAL = NLMSG_HDRLEN + offsetof(struct cn_msg, id.val),
		OFF_WHAT = NLMSG_HDRLEN + sizeof(struct cn_msg) + offsetof(struct proc_event, what),
	};
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, OFF_IDX),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(CN_IDX_PROC), 0, 5),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, OFF_VAL),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(CN_VAL_PROC), 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, OFF_WHAT),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_EXEC), 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffffu), /* the whole datagram */
		BPF_STMT(BPF_RET | BPF_K, 0),           /* dropped */
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };

	return setsockopt(sock, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ? -errno : 0;
}

int mw__watch_cn_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC };
	struct mw_proc_input only_exec = { PROC_CN_MCAST_LISTEN, PROC_EVENT_EXEC };
	int sock = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
	int rcv = 4 << 20, err;

	if (sock < 0)
		return -errno;
	/* bursts of execs: room for a few thousand events (beyond what
	 * rmem_max allows, ENOBUFS tells us events were lost) */
	(void)setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
	(void)setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	/* before bind(): nothing unfiltered is ever queued */
	err = cn_attach_exec_filter(sock);
	if (err < 0 || bind(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = err < 0 ? err : -errno;
		close(sock);
		return err;
	}
	/* every kernel: all events; then, where understood, exec only (the
	 * same listener: the kernel counts it once) */
	err = cn_listen(sock, PROC_CN_MCAST_LISTEN);
	if (!err)
		err = cn_send(sock, &only_exec, sizeof(only_exec));
	if (err) {
		close(sock);
		return err;
	}
	return sock;
}

void mw__watch_cn_stop(int sock)
{
	(void)cn_listen(sock, PROC_CN_MCAST_IGNORE);
}

pid_t mw__watch_cn_exec_pid(const char *buf, size_t len, uint64_t *execs, uint64_t *ts)
{
	pid_t pid = 0;

	for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
		struct cn_msg cn;
		struct proc_event ev;

		if (h->nlmsg_type == NLMSG_NOOP || h->nlmsg_type == NLMSG_ERROR ||
		    h->nlmsg_len < NLMSG_LENGTH(sizeof(cn)))
			continue;
		/* the event sits 4 bytes off an 8-byte boundary after the
		 * 20-byte cn_msg: copied, not dereferenced in place */
		memcpy(&cn, NLMSG_DATA(h), sizeof(cn));
		if (cn.id.idx != CN_IDX_PROC || cn.id.val != CN_VAL_PROC ||
		    h->nlmsg_len < NLMSG_LENGTH(sizeof(cn) + offsetof(struct proc_event, event_data) +
						sizeof(ev.event_data.exec)))
			continue;
		memset(&ev, 0, sizeof(ev));
		memcpy(&ev, (const char *)NLMSG_DATA(h) + sizeof(cn),
		       h->nlmsg_len - NLMSG_LENGTH(sizeof(cn)) < sizeof(ev) ? h->nlmsg_len - NLMSG_LENGTH(sizeof(cn))
									: sizeof(ev));
		if (ev.what != PROC_EVENT_EXEC)
			continue;
		(*execs)++;
		pid = ev.event_data.exec.process_tgid;
		*ts = ev.timestamp_ns;
	}
	return pid;
}
