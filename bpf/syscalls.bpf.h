/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Syscalls of the tracked processes in their transfer phase: every one is
 * counted (a mode switch each way); the transfer calls (enum cs_syscall) are
 * decoded at their enter (what moves from which kind of descriptor to which)
 * and counted as flows at their exit with the bytes they returned.
 */
#ifndef SYSCALLS_BPF_H
#define SYSCALLS_BPF_H

/* Flows that are not syscalls (io_uring requests): role x kind x src x dst, far fewer in use. */
#define CS_FLOWS_MAX	1024

/* include/linux/socket.h: send() pins the user pages instead of copying them. */
#define CS_MSG_ZEROCOPY	0x4000000

/* Syscall arguments the decoding reads (the sixth is never needed). */
#define CS_SYSCALL_ARGS	5

static __always_inline __u8 syscall_from_nr(long nr)
{
	switch (nr) {
	case CS_NR_read: return CS_SYS_READ;
	case CS_NR_write: return CS_SYS_WRITE;
	case CS_NR_pread64: return CS_SYS_PREAD64;
	case CS_NR_pwrite64: return CS_SYS_PWRITE64;
	case CS_NR_readv: return CS_SYS_READV;
	case CS_NR_writev: return CS_SYS_WRITEV;
	case CS_NR_preadv: return CS_SYS_PREADV;
	case CS_NR_pwritev: return CS_SYS_PWRITEV;
	case CS_NR_sendto: return CS_SYS_SENDTO;
	case CS_NR_recvfrom: return CS_SYS_RECVFROM;
	case CS_NR_sendmsg: return CS_SYS_SENDMSG;
	case CS_NR_recvmsg: return CS_SYS_RECVMSG;
	case CS_NR_sendfile: return CS_SYS_SENDFILE;
	case CS_NR_splice: return CS_SYS_SPLICE;
	case CS_NR_tee: return CS_SYS_TEE;
	case CS_NR_vmsplice: return CS_SYS_VMSPLICE;
	case CS_NR_copy_file_range: return CS_SYS_COPY_FILE_RANGE;
	case CS_NR_mmap: return CS_SYS_MMAP;
	case CS_NR_munmap: return CS_SYS_MUNMAP;
	case CS_NR_io_uring_enter: return CS_SYS_IO_URING_ENTER;
	case CS_NR_ftruncate: return CS_SYS_FTRUNCATE;
	case CS_NR_clone: case CS_NR_clone3: return CS_SYS_CLONE;
#ifdef CS_NR_fork
	case CS_NR_fork: case CS_NR_vfork: return CS_SYS_FORK;
#endif
	case CS_NR_wait4: return CS_SYS_WAIT4;
	}
	return CS_SYS_OTHER;
}

/* Source and destination of the data a transfer syscall moves. */
static __always_inline void classify(struct pending_syscall *p, __u32 gen, unsigned long *args)
{
	int in_fd = -1, out_fd = -1;

	p->src = CS_FD_NONE;
	p->dst = CS_FD_NONE;
	switch (p->sys) {
	case CS_SYS_READ: case CS_SYS_PREAD64: case CS_SYS_READV:
	case CS_SYS_PREADV: case CS_SYS_RECVFROM: case CS_SYS_RECVMSG:
		in_fd = args[0];
		p->dst = CS_FD_USER;
		break;
	case CS_SYS_WRITE: case CS_SYS_PWRITE64: case CS_SYS_WRITEV:
	case CS_SYS_PWRITEV: case CS_SYS_SENDTO: case CS_SYS_SENDMSG:
	case CS_SYS_VMSPLICE:
		out_fd = args[0];
		p->src = CS_FD_USER;
		break;
	case CS_SYS_SENDFILE:
		out_fd = args[0];
		in_fd = args[1];
		break;
	case CS_SYS_SPLICE: case CS_SYS_COPY_FILE_RANGE:
		in_fd = args[0];
		out_fd = args[2];
		break;
	case CS_SYS_TEE:
		in_fd = args[0];
		out_fd = args[1];
		break;
	case CS_SYS_MMAP:
		in_fd = args[4];
		p->dst = CS_FD_USER;
		break;
	default:
		break;
	}
	if (in_fd >= 0)
		p->src = fd_kind_cached(p, gen, in_fd);
	if (out_fd >= 0)
		p->dst = fd_kind_cached(p, gen, out_fd);
	p->fds = ((__u64)(__u32)in_fd << 32) | (__u32)out_fd;
}

static __always_inline __u64 requested_bytes(__u8 sys, unsigned long *args)
{
	switch (sys) {
	case CS_SYS_READ: case CS_SYS_WRITE: case CS_SYS_PREAD64:
	case CS_SYS_PWRITE64: case CS_SYS_SENDTO: case CS_SYS_RECVFROM:
	case CS_SYS_FTRUNCATE:
		return args[2];
	case CS_SYS_SENDFILE: case CS_SYS_TEE:
		return args[3];
	case CS_SYS_SPLICE: case CS_SYS_COPY_FILE_RANGE:
		return args[4];
	case CS_SYS_MMAP: case CS_SYS_MUNMAP:
		return args[1];
	case CS_SYS_READV: case CS_SYS_WRITEV: case CS_SYS_PREADV:
	case CS_SYS_PWRITEV: case CS_SYS_VMSPLICE:
		return args[2];	/* iovec count */
	case CS_SYS_IO_URING_ENTER:
		return args[1];	/* to_submit */
	}
	return 0;
}

static __always_inline bool moves_data(__u8 sys)
{
	return sys != CS_SYS_OTHER && sys != CS_SYS_MMAP && sys != CS_SYS_MUNMAP &&
	       sys != CS_SYS_IO_URING_ENTER && sys != CS_SYS_FTRUNCATE &&
	       sys != CS_SYS_CLONE && sys != CS_SYS_FORK && sys != CS_SYS_WAIT4;
}

/* Syscall flows, a slot per key (see CS_FLOW_SLOTS); other flows go to `flows`. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CS_FLOW_SLOTS);
	__type(key, __u32);
	__type(value, struct cs_flow_val);
} sys_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, CS_FLOWS_MAX);
	__type(key, struct cs_flow_key);
	__type(value, struct cs_flow_val);
} flows SEC(".maps");

static __always_inline void add_flow(__u8 role, __u8 sys, __u8 src, __u8 dst, __u64 bytes)
{
	struct cs_flow_key key = {};
	struct cs_flow_val *fv, zero = {};

	if (role < CS_ROLE_MAX && sys < CS_SYS_MAX && src < CS_FD_MAX && dst < CS_FD_MAX) {
		__u32 slot = cs_flow_slot(role, sys, src, dst);

		fv = bpf_map_lookup_elem(&sys_flows, &slot);
		if (fv) {
			fv->calls++;
			fv->bytes += bytes;
		}
		return;
	}

	key.role = role;
	key.sys = sys;
	key.src = src;
	key.dst = dst;
	fv = lookup_or_try_init(&flows, &key, &zero);
	if (fv) {
		fv->calls++;
		fv->bytes += bytes;
	}
}

/*
 * BTF-typed raw tracepoints (tp_btf), not classic syscall tracepoints: those
 * first build a perf record of every argument for every syscall on the
 * machine. tp_btf, unlike plain raw_tp, reads the saved registers and the
 * task's file table with plain loads, not a helper call per field.
 */
SEC("tp_btf/sys_enter")
int BPF_PROG(on_sys_enter, struct pt_regs *regs, long id)
{
	__u64 id_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id_tgid;
	struct cs_task_state *st = proc_state(id_tgid >> 32);
	struct pending_syscall *p;
	unsigned long args[CS_SYSCALL_ARGS];
	struct cs_counters *c;
	__u8 sys;

	if (!st)
		return 0;
	/* Outside the phase too: a cached fd kind must not outlive its file. */
	if (changes_fds(id))
		__sync_fetch_and_add(&fd_gen, 1);
	if (!st->in_phase)
		return 0;
	c = role_counters(st->role);
	if (!c)
		return 0;
	c->syscall_enters++;
	sys = syscall_from_nr(id);
	/* Other syscalls are only counted: their exit needs no saved state. */
	if (sys == CS_SYS_OTHER)
		return 0;
	p = thread_rec(tid, true);
	if (!p)
		return 0;
	p->role = st->role;
	p->tgid = id_tgid >> 32;
	if (emit_events)	/* only events need the enter's time: a clock read is not free */
		p->ts = bpf_ktime_get_ns();
	args[0] = PT_REGS_PARM1_SYSCALL(regs);
	args[1] = PT_REGS_PARM2_SYSCALL(regs);
	args[2] = PT_REGS_PARM3_SYSCALL(regs);
	args[3] = PT_REGS_PARM4_SYSCALL(regs);
	args[4] = PT_REGS_PARM5_SYSCALL(regs);
	p->sys = sys;
	p->flags = 0;
	if ((sys == CS_SYS_SENDTO && (args[3] & CS_MSG_ZEROCOPY)) || (sys == CS_SYS_SENDMSG && (args[2] & CS_MSG_ZEROCOPY)))
		p->flags = 1;
	classify(p, fd_gen, args);
	p->count = requested_bytes(sys, args);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	struct pending_syscall *p = current_pending();
	struct cs_event ev;
	struct cs_counters *c;

	/* A syscall that entered during the phase is finished even if it ended it. */
	if (!p) {
		struct cs_task_state *st = current_in_phase();

		if (st && (c = role_counters(st->role))) {
			c->syscall_exits++;
			c->sys_calls[CS_SYS_OTHER]++;
		}
		return 0;
	}
	c = role_counters(p->role);
	if (!c)
		goto out;
	c->syscall_exits++;
	if (p->sys < CS_SYS_MAX) {
		c->sys_calls[p->sys]++;
		if (ret < 0)
			c->sys_errors[p->sys]++;
	}
	if (ret > 0 && moves_data(p->sys))
		add_flow(p->role, p->sys, p->src, p->dst, ret);
	if (emit_events) {
		ev.ts = p->ts;
		ev.dur = bpf_ktime_get_ns() - p->ts;
		ev.arg0 = p->fds;
		ev.arg1 = p->count | (p->flags ? CS_COUNT_MSG_ZEROCOPY : 0);
		ev.ret = ret;
		ev.tgid = p->tgid;
		ev.tid = p->tid;
		ev.sys = p->sys;
		ev.cpu = 0;
		ev.type = CS_EV_SYSCALL;
		ev.role = p->role;
		ev.a = p->src;
		ev.b = p->dst;
		emit(c, &ev);
	}
out:
	p->sys = CS_SYS_OTHER;	/* idle until the next transfer syscall */
	return 0;
}

#endif /* SYSCALLS_BPF_H */
