/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The event channel to user space: a ring buffer, fed through per-CPU batches
 * of CS_BATCH events (struct cs_batch), with wake-ups counted in bytes.
 * Counters are exact without it; events only draw the timelines, and
 * emit_events = 0 (counters only) turns them off.
 */
#ifndef EVENTS_BPF_H
#define EVENTS_BPF_H

const volatile __u8 emit_events = 1;

/*
 * The ring's size: room for the events of a consumer that is off its CPU.
 * The producer writes the ring line by line, and a line that fell out of the
 * cache since the ring last wrapped costs a miss, so a smaller ring is
 * cheaper per event; but at the full event rate (bench pipeline) the
 * consumer is sometimes away long enough (a wake-up waiting for a CPU, the
 * first touch of fresh memory, the hypervisor) that a 1 MiB ring overflowed.
 * Drops are counted and shown if it ever does. Kernel memory, charged to
 * the memory cgroup; libbpf 1.1 needs no RLIMIT_MEMLOCK for it.
 */
#define CS_RING_BYTES	(4 * 1024 * 1024)

/*
 * Wake the consumer when this much data waits (fewer wake-ups), a sixteenth
 * of the ring: as often as with the earlier 1 MiB ring, so the consumer
 * starts as early and has the rest of the ring left before a drop. Each CPU
 * wakes it once it has written wake_cpu_bytes since its last wake-up:
 * wakeup_bytes over the possible CPUs (set by the tracer), so that no more
 * than wakeup_bytes wait unannounced, whatever the CPU count.
 */
const volatile __u64 wakeup_bytes = CS_RING_BYTES / 16;
const volatile __u32 wake_cpu_bytes = CS_RING_BYTES / 16;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, CS_RING_BYTES);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cs_batch);
} batches SEC(".maps");

/* Bytes n events take in the ring as one record: its header and the events, 8-aligned. */
#define CS_BATCH_RING_BYTES(n) \
	(BPF_RINGBUF_HDR_SZ + (((n) * sizeof(struct cs_event) + 7) & ~7UL))
#define CS_EVENT_RING_BYTES CS_BATCH_RING_BYTES(1)

/* A batch leaves once its oldest event is this old, so a quiet task's events still arrive. */
#define CS_BATCH_AGE_NS (20 * 1000 * 1000ULL)

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
 * or two events, and waking every so many flushes would wake the consumer
 * for a few events each time. Its poll timeout sweeps up what no wake-up
 * announced.
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
 * so that the end of a phase or of a process is seen at once, not at the
 * tracer's poll timeout. An event whose program interrupted another one in
 * the middle of adding (a fault in a kernel read) goes to the ring directly.
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

/* An event of the current task, stamped now. */
static __always_inline void fill_current(struct cs_event *ev, __u8 type, __u8 role)
{
	__u64 id = bpf_get_current_pid_tgid();

	ev->ts = bpf_ktime_get_ns();
	ev->tgid = id >> 32;
	ev->tid = (__u32)id;
	ev->type = type;
	ev->role = role;
}

#endif /* EVENTS_BPF_H */
