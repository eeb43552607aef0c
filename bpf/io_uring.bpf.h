/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * io_uring moves data without a transfer syscall: each completed read, write or
 * send is a flow of its own (CS_FLOW_URING_*), classified by the request's file.
 * Completions run in the submitter's task work or in its io-wq workers, both
 * of the tracked process.
 */
#ifndef IO_URING_BPF_H
#define IO_URING_BPF_H

static __always_inline int uring_completed(struct uring_completion done)
{
	struct cs_task_state *st = proc_state(bpf_get_current_pid_tgid() >> 32);
	struct io_kiocb *r = done.req;
	__u8 sys, kind, src, dst, op;

	if (!st || !r)
		return 0;
	op = BPF_CORE_READ(r, opcode);
	if (op == IORING_OP_CLOSE) {
		__sync_fetch_and_add(&fd_gen, 1);	/* a close without a syscall */
		return 0;
	}
	if (!st->in_phase)
		return 0;
	if (done.cflags & CS_IORING_CQE_F_NOTIF)
		return 0;	/* a zero-copy notification, not data */
	if (done.res <= 0)
		return 0;
	switch (op) {
	case IORING_OP_READ: case IORING_OP_READV: case IORING_OP_READ_FIXED:
		sys = CS_FLOW_URING_READ;
		break;
	case IORING_OP_WRITE: case IORING_OP_WRITEV: case IORING_OP_WRITE_FIXED:
		sys = CS_FLOW_URING_WRITE;
		break;
	case IORING_OP_SEND: case IORING_OP_SENDMSG:
		sys = CS_FLOW_URING_SEND;
		break;
	case IORING_OP_SEND_ZC: case IORING_OP_SENDMSG_ZC:
		sys = CS_FLOW_URING_SEND_ZC;
		break;
	case IORING_OP_RECV: case IORING_OP_RECVMSG:
		sys = CS_FLOW_URING_RECV;
		break;
	default:
		sys = CS_FLOW_URING_OTHER;
		break;
	}
	kind = file_kind(BPF_CORE_READ(r, file), st->role);
	if (sys == CS_FLOW_URING_READ || sys == CS_FLOW_URING_RECV) {
		src = kind;
		dst = CS_FD_USER;
	} else {
		src = CS_FD_USER;
		dst = kind;
	}
	add_flow(st->role, sys, src, dst, done.res);
	return 0;
}

/* One program per argument layout (see uring_completion in core_fixes.bpf.h). */
SEC("raw_tp/io_uring_complete")
int on_uring_complete(unsigned long long *ctx)
{
	return uring_completed(uring_completion_of_cqe(ctx));
}

SEC("?raw_tp/io_uring_complete")
int on_uring_complete_fields(unsigned long long *ctx)
{
	return uring_completed(uring_completion_of_fields(ctx));
}

#endif /* IO_URING_BPF_H */
