/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Block I/O, the disk's DMA: a bio submitted by a tracked task in its phase
 * owns the request it ends up in; the request's completion, which runs in
 * interrupt context on behalf of nobody in particular, is counted for that
 * owner. A completed read or write request is one disk DMA transfer of its
 * bytes: the device moves them, not the CPU.
 */
#ifndef BLOCK_BPF_H
#define BLOCK_BPF_H

/* Bios and requests of the tracked tasks between their queueing and completion. */
#define CS_BIOS_IN_FLIGHT	16384
#define CS_RQS_IN_FLIGHT	4096
/* A request's bio chain is walked this far at most (the verifier needs a bound). */
#define CS_RQ_MAX_BIOS		32

struct io_owner {
	__u64 issue_ts;
	__u32 tgid;
	__u32 tid;
	__u8 role;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CS_BIOS_IN_FLIGHT);
	__type(key, __u64);
	__type(value, struct io_owner);
} bio_owner SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CS_RQS_IN_FLIGHT);
	__type(key, __u64);
	__type(value, struct io_owner);
} rq_owner SEC(".maps");

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

	for (int i = 0; i < CS_RQ_MAX_BIOS && bio; i++) {
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

#endif /* BLOCK_BPF_H */
