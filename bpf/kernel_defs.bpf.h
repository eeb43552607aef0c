/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel constants vmlinux.h cannot carry: BTF describes types and enums, not
 * the kernel's #defines, and syscall numbers are each architecture's ABI.
 * Everything here is stable across the kernels copyscope supports; what
 * changed between versions lives in core_fixes.bpf.h.
 */
#ifndef KERNEL_DEFS_BPF_H
#define KERNEL_DEFS_BPF_H

/* include/uapi/linux/stat.h: the file type bits of inode::i_mode. */
#define CS_S_IFMT	00170000
#define CS_S_IFSOCK	0140000
#define CS_S_IFREG	0100000
#define CS_S_IFCHR	0020000
#define CS_S_IFIFO	0010000

/* include/uapi/asm-generic/fcntl.h; arm64 has its own value. */
#if defined(__TARGET_ARCH_arm64)
#define CS_O_DIRECT	0200000
#else
#define CS_O_DIRECT	00040000
#endif

/* include/linux/socket.h: the address families TCP runs over. */
#define CS_AF_INET	2
#define CS_AF_INET6	10

/* include/linux/socket.h: a sendmsg() that pins the user's pages instead of copying them. */
#define CS_MSG_ZEROCOPY	0x4000000

/* include/linux/sched.h: task_struct::__state of a task that may run (not blocked). */
#define CS_TASK_RUNNING	0

/*
 * include/linux/blk_types.h: a request's operation is the low REQ_OP_BITS of
 * cmd_flags; read and write are the only ones that move data (enum req_op,
 * these values since Linux 4.10).
 */
#define CS_REQ_OP_BITS	8
#define CS_REQ_OP_MASK	((1U << CS_REQ_OP_BITS) - 1)
#define CS_REQ_OP_READ	0
#define CS_REQ_OP_WRITE	1

/*
 * Syscall numbers of the calls copyscope decodes (syscalls.bpf.h) or that
 * may change what a descriptor is (fd_kind.bpf.h).
 */
#if defined(__TARGET_ARCH_arm64)
/* include/uapi/asm-generic/unistd.h: no fork, vfork or dup2 (libc uses clone and dup3). */
#define CS_NR_dup		23
#define CS_NR_dup3		24
#define CS_NR_fcntl		25
#define CS_NR_ftruncate		46
#define CS_NR_close		57
#define CS_NR_read		63
#define CS_NR_write		64
#define CS_NR_readv		65
#define CS_NR_writev		66
#define CS_NR_pread64		67
#define CS_NR_pwrite64		68
#define CS_NR_preadv		69
#define CS_NR_pwritev		70
#define CS_NR_sendfile		71
#define CS_NR_vmsplice		75
#define CS_NR_splice		76
#define CS_NR_tee		77
#define CS_NR_sendto		206
#define CS_NR_recvfrom		207
#define CS_NR_sendmsg		211
#define CS_NR_recvmsg		212
#define CS_NR_munmap		215
#define CS_NR_clone		220
#define CS_NR_execve		221
#define CS_NR_mmap		222
#define CS_NR_wait4		260
#define CS_NR_execveat		281
#define CS_NR_copy_file_range	285
#define CS_NR_io_uring_enter	426
#define CS_NR_clone3		435
#define CS_NR_close_range	436
#else
/* arch/x86/entry/syscalls/syscall_64.tbl */
#define CS_NR_read		0
#define CS_NR_write		1
#define CS_NR_close		3
#define CS_NR_mmap		9
#define CS_NR_munmap		11
#define CS_NR_pread64		17
#define CS_NR_pwrite64		18
#define CS_NR_readv		19
#define CS_NR_writev		20
#define CS_NR_dup2		33
#define CS_NR_sendfile		40
#define CS_NR_sendto		44
#define CS_NR_recvfrom		45
#define CS_NR_sendmsg		46
#define CS_NR_recvmsg		47
#define CS_NR_clone		56
#define CS_NR_fork		57
#define CS_NR_vfork		58
#define CS_NR_execve		59
#define CS_NR_wait4		61
#define CS_NR_fcntl		72
#define CS_NR_ftruncate		77
#define CS_NR_splice		275
#define CS_NR_tee		276
#define CS_NR_vmsplice		278
#define CS_NR_dup3		292
#define CS_NR_preadv		295
#define CS_NR_pwritev		296
#define CS_NR_execveat		322
#define CS_NR_copy_file_range	326
#define CS_NR_io_uring_enter	426
#define CS_NR_clone3		435
#define CS_NR_close_range	436
#endif

#endif /* KERNEL_DEFS_BPF_H */
