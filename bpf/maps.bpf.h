/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * State every concern shares: which processes are tracked and in which role,
 * the per-role counters, each thread's transfer syscall in flight, and which
 * sockets the tracked tasks use; with the one lookup-or-init and the lookups
 * every program starts with. Maps only one concern touches live in its header.
 *
 * The tables answer "tracked?" for every syscall, switch and packet on the
 * machine, so each is an array indexed by the low bits of its key and tagged
 * with the key (a load and a compare), and only an entry whose slot another
 * holds goes to a hash beside it. A *_spilled count says whether that hash was
 * ever used: while it is 0 its lookup is skipped.
 */
#ifndef MAPS_BPF_H
#define MAPS_BPF_H

/* Tracked processes whose `procs` slot another holds. */
#define CS_TRACKED_MAX		4096
/* Threads whose `threads` slot another holds. */
#define CS_PENDING_MAX		8192
/* Sockets of the tracked tasks: the array, and the hash for a taken slot. */
#define CS_SOCK_SLOT_BITS	10
#define CS_SOCK_SLOTS		(1U << CS_SOCK_SLOT_BITS)
#define CS_SOCK_SPILL_MAX	1024
/* 2^64 / golden ratio: Fibonacci hashing spreads word-aligned addresses over the slots. */
#define CS_GOLDEN_RATIO_64	0x9E3779B97F4A7C15ULL

/*
 * The value at key in a hash map, made from init if it has none. A racing
 * insert of the same key wins and is returned; NULL only if the map is full.
 */
static __always_inline void *lookup_or_try_init(void *map, const void *key, const void *init)
{
	void *val = bpf_map_lookup_elem(map, key);

	if (val)
		return val;
	bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

/* Exact counters per role, one copy per CPU, summed by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CS_ROLE_MAX);
	__type(key, __u32);
	__type(value, struct cs_counters);
} counters SEC(".maps");

static __always_inline struct cs_counters *role_counters(__u32 role)
{
	return bpf_map_lookup_elem(&counters, &role);
}

/* Tracked processes by tgid slot (see struct cs_proc); user space adds the root. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CS_PROC_SLOTS);
	__type(key, __u32);
	__type(value, struct cs_proc);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CS_TRACKED_MAX);
	__type(key, __u32);
	__type(value, struct cs_task_state);
} tracked SEC(".maps");

__u32 procs_spilled;

/* The state of tracked process tgid, or NULL. */
static __always_inline struct cs_task_state *proc_state(__u32 tgid)
{
	__u32 slot = tgid & (CS_PROC_SLOTS - 1);
	struct cs_proc *p = bpf_map_lookup_elem(&procs, &slot);

	if (p && p->tgid == tgid && tgid)
		return &p->st;
	if (!procs_spilled)
		return NULL;
	return bpf_map_lookup_elem(&tracked, &tgid);
}

/* Track process tgid (a fork's child: it has not run yet) with state st. */
static __always_inline void proc_track(__u32 tgid, struct cs_task_state *st)
{
	__u32 slot = tgid & (CS_PROC_SLOTS - 1);
	struct cs_proc *p = bpf_map_lookup_elem(&procs, &slot);

	if (p && (p->tgid == tgid || __sync_val_compare_and_swap(&p->tgid, 0, tgid) == 0)) {
		p->st = *st;
		return;
	}
	__sync_fetch_and_add(&procs_spilled, 1);
	bpf_map_update_elem(&tracked, &tgid, st, BPF_ANY);
}

static __always_inline void proc_untrack(__u32 tgid)
{
	__u32 slot = tgid & (CS_PROC_SLOTS - 1);
	struct cs_proc *p = bpf_map_lookup_elem(&procs, &slot);

	if (p && p->tgid == tgid) {
		p->st.in_phase = 0;
		p->tgid = 0;
	} else if (procs_spilled) {
		bpf_map_delete_elem(&tracked, &tgid);
	}
}

/* The calling process's state while it is in its transfer phase, else NULL. */
static __always_inline struct cs_task_state *current_in_phase(void)
{
	struct cs_task_state *st = proc_state(bpf_get_current_pid_tgid() >> 32);

	if (!st || !st->in_phase)
		return NULL;
	return st;
}

struct pending_syscall {
	__u64 ts;
	__u64 count;
	__u64 fds;
	__u8 sys;
	__u8 src;
	__u8 dst;
	__u8 role;
	/*
	 * The kinds of the two descriptors this thread used last, valid while
	 * fd_gen is unchanged: a transfer loop asks about the same two again and
	 * again, and a kind costs a walk of the fd table and up to seven more
	 * kernel reads (inode mode, flags, socket, family, protocol).
	 */
	__u32 cache_gen;
	__s32 cache_fd[2];
	__u8 cache_kind[2];
	__u8 cache_next;
	__u8 flags;	/* 1: the call in flight is a MSG_ZEROCOPY send */
	__u32 tid;	/* the owner: 0 while the slot is free */
	__u32 tgid;	/* the owner's process, set at each transfer syscall's enter */
	/*
	 * 128 bytes a record: a sender and its receiver have neighbouring thread
	 * ids, and two CPUs writing one cache line on every syscall would make
	 * each write a cache miss.
	 */
	__u8 pad[76];
};
_Static_assert(sizeof(struct pending_syscall) == 128, "one record, two cache lines");

/*
 * Each thread's transfer syscall in flight (sys != CS_SYS_OTHER), in a slot
 * by the low bits of its thread id (an array: a tag compare, no hash walk,
 * and any program type may read it, kprobes included). The slot is claimed
 * at the thread's first syscall in a tracked process, reused from call to
 * call (an exit marks it idle) and freed by the thread's exit. A thread whose
 * slot is taken gets its record in the `pending` hash instead. Task storage
 * would do the same, but kprobes cannot use it before Linux 6.2.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CS_THREAD_SLOTS);
	__type(key, __u32);
	__type(value, struct pending_syscall);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CS_PENDING_MAX);
	__type(key, __u32);
	__type(value, struct pending_syscall);
} pending SEC(".maps");

__u32 threads_spilled;

/* Thread tid's record; with create, claimed (or made) if it has none. */
static __always_inline struct pending_syscall *thread_rec(__u32 tid, bool create)
{
	__u32 slot = tid & (CS_THREAD_SLOTS - 1);
	struct pending_syscall *p = bpf_map_lookup_elem(&threads, &slot);

	if (!p || !tid)
		return NULL;
	if (p->tid == tid)
		return p;
	if (create && !p->tid && __sync_val_compare_and_swap(&p->tid, 0, tid) == 0)
		return p;	/* freed slots are idle and zeroed */
	if (!create && !threads_spilled)
		return NULL;
	p = bpf_map_lookup_elem(&pending, &tid);
	if (p || !create)
		return p;
	{
		struct pending_syscall idle = {};

		idle.tid = tid;
		__sync_fetch_and_add(&threads_spilled, 1);
		bpf_map_update_elem(&pending, &tid, &idle, BPF_NOEXIST);
	}
	return bpf_map_lookup_elem(&pending, &tid);
}

/* At a thread's exit: its record goes with it. */
static __always_inline void thread_release(__u32 tid)
{
	__u32 slot = tid & (CS_THREAD_SLOTS - 1);
	struct pending_syscall *p = bpf_map_lookup_elem(&threads, &slot);

	if (p && tid && p->tid == tid) {
		__builtin_memset(p, 0, sizeof(*p) - sizeof(p->pad));
		return;	/* the zeroed tag frees the slot */
	}
	if (threads_spilled)
		bpf_map_delete_elem(&pending, &tid);
}

/* The transfer syscall the current thread is in, or NULL (none, or not decoded). */
static __always_inline struct pending_syscall *current_pending(void)
{
	struct pending_syscall *p = thread_rec((__u32)bpf_get_current_pid_tgid(), false);

	if (!p || p->sys == CS_SYS_OTHER)
		return NULL;
	return p;
}

/*
 * TCP sockets the tracked tasks used: their transmits count wherever they
 * run. net_dev_start_xmit runs for every packet on the machine, so the
 * common lookup is a slot of an array, indexed by a hash of the socket's
 * address and tagged with it, the role in its low bit (a struct sock is
 * word-aligned); a socket whose slot another holds goes to the hash.
 */
_Static_assert(CS_ROLE_MAX <= 2, "a socket's tag has one bit for the role");
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CS_SOCK_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CS_SOCK_SPILL_MAX);
	__type(key, __u64);
	__type(value, __u8);
} sock_role SEC(".maps");

__u32 socks_spilled;

static __always_inline __u32 sock_slot(__u64 sk)
{
	return (__u32)((sk * CS_GOLDEN_RATIO_64) >> (64 - CS_SOCK_SLOT_BITS)) & (CS_SOCK_SLOTS - 1);
}

/* The role of the tracked tasks that used socket sk, or -1. */
static __always_inline int sock_role_of(__u64 sk)
{
	__u32 slot = sock_slot(sk);
	__u64 *tag = bpf_map_lookup_elem(&socks, &slot);
	__u8 *role;

	if (tag && (*tag & ~1ULL) == sk)
		return *tag & 1;
	if (!socks_spilled)
		return -1;
	role = bpf_map_lookup_elem(&sock_role, &sk);
	return role ? *role : -1;
}

/* Socket sk is used by a tracked task of this role. */
static __always_inline void sock_mark(__u64 sk, __u8 role)
{
	__u32 slot = sock_slot(sk);
	__u64 *tag = bpf_map_lookup_elem(&socks, &slot);
	__u64 want = sk | (role & 1);
	__u8 *known;

	if (tag) {
		__u64 have = *tag;

		if (have == want)
			return;
		if ((have & ~1ULL) == sk) {
			*tag = want;	/* another role uses it now */
			return;
		}
		if (!have && __sync_val_compare_and_swap(tag, 0, want) == 0)
			return;
	}
	known = bpf_map_lookup_elem(&sock_role, &sk);
	if (!known || *known != role) {
		__sync_fetch_and_add(&socks_spilled, 1);
		bpf_map_update_elem(&sock_role, &sk, &role, BPF_ANY);
	}
}

#endif /* MAPS_BPF_H */
