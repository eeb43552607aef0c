/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Measured CPU copies: entry/exit hooks on the kernel's copy routines.
 * Included at the end of copyscope.bpf.c (needs current_in_phase(),
 * current_pending() and role_counters()).
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

struct copy_frame {
	__u64 ts;	/* entry of the outermost routine */
	__u64 want;	/* bytes asked for (_copy_{to,from}_user return what is left) */
	__u32 depth;
	__u8 dir;	/* enum cs_copy_dir of the outermost routine */
	__u8 routine;
	__u8 role;
	__u8 left;	/* 1: the return value is the bytes NOT copied */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct copy_frame);
} copy_frames SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct cs_copy_key);
	__type(value, struct cs_copy_val);
} copies SEC(".maps");

/* What the copy does, from its role and the iov_iter's flavour. */
enum copy_side {
	CS_SIDE_TO_ITER,	/* data goes into the iter */
	CS_SIDE_PAGE_TO_ITER,	/* the same, but a pipe iter only takes a page reference */
	CS_SIDE_FROM_ITER,	/* data comes out of the iter */
	CS_SIDE_TO_USER,	/* _copy_to_user */
	CS_SIDE_FROM_USER,	/* _copy_from_user */
};

static __always_inline __u8 copy_dir(enum copy_side side, struct iov_iter *i)
{
	unsigned int t;

	if (side == CS_SIDE_TO_USER)
		return CS_COPY_TO_USER;
	if (side == CS_SIDE_FROM_USER)
		return CS_COPY_FROM_USER;
	if (!i)
		return CS_COPY_NONE;
	t = iov_iter_flavour(i);
	if (iter_is_user(t))
		return side == CS_SIDE_FROM_ITER ? CS_COPY_FROM_USER : CS_COPY_TO_USER;
	if (iter_is(t, ITER_DISCARD))
		return CS_COPY_NONE;
	/*
	 * Up to Linux 6.3, splice reads fill an ITER_PIPE: copy_page_to_iter()
	 * then puts a reference to the page-cache page into the pipe
	 * (copy_page_to_iter_pipe) and copies nothing. _copy_to_iter() into a
	 * pipe does copy, into fresh pipe pages.
	 */
	if (side == CS_SIDE_PAGE_TO_ITER && iter_is(t, ITER_PIPE))
		return CS_COPY_NONE;
	return CS_COPY_KERNEL;
}

static __always_inline int copy_enter(__u8 routine, enum copy_side side, __u64 arg)
{
	struct cs_task_state *st = current_in_phase();
	struct copy_frame *f, zero = {};
	__u32 tid;
	__u64 now;

	if (!st)
		return 0;
	tid = (__u32)bpf_get_current_pid_tgid();
	f = bpf_map_lookup_elem(&copy_frames, &tid);
	if (!f) {
		bpf_map_update_elem(&copy_frames, &tid, &zero, BPF_NOEXIST);
		f = bpf_map_lookup_elem(&copy_frames, &tid);
		if (!f)
			return 0;
	}
	now = bpf_ktime_get_ns();
	if (f->depth && now - f->ts < CS_COPY_STALE_NS) {
		f->depth++;	/* called from another hooked routine */
		return 0;
	}
	f->depth = 1;
	f->ts = now;
	f->routine = routine;
	f->role = st->role;
	f->left = side == CS_SIDE_TO_USER || side == CS_SIDE_FROM_USER;
	f->want = f->left ? arg : 0;
	f->dir = copy_dir(side, f->left ? NULL : (struct iov_iter *)arg);
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
	__u64 bytes;

	if (!f || !f->depth)
		return 0;
	if (--f->depth)
		return 0;
	if (f->dir >= CS_COPY_DIR_MAX)
		return 0;
	if (f->left)
		bytes = ret <= f->want ? f->want - ret : 0;
	else
		bytes = ret;
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
	v = bpf_map_lookup_elem(&copies, &key);
	if (!v) {
		bpf_map_update_elem(&copies, &key, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&copies, &key);
	}
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

/*
 * Four programs per routine. `arg` is the iov_iter (or, for the user-copy
 * routines, the byte count), numbered from 0. fentry/fexit read arguments and
 * the return value with bpf_get_func_arg/ret, so they do not depend on how many
 * arguments the routine has in this kernel.
 */
#define CS_COPY_HOOK(func, routine, side, arg)					\
SEC("fentry/" #func)								\
int fentry_##func(void *ctx)							\
{										\
	__u64 a = 0;								\
										\
	bpf_get_func_arg(ctx, arg, &a);						\
	return copy_enter(routine, side, a);					\
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
	return copy_enter(routine, side, kprobe_arg(ctx, arg));			\
}										\
SEC("kretprobe/" #func)								\
int kretprobe_##func(struct pt_regs *ctx)					\
{										\
	return copy_exit(PT_REGS_RC(ctx));					\
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

/* size_t _copy_to_iter(const void *addr, size_t bytes, struct iov_iter *i) */
CS_COPY_HOOK(_copy_to_iter, CS_CR_COPY_TO_ITER, CS_SIDE_TO_ITER, 2)
CS_COPY_HOOK(_copy_from_iter, CS_CR_COPY_FROM_ITER, CS_SIDE_FROM_ITER, 2)
CS_COPY_HOOK(_copy_from_iter_nocache, CS_CR_COPY_FROM_ITER_NOCACHE, CS_SIDE_FROM_ITER, 2)
/* size_t copy_page_to_iter(struct page *, size_t offset, size_t bytes, struct iov_iter *i) */
CS_COPY_HOOK(copy_page_to_iter, CS_CR_COPY_PAGE_TO_ITER, CS_SIDE_PAGE_TO_ITER, 3)
CS_COPY_HOOK(copy_page_from_iter, CS_CR_COPY_PAGE_FROM_ITER, CS_SIDE_FROM_ITER, 3)
CS_COPY_HOOK(copy_page_from_iter_atomic, CS_CR_COPY_PAGE_FROM_ITER_ATOMIC, CS_SIDE_FROM_ITER, 3)
/* Linux 6.x: size_t copy_folio_from_iter_atomic(struct folio *, size_t, size_t, struct iov_iter *) */
CS_COPY_HOOK(copy_folio_from_iter_atomic, CS_CR_COPY_FOLIO_FROM_ITER_ATOMIC, CS_SIDE_FROM_ITER, 3)
/* size_t csum_and_copy_to_iter(const void *addr, size_t bytes, void *csump, struct iov_iter *i) */
CS_COPY_HOOK(csum_and_copy_to_iter, CS_CR_CSUM_AND_COPY_TO_ITER, CS_SIDE_TO_ITER, 3)
CS_COPY_HOOK(csum_and_copy_from_iter, CS_CR_CSUM_AND_COPY_FROM_ITER, CS_SIDE_FROM_ITER, 3)
/* unsigned long _copy_to_user(void __user *to, const void *from, unsigned long n): returns what is left */
CS_COPY_HOOK(_copy_to_user, CS_CR_COPY_TO_USER, CS_SIDE_TO_USER, 2)
CS_COPY_HOOK(_copy_from_user, CS_CR_COPY_FROM_USER, CS_SIDE_FROM_USER, 2)

#endif /* COPY_HOOKS_BPF_H */
