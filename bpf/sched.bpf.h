/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The scheduler: context switches of the tracked threads (not mode switches:
 * a thread that stays on its CPU across a syscall makes none), and the
 * scenario's process tree, followed at fork and let go at exit.
 */
#ifndef SCHED_BPF_H
#define SCHED_BPF_H

/* CS_EV_SWITCH_OUT's `a`: how the thread left its CPU. */
#define CS_SWITCH_INVOLUNTARY	0	/* preempted, or rescheduled while runnable */
#define CS_SWITCH_VOLUNTARY	1	/* blocked */

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
		bool involuntary = preempt || task_state(prev) == CS_TASK_RUNNING;

		c->ctx_switches++;
		if (involuntary)
			c->ctx_switches_involuntary++;
		fill_current(&ev, CS_EV_SWITCH_OUT, st->role);
		now = ev.ts;
		ev.a = involuntary ? CS_SWITCH_INVOLUNTARY : CS_SWITCH_VOLUNTARY;
		ev.arg0 = next->pid;
		/*
		 * The batch leaves now only if the CPU goes to a task that adds
		 * nothing to it (idle, copyscope itself, anything untraced):
		 * otherwise it would wait there for the age rule. Between two
		 * traced tasks it fills on; user space orders events by ts, so a
		 * task that moves to another CPU needs no flush here. A sender
		 * and its receiver taking turns on one CPU would otherwise flush
		 * a small batch at every switch.
		 */
		emit_batched(c, &ev, !next_in_phase, false, false);
	}
	if (next_in_phase && (c = role_counters(next_st->role))) {
		__builtin_memset(&ev, 0, sizeof(ev));
		/* The switch-in is the same instant: one clock read, not two. */
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

#endif /* SCHED_BPF_H */
