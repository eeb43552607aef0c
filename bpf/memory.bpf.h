/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Memory: page faults (how mmap and copy-on-write move data: by mapping, then
 * faulting) and insertions into the page cache (a cold read, a written file).
 */
#ifndef MEMORY_BPF_H
#define MEMORY_BPF_H

/* Keeps 1 << order defined whatever the tracepoint says: a folio is never 2^32 pages. */
#define CS_FOLIO_ORDER_MASK	31

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

/* exceptions/page_fault_*: the tracepoint's record after its common header. */
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
	c->page_cache_add_pages += 1ULL << (order & CS_FOLIO_ORDER_MASK);
	fill_current(&ev, CS_EV_PAGE_CACHE_ADD, st->role);
	ev.a = order;
	ev.arg0 = BPF_CORE_READ(ctx, i_ino);
	ev.arg1 = BPF_CORE_READ(ctx, index);
	emit(c, &ev);
	return 0;
}

#endif /* MEMORY_BPF_H */
