// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * copyscope: every probe in one object. Only processes of the scenario's tree
 * (the `procs` table, filled by user space for the root and followed here on
 * fork) are counted, and only between their USDT phase markers.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/usdt.bpf.h>
#include "copyscope.h"
#include "core_fixes.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u8 emit_events = 1;
/* The event ring's size (see `events`). */
#define CS_RING_BYTES (1024 * 1024)

/*
 * Wake the consumer when about this much data waits (fewer wake-ups), a
 * quarter of the ring: it then has three quarters left to read before a
 * drop. Each CPU wakes it once it has written wake_cpu_bytes since its last
 * wake-up: wakeup_bytes over the possible CPUs (set by the tracer), so that
 * no more than wakeup_bytes wait unannounced, whatever the CPU count. On 2
 * CPUs that is 128 KiB a CPU, what the old rule of every 146 full batches
 * gave.
 */
const volatile __u64 wakeup_bytes = CS_RING_BYTES / 4;
const volatile __u32 wake_cpu_bytes = CS_RING_BYTES / 4;

/* Tracked processes by tgid slot (see struct cs_proc). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CS_PROC_SLOTS);
	__type(key, __u32);
	__type(value, struct cs_proc);
} procs SEC(".maps");

/* Tracked processes whose slot in `procs` was taken by another. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct cs_task_state);
} tracked SEC(".maps");

/* How many entries `tracked` and `pending` ever got: 0 spares their lookups. */
__u32 procs_spilled;
__u32 threads_spilled;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CS_ROLE_MAX);
	__type(key, __u32);
	__type(value, struct cs_counters);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct cs_flow_key);
	__type(value, struct cs_flow_val);
} flows SEC(".maps");

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
	__u8 pad0;
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
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct pending_syscall);
} pending SEC(".maps");

struct io_owner {
	__u64 issue_ts;
	__u32 tgid;
	__u32 tid;
	__u8 role;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct io_owner);
} bio_owner SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct io_owner);
} rq_owner SEC(".maps");

/*
 * TCP sockets the tracked tasks used: their transmits count wherever they
 * run. net_dev_start_xmit runs for every packet on the machine, so the
 * common lookup is a slot of an array, indexed by a hash of the socket's
 * address and tagged with it, the role in its low bit (a struct sock is
 * word-aligned); a socket whose slot another holds goes to the hash. The
 * LRU hash alone cost 320-400 ns a packet, the array 270-290 (bpf_stats).
 */
#define CS_SOCK_SLOTS 1024
_Static_assert(CS_ROLE_MAX <= 2, "a socket's tag has one bit for the role");
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CS_SOCK_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} socks SEC(".maps");
__u32 socks_spilled;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u8);
} sock_role SEC(".maps");

static __always_inline __u32 sock_slot(__u64 sk)
{
	return (__u32)((sk * 0x9E3779B97F4A7C15ULL) >> 54) & (CS_SOCK_SLOTS - 1);
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

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	/*
	 * 18 700 events. Small on purpose: the producer writes the ring line
	 * by line, and a line that fell out of the cache since the ring last
	 * wrapped costs a miss per line. The scenarios' own copies stream
	 * through the cache, so only a small ring stays in it. Average cost per
	 * call on the 2-core VM, read_write of 1 GiB in 64 KiB buffers to TCP
	 * (bpf_stats): sys_exit 620 ns with 2 MiB, 390 ns with 1 MiB, 350 ns
	 * with 512 KiB; sched_switch (then a flush at each switch-out) 1250-1800,
	 * 460 and 450 ns. Without event output sys_exit takes 210 ns.
	 * Not smaller than 1 MiB: the consumer is sometimes off its CPU for
	 * more than 10 ms, and at 512 KiB `bench pipeline` (600 000 events/s)
	 * still dropped events in 1 round of 27 after the consumer stopped
	 * taking page faults; at 1 MiB none in 27, nor in 9 with two CPU hogs
	 * beside it. Drops are counted and shown if it ever does.
	 */
	__uint(max_entries, CS_RING_BYTES);
} events SEC(".maps");

static __always_inline struct cs_counters *role_counters(__u32 role)
{
	return bpf_map_lookup_elem(&counters, &role);
}

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

/* Bytes n events take in the ring as one record: its header and the events, 8-aligned. */
#define CS_BATCH_RING_BYTES(n) (8 + (((n) * sizeof(struct cs_event) + 7) & ~7UL))
#define CS_EVENT_RING_BYTES CS_BATCH_RING_BYTES(1)

/* A batch leaves once its oldest event is this old, so a quiet task's events still arrive. */
#define CS_BATCH_AGE_NS (20 * 1000 * 1000ULL)

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cs_batch);
} batches SEC(".maps");

/*
 * Wake the consumer each time the waiting data crosses a multiple of
 * wakeup_bytes, not on every event beyond it: every wake-up is an interrupt
 * on the producing CPU. A crossing two CPUs both miss is caught at the next.
 */
static __always_inline __u64 wakeup_flags(void)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	if (avail / wakeup_bytes != (avail + CS_EVENT_RING_BYTES) / wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* One event straight to the ring: from interrupt context, or while the CPU's batch is busy. */
static __always_inline void emit_direct(struct cs_counters *c, struct cs_event *ev)
{
	if (!emit_events)
		return;
	ev->cpu = bpf_get_smp_processor_id();
	if (bpf_ringbuf_output(&events, ev, sizeof(*ev), wakeup_flags()))
		c->events_dropped++;
	else
		c->events_captured++;
}

/*
 * Writes the CPU's batch to the ring as one record. The consumer is woken by
 * bytes, not by records: a task that leaves its CPU flushes a batch of one
 * or two events, and waking every so many flushes woke the consumer 229
 * times for 1 GiB of read_write at 64 KiB (4.5 MB of events; 39 times now).
 * Its poll timeout sweeps up what no wake-up announced.
 */
static __always_inline void batch_flush(struct cs_batch *b, bool wake)
{
	__u32 n = b->n;
	__u64 flags = BPF_RB_NO_WAKEUP;
	struct cs_counters *c;

	if (!n)
		return;
	if (n > CS_BATCH)
		n = CS_BATCH;
	b->unwoken += CS_BATCH_RING_BYTES(n);
	if (wake || b->unwoken >= wake_cpu_bytes) {
		flags = BPF_RB_FORCE_WAKEUP;
		b->unwoken = 0;
	}
	if (bpf_ringbuf_output(&events, b->ev, n * sizeof(struct cs_event), flags)) {
		for (__u32 role = 0; role < CS_ROLE_MAX; role++) {
			c = role_counters(role);
			if (c) {
				c->events_captured -= b->role_n[role];
				c->events_dropped += b->role_n[role];
			}
		}
	}
	for (__u32 role = 0; role < CS_ROLE_MAX; role++)
		b->role_n[role] = 0;
	b->n = 0;
}

/*
 * Emits an event of the current task, from process context. It joins the
 * CPU's batch, which leaves when full, when `flush` says so (the CPU goes
 * to an untraced task, the task exits or ends its phase), or when its oldest
 * event is CS_BATCH_AGE_NS old. With `wake` a flush also wakes the consumer,
 * so that the end of a phase or of a process is seen at once, not at its poll
 * timeout (50 ms). An event whose program interrupted another one in the
 * middle of adding (a fault in a kernel read) goes to the ring directly.
 * Tracepoint programs run with preemption off, so the busy flag is a plain
 * store; a uprobe program may be preempted (`preemptible`) and takes it with
 * an atomic exchange.
 */
static __always_inline void emit_batched(struct cs_counters *c, struct cs_event *ev, bool flush,
					 bool preemptible, bool wake)
{
	__u32 zero = 0;
	struct cs_batch *b;
	__u32 i;

	if (!emit_events)
		return;
	b = bpf_map_lookup_elem(&batches, &zero);
	if (!b || (preemptible ? __sync_lock_test_and_set(&b->busy, 1) : b->busy)) {
		emit_direct(c, ev);
		return;
	}
	b->busy = 1;
	if (b->n >= CS_BATCH)
		batch_flush(b, false);
	i = b->n;
	if (i < CS_BATCH) {
		ev->cpu = bpf_get_smp_processor_id();
		b->ev[i] = *ev;
		if (!i)
			b->first_ts = ev->ts;
		b->n = i + 1;
		if (ev->role < CS_ROLE_MAX)
			b->role_n[ev->role]++;
		c->events_captured++;
	}
	if (flush || b->n >= CS_BATCH || ev->ts - b->first_ts > CS_BATCH_AGE_NS)
		batch_flush(b, flush && wake);
	b->busy = 0;
}

static __always_inline void emit(struct cs_counters *c, struct cs_event *ev)
{
	emit_batched(c, ev, false, false, false);
}

static __always_inline void fill_current(struct cs_event *ev, __u8 type, __u8 role)
{
	__u64 id = bpf_get_current_pid_tgid();

	ev->ts = bpf_ktime_get_ns();
	ev->tgid = id >> 32;
	ev->tid = (__u32)id;
	ev->type = type;
	ev->role = role;
}

static __always_inline __u8 syscall_from_nr(long nr)
{
#if defined(__TARGET_ARCH_arm64)
	switch (nr) {
	case 63: return CS_SYS_READ;
	case 64: return CS_SYS_WRITE;
	case 67: return CS_SYS_PREAD64;
	case 68: return CS_SYS_PWRITE64;
	case 65: return CS_SYS_READV;
	case 66: return CS_SYS_WRITEV;
	case 69: return CS_SYS_PREADV;
	case 70: return CS_SYS_PWRITEV;
	case 206: return CS_SYS_SENDTO;
	case 207: return CS_SYS_RECVFROM;
	case 211: return CS_SYS_SENDMSG;
	case 212: return CS_SYS_RECVMSG;
	case 71: return CS_SYS_SENDFILE;
	case 76: return CS_SYS_SPLICE;
	case 77: return CS_SYS_TEE;
	case 75: return CS_SYS_VMSPLICE;
	case 285: return CS_SYS_COPY_FILE_RANGE;
	case 222: return CS_SYS_MMAP;
	case 215: return CS_SYS_MUNMAP;
	case 426: return CS_SYS_IO_URING_ENTER;
	case 46: return CS_SYS_FTRUNCATE;
	case 220: case 435: return CS_SYS_CLONE;
	case 260: return CS_SYS_WAIT4;
	}
#else
	switch (nr) {
	case 0: return CS_SYS_READ;
	case 1: return CS_SYS_WRITE;
	case 17: return CS_SYS_PREAD64;
	case 18: return CS_SYS_PWRITE64;
	case 19: return CS_SYS_READV;
	case 20: return CS_SYS_WRITEV;
	case 295: return CS_SYS_PREADV;
	case 296: return CS_SYS_PWRITEV;
	case 44: return CS_SYS_SENDTO;
	case 45: return CS_SYS_RECVFROM;
	case 46: return CS_SYS_SENDMSG;
	case 47: return CS_SYS_RECVMSG;
	case 40: return CS_SYS_SENDFILE;
	case 275: return CS_SYS_SPLICE;
	case 276: return CS_SYS_TEE;
	case 278: return CS_SYS_VMSPLICE;
	case 326: return CS_SYS_COPY_FILE_RANGE;
	case 9: return CS_SYS_MMAP;
	case 11: return CS_SYS_MUNMAP;
	case 426: return CS_SYS_IO_URING_ENTER;
	case 77: return CS_SYS_FTRUNCATE;
	case 56: case 435: return CS_SYS_CLONE;
	case 57: case 58: return CS_SYS_FORK;
	case 61: return CS_SYS_WAIT4;
	}
#endif
	return CS_SYS_OTHER;
}

/*
 * What an open file is. CO-RE reads, not typed loads through bpf_rdonly_cast():
 * that kfunc came with Linux 6.2 and the object must also load on 6.1.
 */
static __always_inline __u8 file_kind(struct file *f, __u8 role)
{
	struct socket *sock;
	struct sock *sk;
	unsigned int mode, family;

	if (!f)
		return CS_FD_NONE;
	mode = BPF_CORE_READ(f, f_inode, i_mode) & CS_S_IFMT;
	switch (mode) {
	case CS_S_IFREG:
		return (BPF_CORE_READ(f, f_flags) & CS_O_DIRECT) ? CS_FD_FILE_DIRECT : CS_FD_FILE;
	case CS_S_IFIFO:
		return CS_FD_PIPE;
	case CS_S_IFCHR:
		return CS_FD_CHAR;
	case CS_S_IFSOCK:
		sock = BPF_CORE_READ(f, private_data);
		sk = BPF_CORE_READ(sock, sk);
		if (!sk)
			return CS_FD_SOCKET;
		family = BPF_CORE_READ(sk, __sk_common.skc_family);
		if ((family == 2 || family == 10) && sock_protocol(sk) == 6) {
			sock_mark((__u64)sk, role);
			return CS_FD_TCP;
		}
		return CS_FD_SOCKET;
	}
	return CS_FD_OTHER;
}

/*
 * The open file behind the current task's descriptor fd, or NULL. BTF-typed
 * programs only (tp_btf): the task's fields are plain loads there.
 */
static __always_inline struct file *fd_file(int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file **fd_array;
	struct file *f = NULL;

	if (fd < 0 || !fdt || (unsigned int)fd >= fdt->max_fds)
		return NULL;
	fd_array = fdt->fd;
	bpf_probe_read_kernel(&f, sizeof(f), &fd_array[fd]);
	return f;
}

/*
 * Bumped whenever a tracked process may have changed what one of its
 * descriptors is, which empties every thread's cache of fd kinds. A
 * descriptor only gets another file once it was closed or dup'ed over (open,
 * accept, socket, pipe, SCM_RIGHTS, pidfd_getfd only take free numbers):
 * close, close_range, dup2, dup3, exec (close-on-exec) and io_uring's close,
 * plus fcntl, which may set O_DIRECT. One count for all tracked processes,
 * since a process forked with CLONE_FILES shares its parent's table.
 */
__u32 fd_gen = 1;	/* never 0: a fresh (zeroed) thread record must not match */

static __always_inline __u8 fd_kind_cached(struct pending_syscall *p, __u32 gen, int fd)
{
	struct file *f;
	__u8 kind, slot;

	if (fd < 0)
		return CS_FD_NONE;
	if (p->cache_gen != gen) {
		p->cache_gen = gen;
		p->cache_fd[0] = p->cache_fd[1] = -1;
	}
	if (p->cache_fd[0] == fd)
		return p->cache_kind[0];
	if (p->cache_fd[1] == fd)
		return p->cache_kind[1];
	f = fd_file(fd);
	if (!f)
		return CS_FD_NONE;	/* not cached: a free number may be opened without a bump */
	kind = file_kind(f, p->role);
	slot = p->cache_next & 1;
	p->cache_fd[slot] = fd;
	p->cache_kind[slot] = kind;
	p->cache_next = slot ^ 1;
	return kind;
}

/* Syscalls that may change what a descriptor is (see fd_gen). */
static __always_inline bool changes_fds(long nr)
{
#if defined(__TARGET_ARCH_arm64)
	return nr == 57 || nr == 23 || nr == 24 || nr == 25 || nr == 436 || nr == 221 || nr == 281;
#else
	return nr == 3 || nr == 33 || nr == 292 || nr == 72 || nr == 436 || nr == 59 || nr == 322;
#endif
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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CS_FLOW_SLOTS);
	__type(key, __u32);
	__type(value, struct cs_flow_val);
} sys_flows SEC(".maps");

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
	fv = bpf_map_lookup_elem(&flows, &key);
	if (!fv) {
		bpf_map_update_elem(&flows, &key, &zero, BPF_NOEXIST);
		fv = bpf_map_lookup_elem(&flows, &key);
	}
	if (fv) {
		fv->calls++;
		fv->bytes += bytes;
	}
}

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
	unsigned long args[5];
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
	if (emit_events)	/* a clock read costs about 95 ns here; only events need it */
		p->ts = bpf_ktime_get_ns();
	args[0] = PT_REGS_PARM1_SYSCALL(regs);
	args[1] = PT_REGS_PARM2_SYSCALL(regs);
	args[2] = PT_REGS_PARM3_SYSCALL(regs);
	args[3] = PT_REGS_PARM4_SYSCALL(regs);
	args[4] = PT_REGS_PARM5_SYSCALL(regs);
	p->sys = sys;
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
		ev.arg1 = p->count;
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

/*
 * io_uring moves data without a transfer syscall: each completed read, write or
 * send is a flow of its own (CS_FLOW_URING_*), classified by the request's file.
 * Completions run in the submitter's task work or in its io-wq workers, both
 * of the tracked process.
 */
static __always_inline int uring_completed(struct io_kiocb *r, __s32 res, __u32 cflags)
{
	struct cs_task_state *st = proc_state(bpf_get_current_pid_tgid() >> 32);
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
	if (cflags & CS_IORING_CQE_F_NOTIF)
		return 0;	/* a zero-copy notification, not data */
	if (res <= 0)
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
	add_flow(st->role, sys, src, dst, res);
	return 0;
}

/*
 * The tracepoint's arguments changed: newer kernels pass the completion entry
 * (ctx, req, cqe), Linux 6.1 and older pass its fields (ctx, req, user_data,
 * res, cflags, extra1, extra2). A raw tracepoint sees them by position, so
 * there is one program per layout; the tracer loads the one the running
 * kernel's BTF describes.
 */
SEC("raw_tp/io_uring_complete")
int BPF_PROG(on_uring_complete, struct io_ring_ctx *ring, void *req, struct io_uring_cqe *cqe)
{
	return uring_completed(req, BPF_CORE_READ(cqe, res), BPF_CORE_READ(cqe, flags));
}

SEC("?raw_tp/io_uring_complete")
int BPF_PROG(on_uring_complete_fields, void *ring, void *req, __u64 user_data, int res, unsigned int cflags)
{
	return uring_completed(req, res, cflags);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct cs_task_state *st;
	struct cs_counters *c;
	struct cs_event ev = {};
	__u32 next_tgid = next->tgid;
	struct cs_task_state *next_st = proc_state(next_tgid);
	bool next_in_phase = next_st && next_st->in_phase;
	__u64 now = 0;

	st = current_in_phase();
	if (st && (c = role_counters(st->role))) {
		/*
		 * preempt alone misses most preemptions: a task told to
		 * reschedule on its way back to user space calls schedule()
		 * itself (preempt == false) while still runnable. A switch is
		 * voluntary only when prev blocks, i.e. leaves in a sleeping
		 * state; the kernel's nvcsw/nivcsw split the same way.
		 */
		bool involuntary = preempt || task_state(prev) == 0;	/* TASK_RUNNING */

		c->ctx_switches++;
		if (involuntary)
			c->ctx_switches_involuntary++;
		fill_current(&ev, CS_EV_SWITCH_OUT, st->role);
		now = ev.ts;
		ev.a = involuntary ? 0 : 1;	/* 1 = voluntary (blocked) */
		ev.arg0 = next->pid;
		/*
		 * The batch leaves now only if the CPU goes to a task that adds
		 * nothing to it (idle, copyscope itself, anything untraced):
		 * otherwise it would wait there for the age rule. Between two
		 * traced tasks it fills on; user space orders events by ts, so a
		 * task that moves to another CPU needs no flush here. A sender
		 * and its receiver taking turns on one CPU flushed a batch of
		 * about 11 events at every switch, not 16 (read_write 4 KiB).
		 */
		emit_batched(c, &ev, !next_in_phase, false, false);
	}
	if (next_in_phase && (c = role_counters(next_st->role))) {
		__builtin_memset(&ev, 0, sizeof(ev));
		/* One instant, one clock read: a read costs about 95 ns here (bpf_stats). */
		ev.ts = now ? now : bpf_ktime_get_ns();
		ev.tgid = next_tgid;
		ev.tid = next->pid;
		ev.type = CS_EV_SWITCH_IN;
		ev.role = next_st->role;
		ev.arg0 = prev->pid;
		emit(c, &ev);
	}
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct cs_task_state *st = proc_state(tgid);
	struct cs_task_state copy;
	struct cs_counters *c;
	struct cs_event ev = {};
	__u32 child_tgid;

	if (!st)
		return 0;
	child_tgid = BPF_CORE_READ(child, tgid);
	if (child_tgid == tgid)
		return 0;	/* a new thread of a tracked process */
	copy = *st;
	proc_track(child_tgid, &copy);
	c = role_counters(copy.role);
	if (!c)
		return 0;
	fill_current(&ev, CS_EV_FORK, copy.role);
	ev.arg0 = child_tgid;
	emit(c, &ev);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int on_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct cs_task_state *st;
	struct cs_counters *c;
	struct cs_event ev = {};

	thread_release(tid);
	if (tgid != tid)
		return 0;	/* only the group leader's exit ends the process */
	st = proc_state(tgid);
	if (!st)
		return 0;
	c = role_counters(st->role);
	if (c) {
		fill_current(&ev, CS_EV_EXIT, st->role);
		emit_batched(c, &ev, true, false, true);
	}
	proc_untrack(tgid);
	return 0;
}

static __always_inline int on_fault(unsigned long address, unsigned long error_code, bool user)
{
	struct cs_task_state *st = current_in_phase();
	struct cs_counters *c;
	struct cs_event ev = {};

	if (!st || !(c = role_counters(st->role)))
		return 0;
	if (user)
		c->page_faults_user++;
	else
		c->page_faults_kernel++;
	fill_current(&ev, CS_EV_FAULT, st->role);
	ev.a = user;
	ev.arg0 = address;
	ev.arg1 = error_code;
	emit(c, &ev);
	return 0;
}

struct fault_args {
	__u64 common;
	unsigned long address;
	unsigned long ip;
	unsigned long error_code;
};

SEC("tracepoint/exceptions/page_fault_user")
int on_fault_user(struct fault_args *ctx)
{
	return on_fault(ctx->address, ctx->error_code, true);
}

SEC("tracepoint/exceptions/page_fault_kernel")
int on_fault_kernel(struct fault_args *ctx)
{
	return on_fault(ctx->address, ctx->error_code, false);
}

SEC("tracepoint/filemap/mm_filemap_add_to_page_cache")
int on_page_cache_add(struct trace_event_raw_mm_filemap_op_page_cache *ctx)
{
	struct cs_task_state *st = current_in_phase();
	struct cs_counters *c;
	struct cs_event ev = {};
	unsigned int order;

	if (!st || !(c = role_counters(st->role)))
		return 0;
	order = filemap_event_order(ctx);
	c->page_cache_adds++;
	c->page_cache_add_pages += 1ULL << (order & 31);
	fill_current(&ev, CS_EV_PAGE_CACHE_ADD, st->role);
	ev.a = order;
	ev.arg0 = BPF_CORE_READ(ctx, i_ino);
	ev.arg1 = BPF_CORE_READ(ctx, index);
	emit(c, &ev);
	return 0;
}

/* Block I/O: a bio submitted by a tracked task in its phase owns its request. */
static __always_inline void own_bio(struct bio *bio)
{
	struct cs_task_state *st = current_in_phase();
	struct io_owner o = {};
	__u64 id, key = (__u64)bio;

	if (!st)
		return;
	id = bpf_get_current_pid_tgid();
	o.tgid = id >> 32;
	o.tid = (__u32)id;
	o.role = st->role;
	bpf_map_update_elem(&bio_owner, &key, &o, BPF_ANY);
}

SEC("raw_tp/block_bio_queue")
int BPF_PROG(on_bio_queue, struct bio *bio)
{
	own_bio(bio);
	return 0;
}

SEC("raw_tp/block_split")
int BPF_PROG(on_bio_split, struct bio *bio)
{
	own_bio(bio);
	return 0;
}

SEC("raw_tp/block_rq_issue")
int BPF_PROG(on_rq_issue, struct request *rq)
{
	struct bio *bio = BPF_CORE_READ(rq, bio);
	struct io_owner *o, found = {};
	__u64 key;
	bool owned = false;

	for (int i = 0; i < 32 && bio; i++) {
		key = (__u64)bio;
		o = bpf_map_lookup_elem(&bio_owner, &key);
		if (o) {
			if (!owned)
				found = *o;
			owned = true;
			bpf_map_delete_elem(&bio_owner, &key);
		}
		bio = BPF_CORE_READ(bio, bi_next);
	}
	if (!owned)
		return 0;
	found.issue_ts = bpf_ktime_get_ns();
	key = (__u64)rq;
	bpf_map_update_elem(&rq_owner, &key, &found, BPF_ANY);
	return 0;
}

/* Completion runs in interrupt context: the owner comes from the issue. */
SEC("raw_tp/block_rq_complete")
int BPF_PROG(on_rq_complete, struct request *rq, int error, unsigned int nr_bytes)
{
	__u64 key = (__u64)rq;
	struct io_owner *o = bpf_map_lookup_elem(&rq_owner, &key);
	struct cs_counters *c;
	struct cs_event ev = {};
	unsigned int op;

	if (!o)
		return 0;
	/*
	 * Only reads and writes move data. A discard (ext4 mounted with -o discard
	 * issues one for the blocks a truncate frees), flush or write-zeroes
	 * request carries a byte count but no data: it is not DMA of ours.
	 */
	op = BPF_CORE_READ(rq, cmd_flags) & CS_REQ_OP_MASK;
	c = op <= CS_REQ_OP_WRITE ? role_counters(o->role) : NULL;
	if (c) {
		c->dma_ops++;
		c->dma_bytes += nr_bytes;
		if (op == CS_REQ_OP_WRITE)
			c->dma_write_bytes += nr_bytes;
		else
			c->dma_read_bytes += nr_bytes;
		ev.ts = o->issue_ts;
		ev.dur = bpf_ktime_get_ns() - o->issue_ts;
		ev.tgid = o->tgid;
		ev.tid = o->tid;
		ev.type = CS_EV_BLOCK;
		ev.role = o->role;
		ev.a = op == CS_REQ_OP_WRITE;
		ev.arg0 = BPF_CORE_READ(rq, __sector);
		ev.arg1 = nr_bytes;
		ev.ret = error;
		emit_direct(c, &ev);	/* interrupt context */
	}
	/* Partial completions leave the rest of the request outstanding. */
	if (nr_bytes >= BPF_CORE_READ(rq, __data_len))
		bpf_map_delete_elem(&rq_owner, &key);
	return 0;
}

/*
 * Loopback transmits often run in softirq context on behalf of whichever task
 * is current (e.g. the receiver's ACK processing), so the owner comes from the
 * socket, not from the current task.
 */
SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(on_net_xmit, struct sk_buff *skb, struct net_device *dev)
{
	/*
	 * tp_btf: skb and dev are typed, their fields plain loads, not probe
	 * reads. Except the socket's address: as a typed pointer it cannot be
	 * hashed, read as a number it can.
	 */
	__u64 key = 0;
	struct cs_counters *c;
	unsigned int len;
	bool loopback;
	int role;

	bpf_probe_read_kernel(&key, sizeof(key), &skb->sk);
	if (!key)
		return 0;
	role = sock_role_of(key);
	if (role < 0 || !(c = role_counters(role)))
		return 0;
	len = skb->len;
	loopback = dev->flags & CS_IFF_LOOPBACK;
	c->net_xmit_packets++;
	if (loopback)
		c->loopback_xmit_bytes += len;
	else
		c->net_xmit_bytes += len;
	return 0;
}

/*
 * A marker with a second argument marks that tracked process instead of the
 * caller: a scenario marks an exec'd child (a JVM) that has no USDT probes.
 */
static __always_inline int phase_mark(struct pt_regs *ctx, long role, bool begin)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct cs_task_state *st;
	struct cs_counters *c;
	struct cs_event ev = {};
	long target = 0;

	if (bpf_usdt_arg_cnt(ctx) >= 2 && !bpf_usdt_arg(ctx, 1, &target) && target > 0) {
		if (!proc_state(tgid))
			return 0;	/* only a tracked process may mark another */
		tgid = target;
	}
	st = proc_state(tgid);
	if (!st || role < 0 || role >= CS_ROLE_MAX)
		return 0;
	if (begin) {
		st->role = role;
		st->in_phase = 1;
	}
	c = role_counters(st->role);
	if (c) {
		fill_current(&ev, CS_EV_PHASE, st->role);
		ev.a = begin;
		ev.arg0 = tgid;	/* the process marked */
		ev.b = role;
		emit_batched(c, &ev, !begin, true, !begin);
	}
	if (!begin)
		st->in_phase = 0;
	return 0;
}

SEC("usdt")
int BPF_USDT(on_phase_begin, long role)
{
	return phase_mark(ctx, role, true);
}

SEC("usdt")
int BPF_USDT(on_phase_end, long role)
{
	return phase_mark(ctx, role, false);
}

#include "copy_hooks.bpf.h"
