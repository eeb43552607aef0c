/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The transfer phase: the scenarios mark its begin and end with USDT probes
 * (copyscope:phase_begin / phase_end, with the role), so that setup work
 * (creating the file, connecting) is not counted. Only between them does a
 * tracked process count (current_in_phase()).
 */
#ifndef PHASE_BPF_H
#define PHASE_BPF_H

/* The marker's arguments: the role, then optionally the process it marks. */
#define CS_PHASE_ARG_TARGET	1

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

	if (bpf_usdt_arg_cnt(ctx) > CS_PHASE_ARG_TARGET &&
	    !bpf_usdt_arg(ctx, CS_PHASE_ARG_TARGET, &target) && target > 0) {
		if (!proc_state(tgid))
			return 0;	/* only a tracked process may mark another */
		tgid = target;
	}
	st = proc_state(tgid);
	if (!st || role < 0 || role >= CS_ROLE_MAX)
		return 0;
	if (begin) {
		st->role = role;
		if (!st->in_phase)
			__sync_fetch_and_add(&phases_open, 1);
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
	if (!begin) {
		if (st->in_phase)
			__sync_fetch_and_add(&phases_open, -1);
		st->in_phase = 0;
	}
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

#endif /* PHASE_BPF_H */
