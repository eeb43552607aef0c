/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Layout shared by bpf/copyscope.bpf.c and the C++ tracer.
 * Fixed-width plain C types only: this file is included from both sides.
 */
#ifndef COPYSCOPE_H
#define COPYSCOPE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define CS_ROLE_SENDER	0
#define CS_ROLE_RECEIVER	1
#define CS_ROLE_MAX	2

/* Transfer-related syscalls we decode; everything else is CS_SYS_OTHER. */
enum cs_syscall {
	CS_SYS_OTHER = 0,
	CS_SYS_READ,
	CS_SYS_WRITE,
	CS_SYS_PREAD64,
	CS_SYS_PWRITE64,
	CS_SYS_READV,
	CS_SYS_WRITEV,
	CS_SYS_PREADV,
	CS_SYS_PWRITEV,
	CS_SYS_SENDTO,
	CS_SYS_RECVFROM,
	CS_SYS_SENDMSG,
	CS_SYS_RECVMSG,
	CS_SYS_SENDFILE,
	CS_SYS_SPLICE,
	CS_SYS_TEE,
	CS_SYS_VMSPLICE,
	CS_SYS_COPY_FILE_RANGE,
	CS_SYS_MMAP,
	CS_SYS_MUNMAP,
	CS_SYS_IO_URING_ENTER,
	CS_SYS_FTRUNCATE,
	CS_SYS_CLONE,
	CS_SYS_FORK,
	CS_SYS_WAIT4,
	CS_SYS_MAX,
};

/* What an fd (or the user's memory) is, read from the task's file table. */
enum cs_fd_kind {
	CS_FD_NONE = 0,
	CS_FD_USER,		/* user memory (iovec / buffer) */
	CS_FD_FILE,		/* regular file, buffered */
	CS_FD_FILE_DIRECT,	/* regular file opened with O_DIRECT */
	CS_FD_PIPE,
	CS_FD_TCP,
	CS_FD_SOCKET,		/* any other socket */
	CS_FD_CHAR,		/* character device, e.g. /dev/null */
	CS_FD_OTHER,
	CS_FD_MAX,
};

enum cs_event_type {
	CS_EV_SYSCALL = 1,	/* span: ts = enter, dur = exit - enter */
	CS_EV_SWITCH_OUT,	/* a tracked thread left the CPU; a = 1 blocked, 0 preempted */
	CS_EV_SWITCH_IN,	/* a tracked thread got the CPU */
	CS_EV_FAULT,		/* page fault; a = 1 user, 0 kernel */
	CS_EV_PAGE_CACHE_ADD,	/* arg0 = inode, arg1 = index, a = folio order */
	CS_EV_BLOCK,		/* span: issue .. complete; arg0 sector, arg1 bytes, a = 1 write */
	CS_EV_PHASE,		/* USDT marker; a = 1 begin, 0 end; b = role */
	CS_EV_FORK,		/* arg0 = child tgid */
	CS_EV_EXIT,
	CS_EV_NET_XMIT,		/* reserved: transmits are counted, not emitted */
	CS_EV_FD_NAME,		/* copyscope trace: what descriptor `sys` is from ts on; a = kind, b = CS_FDN_* */
	CS_EV_MAX,
};

/*
 * CS_EV_FD_NAME's `b`: what its dur..ret (32 bytes) hold. A file's name comes
 * as two events, its directory's name first, then its own (each NUL-padded,
 * cut at CS_FDN_BYTES); a pipe or socket as its inode number (arg0).
 */
#define CS_FDN_NAME	0
#define CS_FDN_PARENT	1
#define CS_FDN_INODE	2
#define CS_FDN_BYTES	32

/*
 * A syscall event's arg1 is the count it asked for; its top bit says the call
 * was a send with MSG_ZEROCOPY (no count comes near 2^63).
 */
#define CS_COUNT_MSG_ZEROCOPY	(1ULL << 63)

struct cs_event {
	__u64 ts;		/* bpf_ktime_get_ns() */
	__u64 dur;
	__u64 arg0;
	__u64 arg1;
	__s64 ret;
	__u32 tgid;
	__u32 tid;
	__u16 sys;		/* enum cs_syscall, CS_EV_SYSCALL only */
	__u16 cpu;
	__u8 type;		/* enum cs_event_type */
	__u8 role;
	__u8 a;			/* CS_EV_SYSCALL: source kind */
	__u8 b;			/* CS_EV_SYSCALL: destination kind */
};

/*
 * Events leave the kernel in batches: each CPU gathers up to CS_BATCH events
 * of the tracked tasks running on it and writes them to the ring as one
 * record (n * sizeof(struct cs_event) bytes). User space reads what is left
 * in the per-CPU batches when the capture stops.
 */
#define CS_BATCH 16

struct cs_batch {
	__u32 n;		/* events waiting in ev[] */
	__u32 busy;		/* a program is adding an event */
	__u64 first_ts;		/* ts of ev[0] */
	__u64 unwoken;		/* bytes this CPU wrote to the ring since it last woke the consumer */
	__u32 role_n[CS_ROLE_MAX];	/* events in ev[] by role, for drop counts */
	struct cs_event ev[CS_BATCH];
};

/*
 * Flow kinds that are not syscalls (cs_flow_key.sys only, never an index into
 * sys_calls): io_uring requests, counted at their completion.
 */
enum cs_flow_extra {
	CS_FLOW_URING_READ = 64,
	CS_FLOW_URING_WRITE,
	CS_FLOW_URING_SEND,
	CS_FLOW_URING_SEND_ZC,
	CS_FLOW_URING_RECV,
	CS_FLOW_URING_OTHER,
};

#define CS_IORING_CQE_F_NOTIF	(1U << 3)

/* Exact per-role counters, one copy per CPU, summed in user space. */
struct cs_counters {
	/*
	 * What every traced syscall touches comes first, so that it shares the
	 * first cache line(s) with the common syscalls' counts: a scenario's own
	 * copies evict these lines between its calls.
	 */
	__u64 syscall_enters;
	__u64 syscall_exits;
	__u64 events_captured;
	__u64 events_dropped;
	__u64 sys_calls[CS_SYS_MAX];
	__u64 ctx_switches;		/* switch-outs of tracked threads */
	__u64 ctx_switches_involuntary;
	__u64 page_faults_user;
	__u64 page_faults_kernel;
	__u64 page_cache_adds;		/* folios inserted */
	__u64 page_cache_add_pages;	/* 4 KiB pages inserted */
	__u64 dma_ops;			/* completed block requests */
	__u64 dma_bytes;
	__u64 dma_read_bytes;
	__u64 dma_write_bytes;
	__u64 net_xmit_packets;
	__u64 net_xmit_bytes;		/* to a real device (its driver DMAs) */
	__u64 loopback_xmit_bytes;	/* to lo: a software hand-off, not DMA */
	__u64 sys_errors[CS_SYS_MAX];
	/* Measured at the copy routines (bpf/copy_hooks.bpf.h); 0 when not hooked. */
	__u64 copy_calls;		/* outermost copy-routine calls that copied */
	__u64 copy_to_user_bytes;
	__u64 copy_from_user_bytes;
	__u64 copy_kernel_bytes;	/* kernel memory to kernel memory */
};

/*
 * DMA mappings while a sender's transfer phase is open (bpf/dma.bpf.h), per
 * device driver, direction (enum dma_data_direction: 1 to the device, 2 from
 * it) and whether a tracked task was on the CPU.
 */
#define CS_DMA_SLOTS 64
struct cs_dma_key {
	char driver[16];
	__u8 dir;
	__u8 mine;
	__u8 pad[6];
};

struct cs_dma_val {
	__u64 maps;
	__u64 bytes;
};

/* Bytes moved by one syscall kind between two endpoint kinds. */
struct cs_flow_key {
	__u8 role;
	__u8 sys;
	__u8 src;
	__u8 dst;
};

struct cs_flow_val {
	__u64 calls;
	__u64 bytes;
};

/*
 * Syscall flows (sys < CS_SYS_MAX) are counted in a per-CPU array with a
 * slot per key (sys_flows), not in a hash: an index instead of a hashed key
 * walk on every transfer syscall. io_uring flows go to the flows hash.
 */
#define CS_FLOW_SLOTS (CS_ROLE_MAX * CS_SYS_MAX * CS_FD_MAX * CS_FD_MAX)

static inline unsigned int cs_flow_slot(unsigned int role, unsigned int sys, unsigned int src, unsigned int dst)
{
	return ((role * CS_SYS_MAX + sys) * CS_FD_MAX + src) * CS_FD_MAX + dst;
}

/* The inverse of cs_flow_slot(), for user space reading the table. */
static inline void cs_flow_unslot(unsigned int slot, unsigned int *role, unsigned int *sys, unsigned int *src,
				  unsigned int *dst)
{
	const unsigned int fds = (unsigned int)CS_FD_MAX, syss = (unsigned int)CS_SYS_MAX;

	*dst = slot % fds;
	*src = slot / fds % fds;
	*sys = slot / (fds * fds) % syss;
	*role = slot / (fds * fds * syss);
}

/* Where a measured CPU copy moved data. */
enum cs_copy_dir {
	CS_COPY_TO_USER = 0,
	CS_COPY_FROM_USER,
	CS_COPY_KERNEL,		/* kernel memory to kernel memory (bvec, kvec, pipe pages) */
	CS_COPY_DIR_MAX,
	CS_COPY_NONE = 0xff,	/* not a copy: page reference or a discarding iter */
};

/*
 * The hooked copy routines; names drift between kernels. The lib/ ones
 * (_copy_to_iter ... _copy_from_user) are built without ftrace on standard
 * kernels (lib/Makefile removes CC_FLAGS_FTRACE), so fentry and kprobe events
 * can rarely attach there; the copy sites (CS_CR_FILEMAP_READ ...) wrap the
 * same copies in mm/, fs/ and net/, which can be traced.
 */
enum cs_copy_routine {
	CS_CR_COPY_TO_ITER = 0,
	CS_CR_COPY_FROM_ITER,
	CS_CR_COPY_FROM_ITER_NOCACHE,
	CS_CR_COPY_PAGE_TO_ITER,
	CS_CR_COPY_PAGE_FROM_ITER,
	CS_CR_COPY_PAGE_FROM_ITER_ATOMIC,
	CS_CR_COPY_FOLIO_FROM_ITER_ATOMIC,
	CS_CR_CSUM_AND_COPY_TO_ITER,
	CS_CR_CSUM_AND_COPY_FROM_ITER,
	CS_CR_COPY_TO_USER,
	CS_CR_COPY_FROM_USER,
	CS_CR_FILEMAP_READ,		/* page cache -> iter (buffered read) */
	CS_CR_SHMEM_FILE_READ_ITER,	/* tmpfs -> iter */
	CS_CR_GENERIC_PERFORM_WRITE,	/* iter -> page cache (buffered write) */
	CS_CR_PIPE_READ,		/* pipe pages -> iter */
	CS_CR_PIPE_WRITE,		/* iter -> pipe pages */
	CS_CR_ANON_PIPE_READ,		/* the same since Linux 6.14 */
	CS_CR_ANON_PIPE_WRITE,
	CS_CR_TCP_SENDMSG_LOCKED,	/* iter -> socket buffer */
	CS_CR_SKB_COPY_DATAGRAM_ITER,	/* socket buffer -> iter (receive) */
	CS_CR_SKB_COPY_DATAGRAM_FROM_ITER,	/* iter -> socket buffer (unix, tun, ...) */
	CS_CR_SKB_SEGMENT,		/* GSO for a card without scatter-gather: frags -> new skbs */
	CS_CR_PSKB_PULL_TAIL,		/* linearizing for such a card: frags -> the skb's head */
	CS_CR_MAX,
};

/* Bytes the CPU copied, by the syscall in flight (cs_flow_key's sys/src/dst). */
struct cs_copy_key {
	__u8 role;
	__u8 sys;
	__u8 src;
	__u8 dst;
	__u8 dir;		/* enum cs_copy_dir */
	__u8 routine;		/* enum cs_copy_routine: the outermost one */
	__u8 pad[2];
};

struct cs_copy_val {
	__u64 calls;
	__u64 bytes;
};

/* Per tracked process (tgid). */
struct cs_task_state {
	__u8 role;
	__u8 in_phase;
	__u8 pad[2];
};

/*
 * Tracked processes live in a table indexed by the low bits of their tgid
 * (the `procs` array), tagged with the tgid; the `tracked` hash only holds
 * those whose slot was taken. Every syscall on the machine asks "tracked?",
 * and a tag compare is a load where a hash lookup is a hashed key walk.
 */
#define CS_PROC_SLOTS	4096
#define CS_THREAD_SLOTS	4096

struct cs_proc {
	__u32 tgid;	/* 0: free */
	struct cs_task_state st;
};

#endif /* COPYSCOPE_H */
