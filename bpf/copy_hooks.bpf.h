/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Measured CPU copies: entry/exit hooks on the kernel's copy routines and on
 * the copy sites that wrap them (see enum cs_copy_routine for why both).
 * Included last by copyscope.bpf.c (needs current_in_phase(),
 * current_pending() and role_counters() from maps.bpf.h).
 *
 * Every routine has an fentry/fexit pair and a kprobe/kretprobe pair, all
 * with autoload off; the tracer turns on, per routine, the pair this kernel
 * accepts. Only the outermost hooked routine of a thread counts (a per-thread
 * depth), so copy_page_to_iter -> _copy_to_iter is one copy, not two.
 */
#ifndef COPY_HOOKS_BPF_H
#define COPY_HOOKS_BPF_H

/* A copy routine running longer than this lost its exit (a missed kretprobe). */
#define CS_COPY_STALE_NS	(2ULL * 1000 * 1000 * 1000)

/* Threads inside a hooked routine at once. */
#define CS_COPY_FRAMES_MAX	8192
/* (role, syscall, source, destination, direction, routine) keys; far fewer in use. */
#define CS_COPY_KEYS_MAX	1024

/* How the exit's return value gives the bytes copied. */
enum copy_count {
	CS_COUNT_RET,		/* the return value (negative: an error, nothing) */
	CS_COUNT_RET_INT,	/* the same for an int: only the low 32 bits of the register are set */
	CS_COUNT_RET_LEFT,	/* `want` minus the return value (bytes NOT copied) */
	CS_COUNT_RET_BEYOND,	/* the return value beyond `want` (filemap_read's already_read) */
	CS_COUNT_WANT_IF_ZERO,	/* `want` when the routine returned 0 (skb_copy_datagram_*) */
};

struct copy_frame {
	__u64 ts;	/* entry of the outermost routine */
	__u64 want;
	__u32 depth;
	__u8 dir;	/* enum cs_copy_dir of the outermost routine */
	__u8 routine;
	__u8 role;
	__u8 count;	/* enum copy_count */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CS_COPY_FRAMES_MAX);
	__type(key, __u32);
	__type(value, struct copy_frame);
} copy_frames SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, CS_COPY_KEYS_MAX);
	__type(key, struct cs_copy_key);
	__type(value, struct cs_copy_val);
} copies SEC(".maps");

/* What the copy does, from its role and the iov_iter's flavour. */
enum copy_side {
	CS_SIDE_TO_ITER,	/* data goes into the iter */
	CS_SIDE_PAGE_TO_ITER,	/* the same, but a pipe iter only takes a page reference */
	CS_SIDE_FROM_ITER,	/* data comes out of the iter */
	CS_SIDE_MSG_FROM_ITER,	/* out of a msghdr's iter, unless the pages are sent by reference */
	CS_SIDE_TO_USER,	/* _copy_to_user */
	CS_SIDE_FROM_USER,	/* _copy_from_user */
};

static __always_inline __u8 copy_dir(enum copy_side side, __u64 arg)
{
	struct iov_iter *i = (struct iov_iter *)arg;
	unsigned int t;

	if (side == CS_SIDE_TO_USER)
		return CS_COPY_TO_USER;
	if (side == CS_SIDE_FROM_USER)
		return CS_COPY_FROM_USER;
	if (side == CS_SIDE_MSG_FROM_ITER) {
		struct msghdr *msg = (struct msghdr *)arg;

		if (!msg || (BPF_CORE_READ(msg, msg_flags) & (CS_MSG_ZEROCOPY | CS_MSG_SPLICE_PAGES)))
			return CS_COPY_NONE;
		i = &msg->msg_iter;
		side = CS_SIDE_FROM_ITER;
	}
	if (!i)
		return CS_COPY_NONE;
	t = iov_iter_flavour(i);
	if (iter_is_user(t))
		return side == CS_SIDE_FROM_ITER ? CS_COPY_FROM_USER : CS_COPY_TO_USER;
	if (iter_is(t, ITER_DISCARD))
		return CS_COPY_NONE;
	/*
	 * Up to Linux 6.3, splice reads fill an ITER_PIPE: the page cache then
	 * puts a reference to its page into the pipe (copy_page_to_iter_pipe)
	 * and copies nothing. _copy_to_iter() into a pipe does copy, into fresh
	 * pipe pages.
	 */
	if (side == CS_SIDE_PAGE_TO_ITER && iter_is(t, ITER_PIPE))
		return CS_COPY_NONE;
	return CS_COPY_KERNEL;
}

static __always_inline int copy_enter(__u8 routine, enum copy_side side, enum copy_count count,
				      __u64 arg, __u64 want)
{
	struct cs_task_state *st = current_in_phase();
	struct copy_frame *f, zero = {};
	__u32 tid;
	__u64 now;

	if (!st)
		return 0;
	tid = (__u32)bpf_get_current_pid_tgid();
	f = lookup_or_try_init(&copy_frames, &tid, &zero);
	if (!f)
		return 0;
	now = bpf_ktime_get_ns();
	if (f->depth && now - f->ts < CS_COPY_STALE_NS) {
		f->depth++;	/* called from another hooked routine */
		return 0;
	}
	f->depth = 1;
	f->ts = now;
	f->routine = routine;
	f->role = st->role;
	f->count = count;
	f->want = want;
	f->dir = copy_dir(side, arg);
	return 0;
}

static __always_inline int copy_exit(__u64 ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct copy_frame *f = bpf_map_lookup_elem(&copy_frames, &tid);
	struct cs_copy_val *v, zero = {};
	struct cs_copy_key key = {};
	struct pending_syscall *p;
	struct cs_counters *c;
	__u64 bytes = 0;

	if (!f || !f->depth)
		return 0;
	if (--f->depth)
		return 0;
	if (f->dir >= CS_COPY_DIR_MAX)
		return 0;
	switch (f->count) {
	case CS_COUNT_RET:
		bytes = (__s64)ret > 0 ? ret : 0;
		break;
	case CS_COUNT_RET_INT:
		bytes = (int)ret > 0 ? (__u32)(int)ret : 0;	/* -EAGAIN is not 4 GiB */
		break;
	case CS_COUNT_RET_LEFT:
		bytes = ret <= f->want ? f->want - ret : 0;
		break;
	case CS_COUNT_RET_BEYOND:
		bytes = (__s64)ret > (__s64)f->want ? ret - f->want : 0;
		break;
	case CS_COUNT_WANT_IF_ZERO:
		bytes = (int)ret == 0 ? (__u32)f->want : 0;	/* an int len */
		break;
	}
	if (!bytes)
		return 0;
	key.role = f->role;
	key.dir = f->dir;
	key.routine = f->routine;
	p = current_pending();
	if (p) {
		key.sys = p->sys;
		key.src = p->src;
		key.dst = p->dst;
	}
	v = lookup_or_try_init(&copies, &key, &zero);
	if (v) {
		v->calls++;
		v->bytes += bytes;
	}
	c = role_counters(f->role);
	if (c) {
		c->copy_calls++;
		if (f->dir == CS_COPY_TO_USER)
			c->copy_to_user_bytes += bytes;
		else if (f->dir == CS_COPY_FROM_USER)
			c->copy_from_user_bytes += bytes;
		else
			c->copy_kernel_bytes += bytes;
	}
	return 0;
}

static __always_inline __u64 kprobe_arg(struct pt_regs *ctx, int n)
{
	switch (n) {
	case 0: return PT_REGS_PARM1(ctx);
	case 1: return PT_REGS_PARM2(ctx);
	case 2: return PT_REGS_PARM3(ctx);
	case 3: return PT_REGS_PARM4(ctx);
	}
	return 0;
}

static __always_inline __u64 fentry_arg(void *ctx, int n)
{
	__u64 v = 0;

	if (n >= 0)
		bpf_get_func_arg(ctx, n, &v);
	return v;
}

/*
 * Four programs per routine. `arg` is the argument copy_dir() reads (an
 * iov_iter, a msghdr), `want` the one the count needs (-1: none), numbered
 * from 0. fentry/fexit read them and the return value with
 * bpf_get_func_arg/ret, so they do not depend on how many arguments the
 * routine has in this kernel.
 */
#define CS_COPY_HOOK(func, routine, side, count, arg, want)			\
SEC("fentry/" #func)								\
int fentry_##func(void *ctx)							\
{										\
	return copy_enter(routine, side, count, fentry_arg(ctx, arg),		\
			  fentry_arg(ctx, want));				\
}										\
SEC("fexit/" #func)								\
int fexit_##func(void *ctx)							\
{										\
	__u64 r = 0;								\
										\
	bpf_get_func_ret(ctx, &r);						\
	return copy_exit(r);							\
}										\
SEC("kprobe/" #func)								\
int kprobe_##func(struct pt_regs *ctx)						\
{										\
	return copy_enter(routine, side, count, kprobe_arg(ctx, arg),		\
			  (want) >= 0 ? kprobe_arg(ctx, want) : 0);		\
}										\
SEC("kretprobe/" #func)								\
int kretprobe_##func(struct pt_regs *ctx)					\
{										\
	return copy_exit(PT_REGS_RC(ctx));					\
}

/* lib/iov_iter.c: size_t _copy_to_iter(const void *addr, size_t bytes, struct iov_iter *i) */
CS_COPY_HOOK(_copy_to_iter, CS_CR_COPY_TO_ITER, CS_SIDE_TO_ITER, CS_COUNT_RET, 2, -1)
CS_COPY_HOOK(_copy_from_iter, CS_CR_COPY_FROM_ITER, CS_SIDE_FROM_ITER, CS_COUNT_RET, 2, -1)
CS_COPY_HOOK(_copy_from_iter_nocache, CS_CR_COPY_FROM_ITER_NOCACHE, CS_SIDE_FROM_ITER, CS_COUNT_RET, 2, -1)
/* size_t copy_page_to_iter(struct page *, size_t offset, size_t bytes, struct iov_iter *i) */
CS_COPY_HOOK(copy_page_to_iter, CS_CR_COPY_PAGE_TO_ITER, CS_SIDE_PAGE_TO_ITER, CS_COUNT_RET, 3, -1)
CS_COPY_HOOK(copy_page_from_iter, CS_CR_COPY_PAGE_FROM_ITER, CS_SIDE_FROM_ITER, CS_COUNT_RET, 3, -1)
CS_COPY_HOOK(copy_page_from_iter_atomic, CS_CR_COPY_PAGE_FROM_ITER_ATOMIC, CS_SIDE_FROM_ITER, CS_COUNT_RET, 3, -1)
/* Linux 6.x: size_t copy_folio_from_iter_atomic(struct folio *, size_t, size_t, struct iov_iter *) */
CS_COPY_HOOK(copy_folio_from_iter_atomic, CS_CR_COPY_FOLIO_FROM_ITER_ATOMIC, CS_SIDE_FROM_ITER, CS_COUNT_RET, 3, -1)
/* size_t csum_and_copy_to_iter(const void *addr, size_t bytes, void *csump, struct iov_iter *i) */
CS_COPY_HOOK(csum_and_copy_to_iter, CS_CR_CSUM_AND_COPY_TO_ITER, CS_SIDE_TO_ITER, CS_COUNT_RET, 3, -1)
CS_COPY_HOOK(csum_and_copy_from_iter, CS_CR_CSUM_AND_COPY_FROM_ITER, CS_SIDE_FROM_ITER, CS_COUNT_RET, 3, -1)
/* lib/usercopy.c: unsigned long _copy_to_user(void __user *to, const void *from, unsigned long n) */
CS_COPY_HOOK(_copy_to_user, CS_CR_COPY_TO_USER, CS_SIDE_TO_USER, CS_COUNT_RET_LEFT, -1, 2)
CS_COPY_HOOK(_copy_from_user, CS_CR_COPY_FROM_USER, CS_SIDE_FROM_USER, CS_COUNT_RET_LEFT, -1, 2)

/* mm/filemap.c: ssize_t filemap_read(struct kiocb *, struct iov_iter *iter, ssize_t already_read) */
CS_COPY_HOOK(filemap_read, CS_CR_FILEMAP_READ, CS_SIDE_PAGE_TO_ITER, CS_COUNT_RET_BEYOND, 1, 2)
/* mm/shmem.c: ssize_t shmem_file_read_iter(struct kiocb *, struct iov_iter *to) */
CS_COPY_HOOK(shmem_file_read_iter, CS_CR_SHMEM_FILE_READ_ITER, CS_SIDE_PAGE_TO_ITER, CS_COUNT_RET, 1, -1)
/* mm/filemap.c: ssize_t generic_perform_write(struct kiocb *, struct iov_iter *i) */
CS_COPY_HOOK(generic_perform_write, CS_CR_GENERIC_PERFORM_WRITE, CS_SIDE_FROM_ITER, CS_COUNT_RET, 1, -1)
/* fs/pipe.c: ssize_t pipe_read(struct kiocb *, struct iov_iter *to), anon_pipe_* since 6.14 */
CS_COPY_HOOK(pipe_read, CS_CR_PIPE_READ, CS_SIDE_TO_ITER, CS_COUNT_RET, 1, -1)
CS_COPY_HOOK(pipe_write, CS_CR_PIPE_WRITE, CS_SIDE_FROM_ITER, CS_COUNT_RET, 1, -1)
CS_COPY_HOOK(anon_pipe_read, CS_CR_ANON_PIPE_READ, CS_SIDE_TO_ITER, CS_COUNT_RET, 1, -1)
CS_COPY_HOOK(anon_pipe_write, CS_CR_ANON_PIPE_WRITE, CS_SIDE_FROM_ITER, CS_COUNT_RET, 1, -1)
/* net/ipv4/tcp.c: int tcp_sendmsg_locked(struct sock *, struct msghdr *msg, size_t size) */
CS_COPY_HOOK(tcp_sendmsg_locked, CS_CR_TCP_SENDMSG_LOCKED, CS_SIDE_MSG_FROM_ITER, CS_COUNT_RET_INT, 1, -1)
/* net/core/datagram.c: int skb_copy_datagram_iter(const struct sk_buff *, int offset, struct iov_iter *to, int len) */
CS_COPY_HOOK(skb_copy_datagram_iter, CS_CR_SKB_COPY_DATAGRAM_ITER, CS_SIDE_TO_ITER, CS_COUNT_WANT_IF_ZERO, 2, 3)
CS_COPY_HOOK(skb_copy_datagram_from_iter, CS_CR_SKB_COPY_DATAGRAM_FROM_ITER, CS_SIDE_FROM_ITER,
	     CS_COUNT_WANT_IF_ZERO, 2, 3)

/*
 * Copies a network card without scatter-gather forces. TCP always builds its
 * packets from page fragments (GSO is always on since Linux 4.19, so the
 * socket claims scatter-gather whatever the card says), and sendfile's
 * fragments are page-cache pages. Just before the driver, a card that cannot
 * gather gets the data copied into one contiguous buffer: skb_segment()
 * copies every segment's payload when the features lack NETIF_F_SG, and
 * __pskb_pull_tail(skb, skb->data_len) linearizes a packet too small to be
 * segmented. That is the CPU copy of the articles' one-copy sendfile row.
 *
 * These run wherever the transmit runs (the sender's call, or a softirq on
 * behalf of whoever is current), and after the sender's call returned for
 * data still queued in its socket, so the packet's socket gives the owner, as
 * in net.bpf.h, and any open phase the window (phases_open, dma.bpf.h). The
 * flow is the socket owner's transfer call, remembered from the last time the
 * owner itself was on the CPU here.
 */
#define CS_NETIF_F_SG		(1ULL << 0)	/* NETIF_F_SG_BIT is 0 in every kernel */

struct skb_copy_stash {
	__u64 bytes;
	__u8 routine;
	__u8 role;
	__u8 sys;
	__u8 src;
	__u8 dst;
	__u8 live;
	__u8 pad[2];
};

/* Entry to exit of one of these routines: both run with bottom halves off, on one CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct skb_copy_stash);
} skb_copy_stash SEC(".maps");

/* Per role, the transfer call that last put data on its socket: the flow of the copy. */
struct skb_flow {
	__u8 sys;
	__u8 src;
	__u8 dst;
	__u8 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CS_ROLE_MAX);
	__type(key, __u32);
	__type(value, struct skb_flow);
} skb_flows SEC(".maps");

static __always_inline int skb_copy_enter(__u8 routine, struct sk_buff *skb, __u64 bytes)
{
	struct skb_copy_stash *s;
	struct cs_task_state *st;
	struct pending_syscall *p;
	struct skb_flow *flow;
	__u32 zero = 0, r;
	__u64 sk = 0;
	int role;

	if (phases_open <= 0 || !skb || !bytes)
		return 0;
	bpf_probe_read_kernel(&sk, sizeof(sk), &skb->sk);
	if (!sk || (role = sock_role_of(sk)) < 0)
		return 0;
	s = bpf_map_lookup_elem(&skb_copy_stash, &zero);
	r = (__u32)role;
	flow = bpf_map_lookup_elem(&skb_flows, &r);
	if (!s || !flow)
		return 0;
	st = current_in_phase();
	p = st && st->role == role ? current_pending() : NULL;
	if (p) {
		flow->sys = p->sys;
		flow->src = p->src;
		flow->dst = p->dst;
	}
	s->bytes = bytes;
	s->routine = routine;
	s->role = (__u8)role;
	s->sys = flow->sys;
	s->src = flow->src;
	s->dst = flow->dst;
	s->live = 1;
	return 0;
}

static __always_inline int skb_copy_exit(bool ok)
{
	struct cs_copy_val *v, zero_val = {};
	struct cs_copy_key key = {};
	struct skb_copy_stash *s;
	struct cs_counters *c;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&skb_copy_stash, &zero);
	if (!s || !s->live)
		return 0;
	s->live = 0;
	if (!ok)
		return 0;
	key.role = s->role;
	key.sys = s->sys;
	key.src = s->src;
	key.dst = s->dst;
	key.dir = CS_COPY_KERNEL;
	key.routine = s->routine;
	v = lookup_or_try_init(&copies, &key, &zero_val);
	if (v) {
		v->calls++;
		v->bytes += s->bytes;
	}
	c = role_counters(s->role);
	if (c) {
		c->copy_calls++;
		c->copy_kernel_bytes += s->bytes;
	}
	return 0;
}

/* net/core/skbuff.c: struct sk_buff *skb_segment(struct sk_buff *head_skb, netdev_features_t features) */
static __always_inline int skb_segment_enter(__u64 skb_arg, __u64 features)
{
	struct sk_buff *skb = (struct sk_buff *)skb_arg;

	/* With scatter-gather the segments share the fragments: no copy. */
	if (features & CS_NETIF_F_SG)
		return 0;
	/* tcp_gso_segment() pulled the headers: len is the payload to copy. */
	return skb_copy_enter(CS_CR_SKB_SEGMENT, skb, BPF_CORE_READ(skb, len));
}

/* net/core/skbuff.c: void *__pskb_pull_tail(struct sk_buff *skb, int delta) */
static __always_inline int pskb_pull_tail_enter(__u64 skb_arg, __u64 delta)
{
	struct sk_buff *skb = (struct sk_buff *)skb_arg;
	__u32 data_len = BPF_CORE_READ(skb, data_len);

	/* Only a whole linearization (__skb_linearize); header pulls are small and not transfers. */
	if ((int)delta <= 0 || (__u32)(int)delta != data_len)
		return 0;
	return skb_copy_enter(CS_CR_PSKB_PULL_TAIL, skb, data_len);
}

/* The four programs of each, named as CS_COPY_HOOK names them (the tracer picks a pair). */
#define CS_SKB_COPY_HOOK(func, enter, failed)					\
SEC("fentry/" #func)								\
int fentry_##func(void *ctx)							\
{										\
	return enter(fentry_arg(ctx, 0), fentry_arg(ctx, 1));			\
}										\
SEC("fexit/" #func)								\
int fexit_##func(void *ctx)							\
{										\
	__u64 r = 0;								\
										\
	bpf_get_func_ret(ctx, &r);						\
	return skb_copy_exit(!failed(r));					\
}										\
SEC("kprobe/" #func)								\
int kprobe_##func(struct pt_regs *ctx)						\
{										\
	return enter(PT_REGS_PARM1(ctx), PT_REGS_PARM2(ctx));			\
}										\
SEC("kretprobe/" #func)								\
int kretprobe_##func(struct pt_regs *ctx)					\
{										\
	return skb_copy_exit(!failed(PT_REGS_RC(ctx)));				\
}

/* skb_segment returns ERR_PTR(-errno) on failure, __pskb_pull_tail NULL. */
#define CS_IS_ERR_PTR(r)	((r) >= (__u64)-4095)
#define CS_IS_NULL(r)		((r) == 0)

CS_SKB_COPY_HOOK(skb_segment, skb_segment_enter, CS_IS_ERR_PTR)
CS_SKB_COPY_HOOK(__pskb_pull_tail, pskb_pull_tail_enter, CS_IS_NULL)

#endif /* COPY_HOOKS_BPF_H */
