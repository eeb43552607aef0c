/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Kernel drift, isolated: every shim names the kernel change it covers. */
#ifndef CORE_FIXES_BPF_H
#define CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

/*
 * Linux 6.11 (commit "mm: add order to filemap tracepoints") added the folio
 * order; before it every insertion is one page.
 */
struct trace_event_raw_mm_filemap_op_page_cache___o {
	unsigned char order;
} __attribute__((preserve_access_index));

static __always_inline unsigned int
filemap_event_order(void *ctx)
{
	struct trace_event_raw_mm_filemap_op_page_cache___o *o = ctx;

	if (bpf_core_field_exists(o->order))
		return BPF_CORE_READ(o, order);
	return 0;
}

/*
 * Linux 5.6 made sock::sk_protocol a full u16 (commit bf9765145b85,
 * "sock: Make sk_protocol a 16-bit value"); older kernels keep it in a
 * bitfield.
 */
static __always_inline unsigned int
sock_protocol(struct sock *sk)
{
	return BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
}

/*
 * iov_iter flavours. Linux 5.14 (commit 8cd54c1c8480, "iov_iter: separate
 * direction from flavour") moved the flavour into u8 iter_type; before it,
 * `type` held flavour | direction (bit 0). The enum's values changed then too,
 * and ITER_UBUF (6.0) came, ITER_PIPE went (6.4): values come from the running
 * kernel's BTF, and a name it lacks never matches.
 */
struct iov_iter___o {
	unsigned int type;
} __attribute__((preserve_access_index));

enum iter_type___cs {
	ITER_UBUF___cs,
	ITER_IOVEC___cs,
	ITER_PIPE___cs,
	ITER_DISCARD___cs,
};

static __always_inline unsigned int
iov_iter_flavour(struct iov_iter *i)
{
	struct iov_iter___o *o = (void *)i;

	if (bpf_core_field_exists(i->iter_type))
		return BPF_CORE_READ(i, iter_type);
	return BPF_CORE_READ(o, type) & ~1U;
}

#define iter_is(t, name)							\
	(bpf_core_enum_value_exists(enum iter_type___cs, name##___cs) &&	\
	 (t) == bpf_core_enum_value(enum iter_type___cs, name##___cs))

#define iter_is_user(t)	(iter_is(t, ITER_UBUF) || iter_is(t, ITER_IOVEC))

/*
 * Linux 5.14 renamed task_struct::state to __state and made it an unsigned
 * int (commit 2f064a59a11f, "sched: Change task_struct::state"); before it,
 * a long. TASK_RUNNING is 0 in both.
 */
struct task_struct___o {
	long state;
} __attribute__((preserve_access_index));

static __always_inline unsigned long
task_state(struct task_struct *t)
{
	struct task_struct___o *o = (void *)t;

	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ(o, state);
}

/*
 * Linux 6.5 (commit "net: Declare MSG_SPLICE_PAGES internal sendmsg() flag")
 * made sendfile and splice hand TCP page references through sendmsg() with
 * this flag: such a msghdr's iter is not copied. Before 6.5 the bit is unused,
 * so testing it there is harmless.
 */
#define CS_MSG_SPLICE_PAGES	0x8000000

/*
 * io_uring_complete's arguments, which a raw tracepoint sees by position.
 * After Linux 6.1 it passes the completion entry (ctx, req, cqe); 6.1 and
 * older pass the entry's fields (ctx, req, user_data, res, cflags, extra1,
 * extra2). One program per layout (io_uring.bpf.h), each reading its own
 * with one of these; the tracer loads the one the kernel's BTF describes.
 */
struct uring_completion {
	struct io_kiocb *req;
	__s32 res;
	__u32 cflags;
};

static __always_inline struct uring_completion
uring_completion_of_cqe(unsigned long long *ctx)
{
	struct io_uring_cqe *cqe = (void *)ctx[2];
	struct uring_completion c = {
		.req = (void *)ctx[1],
		.res = BPF_CORE_READ(cqe, res),
		.cflags = BPF_CORE_READ(cqe, flags),
	};

	return c;
}

static __always_inline struct uring_completion
uring_completion_of_fields(unsigned long long *ctx)
{
	struct uring_completion c = {
		.req = (void *)ctx[1],
		.res = (int)ctx[3],
		.cflags = (unsigned int)ctx[4],
	};

	return c;
}

#endif /* CORE_FIXES_BPF_H */
