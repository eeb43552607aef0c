// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * copyscope: every probe in one object (one skeleton), one header per concern.
 * Only processes of the scenario's tree (the `procs` table, filled by user
 * space for the root and followed here on fork) are counted, and only between
 * their USDT phase markers.
 *
 *   maps.bpf.h        shared state: tracked processes, counters, per-thread
 *                     syscall records, sockets; lookup-or-init
 *   events.bpf.h      the event ring and its per-CPU batches
 *   fd_kind.bpf.h     what a descriptor is (file, pipe, TCP, ...)
 *   syscalls.bpf.h    sys_enter / sys_exit: calls, flows
 *   io_uring.bpf.h    io_uring completions: flows without a syscall
 *   sched.bpf.h       context switches, fork, exit
 *   memory.bpf.h      page faults, page cache insertions
 *   block.bpf.h       block requests: the disk's DMA
 *   net.bpf.h         transmits: device (DMA) or loopback (hand-off)
 *   dma.bpf.h         DMA mappings per device driver (dma:* tracepoints)
 *   phase.bpf.h       USDT transfer-phase markers
 *   copy_hooks.bpf.h  measured CPU copies (fentry or kprobe, where allowed)
 *
 * Kernel constants live in kernel_defs.bpf.h, kernel drift in core_fixes.bpf.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/usdt.bpf.h>
#include "copyscope.h"
#include "kernel_defs.bpf.h"
#include "core_fixes.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#include "maps.bpf.h"
#include "events.bpf.h"
#include "fd_kind.bpf.h"
#include "syscalls.bpf.h"
#include "io_uring.bpf.h"
#include "sched.bpf.h"
#include "memory.bpf.h"
#include "block.bpf.h"
#include "net.bpf.h"
#include "dma.bpf.h"
#include "phase.bpf.h"
#include "copy_hooks.bpf.h"
