/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * DMA mappings, where the kernel traces them (the dma:* tracepoints: Linux
 * 6.12 has dma_map_page and dma_map_sg, 6.18 calls the first dma_map_phys).
 * A driver maps memory for its device just before the device moves it: the
 * disk controller (nvme) to read into or write from the page cache, the
 * network card (e1000) to gather a packet from memory or to receive into it.
 * These are the DMA copies of the articles' diagrams, measured.
 *
 * A mapping is made in whatever context the driver runs in (the sender's
 * system call, a softirq, a kworker), so it is counted for the device's
 * driver, not for a task: every mapping while a transfer phase is open
 * (phases_open: from the first role's phase begin to the last one's end, so
 * that a sender's data still queued in its socket when its call returns is
 * counted until the receiver has it all), with `mine` saying whether a
 * tracked task of ours was on the CPU. Devices that bypass the DMA API (virtio without an IOMMU,
 * loopback) map nothing: their DMA stays inferred from the block layer.
 */
#ifndef DMA_BPF_H
#define DMA_BPF_H

/* A scatterlist is walked this far at most (the verifier needs a bound). */
#define CS_DMA_MAX_SG		128
/* The chain and end markers in scatterlist.page_link. */
#define CS_SG_CHAIN		0x01UL
#define CS_SG_END		0x02UL

/* Tracked processes in their transfer phase, any role. */
volatile __s32 phases_open;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CS_DMA_SLOTS);
	__type(key, struct cs_dma_key);
	__type(value, struct cs_dma_val);
} dma_maps SEC(".maps");

static __always_inline void dma_count(struct device *dev, __u64 bytes, int dir)
{
	const struct cs_dma_val zero = {};
	struct cs_dma_key key = {};
	struct cs_dma_val *v;
	const char *name;

	if (phases_open <= 0 || !bytes)
		return;
	name = BPF_CORE_READ(dev, driver, name);
	if (name)
		bpf_probe_read_kernel_str(key.driver, sizeof key.driver, name);
	key.dir = dir;
	key.mine = current_in_phase() != NULL;
	v = lookup_or_try_init(&dma_maps, &key, &zero);
	if (!v)
		return;
	__sync_fetch_and_add(&v->maps, 1);
	__sync_fetch_and_add(&v->bytes, bytes);
}

SEC("raw_tp/dma_map_page")
int BPF_PROG(on_dma_map_page, struct device *dev, phys_addr_t phys, dma_addr_t addr, size_t size, int dir)
{
	dma_count(dev, size, dir);
	return 0;
}

/* Linux 6.17 renamed dma_map_page's tracepoint (the mapping takes a physical address). */
SEC("raw_tp/dma_map_phys")
int BPF_PROG(on_dma_map_phys, struct device *dev, phys_addr_t phys, dma_addr_t addr, size_t size, int dir)
{
	dma_count(dev, size, dir);
	return 0;
}

struct sg_walk {
	struct scatterlist *sg;
	__u64 bytes;
	int left;	/* entries still to count */
};

/* One step of the walk (bpf_loop): an entry, or a link to the next table. */
static long sg_step(__u32 i, void *ctx)
{
	struct sg_walk *w = ctx;
	struct scatterlist *sg = w->sg;	/* a plain load: CO-RE reads only the kernel's struct */
	unsigned long link;

	if (!sg || w->left <= 0)
		return 1;
	link = BPF_CORE_READ(sg, page_link);
	if (link & CS_SG_CHAIN) {
		w->sg = (struct scatterlist *)(link & ~(CS_SG_CHAIN | CS_SG_END));
		return 0;
	}
	w->bytes += BPF_CORE_READ(sg, length);
	w->left--;
	if (link & CS_SG_END)
		return 1;
	w->sg++;
	return 0;
}

/* The bytes of the nents entries handed to dma_map_sg, following chained tables. */
SEC("raw_tp/dma_map_sg")
int BPF_PROG(on_dma_map_sg, struct device *dev, struct scatterlist *sgl, int nents, int ents, int dir)
{
	struct sg_walk w = {.sg = sgl, .left = nents};

	if (phases_open <= 0 || ents <= 0)
		return 0;
	bpf_loop(CS_DMA_MAX_SG, sg_step, &w, 0);
	dma_count(dev, w.bytes, dir);
	return 0;
}

#endif /* DMA_BPF_H */
