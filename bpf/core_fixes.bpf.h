/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Kernel drift, isolated: every shim names the kernel change it covers. */
#ifndef CORE_FIXES_BPF_H
#define CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

/* Not in vmlinux.h: these are macros in the kernel. */
#define CS_S_IFMT	00170000
#define CS_S_IFSOCK	0140000
#define CS_S_IFREG	0100000
#define CS_S_IFCHR	0020000
#define CS_S_IFIFO	0010000

#if defined(__TARGET_ARCH_arm64)
#define CS_O_DIRECT	0200000
#else
#define CS_O_DIRECT	00040000
#endif

#define CS_IFF_LOOPBACK	0x8
#define CS_REQ_OP_MASK	((1U << 8) - 1)
#define CS_REQ_OP_READ	0	/* enum req_op: stable since Linux 4.10 */
#define CS_REQ_OP_WRITE	1

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

#endif /* CORE_FIXES_BPF_H */
