/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a descriptor is (enum cs_fd_kind: file, O_DIRECT file, pipe, TCP, ...),
 * read with CO-RE from the task's file table, and a per-thread cache of the
 * answer, so that a transfer loop does not walk the fd table on every call.
 */
#ifndef FD_KIND_BPF_H
#define FD_KIND_BPF_H

/*
 * What an open file is. CO-RE reads, not typed loads through bpf_rdonly_cast():
 * that kfunc came with Linux 6.2 and the object must also load on 6.1. A TCP
 * socket is remembered with the role of the task that used it, so that its
 * transmits count (net.bpf.h).
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
		if ((family == CS_AF_INET || family == CS_AF_INET6) && sock_protocol(sk) == IPPROTO_TCP) {
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

/* Syscalls that may change what a descriptor is (see fd_gen). */
static __always_inline bool changes_fds(long nr)
{
	switch (nr) {
	case CS_NR_close:
	case CS_NR_close_range:
	case CS_NR_dup3:
	case CS_NR_fcntl:
	case CS_NR_execve:
	case CS_NR_execveat:
#if defined(__TARGET_ARCH_arm64)
	case CS_NR_dup:
#else
	case CS_NR_dup2:
#endif
		return true;
	}
	return false;
}

/* copyscope trace: name the descriptors the tracked tasks move data through (set by the tracer). */
const volatile __u8 name_fds = 0;

/*
 * What descriptor fd is, for user space (CS_EV_FD_NAME), at the transfer call
 * that first meets it (ts: that call's, so the name covers it). User space
 * reads /proc too, but by then a program may have closed or reused the
 * number: cp closes its files right after its one copy_file_range, and the
 * dynamic loader opens every library as the same fd. A cache miss happens at
 * every new number and after every close (fd_gen), so names follow reuse.
 */
static __always_inline void note_fd_name(struct file *f, int fd, __u8 kind, __u8 role, __u64 ts)
{
	struct cs_counters *c = role_counters(role);
	struct cs_event ev = {};
	struct dentry *d, *parent;

	if (!c || fd < 0 || fd > 0xffff)
		return;
	fill_current(&ev, CS_EV_FD_NAME, role);
	ev.ts = ts;
	ev.sys = fd;
	ev.a = kind;
	if (kind == CS_FD_PIPE || kind == CS_FD_TCP || kind == CS_FD_SOCKET) {
		ev.b = CS_FDN_INODE;
		ev.arg0 = BPF_CORE_READ(f, f_inode, i_ino);
		emit(c, &ev);
		return;
	}
	d = BPF_CORE_READ(f, f_path.dentry);
	parent = BPF_CORE_READ(d, d_parent);
	ev.b = CS_FDN_PARENT;
	bpf_probe_read_kernel_str(&ev.dur, CS_FDN_BYTES, BPF_CORE_READ(parent, d_name.name));
	emit(c, &ev);
	ev.dur = ev.arg0 = ev.arg1 = 0;
	ev.ret = 0;
	ev.b = CS_FDN_NAME;
	bpf_probe_read_kernel_str(&ev.dur, CS_FDN_BYTES, BPF_CORE_READ(d, d_name.name));
	emit(c, &ev);
}

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
	if (name_fds)
		note_fd_name(f, fd, kind, p->role, p->ts);
	slot = p->cache_next & 1;
	p->cache_fd[slot] = fd;
	p->cache_kind[slot] = kind;
	p->cache_next = slot ^ 1;
	return kind;
}

#endif /* FD_KIND_BPF_H */
